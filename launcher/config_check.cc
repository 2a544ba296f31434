#include "launcher/config_check.h"

#include <cstdlib>

#ifdef USTACK_LAUNCHER_HAVE_PRELOAD_CONFIG
#include "preload/config.h"
#endif

namespace ustack::launcher {

std::vector<std::string> check_configuration() {
#ifdef USTACK_LAUNCHER_HAVE_PRELOAD_CONFIG
    return preload::parse_config([](const char* name) { return std::getenv(name); }).errors;
#else
    // Built without the preload library's parser: values pass through, and the library
    // reports a bad one when the program starts. The launcher has no parser of its own.
    return {};
#endif
}

}  // namespace ustack::launcher

#include "launcher/config_check.h"

namespace ustack::launcher {

// The preload library's parser (target ustack_preload_config, preload/config.h) is not
// available yet. Until it is linked here, values pass through unchecked and the library
// reports a bad value when the program starts. No second parser lives in the launcher.
std::optional<std::string> check_configuration() { return std::nullopt; }

}  // namespace ustack::launcher

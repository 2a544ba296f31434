// Validation of the USTACK_* configuration the program will see.
#pragma once

#include <string>
#include <vector>

namespace ustack::launcher {

// Checks the USTACK_* variables in this process's environment (after the launcher has applied
// its options) with the parser the preload library itself uses (preload/config.h), so the
// launcher and the library can never disagree. Returns the library's one-line errors, each
// naming a variable and its fix; empty when the library will accept the configuration.
std::vector<std::string> check_configuration();

}  // namespace ustack::launcher

// Validation of the USTACK_* configuration the program will see.
#pragma once

#include <optional>
#include <string>

namespace ustack::launcher {

// Checks the USTACK_* variables in this process's environment (after the launcher has applied
// its options) with the parser the preload library itself uses, so the launcher and the library
// can never disagree. Returns the library's one-line error, or nullopt if the library will
// accept the configuration.
std::optional<std::string> check_configuration();

}  // namespace ustack::launcher

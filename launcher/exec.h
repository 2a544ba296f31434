// Replacing the launcher with another program.
#pragma once

#include <string>
#include <vector>

#include "launcher/exit_codes.h"

namespace ustack::launcher {

// Executes `command` (searched in PATH like a shell does) in place of this process, with the
// current environment. Returns only on failure, after one line on stderr: kExitNotFound if
// there is no such program, kExitCannotExecute if it exists but cannot be run.
int exec_command(const std::vector<std::string>& command);

}  // namespace ustack::launcher

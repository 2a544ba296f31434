// Replacing the launcher with another program.
#pragma once

#include <string>
#include <vector>

namespace ustack::launcher {

// Exit statuses, as a shell gives them.
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCannotExecute = 126;
inline constexpr int kExitNotFound = 127;

// Executes `command` (searched in PATH like a shell does) in place of this process, with the
// current environment. Returns only on failure, after one line on stderr: kExitNotFound if
// there is no such program, kExitCannotExecute if it exists but cannot be run.
int exec_command(const std::vector<std::string>& command);

}  // namespace ustack::launcher

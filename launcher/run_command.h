// `ustack run`.
#pragma once

#include <span>
#include <string_view>

namespace ustack::launcher {

// Sets up the USTACK_* environment from --config, the options and the inherited environment
// (options win over the file, the file over the environment); with no device anywhere,
// makes a private lab (EmbeddedLab) and runs the command in its host namespace; checks the
// configuration and the device (preflight.h); then runs the command with the library
// preloaded. With a lab the launcher waits for the command, tears the lab down and exits
// with the command's status; otherwise it replaces itself with the command.
int run_command(std::span<const std::string_view> args);

}  // namespace ustack::launcher

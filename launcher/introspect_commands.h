// `ustack ss`, `ustack stat` and `ustack capture`: reading (and, for capture, steering) running
// ustack processes through their stats pages.
#pragma once

#include <span>
#include <string_view>

namespace ustack::launcher {

int ss_command(std::span<const std::string_view> args);
int stat_command(std::span<const std::string_view> args);
int capture_command(std::span<const std::string_view> args);

}  // namespace ustack::launcher

// Where the preload library is and how it joins LD_PRELOAD.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ustack::launcher {

// The directory holding the running executable (from /proc/self/exe), or nullopt.
std::optional<std::filesystem::path> self_dir();

// The library to preload: --library, else $USTACK_LIBRARY, else <self_dir>/../lib/libustack.so
// (build/bin/ustack -> build/lib/libustack.so). Always absolute, so a program that changes
// directory still hands a loadable path to the programs it runs.
std::filesystem::path choose_library(const std::optional<std::string>& option,
                                     const char* env_value,
                                     const std::filesystem::path& launcher_dir);

// LD_PRELOAD with `library` first. The existing entries (separated by ':' or ' ', as ld.so
// accepts) follow in order; an existing copy of `library` is dropped so nesting is harmless.
std::string prepend_preload(std::string_view library, std::string_view existing);

}  // namespace ustack::launcher

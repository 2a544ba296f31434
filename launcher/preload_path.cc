#include "launcher/preload_path.h"

#include <system_error>

namespace ustack::launcher {

std::optional<std::filesystem::path> self_dir() {
    std::error_code ec;
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return std::nullopt;
    return exe.parent_path();
}

std::filesystem::path choose_library(const std::optional<std::string>& option,
                                     const char* env_value,
                                     const std::filesystem::path& launcher_dir) {
    std::filesystem::path chosen;
    if (option) {
        chosen = *option;
    } else if (env_value != nullptr && *env_value != '\0') {
        chosen = env_value;
    } else {
        chosen = launcher_dir / ".." / "lib" / "libustack.so";
    }
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(chosen, ec);
    return (ec ? chosen : absolute).lexically_normal();
}

std::string prepend_preload(std::string_view library, std::string_view existing) {
    std::string out(library);
    size_t start = 0;
    while (start <= existing.size()) {
        size_t end = existing.find_first_of(": ", start);
        if (end == std::string_view::npos) end = existing.size();
        std::string_view entry = existing.substr(start, end - start);
        if (!entry.empty() && entry != library) {
            out += ':';
            out += entry;
        }
        start = end + 1;
    }
    return out;
}

}  // namespace ustack::launcher

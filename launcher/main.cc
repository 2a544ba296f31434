// `ustack`: run a program over the stack, or manage the test lab.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "launcher/config_check.h"
#include "launcher/exec.h"
#include "launcher/preload_path.h"
#include "launcher/run_args.h"
#include "launcher/usage.h"

namespace ustack::launcher {
namespace {

int usage_error(const std::string& message) {
    std::fprintf(stderr, "ustack: %s\n", message.c_str());
    return kExitUsage;
}

void print(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

int run_command(std::span<const std::string_view> args) {
    RunParse parsed = parse_run_args(args);
    if (parsed.request.help) {
        print(kRunUsage);
        return 0;
    }
    if (!parsed.error.empty()) return usage_error(parsed.error);
    const RunRequest& request = parsed.request;

    for (const Setting& s : request.settings) {
        setenv(std::string(s.variable).c_str(), s.value.c_str(), 1);
    }
    std::vector<std::string> problems = check_configuration();
    for (const std::string& p : problems) std::fprintf(stderr, "ustack: %s\n", p.c_str());
    if (!problems.empty()) return kExitUsage;

    std::optional<std::filesystem::path> dir = self_dir();
    if (!dir && !request.library && std::getenv("USTACK_LIBRARY") == nullptr) {
        return usage_error("cannot find this binary's directory (/proc/self/exe); pass --library PATH");
    }
    std::filesystem::path library =
        choose_library(request.library, std::getenv("USTACK_LIBRARY"), dir.value_or("."));
    std::error_code ec;
    if (!std::filesystem::is_regular_file(library, ec)) {
        // ld.so would only warn and run the program on the kernel's stack: refuse instead.
        return usage_error("preload library " + library.string() +
                           " not found; build it (ninja -C build) or pass --library PATH");
    }

    const char* existing = std::getenv("LD_PRELOAD");
    std::string preload = prepend_preload(library.string(), existing ? existing : "");
    setenv("LD_PRELOAD", preload.c_str(), 1);
    return exec_command(request.command);
}

// Runs the repository's scripts/lab.sh, two levels above build/bin.
int lab_command(std::span<const std::string_view> args) {
    std::optional<std::filesystem::path> dir = self_dir();
    if (!dir) return usage_error("cannot find this binary's directory (/proc/self/exe)");
    std::filesystem::path script = (*dir / ".." / ".." / "scripts" / "lab.sh").lexically_normal();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(script, ec)) {
        std::fprintf(stderr, "ustack: lab script %s not found (ustack lab works from a build tree "
                     "inside the repository)\n", script.c_str());
        return 1;
    }
    std::vector<std::string> command{"bash", script.string()};
    for (std::string_view a : args) command.emplace_back(a);
    return exec_command(command);
}

}  // namespace
}  // namespace ustack::launcher

int main(int argc, char** argv) {
    using namespace ustack::launcher;
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::fputs(kMainUsage.data(), stderr);
        return kExitUsage;
    }
    std::string_view command = args.front();
    std::span<const std::string_view> rest(args.begin() + 1, args.end());
    if (command == "-h" || command == "--help" || command == "help") {
        print(kMainUsage);
        return 0;
    }
    if (command == "run") return run_command(rest);
    if (command == "lab") return lab_command(rest);
    return usage_error("unknown command '" + std::string(command) + "'; see 'ustack --help'");
}

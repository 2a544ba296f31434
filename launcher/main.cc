// `ustack`: run a program over the stack, manage the lab, and look into running processes.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "launcher/exit_codes.h"
#include "launcher/introspect_commands.h"
#include "launcher/lab.h"
#include "launcher/run_command.h"
#include "launcher/usage.h"

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
        std::fwrite(kMainUsage.data(), 1, kMainUsage.size(), stdout);
        return 0;
    }
    if (command == "--version") {
        std::printf("ustack %s\n", USTACK_VERSION);
        return 0;
    }
    if (command == "run") return run_command(rest);
    if (command == "lab") return lab_command(rest);
    if (command == "ss") return ss_command(rest);
    if (command == "stat") return stat_command(rest);
    if (command == "capture") return capture_command(rest);
    std::fprintf(stderr, "ustack: unknown command '%s'; see 'ustack --help'\n", std::string(command).c_str());
    return kExitUsage;
}

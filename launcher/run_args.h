// The arguments of `ustack run`, parsed without side effects so they can be tested.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ustack::launcher {

// One USTACK_* variable the command line sets for the program.
struct Setting {
    std::string_view variable;  // e.g. "USTACK_ADDRESS"
    std::string value;
};

struct RunRequest {
    std::vector<Setting> settings;       // in command-line order; a later one wins
    std::optional<std::string> library;  // --library PATH
    std::optional<std::string> config_file;  // --config FILE
    bool arp_probe = true;               // --no-arp-probe turns the start-up ARP probe off
    std::vector<std::string> command;    // CMD ARGS...
    bool help = false;                   // -h / --help: print usage, run nothing
};

struct RunParse {
    RunRequest request;
    std::string error;  // non-empty: a usage error, one line without the "ustack: " prefix
};

// The variable an option sets ("--address" -> "USTACK_ADDRESS"), or nullopt.
std::optional<std::string_view> variable_for_option(std::string_view option);

// Parses the words after "run". Options end at "--" or at the first word that is not an option;
// both "--opt VALUE" and "--opt=VALUE" are accepted.
RunParse parse_run_args(std::span<const std::string_view> args);

}  // namespace ustack::launcher

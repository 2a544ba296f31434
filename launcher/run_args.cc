#include "launcher/run_args.h"

#include <array>
#include <utility>

namespace ustack::launcher {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kOptions{{
    {"--device", "USTACK_DEVICE"},
    {"--address", "USTACK_ADDRESS"},
    {"--gateway", "USTACK_GATEWAY"},
    {"--mac", "USTACK_MAC"},
    {"--pcap", "USTACK_PCAP"},
    {"--offloads", "USTACK_OFFLOADS"},
    {"--log", "USTACK_LOG"},
    {"--log-file", "USTACK_LOG_FILE"},
    {"--busy-poll", "USTACK_BUSY_POLL"},
}};

constexpr std::string_view kLibraryOption = "--library";
constexpr std::string_view kConfigOption = "--config";
constexpr std::string_view kNoArpProbeOption = "--no-arp-probe";

}  // namespace

std::optional<std::string_view> variable_for_option(std::string_view option) {
    for (const auto& [name, variable] : kOptions) {
        if (name == option) return variable;
    }
    return std::nullopt;
}

RunParse parse_run_args(std::span<const std::string_view> args) {
    RunParse out;
    size_t i = 0;
    while (i < args.size()) {
        std::string_view word = args[i];
        if (word == "--") {
            ++i;
            break;
        }
        if (word == "-h" || word == "--help") {
            out.request.help = true;
            return out;
        }
        if (!word.starts_with("-")) break;  // the command starts here
        if (word == kNoArpProbeOption) {
            out.request.arp_probe = false;
            ++i;
            continue;
        }

        std::string_view name = word;
        std::optional<std::string_view> value;
        if (size_t eq = word.find('='); eq != std::string_view::npos) {
            name = word.substr(0, eq);
            value = word.substr(eq + 1);
        }
        std::optional<std::string_view> variable = variable_for_option(name);
        if (!variable && name != kLibraryOption && name != kConfigOption) {
            out.error = "unknown option '" + std::string(word) + "' for run; see 'ustack run --help'";
            return out;
        }
        if (!value) {
            if (i + 1 >= args.size()) {
                out.error = "option " + std::string(name) + " needs a value; see 'ustack run --help'";
                return out;
            }
            value = args[++i];
        }
        if (variable) {
            out.request.settings.push_back({*variable, std::string(*value)});
        } else if (name == kConfigOption) {
            out.request.config_file = std::string(*value);
        } else {
            out.request.library = std::string(*value);
        }
        ++i;
    }
    for (; i < args.size(); ++i) out.request.command.emplace_back(args[i]);
    if (out.request.command.empty()) {
        out.error = "run needs a command: ustack run [OPTIONS] -- CMD [ARGS...]";
    }
    return out;
}

}  // namespace ustack::launcher

#include "launcher/config_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ustack::launcher {
namespace {

constexpr std::string_view kVariables[] = {"USTACK_DEVICE", "USTACK_ADDRESS", "USTACK_GATEWAY", "USTACK_MAC",
                                           "USTACK_PCAP",   "USTACK_LOG",     "USTACK_LOG_FILE", "USTACK_BUSY_POLL",
                                           "USTACK_STATS",  "USTACK_RUN_DIR", "USTACK_OFFLOADS",
                                           "USTACK_PACKET_RING"};

std::string trim(std::string s) {
    const char* ws = " \t\r";
    s.erase(0, s.find_first_not_of(ws));
    s.erase(s.find_last_not_of(ws) + 1);
    return s;
}

}  // namespace

ConfigFile parse_config_text(const std::string& path, const std::string& text) {
    ConfigFile out;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        const size_t eq = line.find('=');
        std::string name = eq == std::string::npos ? line : trim(line.substr(0, eq));
        bool known = false;
        for (std::string_view v : kVariables) known = known || v == name;
        if (eq == std::string::npos || !known) {
            out.error = "configuration file " + path + " line " + std::to_string(number) + " is not VARIABLE=VALUE with a USTACK_* variable (got \"" +
                        line + "\"); fix the line, see ustack(7)";
            out.settings.clear();
            return out;
        }
        out.settings.emplace_back(name, trim(line.substr(eq + 1)));
    }
    return out;
}

ConfigFile read_config_file(const std::string& path) {
    std::ifstream f(path);
    if (!f) {
        const int err = errno;
        ConfigFile out;
        out.error = "cannot read configuration file " + path + ": " + std::strerror(err) +
                    (err == EACCES ? "; make it readable (chmod a+r) or run as its owner"
                                   : "; check the path given to --config");
        return out;
    }
    std::stringstream text;
    text << f.rdbuf();
    if (f.bad()) {
        ConfigFile out;
        out.error = "cannot read configuration file " + path + "; check the path given to --config";
        return out;
    }
    return parse_config_text(path, text.str());
}

}  // namespace ustack::launcher

// conform [--peer A.B.C.D --self A.B.C.D --port-base N] CASE...|--all|--list: runs the named cases in order.
// The runner gives one case per process so a crash or hang shows up as that case's difference.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "conform.h"

namespace conform {

struct Entry {
    std::string name;
    CaseFn fn;
};

std::vector<Entry>& registry() {
    static std::vector<Entry> r;
    return r;
}

Registrar::Registrar(const char* name, CaseFn fn) { registry().push_back({name, fn}); }

in_addr g_peer{}, g_self{};
int g_port_base = 7500;

}  // namespace conform

int main(int argc, char** argv) {
    using namespace conform;
    inet_pton(AF_INET, "10.78.0.1", &g_peer);
    inet_pton(AF_INET, "10.78.0.2", &g_self);
    auto& cases = registry();
    std::sort(cases.begin(), cases.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
    std::vector<std::string> wanted;
    bool all = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--list") {
            for (const Entry& e : cases) std::printf("%s\n", e.name.c_str());
            return 0;
        } else if ((a == "--peer" || a == "--self") && i + 1 < argc) {
            if (inet_pton(AF_INET, argv[++i], a == "--peer" ? &g_peer : &g_self) != 1) {
                std::fprintf(stderr, "conform: %s needs an IPv4 address\n", a.c_str());
                return 2;
            }
        } else if (a == "--port-base" && i + 1 < argc) {
            g_port_base = std::atoi(argv[++i]);
        } else if (a == "--all") {
            all = true;
        } else {
            wanted.push_back(a);
        }
    }
    // A case that loses a connection must see EPIPE, not die of SIGPIPE, unless it says so.
    std::signal(SIGPIPE, SIG_IGN);
    int ran = 0;
    for (const Entry& e : cases) {
        if (!all && std::find(wanted.begin(), wanted.end(), e.name) == wanted.end()) continue;
        e.fn();
        std::fflush(stdout);
        ++ran;
    }
    if (ran == 0 || (!all && ran != static_cast<int>(wanted.size()))) {
        std::fprintf(stderr, "conform: unknown case; see conform --list\n");
        return 2;
    }
    return 0;
}

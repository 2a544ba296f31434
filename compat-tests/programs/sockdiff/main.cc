// sockdiff [CASE...]: run the kernel-fallback cases (all, or the named ones) and print one line
// per observed step. Run it with and without the preload and diff the outputs: any difference
// is the preload changing what a program using AF_UNIX or 127.0.0.1 sees.
#include <csignal>
#include <cstdio>
#include <cstring>

#include "cases.h"

namespace {

struct Case {
    const char* name;
    void (*run)();
};

constexpr Case kCases[] = {
    {"unix_stream_pair", sockdiff::unix_stream_pair},
    {"unix_dgram_pair", sockdiff::unix_dgram_pair},
    {"unix_abstract_listener", sockdiff::unix_abstract_listener},
    {"unix_scm_rights", sockdiff::unix_scm_rights},
    {"unix_across_fork", sockdiff::unix_across_fork},
    {"tcp_loopback_exchange", sockdiff::tcp_loopback_exchange},
    {"tcp_loopback_bulk", sockdiff::tcp_loopback_bulk},
    {"tcp_connect_refused", sockdiff::tcp_connect_refused},
    {"tcp_nonblocking_connect", sockdiff::tcp_nonblocking_connect},
    {"tcp_poll_select_epoll", sockdiff::tcp_poll_select_epoll},
    {"tcp_reset", sockdiff::tcp_reset},
    {"tcp_across_fork", sockdiff::tcp_across_fork},
    {"tcp_dup", sockdiff::tcp_dup},
    {"udp_loopback", sockdiff::udp_loopback},
    {"udp_connect_refused", sockdiff::udp_connect_refused},
    {"ipv6_loopback", sockdiff::ipv6_loopback},
    {"netlink_route", sockdiff::netlink_route},
    {"socket_argument_errors", sockdiff::socket_argument_errors},
    {"sockopt_errors", sockdiff::sockopt_errors},
};

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
        for (const Case& c : kCases) std::printf("%s\n", c.name);
        return 0;
    }
    int ran = 0;
    for (const Case& c : kCases) {
        bool wanted = argc == 1;
        for (int i = 1; i < argc; ++i) wanted = wanted || std::strcmp(argv[i], c.name) == 0;
        if (!wanted) continue;
        c.run();
        ++ran;
    }
    if (ran == 0) {
        std::fprintf(stderr, "sockdiff: no such case; see sockdiff --list\n");
        return 2;
    }
    return 0;
}

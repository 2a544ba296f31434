// The idle-connection memory workload for scripts/bench.
//   idle_conns server PORT            accept and hold connections forever; prints "ready"
//                                     after listen() and "accepted N" every 1000
//   idle_conns client ADDR PORT N     open N connections, print "connected N", hold them
//                                     until stdin closes, then reset them (SO_LINGER 0)
// Blocking calls only, so it needs nothing beyond socket/bind/listen/accept/connect.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

void raise_fd_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

int server(int port) {
    const int l = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (l < 0 || bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(l, 4096) != 0) {
        std::fprintf(stderr, "idle_conns: listen on port %d: %s\n", port, std::strerror(errno));
        return 1;
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long accepted = 0;
    for (;;) {
        const int c = accept(l, nullptr, nullptr);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            std::fprintf(stderr, "idle_conns: accept after %ld: %s\n", accepted, std::strerror(errno));
            return 1;
        }
        if (++accepted % 1000 == 0) {
            std::printf("accepted %ld\n", accepted);
            std::fflush(stdout);
        }
    }
}

int client(const char* addr, int port, long n) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
        std::fprintf(stderr, "idle_conns: bad address %s\n", addr);
        return 2;
    }
    std::vector<int> fds;
    fds.reserve(static_cast<size_t>(n));
    for (long i = 0; i < n; ++i) {
        const int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0 || connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            std::fprintf(stderr, "idle_conns: connection %ld: %s\n", i, std::strerror(errno));
            return 1;
        }
        // Reset, not FIN, at exit: no TIME_WAIT or orphans left to skew the next run's Slab.
        const linger l{1, 0};
        setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        fds.push_back(s);
    }
    std::printf("connected %ld\n", n);
    std::fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    raise_fd_limit();
    if (argc == 3 && std::strcmp(argv[1], "server") == 0) return server(std::atoi(argv[2]));
    if (argc == 5 && std::strcmp(argv[1], "client") == 0) return client(argv[2], std::atoi(argv[3]), std::atol(argv[4]));
    std::fprintf(stderr, "usage: idle_conns server PORT | idle_conns client ADDR PORT N\n");
    return 2;
}

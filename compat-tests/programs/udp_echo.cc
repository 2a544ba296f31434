// udp_echo PORT [COUNT]: bind 0.0.0.0:PORT and echo COUNT datagrams (0 or absent: forever)
// back to their senders. Prints "ready" once bound so scripts wait on a line, not a sleep.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

int fail(const char* what) {
    std::fprintf(stderr, "udp_echo: %s: %s\n", what, std::strerror(errno));
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: udp_echo PORT [COUNT]\n");
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const long count = argc == 3 ? std::atol(argv[2]) : 0;
    if (port <= 0 || port > 65535 || count < 0) {
        std::fprintf(stderr, "udp_echo: bad PORT or COUNT\n");
        return 2;
    }

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return fail("socket");
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_port = htons(static_cast<uint16_t>(port));
    local.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) return fail("bind");

    std::printf("ready\n");
    std::fflush(stdout);

    char buf[65536];
    for (long echoed = 0; count == 0 || echoed < count; ++echoed) {
        sockaddr_in peer{};
        socklen_t peer_len = sizeof peer;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &peer_len);
        if (n < 0) {
            if (errno == EINTR) { --echoed; continue; }
            return fail("recvfrom");
        }
        if (sendto(fd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&peer), peer_len) < 0)
            return fail("sendto");
    }
    close(fd);
    return 0;
}

// udp_client HOST PORT MESSAGE [TIMEOUT_MS]: send MESSAGE to HOST:PORT (IPv4 literal), wait for
// one reply with poll and print it. Exit 0 with a reply, 1 on timeout, 2 on any socket error
// (the error goes to stderr as one "udp_client: ..." line).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

int fail(const char* what) {
    std::fprintf(stderr, "udp_client: %s: %s\n", what, std::strerror(errno));
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4 || argc > 5) {
        std::fprintf(stderr, "usage: udp_client HOST PORT MESSAGE [TIMEOUT_MS]\n");
        return 2;
    }
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    const int port = std::atoi(argv[2]);
    if (inet_pton(AF_INET, argv[1], &peer.sin_addr) != 1 || port <= 0 || port > 65535) {
        std::fprintf(stderr, "udp_client: HOST must be an IPv4 literal and PORT 1..65535\n");
        return 2;
    }
    peer.sin_port = htons(static_cast<uint16_t>(port));
    const int timeout_ms = argc == 5 ? std::atoi(argv[4]) : 2000;

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return fail("socket");
    const size_t len = std::strlen(argv[3]);
    if (sendto(fd, argv[3], len, 0, reinterpret_cast<sockaddr*>(&peer), sizeof peer) < 0)
        return fail("sendto");

    pollfd p{fd, POLLIN, 0};
    int ready;
    do {
        ready = poll(&p, 1, timeout_ms);
    } while (ready < 0 && errno == EINTR);
    if (ready < 0) return fail("poll");
    if (ready == 0) {
        std::fprintf(stderr, "udp_client: no reply within %d ms\n", timeout_ms);
        return 1;
    }

    char buf[65536];
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, nullptr, nullptr);
    if (n < 0) return fail("recvfrom");
    std::fwrite(buf, 1, static_cast<size_t>(n), stdout);
    std::fputc('\n', stdout);
    close(fd);
    return 0;
}

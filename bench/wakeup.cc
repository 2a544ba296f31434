// wakeup: the two halves of scripts/measure-idle, plain socket code so that the same binary
// runs on the kernel's stack or under the preload.
//
//   wakeup idle PORT                      listen on PORT, accept one connection, print "ready",
//                                         then sit in a blocking recv until the peer closes
//   wakeup recv udp|tcp PORT N            receive N timestamps (after a few uncounted ones), each in a blocking recv; print
//                                         the wakeup latencies (p50, p99, max, in microseconds)
//   wakeup send udp|tcp HOST PORT N GAP_US
//                                         send N timestamps to HOST:PORT, GAP_US apart, each
//                                         after the receiver acknowledged the previous one
//
// A timestamp is the sender's CLOCK_MONOTONIC in nanoseconds, taken just before send(). The
// receiver reads the same clock as its blocking recv returns: both ends are on one host (network
// namespaces share the clock), so the difference is the time from "the peer sent" to "the
// blocked receiver runs", which is what a program sees as wakeup latency. The gap between
// samples lets the receiver go back to sleep (and its stack go idle) before the next one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

// Samples sent first and not counted: the first packets pay for ARP and, on TCP, for the
// connection's first round trips, which is not what is being measured.
constexpr int kWarmup = 5;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "wakeup: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

sockaddr_in address(const char* host, int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (host != nullptr && inet_pton(AF_INET, host, &a.sin_addr) != 1) die("address");
    return a;
}

// Reads exactly n bytes; false at EOF.
bool read_full(int fd, void* buf, size_t n) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
        const ssize_t r = recv(fd, p, n, 0);
        if (r == 0) return false;
        if (r < 0) {
            if (errno == EINTR) continue;
            die("recv");
        }
        p += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}

int listen_on(int port) {
    const int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0) die("socket");
    const int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const sockaddr_in a = address(nullptr, port);
    if (bind(l, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) die("bind");
    if (listen(l, 4) != 0) die("listen");
    return l;
}

int idle(int port) {
    const int l = listen_on(port);
    std::printf("listening\n");
    std::fflush(stdout);
    const int c = accept(l, nullptr, nullptr);
    if (c < 0) die("accept");
    std::printf("ready\n");
    std::fflush(stdout);
    char b;
    while (recv(c, &b, 1, 0) > 0) {
    }
    return 0;
}

int receive(bool tcp, int port, int n) {
    int s;
    if (tcp) {
        const int l = listen_on(port);
        std::printf("listening\n");
        std::fflush(stdout);
        s = accept(l, nullptr, nullptr);
        if (s < 0) die("accept");
        const int one = 1;
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    } else {
        s = socket(AF_INET, SOCK_DGRAM, 0);
        if (s < 0) die("socket");
        const sockaddr_in a = address(nullptr, port);
        if (bind(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) die("bind");
        std::printf("listening\n");
        std::fflush(stdout);
    }
    std::vector<int64_t> lat;
    lat.reserve(static_cast<size_t>(n + kWarmup));
    while (static_cast<int>(lat.size()) < n + kWarmup) {
        int64_t sent = 0;
        sockaddr_in from{};
        socklen_t fromlen = sizeof from;
        if (tcp) {
            if (!read_full(s, &sent, sizeof sent)) break;
        } else {
            const ssize_t r = recvfrom(s, &sent, sizeof sent, 0, reinterpret_cast<sockaddr*>(&from), &fromlen);
            if (r != sizeof sent) die("recvfrom");
        }
        lat.push_back(now_ns() - sent);
        const char ack = 'a';
        const ssize_t w = tcp ? send(s, &ack, 1, 0) : sendto(s, &ack, 1, 0, reinterpret_cast<sockaddr*>(&from), fromlen);
        if (w != 1) die("send ack");
    }
    if (static_cast<int>(lat.size()) <= kWarmup) die("no samples");
    lat.erase(lat.begin(), lat.begin() + kWarmup);
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) { return static_cast<double>(lat[static_cast<size_t>(p * static_cast<double>(lat.size() - 1))]) / 1000.0; };
    std::printf("samples %zu p50_us %.1f p99_us %.1f max_us %.1f\n", lat.size(), pct(0.50), pct(0.99),
                static_cast<double>(lat.back()) / 1000.0);
    return 0;
}

int send_stamps(bool tcp, const char* host, int port, int n, int gap_us) {
    const int s = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (s < 0) die("socket");
    const sockaddr_in a = address(host, port);
    if (connect(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) die("connect");
    if (tcp) {
        const int one = 1;
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    const timeval tv{2, 0};  // a lost UDP datagram or ack: send the next sample
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int lost = 0;
    for (int i = 0; i < n + kWarmup; ++i) {
        usleep(static_cast<useconds_t>(gap_us));
        const int64_t t = now_ns();
        if (send(s, &t, sizeof t, 0) != sizeof t) die("send");
        char ack;
        const ssize_t r = recv(s, &ack, 1, 0);
        if (r != 1) {
            if (tcp || (errno != EAGAIN && errno != ECONNREFUSED)) die("recv ack");
            ++lost;
        }
    }
    if (lost > 0) std::fprintf(stderr, "wakeup: %d samples lost\n", lost);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "idle" && argc == 3) return idle(std::atoi(argv[2]));
    if (mode == "recv" && argc == 5) return receive(std::string(argv[2]) == "tcp", std::atoi(argv[3]), std::atoi(argv[4]));
    if (mode == "send" && argc == 7) {
        return send_stamps(std::string(argv[2]) == "tcp", argv[3], std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]));
    }
    std::fprintf(stderr, "usage: wakeup idle PORT | recv udp|tcp PORT N | send udp|tcp HOST PORT N GAP_US\n");
    return 2;
}

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>

#include "conform.h"

namespace conform {

extern in_addr g_peer, g_self;
extern int g_port_base;

uint16_t fixed_port(int n) { return static_cast<uint16_t>(g_port_base + n); }

namespace {
sockaddr_in make(in_addr ip, uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr = ip;
    return a;
}
in_addr ip(const char* text) {
    in_addr a{};
    inet_pton(AF_INET, text, &a);
    return a;
}
}  // namespace

sockaddr_in peer_addr(uint16_t port) { return make(g_peer, port); }
sockaddr_in self_addr(uint16_t port) { return make(g_self, port); }
sockaddr_in any_addr(uint16_t port) { return make(in_addr{INADDR_ANY}, port); }
sockaddr_in unroutable_addr(uint16_t port) {
    in_addr a = g_peer;
    a.s_addr = htonl((ntohl(a.s_addr) & 0xffffff00u) | 99u);
    return make(a, port);
}
sockaddr_in offlink_addr(uint16_t port) { return make(ip("192.0.2.1"), port); }
sockaddr_in loopback_addr(uint16_t port) { return make(ip("127.0.0.1"), port); }

std::string show(const sockaddr_in& a) {
    std::string host;
    if (a.sin_addr.s_addr == g_self.s_addr) {
        host = "SELF";
    } else if (a.sin_addr.s_addr == g_peer.s_addr) {
        host = "PEER";
    } else {
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
        host = buf;
    }
    const int port = ntohs(a.sin_port);
    if (port >= g_port_base && port < g_port_base + 100) return host + ":fixed+" + std::to_string(port - g_port_base);
    const bool service = port == 0 || (port >= 7000 && port < 7100) || port == kClosedTcp || port == kClosedUdp;
    return host + ":" + (service ? std::to_string(port) : "eph");
}

std::string show(const sockaddr_storage& ss, socklen_t len) {
    if (len == 0) return "len=0";
    if (ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
        return show(reinterpret_cast<const sockaddr_in&>(ss));
    }
    return sockdiff::describe(ss, len) + " len=" + std::to_string(len);
}

Line& sockname(Line& l, int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int r = getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    l.ret(r);
    return r == 0 ? l.kv("addr", show(ss, len)) : l;
}

Line& peername(Line& l, int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int r = getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    l.ret(r);
    return r == 0 ? l.kv("addr", show(ss, len)) : l;
}

int local_port_is(int fd, uint16_t port) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    return getsockname(fd, sa(a), &len) == 0 && ntohs(a.sin_port) == port ? 1 : 0;
}

int tcp_socket(int flags) { return socket(AF_INET, SOCK_STREAM | flags, 0); }
int udp_socket(int flags) { return socket(AF_INET, SOCK_DGRAM | flags, 0); }

int dial(uint16_t port) {
    int fd = tcp_socket();
    sockaddr_in a = peer_addr(port);
    if (fd < 0 || connect(fd, sa(a), sizeof a) != 0) {
        Line("dial_failed").ret(-1).kv("port", port);
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

int udp_dial(uint16_t port) {
    int fd = udp_socket();
    sockaddr_in a = peer_addr(port);
    if (fd < 0 || connect(fd, sa(a), sizeof a) != 0) {
        Line("udp_dial_failed").ret(-1);
        return -1;
    }
    return fd;
}

int listener(uint16_t* port, int backlog) {
    int fd = tcp_socket();
    sockaddr_in a = any_addr(0);
    if (fd < 0 || bind(fd, sa(a), sizeof a) != 0 || listen(fd, backlog) != 0) {
        Line("listener_failed").ret(-1);
        return -1;
    }
    sockaddr_in got{};
    socklen_t len = sizeof got;
    getsockname(fd, sa(got), &len);
    *port = ntohs(got.sin_port);
    return fd;
}

int ask_peer(const std::string& command) {
    int ctl = dial(kControl);
    if (ctl < 0) return -1;
    std::string line = command + "\n";
    if (send(ctl, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) Line("ctl_send_failed").ret(-1);
    return ctl;
}

int peer_connects(uint16_t port, const std::string& mode, int delay_ms) {
    return ask_peer("connect " + std::to_string(port) + " " + mode + " " + std::to_string(delay_ms));
}

std::string ctl_line(int ctl) {
    std::string line;
    char c;
    while (line.size() < 256) {
        if ((poll1(ctl, POLLIN, kWaitMs) & (POLLIN | POLLHUP | POLLERR)) == 0) return line + "<timeout>";
        if (recv(ctl, &c, 1, 0) != 1 || c == '\n') break;
        line += c;
    }
    return line;
}

int accepted(const std::string& mode, int* ctl_out) {
    uint16_t port = 0;
    int l = listener(&port);
    if (l < 0) return -1;
    int ctl = peer_connects(port, mode);
    int fd = -1;
    if (poll1(l, POLLIN, kWaitMs) & POLLIN) fd = accept(l, nullptr, nullptr);
    if (fd < 0) Line("accept_failed").ret(-1);
    std::string reply = ctl_line(ctl);
    if (reply != "ok") Line("peer_connect").kv("reply", reply);
    close(l);
    if (ctl_out != nullptr) {
        *ctl_out = ctl;
    } else {
        close(ctl);
    }
    return fd;
}

int reset_by_peer() {
    int fd = dial(kReset);
    if (fd < 0) return -1;
    send(fd, "x", 1, 0);
    poll1(fd, POLLIN, kWaitMs);  // the RST makes the socket readable (and in error)
    return fd;
}

short poll1(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    int n;
    do {
        n = poll(&p, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    return n > 0 ? p.revents : 0;
}

std::string read_n(int fd, size_t n, int timeout_ms) {
    std::string got;
    char buf[65536];
    while (got.size() < n) {
        if ((poll1(fd, POLLIN, timeout_ms) & (POLLIN | POLLHUP | POLLERR)) == 0) break;
        ssize_t r = recv(fd, buf, std::min(sizeof buf, n - got.size()), MSG_DONTWAIT);
        if (r < 0 && errno == EAGAIN) continue;
        if (r <= 0) break;
        got.append(buf, static_cast<size_t>(r));
    }
    return got;
}

bool wait_inq(int fd, int n) {
    for (int i = 0; i < kWaitMs / 5; ++i) {
        int q = 0;
        if (ioctl(fd, FIONREAD, &q) == 0 && q >= n) return true;
        poll1(fd, POLLIN, 5);  // returns at once while data is queued; the loop re-checks FIONREAD
        usleep(1000);
    }
    Line("wait_inq_timeout").kv("want", n);
    return false;
}

std::string pattern(size_t offset, size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(((offset + i) * 31 + 7) & 0xff);
    return s;
}

bool is_pattern(const std::string& got, size_t offset) { return got == pattern(offset, got.size()); }

Line& getopt_int(Line& l, int fd, int level, int name) {
    int v = -12345;
    socklen_t len = sizeof v;
    int r = getsockopt(fd, level, name, &v, &len);
    l.ret(r);
    if (r == 0) l.kv("value", v).kv("len", len);
    return l;
}

int setopt_int(int fd, int level, int name, int value) { return setsockopt(fd, level, name, &value, sizeof value); }

std::atomic<int> g_signals{0};

namespace {
void count_signal(int) { g_signals.fetch_add(1); }
}  // namespace

void on_signal(int signo, bool restart) {
    struct sigaction act {};
    act.sa_handler = count_signal;
    sigemptyset(&act.sa_mask);
    act.sa_flags = restart ? SA_RESTART : 0;
    sigaction(signo, &act, nullptr);
}

void timer_ms(int ms) {
    itimerval t{};
    t.it_value.tv_sec = ms / 1000;
    t.it_value.tv_usec = (ms % 1000) * 1000;
    setitimer(ITIMER_REAL, &t, nullptr);
}

struct timespec now() {
    struct timespec t {};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t;
}

long elapsed_ms(const struct timespec& since) {
    struct timespec t = now();
    return (t.tv_sec - since.tv_sec) * 1000 + (t.tv_nsec - since.tv_nsec) / 1000000;
}

std::string epoll_names(uint32_t events) {
    static constexpr struct { uint32_t bit; const char* name; } kBits[] = {
        {EPOLLIN, "IN"}, {EPOLLPRI, "PRI"}, {EPOLLOUT, "OUT"}, {EPOLLERR, "ERR"}, {EPOLLHUP, "HUP"},
        {EPOLLRDNORM, "RDNORM"}, {EPOLLWRNORM, "WRNORM"}, {EPOLLRDHUP, "RDHUP"},
    };
    std::string out;
    for (const auto& b : kBits) {
        if ((events & b.bit) == 0) continue;
        if (!out.empty()) out += '|';
        out += b.name;
        events &= ~b.bit;
    }
    if (events != 0) out += (out.empty() ? "" : "|") + std::to_string(events);
    return out.empty() ? "0" : out;
}

}  // namespace conform

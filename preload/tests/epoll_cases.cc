// epoll_cases ADDRESS PORT: epoll behaviours over TCP connections to an echo server, printed
// so that a run on the kernel and a run under the preload can be diffed line by line.
//
// Every case connects to the echo server (the peer echoes what it gets), makes the echo
// produce data by writing, and reports what epoll_wait says. Waits that must find nothing use
// a short timeout; waits that must find something use a long one, so the output does not
// depend on timing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

sockaddr_in g_server{};
constexpr int kLong = 3000;   // ms: something must arrive
constexpr int kShort = 200;   // ms: nothing may arrive

void die(const char* what) {
    std::printf("FATAL %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

int connect_echo() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, reinterpret_cast<sockaddr*>(&g_server), sizeof g_server) != 0) die("connect");
    return fd;
}

void send_str(int fd, const char* s) {
    if (send(fd, s, std::strlen(s), 0) != static_cast<ssize_t>(std::strlen(s))) die("send");
}

// Reads exactly n bytes (blocking), to drain what the echo returned.
void read_n(int fd, size_t n) {
    char buf[256];
    while (n > 0) {
        ssize_t r = recv(fd, buf, std::min(n, sizeof buf), 0);
        if (r <= 0) die("recv");
        n -= static_cast<size_t>(r);
    }
}

std::string mask(uint32_t ev) {
    static const std::pair<uint32_t, const char*> names[] = {
        {EPOLLIN, "IN"}, {EPOLLPRI, "PRI"}, {EPOLLOUT, "OUT"}, {EPOLLERR, "ERR"}, {EPOLLHUP, "HUP"},
        {EPOLLRDNORM, "RDNORM"}, {EPOLLWRNORM, "WRNORM"}, {EPOLLRDHUP, "RDHUP"}};
    std::string out;
    for (auto [bit, name] : names) {
        if (ev & bit) {
            if (!out.empty()) out += '|';
            out += name;
        }
    }
    return out.empty() ? "0" : out;
}

// epoll_wait, printed as "label: N [data:MASK ...]" with events sorted by data.
void show_wait(const char* label, int ep, int timeout, int max = 16) {
    std::vector<epoll_event> evs(static_cast<size_t>(max));
    int n = epoll_wait(ep, evs.data(), max, timeout);
    if (n < 0) {
        std::printf("%s: -1 %s\n", label, strerrorname_np(errno));
        return;
    }
    evs.resize(static_cast<size_t>(n));
    std::sort(evs.begin(), evs.end(), [](const epoll_event& a, const epoll_event& b) { return a.data.u64 < b.data.u64; });
    std::printf("%s: %d", label, n);
    for (auto& e : evs) std::printf(" %llu:%s", static_cast<unsigned long long>(e.data.u64), mask(e.events).c_str());
    std::printf("\n");
}

void add(int ep, int fd, uint32_t events, uint64_t data, int op = EPOLL_CTL_ADD) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = data;
    if (epoll_ctl(ep, op, fd, &ev) != 0) die("epoll_ctl");
}

void ctl_result(const char* label, int ep, int op, int fd, uint32_t events, bool null_event = false) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = 7;
    int r = epoll_ctl(ep, op, fd, null_event ? nullptr : &ev);
    std::printf("%s: %d %s\n", label, r, r == 0 ? "" : strerrorname_np(errno));
}

void case_level_triggered() {
    std::printf("== level-triggered\n");
    int s = connect_echo();
    int ep = epoll_create1(EPOLL_CLOEXEC);
    add(ep, s, EPOLLIN, 11);
    show_wait("idle", ep, kShort);
    send_str(s, "hello");
    show_wait("echoed", ep, kLong);
    show_wait("unread, still reported", ep, kShort);
    read_n(s, 5);
    show_wait("drained", ep, kShort);
    add(ep, s, EPOLLIN | EPOLLOUT, 12, EPOLL_CTL_MOD);
    show_wait("writable", ep, kShort);
    close(ep);
    close(s);
}

void case_edge_triggered() {
    std::printf("== edge-triggered\n");
    int s = connect_echo();
    int ep = epoll_create1(0);
    add(ep, s, EPOLLIN | EPOLLET, 21);
    send_str(s, "a");
    show_wait("first data", ep, kLong);
    show_wait("no new edge", ep, kShort);
    send_str(s, "b");
    // The echo of "b" is a new arrival: the kernel reports it although "a" is still unread.
    show_wait("more data", ep, kLong);
    read_n(s, 2);
    show_wait("drained", ep, kShort);
    send_str(s, "c");
    show_wait("after drain", ep, kLong);
    read_n(s, 1);
    add(ep, s, EPOLLOUT | EPOLLET, 22, EPOLL_CTL_MOD);
    show_wait("writable once", ep, kShort);
    show_wait("not again", ep, kShort);
    close(ep);
    close(s);
}

void case_oneshot() {
    std::printf("== oneshot\n");
    int s = connect_echo();
    int ep = epoll_create1(0);
    add(ep, s, EPOLLIN | EPOLLONESHOT, 31);
    send_str(s, "x");
    show_wait("fires", ep, kLong);
    show_wait("disarmed", ep, kShort);
    ctl_result("add again", ep, EPOLL_CTL_ADD, s, EPOLLIN);
    add(ep, s, EPOLLIN | EPOLLONESHOT, 32, EPOLL_CTL_MOD);
    show_wait("re-armed by MOD", ep, kShort);
    show_wait("disarmed again", ep, kShort);
    read_n(s, 1);
    close(ep);
    close(s);
}

void case_mixed_with_pipe() {
    std::printf("== mixed stack socket and pipe\n");
    int s = connect_echo();
    int p[2];
    if (pipe(p) != 0) die("pipe");
    int ep = epoll_create1(0);
    add(ep, s, EPOLLIN, 41);
    add(ep, p[0], EPOLLIN, 42);
    show_wait("idle", ep, kShort);
    if (write(p[1], "z", 1) != 1) die("write");
    show_wait("pipe only", ep, kLong);
    send_str(s, "q");
    // Wait for the echo to be back before looking at both.
    pollfd pf{s, POLLIN, 0};
    poll(&pf, 1, kLong);
    show_wait("both", ep, kLong);
    {
        epoll_event one[1];
        std::printf("both, maxevents 1: %d\n", epoll_wait(ep, one, 1, kLong));
    }
    char c;
    if (read(p[0], &c, 1) != 1) die("read");
    read_n(s, 1);
    show_wait("drained", ep, kShort);
    // A sleeping wait is woken by the pipe while the socket stays quiet...
    if (write(p[1], "z", 1) != 1) die("write");
    show_wait("pipe wakes", ep, kLong);
    if (read(p[0], &c, 1) != 1) die("read");
    close(ep);
    close(p[0]);
    close(p[1]);
    close(s);
}

void case_nested() {
    std::printf("== nested epoll\n");
    int s = connect_echo();
    int inner = epoll_create1(0);
    int outer = epoll_create1(0);
    add(inner, s, EPOLLIN, 51);
    add(outer, inner, EPOLLIN, 52);
    show_wait("outer idle", outer, kShort);
    send_str(s, "n");
    show_wait("outer sees inner", outer, kLong);
    pollfd pf{inner, POLLIN, 0};
    int r = poll(&pf, 1, kLong);
    std::printf("poll inner: %d %s\n", r, pf.revents & POLLIN ? "IN" : "0");
    show_wait("inner", inner, kLong);
    read_n(s, 1);
    show_wait("outer drained", outer, kShort);
    ctl_result("inner into itself", inner, EPOLL_CTL_ADD, inner, EPOLLIN);
    ctl_result("outer into inner (loop)", inner, EPOLL_CTL_ADD, outer, EPOLLIN);
    close(outer);
    close(inner);
    close(s);
}

void case_errors() {
    std::printf("== epoll_ctl errors\n");
    int s = connect_echo();
    int ep = epoll_create1(0);
    ctl_result("MOD unregistered", ep, EPOLL_CTL_MOD, s, EPOLLIN);
    ctl_result("DEL unregistered", ep, EPOLL_CTL_DEL, s, 0);
    ctl_result("ADD", ep, EPOLL_CTL_ADD, s, EPOLLIN);
    ctl_result("ADD again", ep, EPOLL_CTL_ADD, s, EPOLLIN);
    ctl_result("ADD null event", ep, EPOLL_CTL_ADD, s, EPOLLIN, true);
    ctl_result("bad op", ep, 99, s, EPOLLIN);
    ctl_result("MOD exclusive", ep, EPOLL_CTL_MOD, s, EPOLLIN | EPOLLEXCLUSIVE);
    ctl_result("DEL", ep, EPOLL_CTL_DEL, s, 0);
    ctl_result("DEL null event", ep, EPOLL_CTL_DEL, s, 0, true);
    ctl_result("ADD exclusive+oneshot", ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT);
    ctl_result("ADD exclusive", ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLEXCLUSIVE);
    ctl_result("MOD exclusive entry", ep, EPOLL_CTL_MOD, s, EPOLLIN);
    ctl_result("bad epfd", 1000, EPOLL_CTL_ADD, s, EPOLLIN);
    ctl_result("epfd is a socket", s, EPOLL_CTL_ADD, s, EPOLLIN);
    int other = connect_echo();
    ctl_result("epfd is another socket", other, EPOLL_CTL_ADD, s, EPOLLIN);
    ctl_result("bad fd", ep, EPOLL_CTL_ADD, 1001, EPOLLIN);
    int file = open("/proc/self/status", O_RDONLY);
    ctl_result("regular file", ep, EPOLL_CTL_ADD, file, EPOLLIN);
    epoll_event ev[1];
    int r = epoll_wait(ep, ev, 0, 0);
    std::printf("maxevents 0: %d %s\n", r, strerrorname_np(errno));
    r = epoll_wait(s, ev, 1, 0);
    std::printf("wait on a socket: %d %s\n", r, strerrorname_np(errno));
    close(file);
    close(other);
    close(ep);
    close(s);
}

void case_close_and_dup() {
    std::printf("== close and dup\n");
    int s = connect_echo();
    int ep = epoll_create1(0);
    add(ep, s, EPOLLIN, 61);
    int d = dup(s);
    close(s);  // the open file description lives on in d: the registration stays
    send_str(d, "d");
    show_wait("registration survives close of one fd", ep, kLong);
    ctl_result("DEL by the closed number", ep, EPOLL_CTL_DEL, s, 0);
    ctl_result("DEL by the dup (not registered)", ep, EPOLL_CTL_DEL, d, 0);
    read_n(d, 1);
    add(ep, d, EPOLLIN, 62);
    close(d);  // the last fd: every registration goes
    show_wait("after last close", ep, kShort);
    // An epoll fd's dup shares the set.
    int s2 = connect_echo();
    int ep2 = dup(ep);
    add(ep2, s2, EPOLLIN, 63);
    close(ep2);
    send_str(s2, "e");
    show_wait("via the original epoll fd", ep, kLong);
    read_n(s2, 1);
    close(ep);
    close(s2);
}

void case_hangup() {
    std::printf("== peer closes\n");
    int s = connect_echo();
    int ep = epoll_create1(0);
    add(ep, s, EPOLLIN | EPOLLRDHUP, 71);
    shutdown(s, SHUT_WR);  // the echo sees EOF and closes its side
    show_wait("end of stream", ep, kLong);
    char c;
    ssize_t r = recv(s, &c, 1, 0);
    std::printf("recv at end: %zd\n", r);
    close(ep);
    close(s);
}

// Another thread adds a ready socket to a set a thread is sleeping on: the sleeper wakes.
void case_add_from_another_thread() {
    std::printf("== a ready socket added by another thread wakes the sleeper\n");
    int idle = connect_echo();
    int ready = connect_echo();
    int ep = epoll_create1(0);
    add(ep, idle, EPOLLIN, 91);
    send_str(ready, "w");
    pollfd pf{ready, POLLIN, 0};
    poll(&pf, 1, kLong);  // the echo is back before the add
    struct Adder {
        int ep, fd;
        static void* run(void* p) {
            auto* a = static_cast<Adder*>(p);
            usleep(100000);
            add(a->ep, a->fd, EPOLLIN, 92);
            return nullptr;
        }
    } adder{ep, ready};
    pthread_t tid;
    pthread_create(&tid, nullptr, Adder::run, &adder);
    show_wait("sleeper", ep, 5000);
    pthread_join(tid, nullptr);
    // The same when the sleeper's set holds no stack socket yet (only a pipe).
    int p[2];
    if (pipe(p) != 0) die("pipe");
    int ep2 = epoll_create1(0);
    add(ep2, p[0], EPOLLIN, 93);
    Adder adder2{ep2, ready};
    pthread_create(&tid, nullptr, Adder::run, &adder2);
    show_wait("sleeper on a kernel-only set", ep2, 5000);
    pthread_join(tid, nullptr);
    close(ep2);
    close(p[0]);
    close(p[1]);
    read_n(ready, 1);
    timespec ts{0, 200 * 1000 * 1000};
    epoll_event ev[4];
    std::printf("epoll_pwait2 idle: %d\n", epoll_pwait2(ep, ev, 4, &ts, nullptr));
    sigset_t none;
    sigemptyset(&none);
    std::printf("epoll_pwait idle: %d\n", epoll_pwait(ep, ev, 4, 200, &none));
    close(ep);
    close(ready);
    close(idle);
}

// A socket registered while it is the stack's, then connected to loopback (which the
// preload hands to the kernel): the registration must follow it.
void case_handover() {
    std::printf("== registration follows a socket handed to the kernel\n");
    int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in lo{};
    lo.sin_family = AF_INET;
    lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof lo;
    if (bind(l, reinterpret_cast<sockaddr*>(&lo), sizeof lo) != 0 || listen(l, 4) != 0) die("loopback listen");
    getsockname(l, reinterpret_cast<sockaddr*>(&lo), &len);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int ep = epoll_create1(0);
    add(ep, s, EPOLLIN | EPOLLRDHUP, 81);
    if (connect(s, reinterpret_cast<sockaddr*>(&lo), sizeof lo) != 0) die("loopback connect");
    show_wait("connected, nothing to read", ep, kShort);
    int a = accept(l, nullptr, nullptr);
    send_str(a, "k");
    show_wait("loopback data", ep, kLong);
    ctl_result("ADD again", ep, EPOLL_CTL_ADD, s, EPOLLIN);
    ctl_result("DEL", ep, EPOLL_CTL_DEL, s, 0);
    close(a);
    close(s);
    close(l);
    close(ep);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: epoll_cases ADDRESS PORT\n");
        return 2;
    }
    setvbuf(stdout, nullptr, _IOLBF, 0);
    g_server.sin_family = AF_INET;
    g_server.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
    if (inet_pton(AF_INET, argv[1], &g_server.sin_addr) != 1) {
        std::fprintf(stderr, "epoll_cases: bad address %s\n", argv[1]);
        return 2;
    }
    case_level_triggered();
    case_edge_triggered();
    case_oneshot();
    case_mixed_with_pipe();
    case_nested();
    case_errors();
    case_close_and_dup();
    case_hangup();
    case_handover();
    case_add_from_another_thread();
    std::printf("done\n");
    return 0;
}

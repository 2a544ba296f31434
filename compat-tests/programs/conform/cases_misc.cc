// Signals (EINTR versus SA_RESTART, with and without timeouts), threads sharing a socket,
// fork, and the calls the preload must leave to the kernel (AF_UNIX, AF_INET6, loopback,
// getaddrinfo).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <setjmp.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include "conform.h"

namespace conform {
namespace {

char g_buf[1 << 17];

}  // namespace

// ---- signals -----------------------------------------------------------------------------------

CONFORM_CASE(sig_recv_eintr_without_restart) {
    on_signal(SIGALRM, false);
    int fd = dial(kHold);
    timer_ms(100);
    Line("recv").ret(recv(fd, g_buf, 10, 0));
    Line("handled").kv("count", g_signals.load());
}
CONFORM_CASE(sig_recv_restarted_with_sa_restart) {
    on_signal(SIGALRM, true);
    int fd = dial(kLate);
    timer_ms(100);
    ssize_t n = recv(fd, g_buf, 10, 0);
    Line("recv").ret(n).data(std::string(g_buf, n > 0 ? n : 0));
    Line("handled").kv("count", g_signals.load());
}
CONFORM_CASE(sig_recv_eintr_with_restart_and_rcvtimeo) {
    on_signal(SIGALRM, true);
    int fd = dial(kHold);
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    timer_ms(100);
    Line("recv").ret(recv(fd, g_buf, 10, 0));
    Line("handled").kv("count", g_signals.load());
}
CONFORM_CASE(sig_read_eintr_without_restart) {
    on_signal(SIGALRM, false);
    int fd = dial(kHold);
    timer_ms(100);
    Line("read").ret(read(fd, g_buf, 10));
}
CONFORM_CASE(sig_accept_eintr_without_restart) {
    on_signal(SIGALRM, false);
    uint16_t port;
    int l = listener(&port);
    timer_ms(100);
    Line("accept").fd(accept(l, nullptr, nullptr));
    Line("handled").kv("count", g_signals.load());
}
CONFORM_CASE(sig_accept_restarted_with_sa_restart) {
    on_signal(SIGALRM, true);
    uint16_t port;
    int l = listener(&port);
    peer_connects(port, "hello", 300);
    timer_ms(100);
    int fd = accept(l, nullptr, nullptr);
    Line("accept").fd(fd);
    Line("data").data(read_n(fd, 6));
    Line("handled").kv("count", g_signals.load());
}
CONFORM_CASE(sig_accept_eintr_with_restart_and_rcvtimeo) {
    on_signal(SIGALRM, true);
    uint16_t port;
    int l = listener(&port);
    timeval tv{2, 0};
    setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    timer_ms(100);
    Line("accept").fd(accept(l, nullptr, nullptr));
}
CONFORM_CASE(sig_connect_eintr_then_ealready) {
    on_signal(SIGALRM, false);
    int fd = tcp_socket();
    sockaddr_in to = unroutable_addr(80);
    timer_ms(100);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    fcntl(fd, F_SETFL, O_NONBLOCK);
    Line("connect_again").ret(connect(fd, sa(to), sizeof to));
}
CONFORM_CASE(sig_connect_eintr_with_restart_and_sndtimeo) {
    on_signal(SIGALRM, true);
    int fd = tcp_socket();
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in to = unroutable_addr(80);
    timer_ms(100);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
}
CONFORM_CASE(sig_poll_eintr_despite_restart) {
    on_signal(SIGALRM, true);
    int fd = dial(kHold);
    pollfd p{fd, POLLIN, 0};
    timer_ms(100);
    Line("poll").ret(poll(&p, 1, kWaitMs));
}
CONFORM_CASE(sig_select_eintr_despite_restart) {
    on_signal(SIGALRM, true);
    int fd = dial(kHold);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    timeval tv{3, 0};
    timer_ms(100);
    Line("select").ret(select(fd + 1, &r, nullptr, nullptr, &tv));
}
CONFORM_CASE(sig_epoll_wait_eintr_despite_restart) {
    on_signal(SIGALRM, true);
    int ep = epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_ADD, dial(kHold), &ev);
    timer_ms(100);
    Line("epoll_wait").ret(epoll_wait(ep, &ev, 1, kWaitMs));
}
CONFORM_CASE(sig_send_blocked_returns_partial) {
    on_signal(SIGALRM, false);
    int fd = dial(kHold);
    static char big[16 << 20];
    timer_ms(200);
    ssize_t n = send(fd, big, sizeof big, 0);
    Line("send").kv("partial", n > 0 && n < static_cast<ssize_t>(sizeof big));
    Line("handled").kv("count", g_signals.load());
}
CONFORM_CASE(sig_handler_uses_socket) {
    static int s_fd = -1;
    s_fd = udp_dial(kUdpEcho);
    struct sigaction act {};
    act.sa_handler = [](int) { send(s_fd, "from-handler", 12, 0); };
    sigemptyset(&act.sa_mask);
    sigaction(SIGUSR2, &act, nullptr);
    raise(SIGUSR2);
    poll1(s_fd, POLLIN, kWaitMs);
    ssize_t n = recv(s_fd, g_buf, sizeof g_buf, MSG_DONTWAIT);
    Line("echo").ret(n).data(std::string(g_buf, n > 0 ? n : 0));
}
// A handler that siglongjmps out of a blocked recv, after which this thread stays out of the
// socket calls (it waits on a pipe) while another thread accepts and reads a connection the
// peer opens 1.5 s later (after the retransmission timers of the connections made before have
// come and gone, so no timer polls the stack by chance). The stack must go on receiving
// without the jumped thread's help: under the preload that thread was the one watching the
// device when it jumped (before the fix the reader's accept timed out).
static sigjmp_buf s_jump;
CONFORM_CASE(sig_longjmp_out_of_blocked_recv_stack_keeps_receiving) {
    // The preload's stats thread (`ustack ss`) polls the stack every publish interval and
    // would turn a stall into mere latency: off for this process, before its first socket.
    setenv("USTACK_STATS", "off", 1);
    struct sigaction act {};
    act.sa_handler = [](int) { siglongjmp(s_jump, 1); };
    sigemptyset(&act.sa_mask);
    sigaction(SIGALRM, &act, nullptr);
    uint16_t port = 0;
    int l = listener(&port);
    int idle = dial(kHold);
    int ctl = peer_connects(port, "source", 1500);
    if (sigsetjmp(s_jump, 1) == 0) {
        timer_ms(50);
        Line("recv").ret(recv(idle, g_buf, 10, 0));  // not reached: the handler jumps
    }
    Line("jumped").kv("out", 1);
    int done[2];
    Line("pipe").ret(pipe(done));
    std::thread reader([&] {
        std::string got;
        const int fd = (poll1(l, POLLIN, kWaitMs) & POLLIN) ? accept(l, nullptr, nullptr) : -1;
        if (fd >= 0) got = read_n(fd, kSourceBytes);
        const std::string report = std::to_string(fd >= 0) + " " + std::to_string(got.size()) + " " +
                                   std::to_string(is_pattern(got, 0));
        (void)!write(done[1], report.data(), report.size());
    });
    char report[64] = {};
    const ssize_t n = read(done[0], report, sizeof report - 1);  // the kernel's, not the stack's
    reader.join();
    Line("reader").kv("accepted_got_pattern", std::string(report, n > 0 ? n : 0));
    Line("peer").kv("reply", ctl_line(ctl));
}
CONFORM_CASE(sig_sigaction_reports_program_handler) {
    on_signal(SIGUSR1, true);
    struct sigaction old {};
    sigaction(SIGUSR1, nullptr, &old);
    Line("oldact").kv("restart", (old.sa_flags & SA_RESTART) != 0).kv("is_default", old.sa_handler == SIG_DFL);
}

// ---- threads -----------------------------------------------------------------------------------

CONFORM_CASE(thread_one_reads_one_writes) {
    int fd = dial(kEcho);
    const std::string data = pattern(0, 100000);
    std::string got;
    std::thread reader([&] { got = read_n(fd, data.size()); });
    std::thread writer([&] {
        size_t off = 0;
        while (off < data.size()) {
            ssize_t n = send(fd, data.data() + off, std::min<size_t>(4096, data.size() - off), 0);
            if (n <= 0) break;
            off += static_cast<size_t>(n);
        }
    });
    writer.join();
    reader.join();
    Line("echo").kv("n", got.size()).kv("pattern", is_pattern(got, 0));
}
CONFORM_CASE(thread_blocked_recv_woken_by_other_thread_send) {
    int fd = dial(kEcho);
    ssize_t n = -2;
    std::thread reader([&] { n = recv(fd, g_buf, 10, 0); });
    usleep(100000);  // the reader is asleep in recv by now
    send(fd, "wake", 4, 0);
    reader.join();
    Line("recv").ret(n).data(std::string(g_buf, n > 0 ? n : 0));
}
CONFORM_CASE(thread_shutdown_rd_wakes_blocked_recv) {
    int fd = dial(kHold);
    ssize_t n = -2;
    std::thread reader([&] { n = recv(fd, g_buf, 10, 0); });
    usleep(100000);
    Line("shutdown").ret(shutdown(fd, SHUT_RD));
    reader.join();
    Line("recv").ret(n);
}
CONFORM_CASE(thread_accept_in_other_thread) {
    uint16_t port;
    int l = listener(&port);
    int fd = -2;
    std::thread acceptor([&] { fd = accept(l, nullptr, nullptr); });
    peer_connects(port, "hello", 100);
    acceptor.join();
    Line("accept").fd(fd);
    Line("data").data(read_n(fd, 6));
}
CONFORM_CASE(thread_poll_woken_by_data) {
    int fd = dial(kEcho);
    int r = -2;
    pollfd p{fd, POLLIN, 0};
    std::thread poller([&] { r = poll(&p, 1, kWaitMs); });
    usleep(100000);
    send(fd, "x", 1, 0);
    poller.join();
    Line("poll").ret(r).revents(p.revents);
}
CONFORM_CASE(thread_many_connections_parallel) {
    int ok = 0;
    std::atomic<int> good{0};
    std::thread t[4];
    for (int i = 0; i < 4; ++i) {
        t[i] = std::thread([&good, i] {
            int fd = dial(kEcho);
            std::string d = pattern(static_cast<size_t>(i) * 1000, 20000);
            send(fd, d.data(), d.size(), 0);
            if (read_n(fd, d.size()) == d) good.fetch_add(1);
            close(fd);
        });
    }
    for (auto& x : t) x.join();
    ok = good.load();
    Line("echoed").kv("connections", ok);
}

// ---- fork --------------------------------------------------------------------------------------

CONFORM_CASE(fork_before_any_socket) {
    pid_t pid = fork();
    if (pid == 0) {
        int fd = dial(kEcho);
        send(fd, "child", 5, 0);
        Line("child_echo").data(read_n(fd, 5));
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    Line("child").kv("exit", WEXITSTATUS(status));
    int fd = dial(kEcho);
    send(fd, "parent", 6, 0);
    Line("parent_echo").data(read_n(fd, 6));
}

// ---- what stays with the kernel -----------------------------------------------------------------

CONFORM_CASE(fallback_unix_socketpair) {
    int sv[2];
    Line("socketpair").ret(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    send(sv[0], "unix", 4, 0);
    Line("recv").ret(recv(sv[1], g_buf, 10, 0)).data(std::string(g_buf, 4));
}
CONFORM_CASE(fallback_inet_socketpair) {
    int sv[2];
    Line("socketpair").ret(socketpair(AF_INET, SOCK_STREAM, 0, sv));
}
CONFORM_CASE(fallback_inet6_socket) {
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    Line("socket").fd(fd);
    { Line l("domain"); getopt_int(l, fd, SOL_SOCKET, SO_DOMAIN); }
}
CONFORM_CASE(fallback_loopback_tcp) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback_addr(0);
    Line("bind").ret(bind(l, sa(a), sizeof a));
    Line("listen").ret(listen(l, 4));
    socklen_t len = sizeof a;
    getsockname(l, sa(a), &len);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    Line("connect").ret(connect(c, sa(a), sizeof a));
    int s = accept(l, nullptr, nullptr);
    Line("accept").fd(s);
    send(c, "loop", 4, 0);
    Line("recv").data(read_n(s, 4));
    { Line n("name"); sockname(n, c); }
}
CONFORM_CASE(fallback_loopback_udp) {
    int a = udp_socket(), b = udp_socket();
    sockaddr_in la = loopback_addr(0);
    bind(a, sa(la), sizeof la);
    socklen_t len = sizeof la;
    getsockname(a, sa(la), &len);
    Line("sendto").ret(sendto(b, "lo", 2, 0, sa(la), sizeof la));
    poll1(a, POLLIN, kWaitMs);
    Line("recv").ret(recv(a, g_buf, 10, MSG_DONTWAIT));
}
CONFORM_CASE(fallback_getaddrinfo_localhost) {
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int r = getaddrinfo("localhost", "7001", &hints, &res);
    Line l("getaddrinfo");
    l.kv("ret", r);
    if (r == 0) {
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof buf);
        l.kv("addr", buf).kv("port", ntohs(reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_port));
        freeaddrinfo(res);
    }
}
CONFORM_CASE(fallback_getaddrinfo_numeric_peer) {
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    sockaddr_in p = peer_addr(kEcho);
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &p.sin_addr, host, sizeof host);
    int r = getaddrinfo(host, "7001", &hints, &res);
    Line("getaddrinfo").kv("ret", r);
    if (r != 0) return;
    int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    Line("connect").ret(connect(fd, res->ai_addr, res->ai_addrlen));
    freeaddrinfo(res);
    send(fd, "gai", 3, 0);
    Line("echo").data(read_n(fd, 3));
}
CONFORM_CASE(fallback_unix_listener_in_epoll_with_tcp) {
    int ep = epoll_create1(0);
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    int fd = dial(kEcho);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 1;
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
    ev.data.u64 = 2;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    send(sv[0], "u", 1, 0);
    send(fd, "t", 1, 0);
    wait_inq(fd, 1);
    epoll_event out[4];
    int n = epoll_wait(ep, out, 4, 0);
    uint64_t sum = 0;
    for (int i = 0; i < n; ++i) sum += out[i].data.u64;
    Line("wait").ret(n).kv("data_sum", sum);
}
CONFORM_CASE(fallback_raw_socket) {
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    Line("socket").fd(fd);
    { Line l("type"); getopt_int(l, fd, SOL_SOCKET, SO_TYPE); }
}
CONFORM_CASE(fallback_connect_loopback_refused) {
    int fd = tcp_socket();
    sockaddr_in to = loopback_addr(7999);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
}

}  // namespace conform

// Readiness: poll/ppoll/select/pselect and epoll over stack sockets, alone and mixed with
// kernel fds (pipes, AF_UNIX), nested epoll, epoll inside poll.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <string>
#include <vector>

#include "conform.h"

namespace conform {
namespace {

char g_buf[65536];

// A connection to the echo with n bytes waiting to be read.
int with_data(int n = 3) {
    int fd = dial(kEcho);
    send(fd, "0123456789", n, 0);
    wait_inq(fd, n);
    return fd;
}

int ep_add(int ep, int fd, uint32_t events, uint64_t data) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

// epoll_wait and one line listing "data:EVENTS" for each event in the kernel's order.
void ep_wait(const char* step, int ep, int timeout_ms, int max = 8, bool sorted = false) {
    epoll_event evs[16];
    int n = epoll_wait(ep, evs, max, timeout_ms);
    std::vector<std::string> items;
    for (int i = 0; i < n; ++i) items.push_back(std::to_string(evs[i].data.u64) + ":" + epoll_names(evs[i].events));
    if (sorted) std::sort(items.begin(), items.end());
    std::string all;
    for (const auto& s : items) all += (all.empty() ? "" : ",") + s;
    Line(step).ret(n).kv("events", all.empty() ? "-" : all);
}

void poll_line(const char* step, int fd, short events, int timeout_ms = 0) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, timeout_ms);
    Line(step).ret(n).revents(p.revents);
}

}  // namespace

// ---- poll ------------------------------------------------------------------------------------

constexpr short kAll = POLLIN | POLLOUT | POLLRDHUP | POLLPRI;

CONFORM_CASE(poll_fresh_tcp_socket) { poll_line("poll", tcp_socket(), kAll); }
CONFORM_CASE(poll_fresh_udp_socket) { poll_line("poll", udp_socket(), kAll); }
CONFORM_CASE(poll_listener_empty) {
    uint16_t port;
    poll_line("poll", listener(&port), kAll, 100);
}
CONFORM_CASE(poll_listener_pending_connection) {
    uint16_t port;
    int l = listener(&port);
    peer_connects(port, "hold");
    poll1(l, POLLIN, kWaitMs);
    poll_line("poll", l, kAll);
}
CONFORM_CASE(poll_connected_idle) { poll_line("poll", dial(kEcho), kAll); }
CONFORM_CASE(poll_connected_with_data) { poll_line("poll", with_data(), kAll); }
CONFORM_CASE(poll_peer_fin) {
    int fd = dial(kHello);
    poll1(fd, POLLRDHUP, kWaitMs);
    poll_line("poll", fd, kAll);
}
CONFORM_CASE(poll_peer_fin_without_rdhup_requested) {
    int fd = dial(kHello);
    poll1(fd, POLLRDHUP, kWaitMs);
    poll_line("poll", fd, POLLIN | POLLOUT);
}
CONFORM_CASE(poll_peer_reset) {
    int fd = reset_by_peer();
    poll_line("poll", fd, kAll);
}
CONFORM_CASE(poll_after_shutdown_wr) {
    int fd = dial(kHold);
    shutdown(fd, SHUT_WR);
    poll_line("poll", fd, kAll);
}
CONFORM_CASE(poll_after_shutdown_rd) {
    int fd = dial(kHold);
    shutdown(fd, SHUT_RD);
    poll_line("poll", fd, kAll);
}
CONFORM_CASE(poll_after_shutdown_both) {
    int fd = dial(kHold);
    shutdown(fd, SHUT_RDWR);
    poll_line("poll", fd, kAll);
}
CONFORM_CASE(poll_after_both_sides_closed) {
    int fd = dial(kEcho);
    shutdown(fd, SHUT_WR);
    poll1(fd, POLLRDHUP, kWaitMs);
    poll_line("poll", fd, kAll);
}
CONFORM_CASE(poll_urgent_data_pri) {
    int fd = dial(kOob);
    wait_inq(fd, 1);
    poll_line("poll", fd, kAll, 300);
}
CONFORM_CASE(poll_events_zero_still_reports_hup) {
    int fd = reset_by_peer();
    poll_line("poll", fd, 0);
}
CONFORM_CASE(poll_negative_fd_ignored) {
    int fd = with_data();
    pollfd p[2] = {{-1, POLLIN, 0}, {fd, POLLIN, 0}};
    int n = poll(p, 2, 0);
    Line("poll").ret(n).revents(p[0].revents).revents(p[1].revents);
}
CONFORM_CASE(poll_closed_fd_nval) {
    int fd = tcp_socket();
    close(fd);
    poll_line("poll", fd, POLLIN);
}
CONFORM_CASE(poll_no_fds_times_out) { Line("poll").ret(poll(nullptr, 0, 20)); }
CONFORM_CASE(poll_same_socket_twice) {
    int fd = with_data();
    pollfd p[2] = {{fd, POLLIN, 0}, {fd, POLLOUT, 0}};
    int n = poll(p, 2, 0);
    Line("poll").ret(n).revents(p[0].revents).revents(p[1].revents);
}
CONFORM_CASE(poll_mixed_pipe_unix_tcp) {
    int pipefd[2], pair[2];
    pipe(pipefd);
    socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
    int fd = with_data();
    int idle = dial(kEcho);
    write(pipefd[1], "p", 1);
    pollfd p[5] = {{pipefd[0], POLLIN, 0}, {pair[0], POLLIN | POLLOUT, 0}, {fd, POLLIN, 0}, {idle, POLLIN, 0}, {pipefd[1], POLLOUT, 0}};
    int n = poll(p, 5, 0);
    Line l("poll");
    l.ret(n);
    for (auto& x : p) l.revents(x.revents);
}
CONFORM_CASE(poll_wakes_on_tcp_while_pipe_idle) {
    int pipefd[2];
    pipe(pipefd);
    int fd = dial(kLate);
    pollfd p[2] = {{pipefd[0], POLLIN, 0}, {fd, POLLIN, 0}};
    int n = poll(p, 2, kWaitMs);
    Line("poll").ret(n).revents(p[0].revents).revents(p[1].revents);
}
CONFORM_CASE(poll_wakes_on_pipe_while_tcp_idle) {
    int pipefd[2];
    pipe(pipefd);
    int fd = dial(kHold);
    if (fork() == 0) {
        usleep(100000);
        write(pipefd[1], "x", 1);
        _exit(0);
    }
    pollfd p[2] = {{fd, POLLIN, 0}, {pipefd[0], POLLIN, 0}};
    int n = poll(p, 2, kWaitMs);
    Line("poll").ret(n).revents(p[0].revents).revents(p[1].revents);
}
CONFORM_CASE(poll_high_fd_number) {
    int fd = with_data();
    Line("dup2").ret(dup2(fd, 900) == 900 ? 0 : -1);
    poll_line("poll", 900, POLLIN);
}
CONFORM_CASE(ppoll_timeout) {
    int fd = dial(kHold);
    pollfd p{fd, POLLIN, 0};
    timespec t{0, 50000000};
    Line("ppoll").ret(ppoll(&p, 1, &t, nullptr)).revents(p.revents);
}
CONFORM_CASE(ppoll_sigmask_delivers_pending) {
    on_signal(SIGUSR1, true);
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, nullptr);
    raise(SIGUSR1);
    int fd = dial(kHold);
    pollfd p{fd, POLLIN, 0};
    timespec t{1, 0};
    Line("ppoll").ret(ppoll(&p, 1, &t, &empty));
    Line("handled").kv("count", g_signals.load());
}

// ---- select ----------------------------------------------------------------------------------

CONFORM_CASE(select_readable_and_writable) {
    int fd = with_data();
    fd_set r, w, e;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    FD_SET(fd, &r);
    FD_SET(fd, &w);
    FD_SET(fd, &e);
    timeval tv{0, 0};
    Line("select").ret(select(fd + 1, &r, &w, &e, &tv)).kv("r", FD_ISSET(fd, &r) != 0).kv("w", FD_ISSET(fd, &w) != 0).kv("e", FD_ISSET(fd, &e) != 0);
}
CONFORM_CASE(select_timeout_updates_timeval) {
    int fd = dial(kHold);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    timeval tv{0, 100000};
    Line("select").ret(select(fd + 1, &r, nullptr, nullptr, &tv)).kv("sec", tv.tv_sec).kv("usec", tv.tv_usec).kv("r", FD_ISSET(fd, &r) != 0);
}
CONFORM_CASE(select_listener_readable) {
    uint16_t port;
    int l = listener(&port);
    peer_connects(port, "hold");
    fd_set r;
    FD_ZERO(&r);
    FD_SET(l, &r);
    timeval tv{3, 0};
    Line("select").ret(select(l + 1, &r, nullptr, nullptr, &tv)).kv("r", FD_ISSET(l, &r) != 0);
}
CONFORM_CASE(select_peer_reset_readable) {
    int fd = reset_by_peer();
    fd_set r, w, e;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    FD_SET(fd, &r);
    FD_SET(fd, &w);
    FD_SET(fd, &e);
    timeval tv{0, 0};
    Line("select").ret(select(fd + 1, &r, &w, &e, &tv)).kv("r", FD_ISSET(fd, &r) != 0).kv("w", FD_ISSET(fd, &w) != 0).kv("e", FD_ISSET(fd, &e) != 0);
}
CONFORM_CASE(select_urgent_data_exceptfd) {
    int fd = dial(kOob);
    wait_inq(fd, 1);
    usleep(50000);  // "b" follows "a" at once on the wire
    fd_set e;
    FD_ZERO(&e);
    FD_SET(fd, &e);
    timeval tv{0, 300000};
    Line("select").ret(select(fd + 1, nullptr, nullptr, &e, &tv)).kv("e", FD_ISSET(fd, &e) != 0);
}
CONFORM_CASE(select_mixed_pipe_tcp) {
    int pipefd[2];
    pipe(pipefd);
    write(pipefd[1], "p", 1);
    int fd = with_data();
    int idle = dial(kHold);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(pipefd[0], &r);
    FD_SET(fd, &r);
    FD_SET(idle, &r);
    timeval tv{0, 0};
    int maxfd = std::max({pipefd[0], fd, idle});
    Line("select").ret(select(maxfd + 1, &r, nullptr, nullptr, &tv)).kv("pipe", FD_ISSET(pipefd[0], &r) != 0).kv("tcp", FD_ISSET(fd, &r) != 0).kv("idle", FD_ISSET(idle, &r) != 0);
}
CONFORM_CASE(select_closed_fd_ebadf) {
    int fd = tcp_socket();
    close(fd);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    timeval tv{0, 0};
    Line("select").ret(select(fd + 1, &r, nullptr, nullptr, &tv));
}
CONFORM_CASE(select_negative_nfds) {
    timeval tv{0, 0};
    Line("select").ret(select(-1, nullptr, nullptr, nullptr, &tv));
}
CONFORM_CASE(select_high_fd_below_setsize) {
    int fd = with_data();
    dup2(fd, FD_SETSIZE - 1);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(FD_SETSIZE - 1, &r);
    timeval tv{0, 0};
    Line("select").ret(select(FD_SETSIZE, &r, nullptr, nullptr, &tv)).kv("r", FD_ISSET(FD_SETSIZE - 1, &r) != 0);
}
CONFORM_CASE(pselect_sigmask_delivers_pending) {
    on_signal(SIGUSR1, true);
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, nullptr);
    raise(SIGUSR1);
    int fd = dial(kHold);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    timespec t{1, 0};
    Line("pselect").ret(pselect(fd + 1, &r, nullptr, nullptr, &t, &empty));
    Line("handled").kv("count", g_signals.load());
}
CONFORM_CASE(pselect_timeout) {
    int fd = dial(kHold);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    timespec t{0, 50000000};
    Line("pselect").ret(pselect(fd + 1, &r, nullptr, nullptr, &t, nullptr)).kv("r", FD_ISSET(fd, &r) != 0);
}

// ---- epoll -----------------------------------------------------------------------------------

CONFORM_CASE(epoll_level_triggered_repeats) {
    int ep = epoll_create1(0);
    int fd = with_data();
    Line("add").ret(ep_add(ep, fd, EPOLLIN, 1));
    ep_wait("wait1", ep, 0);
    ep_wait("wait2", ep, 0);
    recv(fd, g_buf, sizeof g_buf, 0);
    ep_wait("after_read", ep, 0);
}
CONFORM_CASE(epoll_edge_triggered_once) {
    int ep = epoll_create1(0);
    int fd = dial(kEcho);
    Line("add").ret(ep_add(ep, fd, EPOLLIN | EPOLLET, 2));
    ep_wait("idle", ep, 0);
    send(fd, "abc", 3, 0);
    ep_wait("first", ep, kWaitMs);
    ep_wait("again", ep, 0);
    send(fd, "def", 3, 0);
    wait_inq(fd, 6);
    ep_wait("new_data", ep, 0);
}
CONFORM_CASE(epoll_edge_triggered_partial_read) {
    int ep = epoll_create1(0);
    int fd = dial(kEcho);
    ep_add(ep, fd, EPOLLIN | EPOLLET, 3);
    send(fd, "abcdef", 6, 0);
    wait_inq(fd, 6);
    ep_wait("first", ep, 0);
    recv(fd, g_buf, 2, 0);
    ep_wait("after_partial", ep, 0);
}
CONFORM_CASE(epoll_edge_triggered_out_once) {
    int ep = epoll_create1(0);
    int fd = dial(kEcho);
    ep_add(ep, fd, EPOLLOUT | EPOLLET, 4);
    ep_wait("first", ep, 0);
    ep_wait("again", ep, 0);
}
CONFORM_CASE(epoll_oneshot_and_rearm) {
    int ep = epoll_create1(0);
    int fd = with_data();
    ep_add(ep, fd, EPOLLIN | EPOLLONESHOT, 5);
    ep_wait("first", ep, 0);
    ep_wait("disarmed", ep, 0);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = 6;
    Line("mod").ret(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev));
    ep_wait("rearmed", ep, 0);
}
CONFORM_CASE(epoll_data_untouched) {
    int ep = epoll_create1(0);
    int fd = with_data();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0xdeadbeefcafebabeULL;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    epoll_event out{};
    int n = epoll_wait(ep, &out, 1, 0);
    char hex[32];
    snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(out.data.u64));
    Line("wait").ret(n).kv("data", hex);
}
CONFORM_CASE(epoll_rdhup_on_peer_fin) {
    int ep = epoll_create1(0);
    int fd = dial(kHello);
    ep_add(ep, fd, EPOLLIN | EPOLLRDHUP, 7);
    poll1(fd, POLLRDHUP, kWaitMs);
    ep_wait("wait", ep, 0);
}
CONFORM_CASE(epoll_reset_reports_err_hup) {
    int ep = epoll_create1(0);
    int fd = reset_by_peer();
    ep_add(ep, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP, 8);
    poll1(fd, POLLIN, kWaitMs);
    ep_wait("wait", ep, 0);
}
CONFORM_CASE(epoll_err_hup_reported_without_request) {
    int ep = epoll_create1(0);
    int fd = reset_by_peer();
    ep_add(ep, fd, 0, 9);
    poll1(fd, POLLIN, kWaitMs);
    ep_wait("wait", ep, 0);
}
CONFORM_CASE(epoll_pri_urgent_data) {
    int ep = epoll_create1(0);
    int fd = dial(kOob);
    ep_add(ep, fd, EPOLLPRI, 10);
    ep_wait("wait", ep, 500);
}
CONFORM_CASE(epoll_pri_without_urgent) {
    int ep = epoll_create1(0);
    int fd = with_data();
    ep_add(ep, fd, EPOLLPRI, 11);
    ep_wait("wait", ep, 0);
}
CONFORM_CASE(epoll_exclusive_add_and_mod) {
    int ep = epoll_create1(0);
    uint16_t port;
    int l = listener(&port);
    Line("add").ret(ep_add(ep, l, EPOLLIN | EPOLLEXCLUSIVE, 12));
    epoll_event ev{};
    ev.events = EPOLLIN;
    Line("mod").ret(epoll_ctl(ep, EPOLL_CTL_MOD, l, &ev));
    peer_connects(port, "hold");
    ep_wait("wait", ep, kWaitMs);
}
CONFORM_CASE(epoll_exclusive_with_oneshot) {
    int ep = epoll_create1(0);
    Line("add").ret(ep_add(ep, tcp_socket(), EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 13));
}
CONFORM_CASE(epoll_add_twice) {
    int ep = epoll_create1(0);
    int fd = tcp_socket();
    Line("add").ret(ep_add(ep, fd, EPOLLIN, 1));
    Line("add_again").ret(ep_add(ep, fd, EPOLLIN, 1));
}
CONFORM_CASE(epoll_mod_unregistered) {
    int ep = epoll_create1(0);
    epoll_event ev{};
    Line("mod").ret(epoll_ctl(ep, EPOLL_CTL_MOD, tcp_socket(), &ev));
}
CONFORM_CASE(epoll_del_unregistered) {
    int ep = epoll_create1(0);
    Line("del").ret(epoll_ctl(ep, EPOLL_CTL_DEL, tcp_socket(), nullptr));
}
CONFORM_CASE(epoll_bad_epfd) {
    int fd = tcp_socket();
    epoll_event ev{};
    Line("ctl_on_socket").ret(epoll_ctl(fd, EPOLL_CTL_ADD, udp_socket(), &ev));
    Line("wait_on_socket").ret(epoll_wait(fd, &ev, 1, 0));
}
CONFORM_CASE(epoll_bad_op) {
    int ep = epoll_create1(0);
    epoll_event ev{};
    Line("ctl").ret(epoll_ctl(ep, 99, tcp_socket(), &ev));
}
CONFORM_CASE(epoll_add_closed_fd) {
    int ep = epoll_create1(0);
    int fd = tcp_socket();
    close(fd);
    Line("add").ret(ep_add(ep, fd, EPOLLIN, 1));
}
CONFORM_CASE(epoll_wait_bad_maxevents) {
    int ep = epoll_create1(0);
    epoll_event ev{};
    Line("wait").ret(epoll_wait(ep, &ev, 0, 0));
}
CONFORM_CASE(epoll_create_errors) {
    Line("create0").ret(epoll_create(0));
    Line("create1_badflag").ret(epoll_create1(1));
}
CONFORM_CASE(epoll_wait_timeout) {
    int ep = epoll_create1(0);
    ep_add(ep, dial(kHold), EPOLLIN, 1);
    timespec t0 = now();
    ep_wait("wait", ep, 100);
    long ms = elapsed_ms(t0);
    Line("waited").kv("about_100ms", ms >= 80 && ms < 1000);
}
CONFORM_CASE(epoll_wakes_on_data) {
    int ep = epoll_create1(0);
    ep_add(ep, dial(kLate), EPOLLIN, 14);
    ep_wait("wait", ep, kWaitMs);
}
CONFORM_CASE(epoll_listener_ready) {
    int ep = epoll_create1(0);
    uint16_t port;
    int l = listener(&port);
    ep_add(ep, l, EPOLLIN, 15);
    ep_wait("before", ep, 0);
    peer_connects(port, "hold");
    ep_wait("after", ep, kWaitMs);
}
CONFORM_CASE(epoll_nonblocking_connect_out) {
    int ep = epoll_create1(0);
    int fd = tcp_socket(SOCK_NONBLOCK);
    sockaddr_in to = peer_addr(kEcho);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    ep_add(ep, fd, EPOLLOUT, 16);
    ep_wait("wait", ep, kWaitMs);
}
CONFORM_CASE(epoll_nonblocking_connect_refused) {
    int ep = epoll_create1(0);
    int fd = tcp_socket(SOCK_NONBLOCK);
    sockaddr_in to = peer_addr(kClosedTcp);
    connect(fd, sa(to), sizeof to);
    ep_add(ep, fd, EPOLLOUT | EPOLLIN | EPOLLRDHUP, 17);
    ep_wait("wait", ep, kWaitMs);
}
CONFORM_CASE(epoll_fresh_socket) {
    int ep = epoll_create1(0);
    ep_add(ep, tcp_socket(), EPOLLIN | EPOLLOUT | EPOLLRDHUP, 18);
    ep_wait("wait", ep, 0);
}
CONFORM_CASE(epoll_nested) {
    int outer = epoll_create1(0), inner = epoll_create1(0);
    int fd = dial(kEcho);
    ep_add(inner, fd, EPOLLIN, 19);
    Line("add_inner").ret(ep_add(outer, inner, EPOLLIN, 20));
    ep_wait("idle", outer, 0);
    send(fd, "x", 1, 0);
    ep_wait("outer", outer, kWaitMs);
    ep_wait("inner", inner, 0);
}
CONFORM_CASE(epoll_in_poll) {
    int ep = epoll_create1(0);
    int fd = dial(kEcho);
    ep_add(ep, fd, EPOLLIN, 21);
    poll_line("idle", ep, POLLIN);
    send(fd, "x", 1, 0);
    poll_line("ready", ep, POLLIN, kWaitMs);
}
CONFORM_CASE(epoll_in_select) {
    int ep = epoll_create1(0);
    int fd = with_data();
    ep_add(ep, fd, EPOLLIN, 22);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(ep, &r);
    timeval tv{0, 0};
    Line("select").ret(select(ep + 1, &r, nullptr, nullptr, &tv)).kv("r", FD_ISSET(ep, &r) != 0);
}
CONFORM_CASE(epoll_close_removes_registration) {
    int ep = epoll_create1(0);
    int fd = with_data();
    ep_add(ep, fd, EPOLLIN, 23);
    close(fd);
    ep_wait("wait", ep, 0);
}
CONFORM_CASE(epoll_dup_keeps_registration) {
    int ep = epoll_create1(0);
    int fd = with_data();
    ep_add(ep, fd, EPOLLIN, 24);
    int copy = dup(fd);
    close(fd);
    ep_wait("wait", ep, 0);
    Line("del_closed_number").ret(epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr));
    Line("del_copy").ret(epoll_ctl(ep, EPOLL_CTL_DEL, copy, nullptr));
}
CONFORM_CASE(epoll_del_stops_reports) {
    int ep = epoll_create1(0);
    int fd = with_data();
    ep_add(ep, fd, EPOLLIN, 25);
    Line("del").ret(epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr));
    ep_wait("wait", ep, 0);
}
CONFORM_CASE(epoll_mod_changes_events) {
    int ep = epoll_create1(0);
    int fd = with_data();
    ep_add(ep, fd, EPOLLOUT, 26);
    ep_wait("out", ep, 0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 27;
    Line("mod").ret(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev));
    ep_wait("in", ep, 0);
}
CONFORM_CASE(epoll_maxevents_round_robin) {
    int ep = epoll_create1(0);
    int a = with_data(), b = with_data();
    ep_add(ep, a, EPOLLIN, 100);
    ep_add(ep, b, EPOLLIN, 200);
    ep_wait("wait1", ep, 0, 1);
    ep_wait("wait2", ep, 0, 1);
    ep_wait("wait3", ep, 0, 1);
}
CONFORM_CASE(epoll_mixed_pipe_tcp) {
    int ep = epoll_create1(0);
    int pipefd[2];
    pipe(pipefd);
    write(pipefd[1], "p", 1);
    ep_add(ep, pipefd[0], EPOLLIN, 30);
    ep_add(ep, with_data(), EPOLLIN, 31);
    ep_add(ep, dial(kHold), EPOLLIN, 32);
    ep_wait("wait", ep, 0, 8, true);
}
CONFORM_CASE(epoll_wakes_on_pipe_with_tcp_registered) {
    int ep = epoll_create1(0);
    int pipefd[2];
    pipe(pipefd);
    ep_add(ep, pipefd[0], EPOLLIN, 33);
    ep_add(ep, dial(kHold), EPOLLIN, 34);
    if (fork() == 0) {
        usleep(100000);
        write(pipefd[1], "x", 1);
        _exit(0);
    }
    ep_wait("wait", ep, kWaitMs);
}
CONFORM_CASE(epoll_pwait_sigmask_delivers_pending) {
    on_signal(SIGUSR1, true);
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, nullptr);
    raise(SIGUSR1);
    int ep = epoll_create1(0);
    ep_add(ep, dial(kHold), EPOLLIN, 1);
    epoll_event ev{};
    Line("pwait").ret(epoll_pwait(ep, &ev, 1, 1000, &empty));
    Line("handled").kv("count", g_signals.load());
}
CONFORM_CASE(epoll_udp_readable) {
    int ep = epoll_create1(0);
    int fd = udp_dial(kUdpEcho);
    ep_add(ep, fd, EPOLLIN | EPOLLOUT, 35);
    ep_wait("idle", ep, 0);
    send(fd, "x", 1, 0);
    poll1(fd, POLLIN, kWaitMs);
    ep_wait("ready", ep, 0);
}

}  // namespace conform

// Cases for the socket API edges the preload emulates itself: bad user buffers (EFAULT, and
// the program's own SIGSEGV handling around our fault guard), MSG_TRUNC on TCP, UDP ports
// shared with SO_REUSEADDR/SO_REUSEPORT, options an accepted socket inherits, SO_LINGER,
// disconnect with AF_UNSPEC, shutdown of listeners and UDP sockets, and clients on this host
// reaching a wildcard listener over the kernel's loopback.
#include <fcntl.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "conform.h"

namespace conform {
namespace {

char g_data[1 << 17];

// A page with no access: the first byte of a buffer that is not there.
char* unmapped_page() {
    void* p = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return static_cast<char*>(p);
}

int bound_udp(uint16_t port, bool reuseaddr, bool reuseport) {
    int fd = udp_socket();
    if (reuseaddr) setopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (reuseport) setopt_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    sockaddr_in a = any_addr(port);
    Line("bind").ret(bind(fd, sa(a), sizeof a));
    return fd;
}

sigjmp_buf g_jump;
void jump_out(int) { siglongjmp(g_jump, 1); }

// Faults on purpose and reports whether the program's handler got it.
void fault_and_catch(const char* step) {
    if (sigsetjmp(g_jump, 1) == 0) {
        volatile char* bad = unmapped_page();
        (void)*bad;
        Line(step).kv("caught", 0);
    } else {
        Line(step).kv("caught", 1);
    }
}

}  // namespace

// ---- bad buffers --------------------------------------------------------------------------

CONFORM_CASE(api_recv_into_readonly_buffer) {
    int fd = dial(kEcho);
    send(fd, "abc", 3, 0);
    wait_inq(fd, 3);
    static const char kConst[16] = "constant";
    Line("recv").ret(recv(fd, const_cast<char*>(kConst), 10, 0));
    Line("data_kept").ret(recv(fd, g_data, 10, 0)).data(std::string(g_data, 3));
}
CONFORM_CASE(api_recv_bad_buffer_udp_drops_datagram) {
    int fd = udp_dial(kUdpEcho);
    send(fd, "one", 3, 0);
    poll1(fd, POLLIN, kWaitMs);
    Line("recv").ret(recv(fd, unmapped_page(), 10, 0));
    Line("next").ret(recv(fd, g_data, 10, MSG_DONTWAIT));
}
CONFORM_CASE(api_sendmsg_second_iov_bad) {
    int fd = dial(kEcho);
    iovec io[2] = {{g_data, 4}, {unmapped_page(), 4}};
    msghdr m{};
    m.msg_iov = io;
    m.msg_iovlen = 2;
    Line("sendmsg").ret(sendmsg(fd, &m, 0));
}
CONFORM_CASE(api_recv_bad_buffer_nothing_queued_nonblocking) {
    int fd = dial(kEcho);
    Line("recv").ret(recv(fd, unmapped_page(), 10, MSG_DONTWAIT));
}
CONFORM_CASE(api_program_sigsegv_handler_after_socket) {
    int fd = udp_socket();  // the stack (and its fault guard) comes up
    Line("socket").fd(fd);
    struct sigaction sa {};
    sa.sa_handler = jump_out;
    sigemptyset(&sa.sa_mask);
    struct sigaction old {};
    Line("sigaction").ret(sigaction(SIGSEGV, &sa, &old)).kv("old_default", old.sa_handler == SIG_DFL);
    fault_and_catch("fault");
    struct sigaction now {};
    sigaction(SIGSEGV, nullptr, &now);
    Line("reported").kv("ours", now.sa_handler == jump_out);
    fault_and_catch("fault_again");
}
CONFORM_CASE(api_program_sigsegv_handler_before_socket) {
    struct sigaction sa {};
    sa.sa_handler = jump_out;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, nullptr);
    int fd = udp_socket();
    Line("socket").fd(fd);
    fault_and_catch("fault");
    Line("recv").ret(recv(fd, unmapped_page(), 10, MSG_DONTWAIT));
}

// ---- MSG_TRUNC on TCP -----------------------------------------------------------------------

CONFORM_CASE(api_trunc_tcp_waitall_discards) {
    int fd = dial(kEcho);
    send(fd, "0123456789", 10, 0);
    Line("recv_trunc").ret(recv(fd, nullptr, 8, MSG_TRUNC | MSG_WAITALL));
    Line("rest").ret(recv(fd, g_data, 10, 0)).data(std::string(g_data, 2));
}

// ---- UDP port sharing ------------------------------------------------------------------------

CONFORM_CASE(api_udp_reuseaddr_connected_gets_its_peer) {
    // iperf3 -u's server: the first socket connects to the client, a second rebinds the port.
    int a = bound_udp(fixed_port(20), true, false);
    int b = bound_udp(fixed_port(20), true, false);
    sockaddr_in to = peer_addr(kUdpEcho);
    Line("connect_a").ret(connect(a, sa(to), sizeof to));
    Line("send_a").ret(send(a, "x", 1, 0));
    poll1(a, POLLIN, kWaitMs);
    Line("recv_a").ret(recv(a, g_data, 10, 0)).data(std::string(g_data, 1));
    Line("sendto_b").ret(sendto(b, "y", 1, 0, sa(to), sizeof to));
    poll1(a, POLLIN, kWaitMs);
    Line("recv_a_again").ret(recv(a, g_data, 10, MSG_DONTWAIT)).data(std::string(g_data, 1));
    Line("recv_b").ret(recv(b, g_data, 10, MSG_DONTWAIT));
}
CONFORM_CASE(api_udp_reuseaddr_only_first) {
    bound_udp(fixed_port(21), true, false);
    bound_udp(fixed_port(21), false, false);
}
CONFORM_CASE(api_udp_reuseport_both) {
    bound_udp(fixed_port(22), false, true);
    bound_udp(fixed_port(22), false, true);
    bound_udp(fixed_port(22), true, false);
}
CONFORM_CASE(api_udp_reuseaddr_after_close) {
    int a = bound_udp(fixed_port(23), true, false);
    close(a);
    bound_udp(fixed_port(23), false, false);
}

// ---- accepted sockets inherit --------------------------------------------------------------

CONFORM_CASE(api_accept_inherits_keepalive_timings_and_linger) {
    uint16_t port;
    int l = listener(&port);
    setopt_int(l, IPPROTO_TCP, TCP_KEEPIDLE, 30);
    setopt_int(l, IPPROTO_TCP, TCP_KEEPINTVL, 7);
    setopt_int(l, IPPROTO_TCP, TCP_KEEPCNT, 4);
    setopt_int(l, SOL_SOCKET, SO_RCVBUF, 65536);
    linger lg{1, 5};
    setsockopt(l, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    timeval tv{2, 0};
    setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    peer_connects(port, "hold");
    int fd = accept(l, nullptr, nullptr);
    { Line o("keepidle"); getopt_int(o, fd, IPPROTO_TCP, TCP_KEEPIDLE); }
    { Line o("keepintvl"); getopt_int(o, fd, IPPROTO_TCP, TCP_KEEPINTVL); }
    { Line o("keepcnt"); getopt_int(o, fd, IPPROTO_TCP, TCP_KEEPCNT); }
    { Line o("rcvbuf"); getopt_int(o, fd, SOL_SOCKET, SO_RCVBUF); }
    linger got{};
    socklen_t len = sizeof got;
    Line("linger").ret(getsockopt(fd, SOL_SOCKET, SO_LINGER, &got, &len)).kv("onoff", got.l_onoff).kv("linger", got.l_linger);
    timeval t{};
    len = sizeof t;
    Line("rcvtimeo").ret(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, &len)).kv("sec", t.tv_sec);
    { Line o("nodelay_not_set"); getopt_int(o, fd, IPPROTO_TCP, TCP_NODELAY); }
}
CONFORM_CASE(api_accept_inherits_rcvtimeo_behaviour) {
    uint16_t port;
    int l = listener(&port);
    timeval tv{0, 200000};
    setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    peer_connects(port, "hold");
    // SO_RCVTIMEO bounds accept() too: wait for the connection first, so a slow peer or a
    // sanitizer build cannot turn this into an accept timeout (seen under ASan: recv EBADF).
    poll1(l, POLLIN, kWaitMs);
    int fd = accept(l, nullptr, nullptr);
    Line("recv").ret(recv(fd, g_data, 10, 0));  // times out instead of blocking forever
}

// ---- SO_LINGER with a timeout ----------------------------------------------------------------

CONFORM_CASE(api_so_linger_timeout_close_delivers_all) {
    int ctl = -1;
    int fd = accepted("watch", &ctl);
    linger lg{1, 10};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    ssize_t n = send(fd, g_data, 100000, 0);
    Line("send").ret(n);
    Line("close").ret(close(fd));
    Line("peer_saw").kv("result", ctl_line(ctl));
}

// ---- disconnect and shutdown ------------------------------------------------------------------

CONFORM_CASE(api_tcp_af_unspec_then_connect_again) {
    int fd = dial(kEcho);
    sockaddr_in un{};
    un.sin_family = AF_UNSPEC;
    Line("connect_unspec").ret(connect(fd, sa(un), sizeof un));
    sockaddr_in to = peer_addr(kEcho);
    Line("connect_again").ret(connect(fd, sa(to), sizeof to));
    Line("send").ret(send(fd, "hi", 2, 0));
    Line("echo").data(read_n(fd, 2));
}
CONFORM_CASE(api_udp_af_unspec_keeps_bound_port) {
    int fd = bound_udp(fixed_port(24), false, false);
    sockaddr_in to = peer_addr(kUdpEcho);
    connect(fd, sa(to), sizeof to);
    sockaddr_in un{};
    un.sin_family = AF_UNSPEC;
    Line("connect_unspec").ret(connect(fd, sa(un), sizeof un));
    { Line l("name"); sockname(l, fd); }
    Line("send_unconnected").ret(send(fd, "x", 1, 0));
}
CONFORM_CASE(api_listener_shutdown_rd_listen_again) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    setopt_int(l, SOL_SOCKET, SO_REUSEADDR, 1);
    sockaddr_in a = any_addr(fixed_port(25));
    Line("bind").ret(bind(l, sa(a), sizeof a));
    Line("listen").ret(listen(l, 4));
    Line("shutdown").ret(shutdown(l, SHUT_RD));
    Line("listen_again").ret(listen(l, 4));
    { Line n("name"); sockname(n, l); }
    peer_connects(fixed_port(25), "hold");
    poll1(l, POLLIN, kWaitMs);
    Line("accept").fd(accept(l, nullptr, nullptr));
}
CONFORM_CASE(api_udp_shutdown_rd_poll) {
    int fd = udp_dial(kUdpEcho);
    Line("shutdown").ret(shutdown(fd, SHUT_RD));
    pollfd p{fd, POLLIN | POLLOUT | POLLRDHUP, 0};
    Line("poll").ret(poll(&p, 1, 0)).kv("in", (p.revents & POLLIN) != 0).kv("rdhup", (p.revents & POLLRDHUP) != 0)
        .kv("hup", (p.revents & POLLHUP) != 0);
    shutdown(fd, SHUT_WR);
    p.revents = 0;
    Line("poll_rdwr").ret(poll(&p, 1, 0)).kv("hup", (p.revents & POLLHUP) != 0);
}

}  // namespace conform

// ---- a wildcard listener also takes loopback clients (kernel_listener.h) -----------------------

namespace conform {
namespace {

// A client of this process connecting over the kernel's loopback to our listener.
int loopback_client(uint16_t port) {
    int c = tcp_socket();
    sockaddr_in to = loopback_addr(port);
    Line("client_connect").ret(connect(c, sa(to), sizeof to));
    return c;
}

void talk(int client, int server) {
    Line("client_send").ret(send(client, "ping", 4, 0));
    Line("server_got").data(read_n(server, 4));
    Line("server_send").ret(send(server, "pong", 4, 0));
    Line("client_got").data(read_n(client, 4));
}

}  // namespace

CONFORM_CASE(api_loopback_client_reaches_wildcard_listener) {
    uint16_t port;
    int l = listener(&port);
    int c = loopback_client(port);
    sockaddr_in from{};
    socklen_t len = sizeof from;
    int s = accept(l, reinterpret_cast<sockaddr*>(&from), &len);
    Line("accept").fd(s).kv("from_loopback", from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    talk(c, s);
    close(c);
    Line("server_eof").ret(recv(s, g_data, 10, 0));
}
CONFORM_CASE(api_loopback_client_poll_listener) {
    uint16_t port;
    int l = listener(&port);
    fcntl(l, F_SETFL, O_NONBLOCK);
    pollfd p{l, POLLIN | POLLOUT, 0};
    Line("poll_idle").ret(poll(&p, 1, 0)).kv("revents", p.revents);
    int c = loopback_client(port);
    p.revents = 0;
    Line("poll").ret(poll(&p, 1, kWaitMs)).kv("in", (p.revents & POLLIN) != 0).kv("out", (p.revents & POLLOUT) != 0);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(l, &rd);
    timeval tv{0, 0};
    Line("select").ret(select(l + 1, &rd, nullptr, nullptr, &tv)).kv("readable", FD_ISSET(l, &rd) != 0);
    int s = accept(l, nullptr, nullptr);
    Line("accept").fd(s);
    Line("accept_again").ret(accept(l, nullptr, nullptr));
    p.revents = 0;
    Line("poll_drained").ret(poll(&p, 1, 0));
    talk(c, s);
}
CONFORM_CASE(api_loopback_client_epoll_listener) {
    uint16_t port;
    int l = listener(&port);
    int ep = epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 42;
    Line("ctl").ret(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
    epoll_event got[4];
    Line("wait_idle").ret(epoll_wait(ep, got, 4, 0));
    int c = loopback_client(port);
    int n = epoll_wait(ep, got, 4, kWaitMs);
    Line("wait").ret(n).kv("data", n > 0 ? got[0].data.u64 : 0).kv("events", n > 0 ? epoll_names(got[0].events) : "");
    int s = accept(l, nullptr, nullptr);
    Line("accept").fd(s);
    Line("wait_drained").ret(epoll_wait(ep, got, 4, 0));
    talk(c, s);
}
CONFORM_CASE(api_loopback_client_epoll_registered_before_listen) {
    int l = tcp_socket();
    sockaddr_in a = any_addr(fixed_port(26));
    Line("bind").ret(bind(l, sa(a), sizeof a));
    int ep = epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = 7;
    Line("ctl").ret(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
    Line("listen").ret(listen(l, 4));
    int c = loopback_client(fixed_port(26));
    epoll_event got[4];
    int n = epoll_wait(ep, got, 4, kWaitMs);
    Line("wait").ret(n).kv("data", n > 0 ? got[0].data.u64 : 0);
    Line("wait_edge_gone").ret(epoll_wait(ep, got, 4, 0));
    Line("accept").fd(accept(l, nullptr, nullptr));
    close(c);
}
CONFORM_CASE(api_loopback_client_blocking_accept_wakes) {
    uint16_t port;
    int l = listener(&port);
    // The client connects from another thread, normally while accept() sleeps (the pause
    // only makes that likely; if the connection is queued first, accept takes it at once).
    std::thread t([port] {
        usleep(100000);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in to = loopback_addr(port);
        connect(c, sa(to), sizeof to);
        send(c, "x", 1, 0);
        close(c);
    });
    int s = accept(l, nullptr, nullptr);
    Line("accept").fd(s);
    Line("recv").data(read_n(s, 1));
    t.join();
}
CONFORM_CASE(api_loopback_listener_shutdown_stops_both) {
    uint16_t port;
    int l = listener(&port);
    Line("shutdown").ret(shutdown(l, SHUT_RD));
    int c = tcp_socket();
    sockaddr_in to = loopback_addr(port);
    Line("client_connect").ret(connect(c, sa(to), sizeof to));
}

}  // namespace conform

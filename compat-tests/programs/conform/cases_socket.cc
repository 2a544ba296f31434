// socket(), bind(), listen(), accept()/accept4(), connect(), getsockname()/getpeername().
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "conform.h"

namespace conform {
namespace {

void type_lines(int fd) {
    { Line l("so_type"); getopt_int(l, fd, SOL_SOCKET, SO_TYPE); }
    { Line l("so_domain"); getopt_int(l, fd, SOL_SOCKET, SO_DOMAIN); }
    { Line l("so_protocol"); getopt_int(l, fd, SOL_SOCKET, SO_PROTOCOL); }
}

int bound(int type, sockaddr_in a, bool reuseaddr = false, bool reuseport = false) {
    int fd = socket(AF_INET, type, 0);
    if (reuseaddr) setopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (reuseport) setopt_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    Line("bind").ret(bind(fd, sa(a), sizeof a));
    return fd;
}

}  // namespace

// ---- socket() ---------------------------------------------------------------------------------

CONFORM_CASE(socket_tcp_default) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    Line("socket").fd(fd);
    type_lines(fd);
}
CONFORM_CASE(socket_tcp_ipproto_tcp) {
    int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    Line("socket").fd(fd);
    type_lines(fd);
}
CONFORM_CASE(socket_udp_ipproto_udp) {
    int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    Line("socket").fd(fd);
    type_lines(fd);
}
CONFORM_CASE(socket_stream_with_udp_protocol) { Line("socket").fd(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)); }
CONFORM_CASE(socket_dgram_with_tcp_protocol) { Line("socket").fd(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP)); }
CONFORM_CASE(socket_unknown_type) { Line("socket").fd(socket(AF_INET, 99, 0)); }
CONFORM_CASE(socket_unknown_flag) { Line("socket").fd(socket(AF_INET, SOCK_STREAM | 0x40000000, 0)); }
CONFORM_CASE(socket_nonblock_flag) {
    int fd = tcp_socket(SOCK_NONBLOCK);
    Line("socket").fd(fd);
    Line("o_nonblock").kv("set", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
}
CONFORM_CASE(socket_cloexec_flag) {
    int fd = udp_socket(SOCK_CLOEXEC);
    Line("socket").fd(fd);
    Line("fd_cloexec").kv("flags", fcntl(fd, F_GETFD));
}
CONFORM_CASE(socket_default_flags) {
    int fd = tcp_socket();
    Line("getfl").kv("flags", fcntl(fd, F_GETFL));
    Line("getfd").kv("flags", fcntl(fd, F_GETFD));
}

// ---- bind() -----------------------------------------------------------------------------------

CONFORM_CASE(bind_any_port0) {
    int fd = bound(SOCK_STREAM, any_addr(0));
    { Line l("name"); sockname(l, fd); }
}
CONFORM_CASE(bind_self_port0) {
    int fd = bound(SOCK_STREAM, self_addr(0));
    { Line l("name"); sockname(l, fd); }
}
CONFORM_CASE(bind_self_fixed_port) {
    int fd = bound(SOCK_STREAM, self_addr(fixed_port(0)));
    { Line l("name"); sockname(l, fd); }
}
CONFORM_CASE(bind_udp_any_fixed_port) {
    int fd = bound(SOCK_DGRAM, any_addr(fixed_port(1)));
    { Line l("name"); sockname(l, fd); }
}
CONFORM_CASE(bind_foreign_address) { bound(SOCK_STREAM, unroutable_addr(0)); }
CONFORM_CASE(bind_twice) {
    int fd = bound(SOCK_STREAM, any_addr(0));
    sockaddr_in a = any_addr(0);
    Line("bind_again").ret(bind(fd, sa(a), sizeof a));
}
CONFORM_CASE(bind_tcp_port_in_use) {
    bound(SOCK_STREAM, any_addr(fixed_port(2)));
    bound(SOCK_STREAM, any_addr(fixed_port(2)));
}
CONFORM_CASE(bind_tcp_port_in_use_specific_vs_any) {
    bound(SOCK_STREAM, self_addr(fixed_port(3)));
    bound(SOCK_STREAM, any_addr(fixed_port(3)));
}
CONFORM_CASE(bind_reuseaddr_neither_listening) {
    bound(SOCK_STREAM, any_addr(fixed_port(4)), true);
    bound(SOCK_STREAM, any_addr(fixed_port(4)), true);
}
CONFORM_CASE(bind_reuseaddr_first_listening) {
    int a = bound(SOCK_STREAM, any_addr(fixed_port(5)), true);
    Line("listen").ret(listen(a, 4));
    bound(SOCK_STREAM, any_addr(fixed_port(5)), true);
}
CONFORM_CASE(bind_reuseport_both_listen) {
    int a = bound(SOCK_STREAM, any_addr(fixed_port(6)), false, true);
    Line("listen_a").ret(listen(a, 4));
    int b = bound(SOCK_STREAM, any_addr(fixed_port(6)), false, true);
    Line("listen_b").ret(listen(b, 4));
}
CONFORM_CASE(bind_reuseport_only_second) {
    int a = bound(SOCK_STREAM, any_addr(fixed_port(7)));
    Line("listen_a").ret(listen(a, 4));
    bound(SOCK_STREAM, any_addr(fixed_port(7)), false, true);
}
// A reuseport group: the peer opens n connections to the port; returns how many each of
// the listeners accepted (the kernel spreads SYNs by a hash of the 4-tuple: which listener
// gets which connection varies, that each gets some over 24 does not, but 1 run in 2^23).
static void accept_spread(int a, int b, uint16_t port, int n, int* got_a, int* got_b) {
    std::vector<int> ctls;
    int ok = 0;
    for (int i = 0; i < n; ++i) {
        int ctl = peer_connects(port, "hello");
        ok += ctl_line(ctl) == "ok";
        ctls.push_back(ctl);
    }
    Line("peer_connected").kv("ok", ok);
    fcntl(a, F_SETFL, O_NONBLOCK);
    if (b >= 0) fcntl(b, F_SETFL, O_NONBLOCK);
    *got_a = *got_b = 0;
    while (*got_a + *got_b < n) {
        pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
        if (poll(p, b >= 0 ? 2 : 1, kWaitMs) <= 0) break;
        for (int fd; (fd = accept(a, nullptr, nullptr)) >= 0; ++*got_a) close(fd);
        if (b >= 0) for (int fd; (fd = accept(b, nullptr, nullptr)) >= 0; ++*got_b) close(fd);
    }
    for (int c : ctls) close(c);
}
CONFORM_CASE(reuseport_spreads_connections) {
    int a = bound(SOCK_STREAM, any_addr(fixed_port(30)), false, true);
    Line("listen_a").ret(listen(a, 32));
    int b = bound(SOCK_STREAM, any_addr(fixed_port(30)), false, true);
    Line("listen_b").ret(listen(b, 32));
    int got_a, got_b;
    accept_spread(a, b, fixed_port(30), 24, &got_a, &got_b);
    Line("accepted").kv("total", got_a + got_b).kv("a_some", static_cast<long>(got_a > 0)).kv("b_some", static_cast<long>(got_b > 0));
}
CONFORM_CASE(reuseport_close_one_listener) {
    int a = bound(SOCK_STREAM, any_addr(fixed_port(31)), false, true);
    Line("listen_a").ret(listen(a, 32));
    int b = bound(SOCK_STREAM, any_addr(fixed_port(31)), false, true);
    Line("listen_b").ret(listen(b, 32));
    Line("close_b").ret(close(b));
    int got_a, got_b;
    accept_spread(a, -1, fixed_port(31), 8, &got_a, &got_b);
    Line("accepted").kv("a", got_a);
    // The port stays the group's: a third reuseport socket joins, one without it may not.
    int c = bound(SOCK_STREAM, any_addr(fixed_port(31)), false, true);
    Line("listen_c").ret(listen(c, 4));
    bound(SOCK_STREAM, any_addr(fixed_port(31)), false, false);
}
CONFORM_CASE(bind_udp_port_in_use) {
    bound(SOCK_DGRAM, any_addr(fixed_port(8)));
    bound(SOCK_DGRAM, any_addr(fixed_port(8)));
}
CONFORM_CASE(bind_udp_reuseaddr) {
    bound(SOCK_DGRAM, any_addr(fixed_port(9)), true);
    bound(SOCK_DGRAM, any_addr(fixed_port(9)), true);
}
CONFORM_CASE(bind_tcp_and_udp_same_port) {
    bound(SOCK_STREAM, any_addr(fixed_port(10)));
    bound(SOCK_DGRAM, any_addr(fixed_port(10)));
}
CONFORM_CASE(bind_short_addrlen) {
    int fd = tcp_socket();
    sockaddr_in a = any_addr(0);
    Line("bind").ret(bind(fd, sa(a), 4));
}
CONFORM_CASE(bind_wrong_family) {
    int fd = tcp_socket();
    sockaddr_in a = any_addr(0);
    a.sin_family = AF_INET6;
    Line("bind").ret(bind(fd, sa(a), sizeof a));
}
CONFORM_CASE(bind_af_unspec_any) {
    int fd = tcp_socket();
    sockaddr_in a = any_addr(0);
    a.sin_family = AF_UNSPEC;
    Line("bind").ret(bind(fd, sa(a), sizeof a));
    { Line l("name"); sockname(l, fd); }
}
CONFORM_CASE(bind_port_reused_after_listener_close) {
    int a = bound(SOCK_STREAM, any_addr(fixed_port(11)));
    Line("listen").ret(listen(a, 4));
    close(a);
    bound(SOCK_STREAM, any_addr(fixed_port(11)));
}
CONFORM_CASE(bind_any_then_connect_name) {
    int fd = bound(SOCK_STREAM, any_addr(fixed_port(12)));
    sockaddr_in to = peer_addr(kEcho);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    { Line l("name"); sockname(l, fd); }
}
CONFORM_CASE(bind_self_then_connect_name) {
    int fd = bound(SOCK_STREAM, self_addr(fixed_port(13)));
    sockaddr_in to = peer_addr(kEcho);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    { Line l("name"); sockname(l, fd); }
}
// Our side closes first, so our end of the connection sits in TIME-WAIT on that port.
static void time_wait_on(uint16_t port) {
    int fd = bound(SOCK_STREAM, self_addr(port));
    sockaddr_in to = peer_addr(kEcho);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    Line("shutdown").ret(shutdown(fd, SHUT_WR));
    char c;
    Line("peer_eof").ret(read_n(fd, 1).size());
    (void)c;
    close(fd);
}
CONFORM_CASE(bind_time_wait_port_in_use) {
    time_wait_on(fixed_port(14));
    bound(SOCK_STREAM, self_addr(fixed_port(14)));
}
CONFORM_CASE(bind_time_wait_port_reuseaddr) {
    time_wait_on(fixed_port(15));
    bound(SOCK_STREAM, self_addr(fixed_port(15)), true);
}

// A connection accepted from a listener on port (with SO_REUSEADDR if asked); the listener is
// closed once the connection is accepted, so only the accepted socket holds the port.
static int child_of_closed_listener(uint16_t port, bool reuseaddr) {
    int l = bound(SOCK_STREAM, any_addr(port), reuseaddr);
    Line("listen").ret(listen(l, 4));
    int ctl = peer_connects(port, "hold");
    int fd = (poll1(l, POLLIN, kWaitMs) & POLLIN) ? accept(l, nullptr, nullptr) : -1;
    Line("accept").fd(fd);
    Line("peer").kv("reply", ctl_line(ctl));
    Line("close_listener").ret(close(l));
    return fd;
}
// An accepted connection occupies its listener's port (it is in the port's bind bucket).
CONFORM_CASE(bind_accepted_child_holds_port) {
    child_of_closed_listener(fixed_port(40), false);
    bound(SOCK_STREAM, any_addr(fixed_port(40)));
    bound(SOCK_STREAM, self_addr(fixed_port(40)));
}
CONFORM_CASE(bind_accepted_child_reuseaddr_on_both) {
    child_of_closed_listener(fixed_port(41), true);
    int fd = bound(SOCK_STREAM, any_addr(fixed_port(41)), true);
    Line("listen").ret(listen(fd, 4));  // a server restarting while its old connections live
}
CONFORM_CASE(bind_accepted_child_reuseaddr_on_new_only) {
    child_of_closed_listener(fixed_port(42), false);
    bound(SOCK_STREAM, any_addr(fixed_port(42)), true);
}
CONFORM_CASE(bind_accepted_child_closed_by_us_still_holds_port) {
    int fd = child_of_closed_listener(fixed_port(43), false);
    Line("close_child").ret(close(fd));  // FIN-WAIT, then TIME-WAIT: the port stays taken
    bound(SOCK_STREAM, any_addr(fixed_port(43)));
}
CONFORM_CASE(bind_accepted_socket) {
    int fd = accepted("hold");
    sockaddr_in a = any_addr(0);
    Line("bind").ret(bind(fd, sa(a), sizeof a));
}

// ---- listen() ---------------------------------------------------------------------------------

CONFORM_CASE(listen_unbound_picks_port) {
    int fd = tcp_socket();
    Line("listen").ret(listen(fd, 4));
    { Line l("name"); sockname(l, fd); }
}
CONFORM_CASE(listen_twice) {
    uint16_t port;
    int fd = listener(&port);
    Line("listen_again").ret(listen(fd, 16));
}
CONFORM_CASE(listen_udp) { Line("listen").ret(listen(udp_socket(), 4)); }
CONFORM_CASE(listen_after_connect) {
    int fd = dial(kEcho);
    Line("listen").ret(listen(fd, 4));
}
CONFORM_CASE(listen_acceptconn) {
    int fd = tcp_socket();
    { Line l("before"); getopt_int(l, fd, SOL_SOCKET, SO_ACCEPTCONN); }
    Line("listen").ret(listen(fd, 4));
    { Line l("after"); getopt_int(l, fd, SOL_SOCKET, SO_ACCEPTCONN); }
}
CONFORM_CASE(listen_backlog_negative) {
    int fd = tcp_socket();
    Line("listen").ret(listen(fd, -1));
}
CONFORM_CASE(listen_connect_on_listener) {
    uint16_t port;
    int fd = listener(&port);
    sockaddr_in to = peer_addr(kEcho);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
}

// ---- accept() / accept4() ---------------------------------------------------------------------

CONFORM_CASE(accept_from_peer) {
    uint16_t port;
    int l = listener(&port);
    int ctl = peer_connects(port, "echo");
    sockaddr_in from{};
    socklen_t len = sizeof from;
    int fd = accept(l, sa(from), &len);
    Line("accept").fd(fd).kv("from", show(from)).kv("len", len);
    Line("ctl").kv("reply", ctl_line(ctl));
    { Line n("name"); sockname(n, fd).kv("is_listen_port", local_port_is(fd, port)); }
    { Line n("peer"); peername(n, fd); }
    Line("send").ret(send(fd, "ping", 4, 0));
    Line("echo").data(read_n(fd, 4));
}
CONFORM_CASE(accept_null_address) {
    uint16_t port;
    int l = listener(&port);
    peer_connects(port, "hold");
    Line("accept").fd(accept(l, nullptr, nullptr));
}
CONFORM_CASE(accept_short_addrlen) {
    uint16_t port;
    int l = listener(&port);
    peer_connects(port, "hold");
    sockaddr_in from{};
    socklen_t len = 4;
    Line("accept").fd(accept(l, sa(from), &len)).kv("len", len).kv("family", from.sin_family);
}
CONFORM_CASE(accept_nonblocking_empty) {
    uint16_t port;
    int l = listener(&port);
    fcntl(l, F_SETFL, O_NONBLOCK);
    Line("accept").fd(accept(l, nullptr, nullptr));
}
CONFORM_CASE(accept4_sock_nonblock) {
    uint16_t port;
    int l = listener(&port);
    peer_connects(port, "hold");
    int fd = accept4(l, nullptr, nullptr, SOCK_NONBLOCK);
    Line("accept4").fd(fd);
    Line("getfl_nonblock").kv("set", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    char c;
    Line("recv").ret(recv(fd, &c, 1, 0));
}
CONFORM_CASE(accept4_sock_cloexec) {
    uint16_t port;
    int l = listener(&port);
    peer_connects(port, "hold");
    int fd = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
    Line("accept4").fd(fd);
    Line("getfd").kv("flags", fcntl(fd, F_GETFD));
}
CONFORM_CASE(accept4_bad_flags) {
    uint16_t port;
    int l = listener(&port);
    peer_connects(port, "hold");
    poll1(l, POLLIN, kWaitMs);
    Line("accept4").fd(accept4(l, nullptr, nullptr, 1));
}
CONFORM_CASE(accept_does_not_inherit_nonblock) {
    uint16_t port;
    int l = listener(&port);
    fcntl(l, F_SETFL, O_NONBLOCK);
    peer_connects(port, "hold");
    poll1(l, POLLIN, kWaitMs);
    int fd = accept(l, nullptr, nullptr);
    Line("accept").fd(fd);
    Line("getfl_nonblock").kv("set", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
}
CONFORM_CASE(accept_inherits_nodelay_keepalive) {
    uint16_t port;
    int l = listener(&port);
    setopt_int(l, IPPROTO_TCP, TCP_NODELAY, 1);
    setopt_int(l, SOL_SOCKET, SO_KEEPALIVE, 1);
    peer_connects(port, "hold");
    int fd = accept(l, nullptr, nullptr);
    { Line o("nodelay"); getopt_int(o, fd, IPPROTO_TCP, TCP_NODELAY); }
    { Line o("keepalive"); getopt_int(o, fd, SOL_SOCKET, SO_KEEPALIVE); }
    { Line o("acceptconn"); getopt_int(o, fd, SOL_SOCKET, SO_ACCEPTCONN); }
}
CONFORM_CASE(accept_on_unlistened_socket) {
    int fd = tcp_socket();
    Line("accept").fd(accept(fd, nullptr, nullptr));
}
CONFORM_CASE(accept_on_udp_socket) {
    int fd = udp_socket();
    Line("accept").fd(accept(fd, nullptr, nullptr));
}
CONFORM_CASE(accept_connection_reset_before_accept) {
    uint16_t port;
    int l = listener(&port);
    int ctl = peer_connects(port, "rstnow");
    Line("ctl").kv("reply", ctl_line(ctl));
    Line("listener_ready").revents(poll1(l, POLLIN, kWaitMs));
    usleep(100000);  // the RST follows the handshake on the same wire; give it time to land
    fcntl(l, F_SETFL, O_NONBLOCK);
    int fd = accept(l, nullptr, nullptr);
    Line("accept").fd(fd);
    char c;
    Line("recv").ret(recv(fd, &c, 1, 0));
}
CONFORM_CASE(connect_peer_resets_right_after_handshake) {
    int fd = tcp_socket();
    sockaddr_in to = peer_addr(kResetNow);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    poll1(fd, POLLIN, kWaitMs);
    char c;
    Line("recv").ret(recv(fd, &c, 1, 0));
}
CONFORM_CASE(accept_two_in_order) {
    uint16_t port;
    int l = listener(&port);
    int c1 = peer_connects(port, "hello");
    Line("ctl1").kv("reply", ctl_line(c1));
    int c2 = peer_connects(port, "late");
    Line("ctl2").kv("reply", ctl_line(c2));
    int a = accept(l, nullptr, nullptr);
    int b = accept(l, nullptr, nullptr);
    Line("first").data(read_n(a, 6));
    Line("second").data(read_n(b, 5));
}

// ---- connect() --------------------------------------------------------------------------------

CONFORM_CASE(connect_blocking) {
    int fd = tcp_socket();
    sockaddr_in to = peer_addr(kEcho);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    { Line l("name"); sockname(l, fd); }
    { Line l("peer"); peername(l, fd); }
}
CONFORM_CASE(connect_refused_blocking) {
    int fd = tcp_socket();
    sockaddr_in to = peer_addr(kClosedTcp);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    { Line l("so_error"); getopt_int(l, fd, SOL_SOCKET, SO_ERROR); }
    Line("connect_again").ret(connect(fd, sa(to), sizeof to));
}
CONFORM_CASE(connect_refused_nonblocking) {
    int fd = tcp_socket(SOCK_NONBLOCK);
    sockaddr_in to = peer_addr(kClosedTcp);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    Line("poll").revents(poll1(fd, POLLOUT, kWaitMs));
    { Line l("so_error"); getopt_int(l, fd, SOL_SOCKET, SO_ERROR); }
    { Line l("so_error_again"); getopt_int(l, fd, SOL_SOCKET, SO_ERROR); }
}
CONFORM_CASE(connect_nonblocking_ok) {
    int fd = tcp_socket(SOCK_NONBLOCK);
    sockaddr_in to = peer_addr(kEcho);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    Line("poll").revents(poll1(fd, POLLOUT, kWaitMs));
    { Line l("so_error"); getopt_int(l, fd, SOL_SOCKET, SO_ERROR); }
    Line("connect_again").ret(connect(fd, sa(to), sizeof to));
    { Line l("peer"); peername(l, fd); }
}
CONFORM_CASE(connect_nonblocking_pending_again) {
    int fd = tcp_socket(SOCK_NONBLOCK);
    sockaddr_in to = unroutable_addr(80);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    Line("connect_again").ret(connect(fd, sa(to), sizeof to));
    { Line l("peer"); peername(l, fd); }
}
CONFORM_CASE(connect_unroutable_poll_times_out) {
    int fd = tcp_socket(SOCK_NONBLOCK);
    sockaddr_in to = unroutable_addr(80);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    Line("poll").revents(poll1(fd, POLLOUT, 200));
}
CONFORM_CASE(connect_unroutable_sndtimeo) {
    int fd = tcp_socket();
    timeval tv{0, 300000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in to = unroutable_addr(80);
    timespec t0 = now();
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    long ms = elapsed_ms(t0);
    Line("waited").kv("about_300ms", ms >= 250 && ms < 1500);
}
CONFORM_CASE(connect_unroutable_blocking) {
    int fd = tcp_socket();
    sockaddr_in to = unroutable_addr(80);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
}
CONFORM_CASE(connect_offlink_no_route) {
    int fd = tcp_socket();
    sockaddr_in to = offlink_addr(80);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
}
CONFORM_CASE(connect_already_connected) {
    int fd = dial(kEcho);
    sockaddr_in to = peer_addr(kEcho);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
}
CONFORM_CASE(connect_short_addrlen) {
    int fd = tcp_socket();
    sockaddr_in to = peer_addr(kEcho);
    Line("connect").ret(connect(fd, sa(to), 8));
}
CONFORM_CASE(connect_wrong_family) {
    int fd = tcp_socket();
    sockaddr_in to = peer_addr(kEcho);
    to.sin_family = AF_INET6;
    Line("connect").ret(connect(fd, sa(to), sizeof to));
}
CONFORM_CASE(connect_tcp_af_unspec_disconnects) {
    int fd = dial(kEcho);
    sockaddr_in un{};
    un.sin_family = AF_UNSPEC;
    Line("connect_unspec").ret(connect(fd, sa(un), sizeof un));
    { Line l("peer"); peername(l, fd); }
}
CONFORM_CASE(connect_udp_af_unspec_disconnects) {
    int fd = udp_dial(kUdpEcho);
    sockaddr_in un{};
    un.sin_family = AF_UNSPEC;
    Line("connect_unspec").ret(connect(fd, sa(un), sizeof un));
    { Line l("peer"); peername(l, fd); }
}
CONFORM_CASE(connect_udp_twice_changes_peer) {
    int fd = udp_dial(kUdpEcho);
    sockaddr_in to = peer_addr(kClosedUdp);
    Line("connect_again").ret(connect(fd, sa(to), sizeof to));
    { Line l("peer"); peername(l, fd); }
}
CONFORM_CASE(connect_udp_name) {
    int fd = udp_dial(kUdpEcho);
    { Line l("name"); sockname(l, fd); }
    { Line l("peer"); peername(l, fd); }
}

// ---- getsockname() / getpeername() -----------------------------------------------------------

CONFORM_CASE(getsockname_unbound) {
    int fd = tcp_socket();
    Line l("name");
    sockname(l, fd);
}
CONFORM_CASE(getsockname_short_len) {
    int fd = dial(kEcho);
    sockaddr_in a{};
    socklen_t len = 6;
    Line("name").ret(getsockname(fd, sa(a), &len)).kv("len", len).kv("family", a.sin_family);
}
CONFORM_CASE(getpeername_unconnected) {
    int fd = tcp_socket();
    Line l("peer");
    peername(l, fd);
}
CONFORM_CASE(getpeername_listener) {
    uint16_t port;
    int fd = listener(&port);
    Line l("peer");
    peername(l, fd);
}
CONFORM_CASE(getpeername_after_peer_fin) {
    int fd = dial(kHello);
    Line("data").data(read_n(fd, 100));
    Line l("peer");
    peername(l, fd);
}
CONFORM_CASE(getpeername_after_peer_reset) {
    int fd = reset_by_peer();
    Line l("peer");
    peername(l, fd);
}
CONFORM_CASE(getpeername_udp_unconnected) {
    int fd = udp_socket();
    Line l("peer");
    peername(l, fd);
}
CONFORM_CASE(getsockname_udp_after_sendto) {
    int fd = udp_socket();
    sockaddr_in to = peer_addr(kUdpEcho);
    Line("sendto").ret(sendto(fd, "x", 1, 0, sa(to), sizeof to));
    Line l("name");
    sockname(l, fd);
}

}  // namespace conform

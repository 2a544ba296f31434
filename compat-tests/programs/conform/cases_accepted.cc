// The kernel side of accepted connections. Under the preload an accepted connection's fd
// starts as a duplicate of a shared idle kernel socket (preload/idle_socket.h) and gets one of
// its own when something would change it: these cases check that each accepted socket still
// behaves as a socket of its own (options, status flags, owner), that dups share what dups
// share, and that the fd flags survive the switch.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "conform.h"

namespace conform {
namespace {

char g_buf[64];

void echo_through(const char* step, int fd) {
    Line(std::string(step) + "_send").ret(send(fd, "abc", 3, 0));
    Line(std::string(step) + "_echo").data(read_n(fd, 3));
}

bool nonblocking(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

// One connection the peer opens to a fresh listener, taken with accept4(flags).
int accepted4(int flags) {
    uint16_t port = 0;
    int l = listener(&port);
    int ctl = peer_connects(port, "echo");
    int fd = -1;
    if (poll1(l, POLLIN, kWaitMs) & POLLIN) fd = accept4(l, nullptr, nullptr, flags);
    if (fd < 0) Line("accept4_failed").ret(-1);
    ctl_line(ctl);
    close(ctl);
    close(l);
    return fd;
}

}  // namespace

CONFORM_CASE(accepted_options_are_per_socket) {
    int a = accepted("echo");
    int b = accepted("echo");
    Line("a_rcvbuf_set").ret(setopt_int(a, SOL_SOCKET, SO_RCVBUF, 65536));
    Line("a_nodelay_set").ret(setopt_int(a, IPPROTO_TCP, TCP_NODELAY, 1));
    Line("a_priority_set").ret(setopt_int(a, SOL_SOCKET, SO_PRIORITY, 3));
    Line("a_tos_set").ret(setopt_int(a, IPPROTO_IP, IP_TOS, 0x10));
    for (int fd : {a, b}) {
        const char* who = fd == a ? "a" : "b";
        { Line x(std::string(who) + "_rcvbuf"); getopt_int(x, fd, SOL_SOCKET, SO_RCVBUF); }
        { Line x(std::string(who) + "_nodelay"); getopt_int(x, fd, IPPROTO_TCP, TCP_NODELAY); }
        { Line x(std::string(who) + "_priority"); getopt_int(x, fd, SOL_SOCKET, SO_PRIORITY); }
        { Line x(std::string(who) + "_tos"); getopt_int(x, fd, IPPROTO_IP, IP_TOS); }
    }
    echo_through("a", a);
    echo_through("b", b);
}

CONFORM_CASE(accepted_nonblocking_is_per_socket) {
    int a = accepted("echo");
    int b = accepted("echo");
    Line("a_setfl").ret(fcntl(a, F_SETFL, O_NONBLOCK));
    Line("flags").kv("a", nonblocking(a)).kv("b", nonblocking(b));
    Line("a_recv").ret(recv(a, g_buf, sizeof g_buf, 0));
    int on = 1;
    Line("b_fionbio").ret(ioctl(b, FIONBIO, &on));
    Line("a_setfl_off").ret(fcntl(a, F_SETFL, 0));
    Line("flags_after").kv("a", nonblocking(a)).kv("b", nonblocking(b));
    Line("b_recv").ret(recv(b, g_buf, sizeof g_buf, 0));
    echo_through("a", a);  // blocking again: waits for the echo
}

CONFORM_CASE(accepted4_flags) {
    int nb = accepted4(SOCK_NONBLOCK);
    int ce = accepted4(SOCK_CLOEXEC);
    int both = accepted4(SOCK_NONBLOCK | SOCK_CLOEXEC);
    for (int fd : {nb, ce, both}) {
        Line("flags").kv("nonblock", nonblocking(fd)).kv("fd_flags", fcntl(fd, F_GETFD));
    }
    Line("nb_recv").ret(recv(nb, g_buf, sizeof g_buf, 0));
    // Setting an option gives the socket a kernel socket of its own under the preload; the
    // fd flags and status flags must not change with it.
    Line("ce_set").ret(setopt_int(ce, SOL_SOCKET, SO_KEEPALIVE, 1));
    Line("both_set").ret(setopt_int(both, SOL_SOCKET, SO_KEEPALIVE, 1));
    for (int fd : {nb, ce, both}) {
        Line("flags_after").kv("nonblock", nonblocking(fd)).kv("fd_flags", fcntl(fd, F_GETFD));
    }
    echo_through("ce", ce);
}

CONFORM_CASE(accepted_dup_shares_options_and_flags) {
    int a = accepted("echo");
    int copy = dup(a);
    fcntl(copy, F_SETFD, FD_CLOEXEC);
    Line("a_rcvbuf_set").ret(setopt_int(a, SOL_SOCKET, SO_RCVBUF, 32768));
    { Line x("copy_rcvbuf"); getopt_int(x, copy, SOL_SOCKET, SO_RCVBUF); }
    Line("fd_flags").kv("a", fcntl(a, F_GETFD)).kv("copy", fcntl(copy, F_GETFD));
    Line("copy_setfl").ret(fcntl(copy, F_SETFL, O_NONBLOCK));
    Line("flags").kv("a", nonblocking(a)).kv("copy", nonblocking(copy));
    Line("a_recv").ret(recv(a, g_buf, sizeof g_buf, 0));
    int b = accepted("echo");
    int bcopy = dup(b);
    Line("b_setfl").ret(fcntl(b, F_SETFL, O_NONBLOCK));
    Line("b_flags").kv("b", nonblocking(b)).kv("copy", nonblocking(bcopy));
    Line("b_append").ret(fcntl(bcopy, F_SETFL, O_APPEND));
    Line("b_flags_after")
        .kv("b_append", (fcntl(b, F_GETFL) & O_APPEND) != 0)
        .kv("b_nonblock", nonblocking(b))
        .kv("a_append", (fcntl(a, F_GETFL) & O_APPEND) != 0);
    close(a);
    echo_through("copy", copy);
    echo_through("b", b);
}

CONFORM_CASE(accepted_owner_is_per_socket) {
    int a = accepted("echo");
    int b = accepted("echo");
    Line("a_setown").ret(fcntl(a, F_SETOWN, getpid()));
    Line("owner").kv("a_is_self", fcntl(a, F_GETOWN) == getpid()).kv("b", fcntl(b, F_GETOWN));
    echo_through("a", a);
}

CONFORM_CASE(accepted_disconnect_then_kernel_route) {
    int a = accepted("echo");
    sockaddr_in unspec{};
    unspec.sin_family = AF_UNSPEC;
    Line("disconnect").ret(connect(a, reinterpret_cast<sockaddr*>(&unspec), sizeof unspec));
    sockaddr_in lo = loopback_addr(fixed_port(40));  // nothing listens there
    Line("connect_loopback").ret(connect(a, sa(lo), sizeof lo));
    // Later accepted sockets are unaffected by what the first one's kernel socket went through.
    int b = accepted("echo");
    { Line x("b_error"); getopt_int(x, b, SOL_SOCKET, SO_ERROR); }
    Line("b_flags").kv("nonblock", nonblocking(b));
    echo_through("b", b);
}

}  // namespace conform

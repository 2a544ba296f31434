// File-descriptor behaviour of stack sockets: shutdown, close with dups, dup family, fcntl
// flags, O_NONBLOCK three ways, and calls that are not socket calls.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "conform.h"

namespace conform {
namespace {

char g_buf[4096];

void echo_through(const char* step, int fd) {
    Line(std::string(step) + "_send").ret(send(fd, "dup", 3, 0));
    Line(std::string(step) + "_echo").data(read_n(fd, 3));
}

}  // namespace

CONFORM_CASE(shutdown_wr_peer_sees_eof) {
    int fd = dial(kEcho);
    send(fd, "bye", 3, 0);
    Line("shutdown").ret(shutdown(fd, SHUT_WR));
    Line("echo").data(read_n(fd, 10));
    Line("eof").ret(recv(fd, g_buf, 10, 0));
}
CONFORM_CASE(shutdown_wr_then_sink_counts) {
    int fd = dial(kSink);
    send(fd, "12345", 5, 0);
    Line("shutdown").ret(shutdown(fd, SHUT_WR));
    Line("sink").data(read_n(fd, 64));
}
CONFORM_CASE(shutdown_rdwr_then_io) {
    int fd = dial(kEcho);
    Line("shutdown").ret(shutdown(fd, SHUT_RDWR));
    Line("recv").ret(recv(fd, g_buf, 10, 0));
    Line("send").ret(send(fd, "x", 1, 0));
}
CONFORM_CASE(shutdown_unconnected) { Line("shutdown").ret(shutdown(tcp_socket(), SHUT_RDWR)); }
CONFORM_CASE(shutdown_bad_how) { Line("shutdown").ret(shutdown(dial(kEcho), 7)); }
CONFORM_CASE(shutdown_twice) {
    int fd = dial(kHold);
    Line("first").ret(shutdown(fd, SHUT_WR));
    Line("second").ret(shutdown(fd, SHUT_WR));
}
CONFORM_CASE(shutdown_listener_rd) {
    uint16_t port;
    int l = listener(&port);
    Line("shutdown").ret(shutdown(l, SHUT_RD));
    fcntl(l, F_SETFL, O_NONBLOCK);
    Line("accept").fd(accept(l, nullptr, nullptr));
    { Line a("acceptconn"); getopt_int(a, l, SOL_SOCKET, SO_ACCEPTCONN); }
}
CONFORM_CASE(shutdown_listener_wr) {
    uint16_t port;
    int l = listener(&port);
    Line("shutdown").ret(shutdown(l, SHUT_WR));
    { Line a("acceptconn"); getopt_int(a, l, SOL_SOCKET, SO_ACCEPTCONN); }
}
CONFORM_CASE(shutdown_on_pipe) {
    int p[2];
    pipe(p);
    Line("shutdown").ret(shutdown(p[0], SHUT_RD));
}
CONFORM_CASE(close_one_of_two_dups_keeps_connection) {
    int fd = dial(kEcho);
    int copy = dup(fd);
    Line("close").ret(close(fd));
    echo_through("copy", copy);
}
CONFORM_CASE(close_twice) {
    int fd = tcp_socket();
    Line("close").ret(close(fd));
    Line("close_again").ret(close(fd));
}
CONFORM_CASE(close_then_io_ebadf) {
    int fd = dial(kEcho);
    close(fd);
    Line("send").ret(send(fd, "x", 1, 0));
    Line("getsockopt").ret(getsockopt(fd, SOL_SOCKET, SO_TYPE, g_buf, nullptr));
}
CONFORM_CASE(close_sends_fin) {
    int ctl = -1;
    int fd = accepted("watch", &ctl);
    send(fd, "0123456789", 10, 0);
    Line("close").ret(close(fd));
    Line("peer_saw").kv("result", ctl_line(ctl));
}
CONFORM_CASE(close_dup_last_sends_fin) {
    int ctl = -1;
    int fd = accepted("watch", &ctl);
    int copy = dup(fd);
    close(fd);
    Line("peer_before").revents(poll1(ctl, POLLIN, 200));
    Line("close_copy").ret(close(copy));
    Line("peer_saw").kv("result", ctl_line(ctl));
}
CONFORM_CASE(close_with_unread_data_sends_rst) {
    int ctl = -1;
    int fd = accepted("hellowatch", &ctl);  // the peer sends "hello\n", then only reads
    wait_inq(fd, 6);
    Line("close").ret(close(fd));           // RFC 2525 2.17: unread data makes close an RST
    Line("peer_saw").kv("result", ctl_line(ctl));
}
CONFORM_CASE(dup_shares_status_flags) {
    int fd = dial(kEcho);
    int copy = dup(fd);
    Line("dup").fd(copy);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    Line("copy_nonblock").kv("set", (fcntl(copy, F_GETFL) & O_NONBLOCK) != 0);
    Line("copy_recv").ret(recv(copy, g_buf, 1, 0));
}
CONFORM_CASE(dup_does_not_copy_cloexec) {
    int fd = tcp_socket(SOCK_CLOEXEC);
    int copy = dup(fd);
    Line("orig").kv("fd_flags", fcntl(fd, F_GETFD));
    Line("copy").kv("fd_flags", fcntl(copy, F_GETFD));
}
CONFORM_CASE(dup_io_through_copy) {
    int fd = dial(kEcho);
    int copy = dup(fd);
    echo_through("copy", copy);
    echo_through("orig", fd);
}
CONFORM_CASE(dup2_onto_open_pipe) {
    int p[2];
    pipe(p);
    int fd = dial(kEcho);
    Line("dup2").ret(dup2(fd, p[0]) == p[0] ? 0 : -1);
    echo_through("target", p[0]);
    { Line l("type"); getopt_int(l, p[0], SOL_SOCKET, SO_TYPE); }
}
CONFORM_CASE(dup2_onto_itself) {
    int fd = dial(kEcho);
    Line("dup2").ret(dup2(fd, fd) == fd ? 0 : -1);
    echo_through("same", fd);
}
CONFORM_CASE(dup2_closed_source) {
    int fd = tcp_socket();
    close(fd);
    Line("dup2").ret(dup2(fd, 500));
}
CONFORM_CASE(dup2_replaces_stack_socket) {
    int fd = dial(kEcho);
    int p[2];
    pipe(p);
    Line("dup2").ret(dup2(p[0], fd) == fd ? 0 : -1);
    Line("getsockopt").ret(getsockopt(fd, SOL_SOCKET, SO_TYPE, g_buf, nullptr));
    write(p[1], "z", 1);
    Line("read").ret(read(fd, g_buf, 1)).data(std::string(g_buf, 1));
}
CONFORM_CASE(dup3_same_fd_einval) {
    int fd = tcp_socket();
    Line("dup3").ret(dup3(fd, fd, 0));
}
CONFORM_CASE(dup3_cloexec) {
    int fd = dial(kEcho);
    Line("dup3").ret(dup3(fd, 600, O_CLOEXEC) == 600 ? 0 : -1);
    Line("flags").kv("fd_flags", fcntl(600, F_GETFD));
    echo_through("target", 600);
}
CONFORM_CASE(dup3_bad_flags) {
    int fd = tcp_socket();
    Line("dup3").ret(dup3(fd, 601, 0x4));
}
CONFORM_CASE(fcntl_dupfd_minimum) {
    int fd = dial(kEcho);
    int copy = fcntl(fd, F_DUPFD, 700);
    Line("dupfd").kv("at_least_700", copy >= 700).kv("fd_flags", fcntl(copy, F_GETFD));
    echo_through("copy", copy);
}
CONFORM_CASE(fcntl_dupfd_cloexec) {
    int fd = tcp_socket();
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    Line("dupfd").fd(copy).kv("fd_flags", fcntl(copy, F_GETFD));
}
CONFORM_CASE(fcntl_getfl_access_mode) {
    int fd = dial(kEcho);
    Line("getfl").kv("accmode", fcntl(fd, F_GETFL) & O_ACCMODE);
}
CONFORM_CASE(fcntl_setfl_nonblock) {
    int fd = dial(kEcho);
    Line("setfl").ret(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
    Line("recv").ret(recv(fd, g_buf, 1, 0));
    Line("clear").ret(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK));
    Line("getfl_nonblock").kv("set", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
}
CONFORM_CASE(fcntl_setfl_ignores_access_mode) {
    int fd = tcp_socket();
    Line("setfl").ret(fcntl(fd, F_SETFL, O_RDONLY | O_APPEND));
    Line("getfl").kv("flags", fcntl(fd, F_GETFL));
}
CONFORM_CASE(fcntl_setfd_cloexec) {
    int fd = tcp_socket();
    Line("setfd").ret(fcntl(fd, F_SETFD, FD_CLOEXEC));
    Line("getfd").kv("flags", fcntl(fd, F_GETFD));
}
CONFORM_CASE(fcntl_setown_getown) {
    int fd = tcp_socket();
    Line("setown").ret(fcntl(fd, F_SETOWN, getpid()));
    Line("getown_is_self").kv("value", fcntl(fd, F_GETOWN) == getpid());
}
CONFORM_CASE(nonblock_three_ways_agree) {
    int a = tcp_socket(SOCK_NONBLOCK), b = tcp_socket(), c = tcp_socket();
    fcntl(b, F_SETFL, O_NONBLOCK);
    int on = 1;
    ioctl(c, FIONBIO, &on);
    Line("sock_nonblock").kv("flags", fcntl(a, F_GETFL));
    Line("fcntl").kv("flags", fcntl(b, F_GETFL));
    Line("fionbio").kv("flags", fcntl(c, F_GETFL));
}
CONFORM_CASE(fstat_is_socket) {
    struct stat st {};
    int fd = dial(kEcho);
    Line("fstat").ret(fstat(fd, &st)).kv("is_sock", S_ISSOCK(st.st_mode));
}
CONFORM_CASE(lseek_socket_espipe) { Line("lseek").ret(lseek(dial(kEcho), 0, SEEK_SET)); }
CONFORM_CASE(socket_call_on_pipe_enotsock) {
    int p[2];
    pipe(p);
    int v = 0;
    socklen_t len = sizeof v;
    Line("getsockopt").ret(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &len));
    sockaddr_in to = peer_addr(kEcho);
    Line("connect").ret(connect(p[0], sa(to), sizeof to));
    Line("send").ret(send(p[1], "x", 1, 0));
}
CONFORM_CASE(socket_call_on_bad_fd) {
    sockaddr_in to = peer_addr(kEcho);
    Line("connect").ret(connect(-1, sa(to), sizeof to));
    Line("recv").ret(recv(999, g_buf, 1, 0));
}
CONFORM_CASE(fd_numbers_lowest_free) {
    int a = tcp_socket();
    int b = tcp_socket();
    close(a);
    int c = udp_socket();
    Line("reuses_lowest").kv("value", c == a);
    Line("increasing").kv("value", b > a);
}

}  // namespace conform

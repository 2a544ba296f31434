// The data path on TCP: send/recv families, flags, EOF, errors, sendfile and queue ioctls.
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "conform.h"

namespace conform {
namespace {

char g_buf[1 << 20];

// Sends to the sink, half-closes and returns its "got N" line.
std::string sink_total(int fd) {
    shutdown(fd, SHUT_WR);
    return read_n(fd, 64);
}

int temp_file(size_t n) {
    char name[] = "/tmp/conform.XXXXXX";
    int fd = mkstemp(name);
    unlink(name);
    std::string data = pattern(0, n);
    if (write(fd, data.data(), n) != static_cast<ssize_t>(n)) Line("temp_file_write_failed");
    lseek(fd, 0, SEEK_SET);
    return fd;
}

}  // namespace

CONFORM_CASE(io_send_recv) {
    int fd = dial(kEcho);
    Line("send").ret(send(fd, "hello", 5, 0));
    wait_inq(fd, 5);
    Line("recv").ret(recv(fd, g_buf, sizeof g_buf, 0)).data(std::string(g_buf, 5));
}
CONFORM_CASE(io_write_read) {
    int fd = dial(kEcho);
    Line("write").ret(write(fd, "hello", 5));
    wait_inq(fd, 5);
    Line("read").ret(read(fd, g_buf, sizeof g_buf)).data(std::string(g_buf, 5));
}
CONFORM_CASE(io_sendto_recvfrom_connected) {
    int fd = dial(kEcho);
    Line("sendto").ret(sendto(fd, "abc", 3, 0, nullptr, 0));
    wait_inq(fd, 3);
    sockaddr_in from{};
    socklen_t len = sizeof from;
    Line("recvfrom").ret(recvfrom(fd, g_buf, sizeof g_buf, 0, sa(from), &len)).kv("addrlen", len);
}
CONFORM_CASE(io_sendto_with_address_on_connected_tcp) {
    int fd = dial(kEcho);
    sockaddr_in other = peer_addr(kSink);
    Line("sendto").ret(sendto(fd, "abc", 3, 0, sa(other), sizeof other));
    Line("echo").data(read_n(fd, 3));
}
CONFORM_CASE(io_send_unconnected) {
    int fd = tcp_socket();
    Line("send").ret(send(fd, "x", 1, 0));
}
CONFORM_CASE(io_recv_unconnected) {
    int fd = tcp_socket();
    Line("recv").ret(recv(fd, g_buf, 1, 0));
}
CONFORM_CASE(io_read_unconnected) {
    int fd = tcp_socket();
    Line("read").ret(read(fd, g_buf, 1));
}
CONFORM_CASE(io_read_listener) {
    uint16_t port;
    int fd = listener(&port);
    Line("read").ret(read(fd, g_buf, 1));
}
CONFORM_CASE(io_send_listener) {
    uint16_t port;
    int fd = listener(&port);
    Line("send").ret(send(fd, "x", 1, 0));
}
CONFORM_CASE(io_sendmsg_recvmsg_iovecs) {
    int fd = dial(kEcho);
    char a[] = "one-", b[] = "two-", c[] = "three";
    iovec out[3] = {{a, 4}, {b, 4}, {c, 5}};
    msghdr m{};
    m.msg_iov = out;
    m.msg_iovlen = 3;
    Line("sendmsg").ret(sendmsg(fd, &m, 0));
    wait_inq(fd, 13);
    char x[6] = {}, y[16] = {};
    iovec in[2] = {{x, 6}, {y, 16}};
    msghdr r{};
    r.msg_iov = in;
    r.msg_iovlen = 2;
    Line("recvmsg").ret(recvmsg(fd, &r, 0)).data(std::string(x, 6)).data(std::string(y, 7)).kv("flags", r.msg_flags);
}
CONFORM_CASE(io_recvmsg_name_and_control_on_tcp) {
    int fd = dial(kEcho);
    send(fd, "abc", 3, 0);
    wait_inq(fd, 3);
    sockaddr_in from{};
    char control[64];
    iovec io{g_buf, 16};
    msghdr r{};
    r.msg_name = &from;
    r.msg_namelen = sizeof from;
    r.msg_iov = &io;
    r.msg_iovlen = 1;
    r.msg_control = control;
    r.msg_controllen = sizeof control;
    Line("recvmsg").ret(recvmsg(fd, &r, 0)).kv("namelen", r.msg_namelen).kv("controllen", r.msg_controllen).kv("flags", r.msg_flags);
}
CONFORM_CASE(io_readv_writev) {
    int fd = dial(kEcho);
    char a[] = "abc", b[] = "defg";
    iovec out[2] = {{a, 3}, {b, 4}};
    Line("writev").ret(writev(fd, out, 2));
    wait_inq(fd, 7);
    char x[2], y[8];
    iovec in[2] = {{x, 2}, {y, 8}};
    Line("readv").ret(readv(fd, in, 2)).data(std::string(x, 2)).data(std::string(y, 5));
}
CONFORM_CASE(io_writev_zero_iovecs) {
    int fd = dial(kEcho);
    Line("writev").ret(writev(fd, nullptr, 0));
}
CONFORM_CASE(io_writev_too_many_iovecs) {
    int fd = dial(kEcho);
    std::vector<iovec> v(IOV_MAX + 1, iovec{g_buf, 1});
    Line("writev").ret(writev(fd, v.data(), static_cast<int>(v.size())));
}
CONFORM_CASE(io_readv_negative_count) {
    int fd = dial(kEcho);
    iovec v{g_buf, 1};
    volatile int count = -1;  // volatile: the compiler must not see the negative count
    Line("readv").ret(readv(fd, &v, count));
}
CONFORM_CASE(io_send_zero_bytes) {
    int fd = dial(kEcho);
    Line("send").ret(send(fd, "", 0, 0));
}
CONFORM_CASE(io_recv_zero_bytes_empty) {
    int fd = dial(kEcho);
    timeval tv{0, 200000};  // Linux waits for one byte even for len 0; bound the wait
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    Line("recv").ret(recv(fd, g_buf, 0, 0));
}
CONFORM_CASE(io_peek_then_read) {
    int fd = dial(kEcho);
    send(fd, "peekaboo", 8, 0);
    wait_inq(fd, 8);
    Line("peek").ret(recv(fd, g_buf, 4, MSG_PEEK)).data(std::string(g_buf, 4));
    Line("peek_again").ret(recv(fd, g_buf, 8, MSG_PEEK)).data(std::string(g_buf, 8));
    Line("read").ret(read(fd, g_buf, 8)).data(std::string(g_buf, 8));
    Line("dontwait").ret(recv(fd, g_buf, 8, MSG_DONTWAIT));
}
CONFORM_CASE(io_dontwait_empty) {
    int fd = dial(kEcho);
    Line("recv").ret(recv(fd, g_buf, 8, MSG_DONTWAIT));
}
CONFORM_CASE(io_nonblocking_recv_empty) {
    int fd = dial(kEcho);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    Line("recv").ret(recv(fd, g_buf, 8, 0));
    Line("read").ret(read(fd, g_buf, 8));
}
CONFORM_CASE(io_waitall_large) {
    int fd = dial(kSource);
    ssize_t n = recv(fd, g_buf, 150000, MSG_WAITALL);
    Line("recv").ret(n).kv("pattern", is_pattern(std::string(g_buf, n > 0 ? n : 0), 0));
}
CONFORM_CASE(io_waitall_stops_at_eof) {
    int fd = dial(kHello);
    ssize_t n = recv(fd, g_buf, 100, MSG_WAITALL);
    Line("recv").ret(n).data(std::string(g_buf, n > 0 ? n : 0));
}
CONFORM_CASE(io_waitall_dontwait_empty) {
    int fd = dial(kEcho);
    Line("recv").ret(recv(fd, g_buf, 10, MSG_WAITALL | MSG_DONTWAIT));
}
CONFORM_CASE(io_waitall_across_segments) {
    int fd = dial(kEcho);
    send(fd, "abc", 3, 0);
    wait_inq(fd, 3);
    send(fd, "defgh", 5, 0);
    Line("recv").ret(recv(fd, g_buf, 8, MSG_WAITALL)).data(std::string(g_buf, 8));
}
CONFORM_CASE(io_trunc_discards_tcp) {
    int fd = dial(kEcho);
    send(fd, "0123456789", 10, 0);
    wait_inq(fd, 10);
    Line("recv_trunc").ret(recv(fd, nullptr, 4, MSG_TRUNC));
    Line("rest").ret(recv(fd, g_buf, 10, 0)).data(std::string(g_buf, 6));
}
CONFORM_CASE(io_read_source_all) {
    int fd = dial(kSource);
    std::string got = read_n(fd, kSourceBytes + 10);
    Line("bytes").kv("n", got.size()).kv("pattern", is_pattern(got, 0));
    Line("eof").ret(read(fd, g_buf, 10));
    Line("eof_again").ret(read(fd, g_buf, 10));
}
CONFORM_CASE(io_read_after_peer_fin) {
    int fd = dial(kHello);
    Line("data").data(read_n(fd, 6));
    Line("eof").ret(recv(fd, g_buf, 10, 0));
    Line("send_after_fin").ret(send(fd, "x", 1, 0));
}
CONFORM_CASE(io_recv_after_shutdown_rd) {
    int fd = dial(kEcho);
    Line("shutdown").ret(shutdown(fd, SHUT_RD));
    Line("recv").ret(recv(fd, g_buf, 10, 0));
}
CONFORM_CASE(io_send_after_shutdown_wr_nosignal) {
    int fd = dial(kEcho);
    Line("shutdown").ret(shutdown(fd, SHUT_WR));
    Line("send").ret(send(fd, "x", 1, MSG_NOSIGNAL));
}
CONFORM_CASE(io_sigpipe_on_send_after_shutdown) {
    on_signal(SIGPIPE, false);
    int fd = dial(kEcho);
    shutdown(fd, SHUT_WR);
    Line("send").ret(send(fd, "x", 1, 0));
    Line("sigpipe").kv("count", g_signals.load());
}
CONFORM_CASE(io_sigpipe_on_write_after_shutdown) {
    on_signal(SIGPIPE, false);
    int fd = dial(kEcho);
    shutdown(fd, SHUT_WR);
    Line("write").ret(write(fd, "x", 1));
    Line("sigpipe").kv("count", g_signals.load());
}
CONFORM_CASE(io_nosignal_suppresses_sigpipe) {
    on_signal(SIGPIPE, false);
    int fd = dial(kEcho);
    shutdown(fd, SHUT_WR);
    Line("send").ret(send(fd, "x", 1, MSG_NOSIGNAL));
    Line("sigpipe").kv("count", g_signals.load());
}
CONFORM_CASE(io_reset_then_recv) {
    int fd = reset_by_peer();
    Line("recv").ret(recv(fd, g_buf, 10, 0));
    Line("recv_again").ret(recv(fd, g_buf, 10, 0));
    { Line l("so_error"); getopt_int(l, fd, SOL_SOCKET, SO_ERROR); }
}
CONFORM_CASE(io_reset_then_send) {
    int fd = reset_by_peer();
    Line("send").ret(send(fd, "x", 1, 0));
    Line("send_again").ret(send(fd, "x", 1, 0));
}
CONFORM_CASE(io_reset_so_error_first) {
    int fd = reset_by_peer();
    { Line l("so_error"); getopt_int(l, fd, SOL_SOCKET, SO_ERROR); }
    Line("recv").ret(recv(fd, g_buf, 10, 0));
}
CONFORM_CASE(io_msg_more_coalesces) {
    int fd = dial(kEcho);
    Line("send_more").ret(send(fd, "ab", 2, MSG_MORE));
    Line("send").ret(send(fd, "cd", 2, 0));
    Line("echo").data(read_n(fd, 4));
}
CONFORM_CASE(io_sendmmsg_tcp) {
    int fd = dial(kEcho);
    char a[] = "aa", b[] = "bbb", c[] = "c";
    iovec v[3] = {{a, 2}, {b, 3}, {c, 1}};
    mmsghdr m[3]{};
    for (int i = 0; i < 3; ++i) {
        m[i].msg_hdr.msg_iov = &v[i];
        m[i].msg_hdr.msg_iovlen = 1;
    }
    Line("sendmmsg").ret(sendmmsg(fd, m, 3, 0)).kv("len0", m[0].msg_len).kv("len1", m[1].msg_len).kv("len2", m[2].msg_len);
    Line("echo").data(read_n(fd, 6));
}
CONFORM_CASE(io_recvmmsg_tcp) {
    int fd = dial(kEcho);
    send(fd, "abcdef", 6, 0);
    wait_inq(fd, 6);
    char x[4], y[4];
    iovec v[2] = {{x, 4}, {y, 4}};
    mmsghdr m[2]{};
    for (int i = 0; i < 2; ++i) {
        m[i].msg_hdr.msg_iov = &v[i];
        m[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, m, 2, MSG_DONTWAIT, nullptr);
    Line("recvmmsg").ret(n).kv("len0", m[0].msg_len).kv("len1", m[1].msg_len);
}
CONFORM_CASE(io_sendmmsg_zero_vlen) {
    int fd = dial(kEcho);
    mmsghdr m{};
    Line("sendmmsg").ret(sendmmsg(fd, &m, 0, 0));
}
CONFORM_CASE(io_send_one_mebibyte_to_sink) {
    int fd = dial(kSink);
    std::string data = pattern(0, 1 << 20);
    size_t sent = 0;
    while (sent < data.size()) {
        ssize_t n = send(fd, data.data() + sent, data.size() - sent, 0);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
    }
    Line("sent").kv("n", sent);
    Line("sink").data(sink_total(fd));
}
CONFORM_CASE(io_nonblocking_send_fills_up) {
    int fd = dial(kHold);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    ssize_t n = 0;
    size_t total = 0;
    for (int i = 0; i < 10000; ++i) {
        n = send(fd, g_buf, sizeof g_buf, 0);
        if (n < 0) break;
        total += static_cast<size_t>(n);
    }
    Line("last_send").ret(n).kv("sent_some", total > 0);
    Line("poll_out").revents(poll1(fd, POLLOUT, 0));
}
CONFORM_CASE(io_sendfile_to_sink) {
    int file = temp_file(100000);
    int fd = dial(kSink);
    off_t off = 1000;
    Line("sendfile").ret(sendfile(fd, file, &off, 50000)).kv("offset", off);
    Line("file_position").kv("pos", lseek(file, 0, SEEK_CUR));
    Line("sink").data(sink_total(fd));
}
CONFORM_CASE(io_sendfile_null_offset_advances) {
    int file = temp_file(30000);
    int fd = dial(kSink);
    Line("sendfile").ret(sendfile(fd, file, nullptr, 10000));
    Line("file_position").kv("pos", lseek(file, 0, SEEK_CUR));
    Line("sendfile_rest").ret(sendfile(fd, file, nullptr, 100000));
    Line("sendfile_eof").ret(sendfile(fd, file, nullptr, 100000));
    Line("sink").data(sink_total(fd));
}
CONFORM_CASE(io_sendfile_echo_content) {
    int file = temp_file(5000);
    int fd = dial(kEcho);
    off_t off = 0;
    Line("sendfile").ret(sendfile(fd, file, &off, 5000));
    std::string got = read_n(fd, 5000);
    Line("echo").kv("n", got.size()).kv("pattern", is_pattern(got, 0));
}
CONFORM_CASE(io_sendfile_unconnected) {
    int file = temp_file(100);
    int fd = tcp_socket();
    Line("sendfile").ret(sendfile(fd, file, nullptr, 100));
}
CONFORM_CASE(io_fionread) {
    int fd = dial(kEcho);
    send(fd, "0123456789", 10, 0);
    wait_inq(fd, 10);
    int q = -1;
    Line("fionread").ret(ioctl(fd, FIONREAD, &q)).kv("value", q);
}
CONFORM_CASE(io_siocinq) {
    int fd = dial(kEcho);
    send(fd, "0123456789", 10, 0);
    wait_inq(fd, 10);
    recv(fd, g_buf, 3, 0);
    int q = -1;
    Line("siocinq").ret(ioctl(fd, SIOCINQ, &q)).kv("value", q);
}
CONFORM_CASE(io_siocoutq_after_echo) {
    int fd = dial(kEcho);
    send(fd, "0123456789", 10, 0);
    wait_inq(fd, 10);
    int q = -1;
    Line("siocoutq").ret(ioctl(fd, SIOCOUTQ, &q)).kv("value", q);
}
CONFORM_CASE(io_siocoutq_unconnected) {
    int fd = tcp_socket();
    int q = -1;
    Line("siocoutq").ret(ioctl(fd, SIOCOUTQ, &q)).kv("value", q);
}
CONFORM_CASE(io_fionread_listener) {
    uint16_t port;
    int fd = listener(&port);
    int q = -1;
    Line("fionread").ret(ioctl(fd, FIONREAD, &q));
}
CONFORM_CASE(io_fionread_after_fin) {
    int fd = dial(kHello);
    poll1(fd, POLLRDHUP, kWaitMs);
    wait_inq(fd, 6);
    int q = -1;
    Line("fionread").ret(ioctl(fd, FIONREAD, &q)).kv("value", q);
}
CONFORM_CASE(io_fionbio) {
    int fd = dial(kEcho);
    int on = 1;
    Line("fionbio_on").ret(ioctl(fd, FIONBIO, &on));
    Line("getfl_nonblock").kv("set", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    Line("recv").ret(recv(fd, g_buf, 1, 0));
    int off = 0;
    Line("fionbio_off").ret(ioctl(fd, FIONBIO, &off));
    Line("getfl_nonblock_after").kv("set", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
}
CONFORM_CASE(io_unknown_ioctl) {
    int fd = dial(kEcho);
    int v = 0;
    Line("ioctl").ret(ioctl(fd, 0x89ff, &v));
}
CONFORM_CASE(io_recv_oob_without_urgent) {
    int fd = dial(kEcho);
    Line("recv_oob").ret(recv(fd, g_buf, 1, MSG_OOB));
}
CONFORM_CASE(io_recv_oob_from_peer) {
    int fd = dial(kOob);
    poll1(fd, POLLPRI, kWaitMs);
    wait_inq(fd, 1);
    ssize_t n = recv(fd, g_buf, 1, MSG_OOB);
    Line("recv_oob").ret(n).data(std::string(g_buf, n > 0 ? n : 0));
    n = recv(fd, g_buf, 10, MSG_DONTWAIT);
    Line("recv_inline").ret(n).data(std::string(g_buf, n > 0 ? n : 0));
}
// Urgent data from the peer (kOob: "a", then "b" with MSG_OOB); each case first waits for it.
int dial_urgent(bool oob_inline = false) {
    int fd = tcp_socket();
    if (oob_inline) setopt_int(fd, SOL_SOCKET, SO_OOBINLINE, 1);
    sockaddr_in a = peer_addr(kOob);
    if (connect(fd, sa(a), sizeof a) != 0) Line("dial_failed").ret(-1);
    poll1(fd, POLLPRI, kWaitMs);
    wait_inq(fd, oob_inline ? 2 : 1);
    return fd;
}
void atmark(const char* name, int fd) {
    int v = -1;
    Line(name).ret(ioctl(fd, SIOCATMARK, &v)).kv("mark", v);
}
void recv_line(const char* name, int fd, int flags) {
    ssize_t n = recv(fd, g_buf, 10, flags);
    Line(name).ret(n).data(std::string(g_buf, n > 0 ? n : 0));
}
CONFORM_CASE(io_oob_atmark_before_and_after_the_mark) {
    int fd = dial_urgent();
    atmark("atmark_start", fd);
    recv_line("recv", fd, MSG_DONTWAIT);
    atmark("atmark_at_mark", fd);
    recv_line("recv_oob", fd, MSG_OOB);
    atmark("atmark_after_oob", fd);
    recv_line("recv_past_mark", fd, MSG_DONTWAIT);
    atmark("atmark_past", fd);
}
CONFORM_CASE(io_recv_oob_twice) {
    int fd = dial_urgent();
    recv_line("recv_oob", fd, MSG_OOB);
    recv_line("recv_oob_again", fd, MSG_OOB);
    Line("poll").revents(poll1(fd, POLLIN | POLLPRI, 0));
}
CONFORM_CASE(io_recv_oob_peek) {
    int fd = dial_urgent();
    recv_line("recv_oob_peek", fd, MSG_OOB | MSG_PEEK);
    Line("poll").revents(poll1(fd, POLLIN | POLLPRI, 0));
    recv_line("recv_oob", fd, MSG_OOB);
    recv_line("recv_oob_again", fd, MSG_OOB);
}
CONFORM_CASE(io_recv_oob_inline) {
    int fd = dial_urgent(/*oob_inline=*/true);
    Line("poll").revents(poll1(fd, POLLIN | POLLPRI, 0));
    int v = -1;
    Line("fionread").ret(ioctl(fd, FIONREAD, &v)).kv("bytes", v);
    recv_line("recv_oob", fd, MSG_OOB);
    recv_line("recv", fd, MSG_DONTWAIT);
    atmark("atmark", fd);
    recv_line("recv_at_mark", fd, MSG_DONTWAIT);
    Line("poll_after").revents(poll1(fd, POLLIN | POLLPRI, 0));
}
CONFORM_CASE(io_recv_waitall_stops_at_mark) {
    int fd = dial_urgent();
    int v = -1;
    Line("fionread").ret(ioctl(fd, FIONREAD, &v)).kv("bytes", v);
    recv_line("recv_waitall", fd, MSG_WAITALL);  // tcp_recvmsg stops at the mark all the same
}
CONFORM_CASE(io_send_oob_to_peer) {
    int fd = dial(kOobRead);
    Line("send").ret(send(fd, "x", 1, 0));
    Line("send_oob").ret(send(fd, "yz", 2, MSG_OOB));
    Line("shutdown").ret(shutdown(fd, SHUT_WR));
    Line("peer").data(read_n(fd, 64));
}
CONFORM_CASE(io_sigurg_to_owner) {
    // SIGURG is blocked and taken with sigtimedwait: the case waits for the signal itself.
    sigset_t urg;
    sigemptyset(&urg);
    sigaddset(&urg, SIGURG);
    sigprocmask(SIG_BLOCK, &urg, nullptr);
    int fd = tcp_socket();
    Line("setown").ret(fcntl(fd, F_SETOWN, getpid()));
    sockaddr_in a = peer_addr(kOob);
    Line("connect").ret(connect(fd, sa(a), sizeof a));
    timespec wait{kWaitMs / 1000, 0};
    Line("sigtimedwait").kv("signal", sigtimedwait(&urg, nullptr, &wait) == SIGURG ? "SIGURG" : "none");
    poll1(fd, POLLPRI, kWaitMs);
    recv_line("recv_oob", fd, MSG_OOB);
}
CONFORM_CASE(io_send_oob_udp) {
    int fd = udp_dial(kUdpEcho);
    Line("send_oob").ret(send(fd, "x", 1, MSG_OOB));
}
CONFORM_CASE(io_recv_oob_udp) {
    int fd = udp_dial(kUdpEcho);
    Line("send").ret(send(fd, "x", 1, 0));
    poll1(fd, POLLIN, kWaitMs);
    recv_line("recv_oob", fd, MSG_OOB | MSG_DONTWAIT);
    recv_line("recv", fd, MSG_DONTWAIT);
}
CONFORM_CASE(io_recv_errqueue_empty) {
    int fd = dial(kEcho);
    Line("recv_errqueue").ret(recv(fd, g_buf, 10, MSG_ERRQUEUE));
}
CONFORM_CASE(io_send_bad_buffer) {
    int fd = dial(kEcho);
    Line("send").ret(send(fd, reinterpret_cast<void*>(8), 10, 0));
}
CONFORM_CASE(io_recv_bad_buffer) {
    int fd = dial(kEcho);
    send(fd, "abc", 3, 0);
    wait_inq(fd, 3);
    Line("recv").ret(recv(fd, reinterpret_cast<void*>(8), 10, 0));
}
CONFORM_CASE(io_read_write_bidirectional_64k) {
    int fd = dial(kEcho);
    std::string data = pattern(0, 65536);
    Line("write").ret(write(fd, data.data(), data.size()));
    std::string got = read_n(fd, data.size());
    Line("echo").kv("n", got.size()).kv("pattern", is_pattern(got, 0));
}

}  // namespace conform

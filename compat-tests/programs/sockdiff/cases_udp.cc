// UDP on 127.0.0.1: kernel sockets under the preload, datagram semantics unchanged.
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "cases.h"
#include "report.h"
#include "util.h"

namespace sockdiff {
namespace {

sockaddr* sa(sockaddr_in& sin) { return reinterpret_cast<sockaddr*>(&sin); }

std::string name_of(int fd, bool peer) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int r = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                 : getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    return r < 0 ? "error:" + errno_name(errno) : describe(ss, len);
}

}  // namespace

void udp_loopback() {
    uint16_t port = 0;
    int a = loopback_listener(SOCK_DGRAM, &port);
    Line("udp_loopback.bind").fd(a).kv("addr", name_of(a, false));
    int b = socket(AF_INET, SOCK_DGRAM, 0);
    Line("udp_loopback.socket").fd(b).kv("addr", name_of(b, false));
    sockaddr_in to = loopback4(port);
    Line("udp_loopback.sendto").ret(sendto(b, "dgram-one", 9, 0, sa(to), sizeof to));
    Line("udp_loopback.sender_autobound").kv("addr", name_of(b, false));

    char buf[64];
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    wait_for(a, POLLIN);
    Line("udp_loopback.fionread").kv("value", [&] { int v = -1; ioctl(a, FIONREAD, &v); return long(v); }());
    ssize_t n = recvfrom(a, buf, sizeof buf, MSG_PEEK, sa(from), &from_len);
    Line("udp_loopback.peek").ret(n).data({buf, n > 0 ? size_t(n) : 0});
    n = recvfrom(a, buf, sizeof buf, 0, sa(from), &from_len);
    Line("udp_loopback.recvfrom")
        .ret(n)
        .data({buf, n > 0 ? size_t(n) : 0})
        .kv("from", describe(reinterpret_cast<sockaddr_storage&>(from), from_len))
        .kv("from_is_sender", ntohs(from.sin_port) == local_port(b) ? 1 : 0);
    Line("udp_loopback.recv_empty").ret(recv(a, buf, sizeof buf, MSG_DONTWAIT));

    Line("udp_loopback.getpeername_unconnected").ret(getpeername(b, sa(from), &from_len));
    Line("udp_loopback.connect").ret(connect(b, sa(to), sizeof to));
    Line("udp_loopback.peer").kv("addr", name_of(b, true));
    Line("udp_loopback.send_connected").ret(send(b, "dgram-two", 9, 0));
    wait_for(a, POLLIN);
    iovec iov{buf, 5};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    n = recvmsg(a, &msg, 0);
    Line("udp_loopback.recvmsg_short")
        .ret(n)
        .data({buf, n > 0 ? size_t(n) : 0})
        .kv("msg_trunc", (msg.msg_flags & MSG_TRUNC) != 0 ? 1 : 0);

    sockaddr_in back{};
    back.sin_family = AF_INET;
    back.sin_port = htons(local_port(b));
    back.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    Line("udp_loopback.reply").ret(sendto(a, "dgram-back", 10, 0, sa(back), sizeof back));
    wait_for(b, POLLIN);
    n = recv(b, buf, sizeof buf, 0);
    Line("udp_loopback.recv_reply").ret(n).data({buf, n > 0 ? size_t(n) : 0});
    Line("udp_loopback.so_type").kv("value", int_option(b, SOL_SOCKET, SO_TYPE));
    Line("udp_loopback.so_protocol").kv("value", int_option(b, SOL_SOCKET, SO_PROTOCOL));
    Line("udp_loopback.zero_length").ret(send(b, "", 0, 0));
    wait_for(a, POLLIN);
    Line("udp_loopback.recv_zero_length").ret(recv(a, buf, sizeof buf, MSG_DONTWAIT));
    close(a);
    close(b);
}

void udp_connect_refused() {
    // Find a free port by binding and closing; a datagram to it draws ICMP port unreachable,
    // which a connected UDP socket reports as ECONNREFUSED.
    uint16_t port = 0;
    close(loopback_listener(SOCK_DGRAM, &port));
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to = loopback4(port);
    Line("udp_refused.connect").ret(connect(s, sa(to), sizeof to));
    Line("udp_refused.send").ret(send(s, "x", 1, 0));
    Line("udp_refused.poll").revents(wait_for(s, POLLIN));
    char buf[8];
    Line("udp_refused.recv").ret(recv(s, buf, sizeof buf, MSG_DONTWAIT));
    Line("udp_refused.recv_again").ret(recv(s, buf, sizeof buf, MSG_DONTWAIT));
    close(s);
}

}  // namespace sockdiff

// UDP: datagram boundaries, truncation, addresses, ICMP errors, connected filtering.
#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "conform.h"

namespace conform {
namespace {

char g_buf[70000];

// Sends each datagram to the echo and waits until all replies are queued (the echo keeps
// their order; FIONREAD on UDP reports the first datagram, so the wait polls for readability
// and relies on the replies being back-to-back on the veth).
void echo_and_wait(int fd, std::initializer_list<std::string> grams) {
    for (const std::string& g : grams) send(fd, g.data(), g.size(), 0);
    poll1(fd, POLLIN, kWaitMs);
    usleep(50000);
}

}  // namespace

CONFORM_CASE(udp_send_recv_echo) {
    int fd = udp_dial(kUdpEcho);
    Line("send").ret(send(fd, "datagram", 8, 0));
    poll1(fd, POLLIN, kWaitMs);
    ssize_t n = recv(fd, g_buf, sizeof g_buf, 0);
    Line("recv").ret(n).data(std::string(g_buf, n > 0 ? n : 0));
}
CONFORM_CASE(udp_sendto_recvfrom_unconnected) {
    int fd = udp_socket();
    sockaddr_in to = peer_addr(kUdpEcho);
    Line("sendto").ret(sendto(fd, "abc", 3, 0, sa(to), sizeof to));
    poll1(fd, POLLIN, kWaitMs);
    sockaddr_in from{};
    socklen_t len = sizeof from;
    Line("recvfrom").ret(recvfrom(fd, g_buf, sizeof g_buf, 0, sa(from), &len)).kv("from", show(from)).kv("len", len);
}
CONFORM_CASE(udp_boundaries_kept) {
    int fd = udp_dial(kUdpEcho);
    echo_and_wait(fd, {"one", "three"});
    Line("first").ret(recv(fd, g_buf, sizeof g_buf, 0));
    Line("second").ret(recv(fd, g_buf, sizeof g_buf, 0));
}
CONFORM_CASE(udp_truncated_read_discards_rest) {
    int fd = udp_dial(kUdpEcho);
    echo_and_wait(fd, {"0123456789", "next"});
    Line("recv4").ret(recv(fd, g_buf, 4, 0)).data(std::string(g_buf, 4));
    Line("recv_next").ret(recv(fd, g_buf, sizeof g_buf, 0)).data(std::string(g_buf, 4));
}
CONFORM_CASE(udp_recv_msg_trunc_returns_full_length) {
    int fd = udp_dial(kUdpEcho);
    echo_and_wait(fd, {"0123456789"});
    Line("recv").ret(recv(fd, g_buf, 4, MSG_TRUNC));
}
CONFORM_CASE(udp_peek_trunc) {
    int fd = udp_dial(kUdpEcho);
    echo_and_wait(fd, {"0123456789"});
    Line("peek").ret(recv(fd, g_buf, 4, MSG_PEEK | MSG_TRUNC));
    Line("read").ret(recv(fd, g_buf, sizeof g_buf, 0));
}
CONFORM_CASE(udp_recvmsg_sets_msg_trunc) {
    int fd = udp_dial(kUdpEcho);
    echo_and_wait(fd, {"0123456789"});
    sockaddr_in from{};
    iovec io{g_buf, 4};
    msghdr m{};
    m.msg_name = &from;
    m.msg_namelen = sizeof from;
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    Line("recvmsg").ret(recvmsg(fd, &m, 0)).kv("flags", m.msg_flags).kv("namelen", m.msg_namelen).kv("from", show(from));
}
CONFORM_CASE(udp_recv_zero_length_buffer_consumes) {
    int fd = udp_dial(kUdpEcho);
    echo_and_wait(fd, {"abcde"});
    Line("recv0").ret(recv(fd, g_buf, 0, 0));
    Line("recv_again").ret(recv(fd, g_buf, sizeof g_buf, MSG_DONTWAIT));
}
CONFORM_CASE(udp_empty_datagram) {
    int fd = udp_dial(kUdpEcho);
    Line("send").ret(send(fd, "", 0, 0));
    Line("poll").revents(poll1(fd, POLLIN, kWaitMs));
    Line("recv").ret(recv(fd, g_buf, sizeof g_buf, MSG_DONTWAIT));
}
CONFORM_CASE(udp_large_datagram_1400) {
    int fd = udp_dial(kUdpEcho);
    std::string d = pattern(0, 1400);
    Line("send").ret(send(fd, d.data(), d.size(), 0));
    poll1(fd, POLLIN, kWaitMs);
    ssize_t n = recv(fd, g_buf, sizeof g_buf, 0);
    Line("recv").ret(n).kv("pattern", is_pattern(std::string(g_buf, n > 0 ? n : 0), 0));
}
CONFORM_CASE(udp_fragmented_datagram_8000) {
    int fd = udp_dial(kUdpEcho);
    std::string d = pattern(0, 8000);
    Line("send").ret(send(fd, d.data(), d.size(), 0));
    poll1(fd, POLLIN, kWaitMs);
    ssize_t n = recv(fd, g_buf, sizeof g_buf, MSG_DONTWAIT);
    Line("recv").ret(n).kv("pattern", is_pattern(std::string(g_buf, n > 0 ? n : 0), 0));
}
CONFORM_CASE(udp_datagram_too_large) {
    int fd = udp_dial(kUdpEcho);
    Line("send").ret(send(fd, g_buf, 65508, 0));
}
// IP_MTU_DISCOVER: a datagram one byte over the lab's 1500-byte path, in every mode (the modes
// that may not fragment refuse it with EMSGSIZE, the others send it in fragments), then one that
// fits.
static void pmtudisc_send(int mode) {
    int fd = udp_dial(kUdpEcho);
    Line("set").ret(setopt_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, mode));
    for (size_t size : {size_t{1473}, size_t{1472}}) {
        std::string d = pattern(0, size);
        const ssize_t sent = send(fd, d.data(), d.size(), 0);
        Line("send").ret(sent);
        if (sent > 0 && (poll1(fd, POLLIN, kWaitMs) & POLLIN)) {
            ssize_t n = recv(fd, g_buf, sizeof g_buf, 0);
            Line("echo").ret(n).kv("pattern", is_pattern(std::string(g_buf, n > 0 ? n : 0), 0));
        }
    }
}
CONFORM_CASE(udp_pmtudisc_dont_fragments) { pmtudisc_send(IP_PMTUDISC_DONT); }
CONFORM_CASE(udp_pmtudisc_want_fragments) { pmtudisc_send(IP_PMTUDISC_WANT); }
CONFORM_CASE(udp_pmtudisc_do_emsgsize) { pmtudisc_send(IP_PMTUDISC_DO); }
CONFORM_CASE(udp_pmtudisc_probe_emsgsize) { pmtudisc_send(IP_PMTUDISC_PROBE); }
CONFORM_CASE(udp_pmtudisc_interface_emsgsize) { pmtudisc_send(IP_PMTUDISC_INTERFACE); }
CONFORM_CASE(udp_pmtudisc_omit_fragments) { pmtudisc_send(IP_PMTUDISC_OMIT); }
CONFORM_CASE(udp_send_unconnected_no_address) {
    int fd = udp_socket();
    Line("send").ret(send(fd, "x", 1, 0));
}
CONFORM_CASE(udp_dontwait_empty) {
    int fd = udp_dial(kUdpEcho);
    Line("recv").ret(recv(fd, g_buf, 10, MSG_DONTWAIT));
}
CONFORM_CASE(udp_connected_refused) {
    int fd = udp_dial(kClosedUdp);
    Line("send").ret(send(fd, "x", 1, 0));
    Line("poll").revents(poll1(fd, POLLIN, kWaitMs));
    Line("recv").ret(recv(fd, g_buf, 10, 0));
    Line("recv_again").ret(recv(fd, g_buf, 10, MSG_DONTWAIT));
}
CONFORM_CASE(udp_connected_refused_so_error) {
    int fd = udp_dial(kClosedUdp);
    Line("send").ret(send(fd, "x", 1, 0));
    poll1(fd, POLLIN, kWaitMs);
    { Line l("so_error"); getopt_int(l, fd, SOL_SOCKET, SO_ERROR); }
    { Line l("so_error_again"); getopt_int(l, fd, SOL_SOCKET, SO_ERROR); }
}
CONFORM_CASE(udp_connected_refused_then_send) {
    int fd = udp_dial(kClosedUdp);
    Line("send").ret(send(fd, "x", 1, 0));
    poll1(fd, POLLIN, kWaitMs);
    Line("send_again").ret(send(fd, "x", 1, 0));
}
CONFORM_CASE(udp_unconnected_gets_no_icmp_error) {
    int fd = udp_socket();
    sockaddr_in to = peer_addr(kClosedUdp);
    Line("sendto").ret(sendto(fd, "x", 1, 0, sa(to), sizeof to));
    Line("poll").revents(poll1(fd, POLLIN, 300));
    Line("recv").ret(recv(fd, g_buf, 10, MSG_DONTWAIT));
}
CONFORM_CASE(udp_bound_receives_from_peer) {
    int fd = udp_socket();
    sockaddr_in a = any_addr(fixed_port(20));
    Line("bind").ret(bind(fd, sa(a), sizeof a));
    int ctl = ask_peer("udp " + std::to_string(fixed_port(20)) + " from-peer");
    Line("ctl").kv("reply", ctl_line(ctl));
    poll1(fd, POLLIN, kWaitMs);
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, g_buf, sizeof g_buf, 0, sa(from), &len);
    Line("recvfrom").ret(n).data(std::string(g_buf, n > 0 ? n : 0)).kv("from", show(from));
}
CONFORM_CASE(udp_connected_filters_other_sources) {
    int fd = udp_socket();
    sockaddr_in a = any_addr(fixed_port(21));
    bind(fd, sa(a), sizeof a);
    sockaddr_in to = peer_addr(kUdpEcho);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    int ctl = ask_peer("udp " + std::to_string(fixed_port(21)) + " stranger");
    Line("ctl").kv("reply", ctl_line(ctl));
    Line("poll_stranger").revents(poll1(fd, POLLIN, 300));
    send(fd, "friend", 6, 0);
    poll1(fd, POLLIN, kWaitMs);
    ssize_t n = recv(fd, g_buf, sizeof g_buf, MSG_DONTWAIT);
    Line("recv").ret(n).data(std::string(g_buf, n > 0 ? n : 0));
}
CONFORM_CASE(udp_sendmsg_iovecs) {
    int fd = udp_dial(kUdpEcho);
    char a[] = "ab", b[] = "cde";
    iovec v[2] = {{a, 2}, {b, 3}};
    msghdr m{};
    m.msg_iov = v;
    m.msg_iovlen = 2;
    Line("sendmsg").ret(sendmsg(fd, &m, 0));
    poll1(fd, POLLIN, kWaitMs);
    ssize_t n = recv(fd, g_buf, sizeof g_buf, 0);
    Line("recv").ret(n).data(std::string(g_buf, n > 0 ? n : 0));
}
CONFORM_CASE(udp_sendmsg_with_address) {
    int fd = udp_socket();
    sockaddr_in to = peer_addr(kUdpEcho);
    char a[] = "addr";
    iovec v{a, 4};
    msghdr m{};
    m.msg_name = &to;
    m.msg_namelen = sizeof to;
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    Line("sendmsg").ret(sendmsg(fd, &m, 0));
    poll1(fd, POLLIN, kWaitMs);
    Line("recv").ret(recv(fd, g_buf, sizeof g_buf, 0));
}
CONFORM_CASE(udp_sendmmsg_recvmmsg) {
    int fd = udp_dial(kUdpEcho);
    char a[] = "1", b[] = "22", c[] = "333";
    iovec v[3] = {{a, 1}, {b, 2}, {c, 3}};
    mmsghdr m[3]{};
    for (int i = 0; i < 3; ++i) {
        m[i].msg_hdr.msg_iov = &v[i];
        m[i].msg_hdr.msg_iovlen = 1;
    }
    Line("sendmmsg").ret(sendmmsg(fd, m, 3, 0));
    char in[3][8];
    iovec w[3] = {{in[0], 8}, {in[1], 8}, {in[2], 8}};
    mmsghdr r[3]{};
    for (int i = 0; i < 3; ++i) {
        r[i].msg_hdr.msg_iov = &w[i];
        r[i].msg_hdr.msg_iovlen = 1;
    }
    timespec t{3, 0};
    Line("recvmmsg").ret(recvmmsg(fd, r, 3, 0, &t)).kv("len0", r[0].msg_len).kv("len1", r[1].msg_len).kv("len2", r[2].msg_len);
}
CONFORM_CASE(udp_recvmmsg_dontwait_partial) {
    int fd = udp_dial(kUdpEcho);
    echo_and_wait(fd, {"only"});
    char in[2][8];
    iovec w[2] = {{in[0], 8}, {in[1], 8}};
    mmsghdr r[2]{};
    for (int i = 0; i < 2; ++i) {
        r[i].msg_hdr.msg_iov = &w[i];
        r[i].msg_hdr.msg_iovlen = 1;
    }
    Line("recvmmsg").ret(recvmmsg(fd, r, 2, MSG_DONTWAIT, nullptr)).kv("len0", r[0].msg_len);
}
CONFORM_CASE(udp_fionread_first_datagram) {
    int fd = udp_dial(kUdpEcho);
    echo_and_wait(fd, {"abc", "defgh"});
    int q = -1;
    Line("fionread").ret(ioctl(fd, FIONREAD, &q)).kv("value", q);
}
CONFORM_CASE(udp_siocoutq) {
    int fd = udp_dial(kUdpEcho);
    int q = -1;
    Line("siocoutq").ret(ioctl(fd, SIOCOUTQ, &q)).kv("value", q);
}
CONFORM_CASE(udp_shutdown_unconnected) {
    int fd = udp_socket();
    Line("shutdown").ret(shutdown(fd, SHUT_RDWR));
}
CONFORM_CASE(udp_shutdown_connected_rd) {
    int fd = udp_dial(kUdpEcho);
    timeval tv{0, 500000};  // bounds the wait should recv block instead of returning 0
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    Line("shutdown").ret(shutdown(fd, SHUT_RD));
    Line("recv").ret(recv(fd, g_buf, 10, 0));
    Line("send").ret(send(fd, "x", 1, 0));
}
CONFORM_CASE(udp_broadcast_needs_so_broadcast) {
    int fd = udp_socket();
    sockaddr_in to = peer_addr(9);
    to.sin_addr.s_addr = htonl((ntohl(to.sin_addr.s_addr) & 0xffffff00u) | 0xffu);
    Line("sendto").ret(sendto(fd, "x", 1, 0, sa(to), sizeof to));
    setopt_int(fd, SOL_SOCKET, SO_BROADCAST, 1);
    Line("sendto_broadcast").ret(sendto(fd, "x", 1, 0, sa(to), sizeof to));
}
CONFORM_CASE(udp_pktinfo_control_message) {
    int fd = udp_dial(kUdpEcho);
    setopt_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
    echo_and_wait(fd, {"x"});
    char control[128];
    iovec io{g_buf, 16};
    msghdr m{};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    Line("recvmsg").ret(recvmsg(fd, &m, 0)).kv("has_control", m.msg_controllen > 0);
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    if (c != nullptr) Line("cmsg").kv("level", c->cmsg_level).kv("type", c->cmsg_type);
}
CONFORM_CASE(udp_recvttl_control_message) {
    int fd = udp_dial(kUdpEcho);
    setopt_int(fd, IPPROTO_IP, IP_RECVTTL, 1);
    echo_and_wait(fd, {"x"});
    char control[128];
    iovec io{g_buf, 16};
    msghdr m{};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    Line("recvmsg").ret(recvmsg(fd, &m, 0)).kv("has_control", m.msg_controllen > 0);
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    if (c != nullptr) Line("cmsg").kv("level", c->cmsg_level).kv("type", c->cmsg_type).kv("ttl", *reinterpret_cast<int*>(CMSG_DATA(c)));
}
CONFORM_CASE(udp_recvtos_pktinfo_ttl_order) {
    int fd = udp_dial(kUdpEcho);
    setopt_int(fd, IPPROTO_IP, IP_RECVTOS, 1);
    setopt_int(fd, IPPROTO_IP, IP_RECVTTL, 1);
    setopt_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
    echo_and_wait(fd, {"x"});
    char control[128];
    iovec io{g_buf, 16};
    msghdr m{};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    Line("recvmsg").ret(recvmsg(fd, &m, 0)).kv("controllen", static_cast<long>(m.msg_controllen)).kv("flags", m.msg_flags);
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
        Line l("cmsg");
        l.kv("level", c->cmsg_level).kv("type", c->cmsg_type).kv("len", static_cast<long>(c->cmsg_len));
        if (c->cmsg_type == IP_TOS) l.kv("tos", *reinterpret_cast<unsigned char*>(CMSG_DATA(c)));
        if (c->cmsg_type == IP_PKTINFO) {
            in_pktinfo p;
            std::memcpy(&p, CMSG_DATA(c), sizeof p);
            l.kv("spec_dst_is_self", static_cast<long>(p.ipi_spec_dst.s_addr == self_addr(0).sin_addr.s_addr));
            l.kv("addr_is_self", static_cast<long>(p.ipi_addr.s_addr == self_addr(0).sin_addr.s_addr));
        }
    }
    // A control buffer too small for the first message: MSG_CTRUNC.
    echo_and_wait(fd, {"y"});
    m.msg_controllen = 8;
    Line("small").ret(recvmsg(fd, &m, 0)).kv("controllen", static_cast<long>(m.msg_controllen)).kv("ctrunc", static_cast<long>((m.msg_flags & MSG_CTRUNC) != 0));
}
CONFORM_CASE(udp_nonblocking_flag_recv) {
    int fd = udp_socket(SOCK_NONBLOCK);
    sockaddr_in a = any_addr(0);
    bind(fd, sa(a), sizeof a);
    Line("recvfrom").ret(recvfrom(fd, g_buf, 10, 0, nullptr, nullptr));
}
CONFORM_CASE(udp_rcvtimeo) {
    int fd = udp_dial(kUdpEcho);
    timeval tv{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    timespec t0 = now();
    Line("recv").ret(recv(fd, g_buf, 10, 0));
    long ms = elapsed_ms(t0);
    Line("waited").kv("about_200ms", ms >= 150 && ms < 1000);
}

}  // namespace conform

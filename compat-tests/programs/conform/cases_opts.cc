// Socket options: SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP; values, clamping, errors.
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "conform.h"

namespace conform {
namespace {

char g_buf[1 << 16];

void set_get(const char* step, int fd, int level, int name, int value) {
    Line(std::string(step) + "_set").ret(setopt_int(fd, level, name, value)).kv("to", value);
    Line l(std::string(step) + "_get");
    getopt_int(l, fd, level, name);
}
void get(const char* step, int fd, int level, int name) {
    Line l(step);
    getopt_int(l, fd, level, name);
}

}  // namespace

// ---- SOL_SOCKET -------------------------------------------------------------------------------

CONFORM_CASE(opt_so_type_udp) { get("so_type", udp_socket(), SOL_SOCKET, SO_TYPE); }
CONFORM_CASE(opt_so_protocol_udp) { get("so_protocol", udp_socket(), SOL_SOCKET, SO_PROTOCOL); }
CONFORM_CASE(opt_so_domain_connected) { get("so_domain", dial(kEcho), SOL_SOCKET, SO_DOMAIN); }
CONFORM_CASE(opt_so_type_accepted) {
    int fd = accepted("hold");
    get("so_type", fd, SOL_SOCKET, SO_TYPE);
    get("so_protocol", fd, SOL_SOCKET, SO_PROTOCOL);
}
CONFORM_CASE(opt_so_type_readonly) { Line("set").ret(setopt_int(tcp_socket(), SOL_SOCKET, SO_TYPE, SOCK_DGRAM)); }
CONFORM_CASE(opt_so_error_fresh) { get("so_error", tcp_socket(), SOL_SOCKET, SO_ERROR); }
CONFORM_CASE(opt_so_rcvbuf_doubles) { set_get("rcvbuf", tcp_socket(), SOL_SOCKET, SO_RCVBUF, 65536); }
CONFORM_CASE(opt_so_sndbuf_doubles) { set_get("sndbuf", tcp_socket(), SOL_SOCKET, SO_SNDBUF, 65536); }
CONFORM_CASE(opt_so_rcvbuf_minimum) { set_get("rcvbuf", tcp_socket(), SOL_SOCKET, SO_RCVBUF, 1); }
CONFORM_CASE(opt_so_sndbuf_minimum) { set_get("sndbuf", tcp_socket(), SOL_SOCKET, SO_SNDBUF, 1); }
CONFORM_CASE(opt_so_rcvbuf_capped) { set_get("rcvbuf", tcp_socket(), SOL_SOCKET, SO_RCVBUF, 1 << 30); }
CONFORM_CASE(opt_so_rcvbuf_udp_doubles) { set_get("rcvbuf", udp_socket(), SOL_SOCKET, SO_RCVBUF, 32768); }
CONFORM_CASE(opt_so_rcvbuf_default_tcp) { get("rcvbuf", tcp_socket(), SOL_SOCKET, SO_RCVBUF); }
CONFORM_CASE(opt_so_sndbuf_default_tcp) { get("sndbuf", tcp_socket(), SOL_SOCKET, SO_SNDBUF); }
CONFORM_CASE(opt_so_rcvbuf_default_udp) { get("rcvbuf", udp_socket(), SOL_SOCKET, SO_RCVBUF); }
CONFORM_CASE(opt_so_rcvbuf_negative) { set_get("rcvbuf", tcp_socket(), SOL_SOCKET, SO_RCVBUF, -5); }
CONFORM_CASE(opt_so_rcvlowat_default_and_set) {
    int fd = tcp_socket();
    get("default", fd, SOL_SOCKET, SO_RCVLOWAT);
    set_get("rcvlowat", fd, SOL_SOCKET, SO_RCVLOWAT, 5);
}
CONFORM_CASE(opt_so_rcvlowat_zero_means_one) { set_get("rcvlowat", tcp_socket(), SOL_SOCKET, SO_RCVLOWAT, 0); }
CONFORM_CASE(opt_so_rcvlowat_poll_and_recv) {
    int fd = dial(kEcho);
    setopt_int(fd, SOL_SOCKET, SO_RCVLOWAT, 8);
    send(fd, "abcd", 4, 0);
    wait_inq(fd, 4);
    Line("poll_below").revents(poll1(fd, POLLIN, 100));
    send(fd, "efgh", 4, 0);
    wait_inq(fd, 8);
    Line("poll_reached").revents(poll1(fd, POLLIN, kWaitMs));
    Line("recv").ret(recv(fd, g_buf, sizeof g_buf, 0));
}
// Not covered: a blocking recv with SO_RCVLOWAT waiting for a second segment. Linux 6.18 itself
// sometimes sleeps past the low-water mark there (seen in the COMPAT_KERNEL_STACK self-check),
// so the case could not be deterministic.
CONFORM_CASE(opt_so_sndlowat) {
    int fd = tcp_socket();
    get("default", fd, SOL_SOCKET, SO_SNDLOWAT);
    Line("set").ret(setopt_int(fd, SOL_SOCKET, SO_SNDLOWAT, 10));
}
CONFORM_CASE(opt_so_rcvtimeo_roundtrip) {
    int fd = tcp_socket();
    timeval tv{1, 250000};
    Line("set").ret(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    timeval got{};
    socklen_t len = sizeof got;
    Line("get").ret(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &got, &len)).kv("sec", got.tv_sec).kv("usec", got.tv_usec).kv("len", len);
}
CONFORM_CASE(opt_so_sndtimeo_roundtrip) {
    int fd = tcp_socket();
    timeval tv{0, 500000};
    Line("set").ret(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
    timeval got{};
    socklen_t len = sizeof got;
    Line("get").ret(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &got, &len)).kv("sec", got.tv_sec).kv("usec", got.tv_usec);
}
CONFORM_CASE(opt_so_rcvtimeo_short_optlen) {
    timeval tv{1, 0};
    Line("set").ret(setsockopt(tcp_socket(), SOL_SOCKET, SO_RCVTIMEO, &tv, 4));
}
CONFORM_CASE(opt_so_rcvtimeo_bad_usec) {
    timeval tv{0, 2000000};
    Line("set").ret(setsockopt(tcp_socket(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
}
CONFORM_CASE(opt_so_rcvtimeo_recv_times_out) {
    int fd = dial(kHold);
    timeval tv{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    timespec t0 = now();
    Line("recv").ret(recv(fd, g_buf, 10, 0));
    long ms = elapsed_ms(t0);
    Line("waited").kv("about_200ms", ms >= 150 && ms < 1000);
}
CONFORM_CASE(opt_so_rcvtimeo_accept_times_out) {
    uint16_t port;
    int l = listener(&port);
    timeval tv{0, 200000};
    setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    Line("accept").fd(accept(l, nullptr, nullptr));
}
CONFORM_CASE(opt_so_sndtimeo_send_times_out) {
    int fd = dial(kHold);
    timeval tv{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    static char big[8 << 20];
    ssize_t first = send(fd, big, sizeof big, 0);
    Line("first").kv("partial", first > 0 && first < static_cast<ssize_t>(sizeof big));
    // The peer never reads, but its window may still open a little: keep sending until a
    // send times out with nothing sent.
    ssize_t n = 0;
    int sends = 0;
    while (sends < 100 && (n = send(fd, big, sizeof big, 0)) > 0) ++sends;
    Line("eventually").ret(n < 0 ? -1 : n);
}
CONFORM_CASE(opt_so_keepalive) { set_get("keepalive", tcp_socket(), SOL_SOCKET, SO_KEEPALIVE, 1); }
CONFORM_CASE(opt_so_keepalive_value_normalised) { set_get("keepalive", tcp_socket(), SOL_SOCKET, SO_KEEPALIVE, 7); }
CONFORM_CASE(opt_so_reuseaddr) { set_get("reuseaddr", tcp_socket(), SOL_SOCKET, SO_REUSEADDR, 1); }
CONFORM_CASE(opt_so_reuseport) { set_get("reuseport", udp_socket(), SOL_SOCKET, SO_REUSEPORT, 1); }
CONFORM_CASE(opt_so_broadcast) { set_get("broadcast", udp_socket(), SOL_SOCKET, SO_BROADCAST, 1); }
CONFORM_CASE(opt_so_oobinline) { set_get("oobinline", tcp_socket(), SOL_SOCKET, SO_OOBINLINE, 1); }
CONFORM_CASE(opt_so_priority) { set_get("priority", tcp_socket(), SOL_SOCKET, SO_PRIORITY, 3); }
CONFORM_CASE(opt_so_linger_roundtrip) {
    int fd = tcp_socket();
    linger l{1, 5};
    Line("set").ret(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l));
    linger got{};
    socklen_t len = sizeof got;
    Line("get").ret(getsockopt(fd, SOL_SOCKET, SO_LINGER, &got, &len)).kv("onoff", got.l_onoff).kv("linger", got.l_linger).kv("len", len);
}
CONFORM_CASE(opt_so_linger_short_optlen) {
    linger l{1, 5};
    Line("set").ret(setsockopt(tcp_socket(), SOL_SOCKET, SO_LINGER, &l, 4));
}
CONFORM_CASE(opt_so_linger_zero_close_sends_rst) {
    int ctl = -1;
    int fd = accepted("watch", &ctl);
    send(fd, "abc", 3, 0);
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    Line("close").ret(close(fd));
    Line("peer_saw").kv("result", ctl_line(ctl).substr(0, 5));
}
CONFORM_CASE(opt_close_sends_fin_with_data) {
    int ctl = -1;
    int fd = accepted("watch", &ctl);
    std::string d = pattern(0, 100000);
    ssize_t n = send(fd, d.data(), d.size(), 0);
    Line("send").ret(n);
    Line("close").ret(close(fd));
    Line("peer_saw").kv("result", ctl_line(ctl));
}
CONFORM_CASE(opt_so_timestamp) { set_get("timestamp", udp_socket(), SOL_SOCKET, SO_TIMESTAMP, 1); }
CONFORM_CASE(opt_unknown_sol_socket) {
    int fd = tcp_socket();
    Line("set").ret(setopt_int(fd, SOL_SOCKET, 9999, 1));
    get("get", fd, SOL_SOCKET, 9999);
}
CONFORM_CASE(opt_getsockopt_short_optlen) {
    int fd = tcp_socket();
    int v = 0;
    socklen_t len = 2;
    Line("get").ret(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len)).kv("len", len).kv("value", v);
}
CONFORM_CASE(opt_getsockopt_negative_optlen) {
    int fd = tcp_socket();
    int v = 0;
    socklen_t len = static_cast<socklen_t>(-1);
    Line("get").ret(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
}
CONFORM_CASE(opt_setsockopt_short_optlen) {
    int fd = tcp_socket();
    int v = 1;
    Line("set").ret(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, 2));
}
CONFORM_CASE(opt_unknown_level) {
    int fd = tcp_socket();
    Line("set").ret(setopt_int(fd, 9999, 1, 1));
    get("get", fd, 9999, 1);
}

// ---- IPPROTO_TCP ------------------------------------------------------------------------------

CONFORM_CASE(opt_tcp_nodelay) {
    int fd = tcp_socket();
    get("default", fd, IPPROTO_TCP, TCP_NODELAY);
    set_get("nodelay", fd, IPPROTO_TCP, TCP_NODELAY, 1);
}
CONFORM_CASE(opt_tcp_nodelay_on_udp) { Line("set").ret(setopt_int(udp_socket(), IPPROTO_TCP, TCP_NODELAY, 1)); }
CONFORM_CASE(opt_tcp_cork_flushes_on_uncork) {
    int fd = dial(kEcho);
    set_get("cork", fd, IPPROTO_TCP, TCP_CORK, 1);
    send(fd, "abc", 3, 0);
    Line("uncork").ret(setopt_int(fd, IPPROTO_TCP, TCP_CORK, 0));
    Line("echo").data(read_n(fd, 3));
}
CONFORM_CASE(opt_tcp_quickack) {
    int fd = dial(kEcho);
    set_get("quickack", fd, IPPROTO_TCP, TCP_QUICKACK, 1);
}
CONFORM_CASE(opt_tcp_maxseg_unconnected) { get("maxseg", tcp_socket(), IPPROTO_TCP, TCP_MAXSEG); }
CONFORM_CASE(opt_tcp_maxseg_connected) { get("maxseg", dial(kEcho), IPPROTO_TCP, TCP_MAXSEG); }
CONFORM_CASE(opt_tcp_maxseg_set_before_connect) {
    int fd = tcp_socket();
    Line("set").ret(setopt_int(fd, IPPROTO_TCP, TCP_MAXSEG, 1000));
    sockaddr_in to = peer_addr(kEcho);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    get("maxseg", fd, IPPROTO_TCP, TCP_MAXSEG);
}
CONFORM_CASE(opt_tcp_maxseg_too_small) { Line("set").ret(setopt_int(tcp_socket(), IPPROTO_TCP, TCP_MAXSEG, 10)); }
CONFORM_CASE(opt_tcp_keepalive_defaults) {
    int fd = tcp_socket();
    get("keepidle", fd, IPPROTO_TCP, TCP_KEEPIDLE);
    get("keepintvl", fd, IPPROTO_TCP, TCP_KEEPINTVL);
    get("keepcnt", fd, IPPROTO_TCP, TCP_KEEPCNT);
}
CONFORM_CASE(opt_tcp_keepidle) { set_get("keepidle", tcp_socket(), IPPROTO_TCP, TCP_KEEPIDLE, 30); }
CONFORM_CASE(opt_tcp_keepintvl) { set_get("keepintvl", tcp_socket(), IPPROTO_TCP, TCP_KEEPINTVL, 5); }
CONFORM_CASE(opt_tcp_keepcnt) { set_get("keepcnt", tcp_socket(), IPPROTO_TCP, TCP_KEEPCNT, 4); }
CONFORM_CASE(opt_tcp_keepidle_zero) { Line("set").ret(setopt_int(tcp_socket(), IPPROTO_TCP, TCP_KEEPIDLE, 0)); }
CONFORM_CASE(opt_tcp_keepcnt_too_large) { Line("set").ret(setopt_int(tcp_socket(), IPPROTO_TCP, TCP_KEEPCNT, 1000)); }
CONFORM_CASE(opt_tcp_user_timeout) {
    int fd = tcp_socket();
    get("default", fd, IPPROTO_TCP, TCP_USER_TIMEOUT);
    set_get("user_timeout", fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 5000);
    Line("negative").ret(setopt_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, -1));
}
CONFORM_CASE(opt_tcp_syncnt) { set_get("syncnt", tcp_socket(), IPPROTO_TCP, TCP_SYNCNT, 3); }
CONFORM_CASE(opt_tcp_defer_accept) { set_get("defer_accept", tcp_socket(), IPPROTO_TCP, TCP_DEFER_ACCEPT, 0); }
CONFORM_CASE(opt_tcp_window_clamp) { get("window_clamp", tcp_socket(), IPPROTO_TCP, TCP_WINDOW_CLAMP); }
CONFORM_CASE(opt_tcp_notsent_lowat) { set_get("notsent_lowat", tcp_socket(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, 16384); }
CONFORM_CASE(opt_tcp_unknown) {
    int fd = tcp_socket();
    Line("set").ret(setopt_int(fd, IPPROTO_TCP, 9999, 1));
    get("get", fd, IPPROTO_TCP, 9999);
}
CONFORM_CASE(opt_tcp_congestion) {
    int fd = tcp_socket();
    char name[16] = {};
    socklen_t len = sizeof name;
    Line("get").ret(getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len)).kv("name", name);
    Line("set_reno").ret(setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4));
    std::memset(name, 0, sizeof name);
    len = sizeof name;
    Line("get_after").ret(getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len)).kv("name", name);
    Line("set_unknown").ret(setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "nosuchcc", 8));
}

namespace {
void tcp_info_line(const char* step, int fd) {
    tcp_info ti{};
    socklen_t len = sizeof ti;
    int r = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
    Line l(step);
    l.ret(r);
    if (r == 0) l.kv("state", ti.tcpi_state).kv("full_len", len == sizeof ti);
}
}  // namespace

CONFORM_CASE(opt_tcp_info_fresh) { tcp_info_line("info", tcp_socket()); }
CONFORM_CASE(opt_tcp_info_listen) {
    uint16_t port;
    tcp_info_line("info", listener(&port));
}
CONFORM_CASE(opt_tcp_info_established) {
    int fd = dial(kEcho);
    send(fd, "abc", 3, 0);
    read_n(fd, 3);
    tcp_info ti{};
    socklen_t len = sizeof ti;
    Line("info").ret(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len)).kv("state", ti.tcpi_state)
        .kv("options", ti.tcpi_options).kv("snd_wscale_set", ti.tcpi_snd_wscale > 0).kv("unacked", ti.tcpi_unacked)
        .kv("rtt_set", ti.tcpi_rtt > 0).kv("snd_mss", ti.tcpi_snd_mss).kv("rcv_mss", ti.tcpi_rcv_mss).kv("retransmits", ti.tcpi_retransmits);
}
CONFORM_CASE(opt_tcp_info_close_wait) {
    int fd = dial(kHello);
    read_n(fd, 6);
    poll1(fd, POLLRDHUP, kWaitMs);
    tcp_info_line("info", fd);
}
CONFORM_CASE(opt_tcp_info_fin_wait2) {
    int fd = dial(kHold);
    shutdown(fd, SHUT_WR);
    usleep(100000);  // the peer's ACK of our FIN
    tcp_info_line("info", fd);
}
CONFORM_CASE(opt_tcp_info_after_reset) {
    int fd = reset_by_peer();
    tcp_info_line("info", fd);
}
CONFORM_CASE(opt_tcp_info_short_len) {
    int fd = dial(kEcho);
    tcp_info ti{};
    socklen_t len = 8;
    Line("info").ret(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len)).kv("len", len).kv("state", ti.tcpi_state);
}
CONFORM_CASE(opt_tcp_info_on_udp) {
    tcp_info ti{};
    socklen_t len = sizeof ti;
    Line("info").ret(getsockopt(udp_socket(), IPPROTO_TCP, TCP_INFO, &ti, &len));
}

// ---- IPPROTO_IP -------------------------------------------------------------------------------

CONFORM_CASE(opt_ip_tos) {
    int fd = tcp_socket();
    get("default", fd, IPPROTO_IP, IP_TOS);
    set_get("tos", fd, IPPROTO_IP, IP_TOS, 0x10);
}
CONFORM_CASE(opt_ip_tos_ecn_bits_tcp) { set_get("tos", tcp_socket(), IPPROTO_IP, IP_TOS, 0x13); }
CONFORM_CASE(opt_ip_tos_udp) { set_get("tos", udp_socket(), IPPROTO_IP, IP_TOS, 0xb8); }
CONFORM_CASE(opt_ip_ttl) {
    int fd = tcp_socket();
    get("default", fd, IPPROTO_IP, IP_TTL);
    set_get("ttl", fd, IPPROTO_IP, IP_TTL, 10);
    Line("zero").ret(setopt_int(fd, IPPROTO_IP, IP_TTL, 0));
    set_get("reset", fd, IPPROTO_IP, IP_TTL, -1);
}
CONFORM_CASE(opt_ip_ttl_too_large) { Line("set").ret(setopt_int(udp_socket(), IPPROTO_IP, IP_TTL, 256)); }
CONFORM_CASE(opt_ip_multicast_ttl_default) { get("mcast_ttl", udp_socket(), IPPROTO_IP, IP_MULTICAST_TTL); }
CONFORM_CASE(opt_ip_unknown) {
    int fd = udp_socket();
    Line("set").ret(setopt_int(fd, IPPROTO_IP, 9999, 1));
    get("get", fd, IPPROTO_IP, 9999);
}
CONFORM_CASE(opt_ip_recverr) { set_get("recverr", udp_socket(), IPPROTO_IP, IP_RECVERR, 1); }
CONFORM_CASE(opt_ip_mtu_discover_defaults) {
    get("tcp", tcp_socket(), IPPROTO_IP, IP_MTU_DISCOVER);
    get("udp", udp_socket(), IPPROTO_IP, IP_MTU_DISCOVER);
}
CONFORM_CASE(opt_ip_mtu_discover_every_mode) {
    int fd = udp_socket();
    for (int mode = IP_PMTUDISC_DONT; mode <= IP_PMTUDISC_OMIT + 1; ++mode) set_get("mode", fd, IPPROTO_IP, IP_MTU_DISCOVER, mode);
    set_get("negative", fd, IPPROTO_IP, IP_MTU_DISCOVER, -1);
}
CONFORM_CASE(opt_ip_mtu_discover_inherited_by_accepted) {
    uint16_t port = 0;
    int l = listener(&port);
    set_get("listener", l, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
    int ctl = peer_connects(port, "hold");
    int fd = (poll1(l, POLLIN, kWaitMs) & POLLIN) ? accept(l, nullptr, nullptr) : -1;
    Line("accept").fd(fd);
    get("accepted", fd, IPPROTO_IP, IP_MTU_DISCOVER);
    close(ctl);
}
// IP_MTU is the cached route's MTU: connected sockets have one, the others ENOTCONN.
CONFORM_CASE(opt_ip_mtu_connected_tcp) { get("mtu", dial(kEcho), IPPROTO_IP, IP_MTU); }
CONFORM_CASE(opt_ip_mtu_connected_udp) { get("mtu", udp_dial(kUdpEcho), IPPROTO_IP, IP_MTU); }
CONFORM_CASE(opt_ip_mtu_accepted) { get("mtu", accepted("hold"), IPPROTO_IP, IP_MTU); }
CONFORM_CASE(opt_ip_mtu_unconnected) {
    get("tcp", tcp_socket(), IPPROTO_IP, IP_MTU);
    get("udp", udp_socket(), IPPROTO_IP, IP_MTU);
    uint16_t port = 0;
    get("listener", listener(&port), IPPROTO_IP, IP_MTU);
}
CONFORM_CASE(opt_ip_mtu_udp_after_sendto) {
    int fd = udp_socket();
    sockaddr_in to = peer_addr(kUdpEcho);
    Line("sendto").ret(sendto(fd, "x", 1, 0, sa(to), sizeof to));
    get("mtu", fd, IPPROTO_IP, IP_MTU);
}
CONFORM_CASE(opt_ip_mtu_udp_disconnected) {
    int fd = udp_dial(kUdpEcho);
    sockaddr_in none{};
    none.sin_family = AF_UNSPEC;
    Line("disconnect").ret(connect(fd, sa(none), sizeof none));
    get("mtu", fd, IPPROTO_IP, IP_MTU);
}

}  // namespace conform

// TCP edge cases against a Linux peer: a receiver that closes its window and reopens it,
// half-close in each direction with data still flowing the other way, what a refused
// connection leaves behind, keepalive giving up on a peer that went silent, and which end holds
// TIME-WAIT. Every case prints return values, errno and whether the data matched, never how
// long anything took.
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include "conform.h"

namespace conform {
namespace {

// Sends n pattern bytes from offset on a blocking socket; the total sent, or the failing
// call's -1 (errno intact).
ssize_t send_pattern(int fd, size_t offset, size_t n) {
    const std::string data = pattern(offset, n);
    size_t done = 0;
    while (done < n) {
        ssize_t r = send(fd, data.data() + done, n - done, MSG_NOSIGNAL);
        if (r < 0) return r;
        done += static_cast<size_t>(r);
    }
    return static_cast<ssize_t>(done);
}

// What the peer's checked watch must report after receiving n pattern bytes and our FIN.
std::string all_received(size_t n) { return "eof " + std::to_string(n) + " match"; }

// Rebinds a port our last connection on it has just released, waiting (bounded) for a
// closing handshake still in progress; bind's final result.
int bind_when_free(uint16_t port) {
    const timespec start = now();
    int fd = -1;
    int r = -1;
    do {
        if (fd >= 0) {
            close(fd);
            poll(nullptr, 0, 10);
        }
        fd = tcp_socket();
        sockaddr_in a = self_addr(port);
        r = bind(fd, sa(a), sizeof a);
    } while (r != 0 && errno == EADDRINUSE && elapsed_ms(start) < kWaitMs);
    return r;
}

}  // namespace

// ---- zero window ------------------------------------------------------------------------------

// The peer reads nothing, so its window closes and our send blocks (EAGAIN once the send
// buffer is full too); then it drains everything. Whatever was queued while the window was
// shut, and whatever follows, must arrive complete and in order.
CONFORM_CASE(edge_zero_window_stall_then_reopen) {
    int ctl = -1;
    int fd = accepted("stall", &ctl);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    size_t sent = 0;
    ssize_t n = 0;
    // Fill until no send succeeds and no ACK frees room for 200 ms: the peer's window is then
    // shut (the bound is far above any send plus receive buffer).
    for (int i = 0; i < 4096; ++i) {
        const std::string block = pattern(sent, 65536);
        n = send(fd, block.data(), block.size(), MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<size_t>(n);
            continue;
        }
        if (errno != EAGAIN || poll1(fd, POLLOUT, 200) == 0) break;
    }
    Line("send_until_stalled").ret(n);
    Line("stalled_poll").revents(poll1(fd, POLLOUT, 0));
    Line("go").ret(send(ctl, "go\n", 3, 0));
    fcntl(fd, F_SETFL, 0);
    Line("send_after_reopen").ret(send_pattern(fd, sent, 100000));
    Line("shutdown").ret(shutdown(fd, SHUT_WR));
    const std::string report = ctl_line(ctl);
    Line("peer_saw").kv("all_sent_data", report == all_received(sent + 100000));
}

// ---- half-close ---------------------------------------------------------------------------------

// Our FIN goes first; the peer's 200000 bytes still come in full after it.
CONFORM_CASE(edge_half_close_ours_source_keeps_sending) {
    int fd = dial(kSource);
    Line("shutdown").ret(shutdown(fd, SHUT_WR));
    const std::string got = read_n(fd, kSourceBytes);
    Line("received").kv("bytes", got.size()).kv("match", is_pattern(got, 0));
    char c;
    Line("eof").ret(recv(fd, &c, 1, 0));
}

// Our FIN follows 60000 bytes the echo peer is still sending back: the echo finishes.
CONFORM_CASE(edge_half_close_ours_echo_drains) {
    int fd = dial(kEcho);
    Line("send").ret(send_pattern(fd, 0, 60000));
    Line("shutdown").ret(shutdown(fd, SHUT_WR));
    const std::string got = read_n(fd, 60000);
    Line("echoed").kv("bytes", got.size()).kv("match", is_pattern(got, 0));
    char c;
    Line("eof").ret(recv(fd, &c, 1, 0));
}

// The peer's FIN comes first (it shut down writing at once); we still send 300000 bytes and
// it receives them all.
CONFORM_CASE(edge_half_close_peer_we_keep_sending) {
    int ctl = -1;
    int fd = accepted("finwatch", &ctl);
    char c;
    Line("eof").ret(recv(fd, &c, 1, 0));
    Line("poll_after_peer_fin").revents(poll1(fd, POLLIN | POLLOUT | POLLRDHUP, kWaitMs));
    Line("send").ret(send_pattern(fd, 0, 300000));
    Line("shutdown").ret(shutdown(fd, SHUT_WR));
    Line("peer_saw").kv("all_sent_data", ctl_line(ctl) == all_received(300000));
    Line("eof_again").ret(recv(fd, &c, 1, 0));
}

// ---- refused --------------------------------------------------------------------------------

// After an RST answered our SYN, the socket is unconnected: what I/O on it says.
CONFORM_CASE(edge_refused_then_io) {
    int fd = tcp_socket();
    sockaddr_in to = peer_addr(kClosedTcp);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    Line("send").ret(send(fd, "x", 1, MSG_NOSIGNAL));
    char c;
    Line("recv").ret(recv(fd, &c, 1, MSG_DONTWAIT));
    { Line l("getpeername"); peername(l, fd); }
    Line("poll").revents(poll1(fd, POLLIN | POLLOUT, 0));
}

// ---- keepalive ----------------------------------------------------------------------------------

// The peer goes silent (its kernel drops everything it sends us) while we wait in recv with
// keepalive probing every second: after TCP_KEEPCNT unanswered probes recv fails ETIMEDOUT.
CONFORM_CASE(edge_keepalive_dead_peer_times_out) {
    int fd = dial(kHold);
    setopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
    setopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 1);
    setopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 1);
    setopt_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 2);
    timeval bound{8, 0};  // far past 1 + 2 * 1 s; a hang shows up as EAGAIN instead
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
    sockaddr_in local{};
    socklen_t len = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    int ctl = ask_peer("blackhole " + std::to_string(ntohs(local.sin_port)));
    Line("peer_blackhole").kv("reply", ctl_line(ctl));
    char c;
    Line("recv").ret(recv(fd, &c, 1, 0));
    { Line l("so_error"); getopt_int(l, fd, SOL_SOCKET, SO_ERROR); }
    Line("send").ret(send(fd, "x", 1, MSG_NOSIGNAL));
    Line("recv_again").ret(recv(fd, &c, 1, 0));
    close(ctl);
}

// ---- TIME-WAIT ------------------------------------------------------------------------------------

// The peer closes first, so it holds TIME-WAIT and we do not: once our close completes, the
// port binds again without SO_REUSEADDR (an active close on our side keeps it busy instead:
// bind_time_wait_port_in_use).
CONFORM_CASE(edge_time_wait_passive_close_frees_port) {
    int fd = tcp_socket();
    sockaddr_in a = self_addr(fixed_port(60));
    Line("bind").ret(bind(fd, sa(a), sizeof a));
    sockaddr_in to = peer_addr(kHello);
    Line("connect").ret(connect(fd, sa(to), sizeof to));
    Line("hello").data(read_n(fd, 6));
    char c;
    Line("peer_fin").ret(recv(fd, &c, 1, 0));
    Line("close").ret(close(fd));
    Line("rebind").ret(bind_when_free(fixed_port(60)));
}

// Our active close leaves our end in TIME-WAIT: with SO_REUSEADDR on both sockets the port
// binds again, but the same 4-tuple cannot connect while TIME-WAIT holds it; another peer port
// can.
CONFORM_CASE(edge_time_wait_blocks_same_four_tuple) {
    int fd = tcp_socket();
    setopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    sockaddr_in a = self_addr(fixed_port(61));
    Line("bind").ret(bind(fd, sa(a), sizeof a));
    sockaddr_in echo = peer_addr(kEcho);
    Line("connect").ret(connect(fd, sa(echo), sizeof echo));
    Line("shutdown").ret(shutdown(fd, SHUT_WR));
    char c;
    Line("peer_fin").ret(recv(fd, &c, 1, 0));
    Line("close").ret(close(fd));

    int again = tcp_socket();
    setopt_int(again, SOL_SOCKET, SO_REUSEADDR, 1);
    Line("rebind").ret(bind(again, sa(a), sizeof a));
    Line("connect_same_tuple").ret(connect(again, sa(echo), sizeof echo));
    int other = tcp_socket();
    setopt_int(other, SOL_SOCKET, SO_REUSEADDR, 1);
    Line("rebind_other").ret(bind(other, sa(a), sizeof a));
    sockaddr_in hello = peer_addr(kHello);
    Line("connect_other_port").ret(connect(other, sa(hello), sizeof hello));
}

}  // namespace conform

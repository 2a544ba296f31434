// A full listener, as Linux with tcp_syncookies=1 and tcp_abort_on_overflow=0: SYN cookies
// when the SYN queue is full (RFC 4987 3.6), and what happens when the accept queue is full.
#include <cerrno>

#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

constexpr uint16_t kPortA = 40000;
constexpr uint16_t kPortB = 40001;

// The peer opens a connection from `port`; returns the stack's SYN-ACK.
Segment syn_from(ScriptedPeer& c, uint16_t port, uint32_t iss, uint16_t mss = 1460) {
    c.new_peer_port(port, iss);
    c.inject({.seq = 0, .flags = "S", .mss = mss, .wscale = 7, .sack_permitted = true});
    Segment synack = c.expect_segment({.seq = 0, .ack = 1, .flags = "S."});
    EXPECT_EQ(synack.tcp.dst_port, port);
    return synack;
}

// The peer's final ACK for a handshake opened by syn_from (any order of interleaving).
void ack_from(ScriptedPeer& c, uint16_t port, uint32_t iss, const Segment& synack, uint32_t payload_len = 0) {
    c.new_peer_port(port, iss);
    c.inject({.seq = iss + 1, .ack = synack.tcp.seq.raw() + 1, .flags = payload_len > 0 ? "P." : ".",
              .payload_len = payload_len, .absolute = true});
}

TEST(TcpSynCookies, SynQueueFullAnswersWithACookieAndKeepsNoState) {
    auto c = ScriptedPeer::bare();
    c.app_listen(ScriptedPeer::kListenPort, /*backlog=*/0);
    syn_from(c, kPortA, 1'000'000);  // fills the SYN queue: one request past the backlog of 0
    const uint64_t opens = c.counters().tcp_passive_opens;
    Segment cookie = syn_from(c, kPortB, 2'000'000);
    EXPECT_EQ(c.counters().tcp_syncookies_sent, 1u);
    EXPECT_EQ(c.counters().tcp_passive_opens, opens);  // nothing was created for it
    EXPECT_EQ(option_layout(cookie.raw_options), "mss,sackOK,TS,nop,wscale");
    EXPECT_EQ(c.app_accept(), -EAGAIN);
}

TEST(TcpSynCookies, SynQueueHoldsBacklogPlusOneRequestsBeforeCookies) {
    // Linux 6.18 (the suite's oracle): listen(fd, 0) still answers one SYN normally, and
    // listen(fd, 1) two; the next gets a cookie.
    for (int backlog : {0, 1}) {
        auto c = ScriptedPeer::bare();
        c.app_listen(ScriptedPeer::kListenPort, backlog);
        for (int i = 0; i <= backlog; ++i) syn_from(c, static_cast<uint16_t>(kPortA + i), 1'000'000);
        EXPECT_EQ(c.counters().tcp_syncookies_sent, 0u) << "backlog " << backlog;
        syn_from(c, kPortB + 10, 2'000'000);
        EXPECT_EQ(c.counters().tcp_syncookies_sent, 1u) << "backlog " << backlog;
    }
}

TEST(TcpSynCookies, FinalAckWithTheCookieCreatesTheConnectionAndDeliversItsData) {
    auto c = ScriptedPeer::bare();
    c.app_listen(ScriptedPeer::kListenPort, 0);
    syn_from(c, kPortA, 1'000'000);
    Segment cookie = syn_from(c, kPortB, 2'000'000);
    c.advance(std::chrono::milliseconds(10));
    ack_from(c, kPortB, 2'000'000, cookie, 100);  // the ACK carries data, as a client may send at once
    EXPECT_EQ(c.counters().tcp_syncookies_recv, 1u);
    // Window scale survived in the TSval: 256 KiB less the 100 bytes, scaled by 7.
    c.expect_segment({.seq = 1, .ack = 101, .flags = ".", .win = (256 * 1024 - 100) >> 7});
    EXPECT_GT(c.app_accept(), 0);
    EXPECT_EQ(c.state(), "ESTABLISHED");
    EXPECT_EQ(c.app_recv(), 100u);
    // SACK-permitted survived too: out-of-order data is reported.
    c.inject({.seq = 201, .flags = ".", .payload_len = 100});
    c.expect_segment({.seq = 1, .ack = 101, .flags = ".", .sack = {{201, 301}}});
}

TEST(TcpSynCookies, WithoutTimestampsWindowScaleAndSackAreLostAsInLinux) {
    auto c = ScriptedPeer::bare({.timestamps = false});
    c.app_listen(ScriptedPeer::kListenPort, 0);
    syn_from(c, kPortA, 1'000'000);
    Segment cookie = syn_from(c, kPortB, 2'000'000);
    EXPECT_EQ(option_layout(cookie.raw_options), "mss");
    ack_from(c, kPortB, 2'000'000, cookie);
    EXPECT_GT(c.app_accept(), 0);
    c.inject({.seq = 1, .flags = "P.", .payload_len = 100});
    c.expect_segment({.seq = 1, .ack = 101, .flags = ".", .win = 65535});  // unscaled
    c.inject({.seq = 201, .flags = ".", .payload_len = 100});
    c.expect_segment({.seq = 1, .ack = 101, .flags = ".", .sack = Blocks::none()});
}

TEST(TcpSynCookies, MssIsRoundedDownToTheCookieTable) {
    // 1400 is not in the table (536, 1300, 1440, 1460): the connection uses 1300.
    auto c = ScriptedPeer::bare({.timestamps = false});
    c.app_listen(ScriptedPeer::kListenPort, 0);
    syn_from(c, kPortA, 1'000'000);
    Segment cookie = syn_from(c, kPortB, 2'000'000, /*mss=*/1400);
    ack_from(c, kPortB, 2'000'000, cookie);
    EXPECT_GT(c.app_accept(), 0);
    c.app_send(1400);  // the peer's window (2048, unscaled) leaves room for one segment
    c.expect_segment({.seq = 1, .flags = ".", .len = 1300});
}

TEST(TcpSynCookies, AckWithAWrongCookieIsResetAndCounted) {
    auto c = ScriptedPeer::bare();
    c.app_listen(ScriptedPeer::kListenPort, 0);
    syn_from(c, kPortA, 1'000'000);
    Segment cookie = syn_from(c, kPortB, 2'000'000);
    c.new_peer_port(kPortB, 2'000'000);
    c.inject({.seq = 2'000'001, .ack = cookie.tcp.seq.raw() + 2, .flags = ".", .absolute = true});
    c.expect_segment({.seq = cookie.tcp.seq.raw() + 2, .flags = "R", .absolute = true});
    EXPECT_EQ(c.counters().tcp_syncookies_failed, 1u);
    EXPECT_EQ(c.counters().tcp_syncookies_recv, 0u);
    EXPECT_EQ(c.app_accept(), -EAGAIN);
}

TEST(TcpSynCookies, StrayAckWithoutRecentCookiesIsResetWithoutCountingAFailure) {
    auto c = ScriptedPeer::bare();
    c.app_listen();
    c.inject({.seq = 1, .ack = 12345, .flags = ".", .absolute = true});
    c.expect_segment({.seq = 12345, .flags = "R", .absolute = true});
    EXPECT_EQ(c.counters().tcp_syncookies_failed, 0u);
}

TEST(TcpAcceptQueue, ListenBacklogNCompletesNPlusOneConnectionsThenDropsSyns) {
    // Linux: the accept queue is full only past the backlog; a SYN then gets no answer.
    auto c = ScriptedPeer::bare();
    c.app_listen(ScriptedPeer::kListenPort, 2);
    for (uint16_t i = 0; i < 3; ++i) {
        const uint32_t iss = 1'000'000 * (i + 1);
        ack_from(c, kPortA + i, iss, syn_from(c, kPortA + i, iss));
    }
    EXPECT_EQ(c.counters().tcp_listen_overflows, 0u);
    c.new_peer_port(kPortA + 3, 9'000'000);
    c.inject({.seq = 0, .flags = "S", .mss = 1460, .wscale = 7, .sack_permitted = true});
    c.expect_nothing_for(std::chrono::milliseconds(500));
    EXPECT_EQ(c.counters().tcp_listen_overflows, 1u);
    EXPECT_EQ(c.counters().tcp_syncookies_sent, 0u);  // a full accept queue is not a SYN flood
}

TEST(TcpAcceptQueue, FinalAckIsDroppedWhileTheAcceptQueueIsFullAndRetriedLater) {
    // Linux with tcp_abort_on_overflow=0: the ACK is ignored (no RST), the connection stays
    // half open, and the peer's next segment completes it once accept() made room.
    auto c = ScriptedPeer::bare();
    c.app_listen(ScriptedPeer::kListenPort, 2);
    Segment a = syn_from(c, kPortA, 1'000'000);
    Segment b = syn_from(c, kPortA + 1, 2'000'000);
    ack_from(c, kPortA, 1'000'000, a);
    ack_from(c, kPortA + 1, 2'000'000, b);
    Segment d = syn_from(c, kPortA + 2, 3'000'000);
    Segment e = syn_from(c, kPortA + 3, 4'000'000);
    ack_from(c, kPortA + 2, 3'000'000, d);  // the third: the queue now holds backlog + 1
    ack_from(c, kPortA + 3, 4'000'000, e);  // no room
    EXPECT_EQ(c.counters().tcp_listen_overflows, 1u);
    EXPECT_EQ(c.pending(), 0u);             // silently dropped
    for (int i = 0; i < 3; ++i) EXPECT_GT(c.app_accept(), 0);
    EXPECT_EQ(c.app_accept(), -EAGAIN);
    ack_from(c, kPortA + 3, 4'000'000, e, 10);  // the peer, believing itself connected, sends data
    c.expect_segment({.ack = 4'000'011, .flags = ".", .absolute = true});
    EXPECT_GT(c.app_accept(), 0);
}

}  // namespace
}  // namespace ustack::tcp::testing

// Undoing a window reduction that a spurious retransmission caused (RFC 3522 Eifel detection,
// as Linux's undo): the first ACK for retransmitted data tells by its TSecr whether the
// original or the retransmission reached the peer.
#include <cstdint>

#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

using std::chrono::milliseconds;

constexpr uint32_t kMss = 1448;  // 1460 less 12 bytes of timestamps

uint32_t tsval_of(const Segment& s) { return s.tcp.options.timestamps ? s.tcp.options.timestamps->tsval : 0; }

// Three segments leave; neither is acknowledged before the retransmission timer fires (a tail
// loss probe may go first). Returns the first original and the timeout's retransmission.
std::pair<Segment, Segment> three_segments_then_a_timeout(ScriptedPeer& c) {
    c.app_send(3 * kMss);
    Segment first = c.expect_segment({.seq = 1, .len = kMss});
    c.expect_segments(2);
    c.advance(milliseconds(300));  // the loss probe after about 2 SRTT, the timeout 200 ms later
    Segment rto;
    for (const Segment& s : c.expect_segments(c.pending())) {
        if (c.seq_of(s) == 1) rto = s;
    }
    EXPECT_EQ(c.counters().tcp_rto_expirations, 1u);
    EXPECT_EQ(c.info().cwnd, kMss);  // RFC 5681 3.1: one segment after a timeout
    EXPECT_GT(tsval_of(rto), tsval_of(first));
    return {first, rto};
}

TEST(TcpUndo, SpuriousTimeoutIsUndoneWhenTheAckEchoesTheOriginalsTimestamp) {
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    const uint32_t cwnd_before = c.info().cwnd;
    auto [first, rto] = three_segments_then_a_timeout(c);
    // The first segment was only delayed: the ACK for it echoes the original's TSval.
    c.inject({.ack = 1 + kMss, .flags = ".", .ts = {c.peer_tsval(), tsval_of(first)}});
    EXPECT_EQ(c.counters().tcp_spurious_rto_undos, 1u);
    EXPECT_GE(c.info().cwnd, cwnd_before);
    EXPECT_EQ(c.info().ssthresh, UINT32_MAX);  // as before the timeout
    // The other two segments were not lost either: nothing is resent for them.
    EXPECT_EQ(c.pending(), 0u);
}

TEST(TcpUndo, GenuineTimeoutKeepsTheReducedWindowAndGoesOnResending) {
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    auto [first, rto] = three_segments_then_a_timeout(c);
    // The retransmission is what arrived: the ACK echoes its TSval.
    c.inject({.ack = 1 + kMss, .flags = ".", .ts = {c.peer_tsval(), tsval_of(rto)}});
    EXPECT_EQ(c.counters().tcp_spurious_rto_undos, 0u);
    EXPECT_LT(c.info().ssthresh, UINT32_MAX);
    c.expect_segment({.seq = 1 + kMss, .len = kMss});  // slow start resends what follows
}

// Six segments leave; the peer's SACKs say 2..4 arrived but not 1, which fast retransmit
// resends (the timestamp clock has moved on by then). Returns the first original and its
// retransmission.
std::pair<Segment, Segment> six_segments_then_fast_retransmit(ScriptedPeer& c) {
    c.app_send(6 * kMss);
    Segment first = c.expect_segment({.seq = 1, .len = kMss});
    c.expect_segments(5);
    c.advance(milliseconds(5));
    const uint32_t ecr = tsval_of(first) - 1;  // TS.Recent stays put while data is out of order
    for (uint32_t n = 2; n <= 4; ++n) {
        c.inject({.ack = 1, .flags = ".", .sack = {{1 + kMss, 1 + n * kMss}}, .ts = {c.peer_tsval(), ecr}});
    }
    Segment rtx = c.expect_segment({.seq = 1, .len = kMss});
    EXPECT_EQ(c.counters().tcp_fast_retransmits, 1u);
    EXPECT_LT(c.info().ssthresh, UINT32_MAX);
    EXPECT_GT(tsval_of(rtx), tsval_of(first));
    for (const Segment& s : c.expect_segments(c.pending())) (void)s;  // new data the pipe allows
    return {first, rtx};
}

TEST(TcpUndo, ReorderingMistakenForLossIsUndoneWhenTheAckEchoesTheOriginalsTimestamp) {
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    const uint32_t cwnd_before = c.info().cwnd;
    auto [first, rtx] = six_segments_then_fast_retransmit(c);
    // The original segment 1 arrives late; the peer acknowledges 1..4 and echoes its TSval.
    c.inject({.ack = 1 + 4 * kMss, .flags = ".", .ts = {c.peer_tsval(), tsval_of(first)}});
    EXPECT_EQ(c.counters().tcp_full_undos, 1u);
    EXPECT_GE(c.info().cwnd, cwnd_before);
    EXPECT_EQ(c.info().ssthresh, UINT32_MAX);
}

TEST(TcpUndo, GenuineFastRetransmitKeepsTheReducedWindow) {
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    auto [first, rtx] = six_segments_then_fast_retransmit(c);
    c.inject({.ack = 1 + 4 * kMss, .flags = ".", .ts = {c.peer_tsval(), tsval_of(rtx)}});
    EXPECT_EQ(c.counters().tcp_full_undos, 0u);
    EXPECT_LT(c.info().ssthresh, UINT32_MAX);
}

TEST(TcpUndo, WithoutTimestampsNothingIsUndone) {
    // RFC 3522 needs the timestamp option; without it an ACK cannot tell the copies apart.
    auto c = ScriptedPeer::active({.timestamps = false, .handshake_rtt = milliseconds(10)});
    c.app_send(3 * 1460);
    c.expect_segments(3);
    c.advance(milliseconds(300));
    c.expect_segments(c.pending());
    c.inject({.ack = 1 + 1460, .flags = "."});
    EXPECT_EQ(c.counters().tcp_spurious_rto_undos, 0u);
    EXPECT_LT(c.info().ssthresh, UINT32_MAX);
}

}  // namespace
}  // namespace ustack::tcp::testing

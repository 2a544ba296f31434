// Undoing a window reduction that a spurious retransmission caused, as Linux's undo: by RFC 3522
// Eifel detection (the first ACK for retransmitted data tells by its TSecr whether the original
// or the retransmission reached the peer), and by D-SACKs (RFC 2883, RFC 3708: every
// retransmission of the episode came back reported as a duplicate).
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

// ---- D-SACK undo (Linux undo_retrans, tcp_try_undo_dsack()); no timestamps, so Eifel is out ----

constexpr uint32_t kSeg = 1460;
constexpr uint32_t seg(int i) { return 1 + static_cast<uint32_t>(i - 1) * kSeg; }  // i counts from 1

ScriptedPeer without_timestamps() { return ScriptedPeer::active({.timestamps = false, .handshake_rtt = milliseconds(10)}); }

TEST(TcpDsackUndo, FastRetransmitIsUndoneWhenItsRetransmissionComesBackAsADuplicate) {
    // Segment 1 is overtaken by 2..4 and resent (RFC 8985: DupThresh SACKed, no reordering seen
    // yet); it was only late. The peer acknowledges everything, recovery ends, and a round trip
    // after the resend its D-SACK says the copy was needless: the window comes back.
    auto c = without_timestamps();
    const uint32_t cwnd_before = c.info().cwnd;
    c.app_send(6 * kSeg);
    c.expect_segments(6);
    c.advance(milliseconds(10));
    c.inject_ack(1, {{seg(2), seg(5)}});
    c.expect_segment({.seq = 1, .len = kSeg});
    ASSERT_EQ(c.counters().tcp_fast_retransmits, 1u);
    ASSERT_LT(c.info().ssthresh, UINT32_MAX);
    c.inject_ack(seg(7));                                  // the original 1 arrived after all
    EXPECT_LT(c.info().cwnd, cwnd_before);                 // recovery ended with the reduced window
    c.advance(milliseconds(1));
    c.inject_ack(seg(7), {{1, seg(2)}});                   // D-SACK: the resent 1, received twice
    EXPECT_EQ(c.counters().tcp_dsacks_received, 1u);
    EXPECT_EQ(c.counters().tcp_dsack_undos, 1u);
    EXPECT_EQ(c.counters().tcp_full_undos, 0u);
    EXPECT_GE(c.info().cwnd, cwnd_before);
    EXPECT_EQ(c.info().ssthresh, UINT32_MAX);
}

TEST(TcpDsackUndo, EveryRetransmissionMustBeDsackedBeforeTheWindowComesBack) {
    // Segments 1 and 2 are both resent. A D-SACK for one of them proves only that one
    // needless: the reduction stays until the other is D-SACKed too (RFC 3708 2).
    auto c = without_timestamps();
    c.app_send(8 * kSeg);
    c.expect_segments(8);
    c.advance(milliseconds(10));
    c.inject_ack(1, {{seg(3), seg(7)}});
    c.expect_segment({.seq = seg(1), .len = kSeg});
    c.expect_segment({.seq = seg(2), .len = kSeg});
    const uint32_t reduced = c.info().ssthresh;
    ASSERT_LT(reduced, UINT32_MAX);
    c.inject_ack(seg(7));                                  // both originals arrived late; 7, 8 still out
    c.inject_ack(seg(7), {{seg(1), seg(2)}});
    EXPECT_EQ(c.counters().tcp_dsack_undos, 0u);
    EXPECT_EQ(c.info().ssthresh, reduced);
    c.inject_ack(seg(7), {{seg(2), seg(3)}});
    EXPECT_EQ(c.counters().tcp_dsack_undos, 1u);
    EXPECT_EQ(c.info().ssthresh, UINT32_MAX);
}

TEST(TcpDsackUndo, AGenuineLossIsNotUndoneByTheOtherRetransmissionsDsack) {
    // As above, but segment 2 really was lost: only 1's resend comes back as a duplicate.
    auto c = without_timestamps();
    c.app_send(8 * kSeg);
    c.expect_segments(8);
    c.advance(milliseconds(10));
    c.inject_ack(1, {{seg(3), seg(7)}});
    c.expect_segments(2);
    c.inject_ack(seg(2), {{seg(3), seg(7)}});              // the original 1 arrived, 2 did not
    c.inject_ack(seg(7), {{seg(1), seg(2)}});              // the resent 2 fills the hole; 1 was a duplicate
    c.inject_ack(seg(9));
    EXPECT_EQ(c.counters().tcp_dsacks_received, 1u);
    EXPECT_EQ(c.counters().tcp_dsack_undos, 0u);
    EXPECT_LT(c.info().ssthresh, UINT32_MAX);
}

TEST(TcpDsackUndo, TimeoutIsUndoneWhenEveryResendIsDsacked) {
    // Only the ACKs were lost. Whatever left again (the tail loss probe, the timeout's resend of
    // segment 1) comes back D-SACKed, each in its own ACK; the last one restores the window.
    auto c = without_timestamps();
    const uint32_t cwnd_before = c.info().cwnd;
    c.app_send(3 * kSeg);
    c.expect_segments(3);
    c.advance(milliseconds(300));
    ASSERT_EQ(c.counters().tcp_rto_expirations, 1u);
    const auto resent = c.expect_segments(c.pending());
    ASSERT_GE(resent.size(), 1u);
    c.inject_ack(seg(4));
    for (size_t i = 0; i < resent.size(); ++i) {
        EXPECT_EQ(c.counters().tcp_dsack_undos, 0u);
        c.inject_ack(seg(4), {{c.seq_of(resent[i]), c.end_of(resent[i])}});
    }
    EXPECT_EQ(c.counters().tcp_dsack_undos, 1u);
    EXPECT_EQ(c.counters().tcp_spurious_rto_undos, 0u);   // no timestamps: only the D-SACKs could tell
    EXPECT_GE(c.info().cwnd, cwnd_before);
    EXPECT_EQ(c.info().ssthresh, UINT32_MAX);
}

TEST(TcpDsackUndo, DsackForDataNeverResentIsIgnored) {
    // RFC 2883 allows a D-SACK for a packet the network duplicated. Nothing was resent, so it
    // proves nothing (Linux tcp_dsack_seen(): more D-SACKed than retransmitted).
    auto c = without_timestamps();
    c.app_send(2 * kSeg);
    c.expect_segments(2);
    c.advance(milliseconds(10));
    c.inject_ack(seg(3));
    c.inject_ack(seg(3), {{seg(1), seg(2)}});
    EXPECT_EQ(c.counters().tcp_dsacks_received, 1u);
    EXPECT_EQ(c.counters().tcp_dsacks_ignored, 1u);
}

TEST(TcpDsackUndo, DsackAboveTheAckForAnOriginalDoesNotCount) {
    // Segment 1 is resent. Then the peer reports segment 3, never resent, received twice (a
    // D-SACK inside the second block, RFC 2883 4.2.2): the network duplicated it. The resend
    // of 1 is not thereby shown needless.
    auto c = without_timestamps();
    c.app_send(6 * kSeg);
    c.expect_segments(6);
    c.advance(milliseconds(10));
    c.inject_ack(1, {{seg(2), seg(5)}});
    c.expect_segment({.seq = 1, .len = kSeg});
    c.inject_ack(1, {{seg(3), seg(4)}, {seg(2), seg(5)}});
    EXPECT_EQ(c.counters().tcp_dsacks_received, 1u);
    EXPECT_EQ(c.counters().tcp_dsacks_ignored, 1u);
    EXPECT_EQ(c.counters().tcp_dsack_undos, 0u);
    EXPECT_LT(c.info().ssthresh, UINT32_MAX);
}

}  // namespace
}  // namespace ustack::tcp::testing

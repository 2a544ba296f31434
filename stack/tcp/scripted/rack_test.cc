// RACK-TLP (RFC 8985): loss detected by time rather than by counting duplicate ACKs, the
// reordering window and what widens it (reordering seen, D-SACK), lost retransmissions, and the
// tail loss probe whose ACK exposes the loss. Also the D-SACK blocks we send (RFC 2883).
// A 10 ms round trip throughout, so min_RTT / 4 = 2.5 ms.
#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr uint32_t kSeg = 1448;
constexpr uint32_t seg_start(int i) { return 1 + static_cast<uint32_t>(i - 1) * kSeg; }  // i counts from 1

ScriptedPeer with_rtt() { return ScriptedPeer::active({.handshake_rtt = milliseconds(10)}); }

TEST(TcpRack, MarksASegmentLostByTimeWithoutThreeDuplicateAcks) {
    // RFC 8985 6.2: segment 2, sent after segment 1, is delivered; segment 1 is lost once
    // RACK.rtt + reo_wnd (min_RTT / 4, fewer than DupThresh SACKed) has passed since it was sent.
    // One duplicate ACK, and the reordering timer (6.3) does the rest.
    auto c = with_rtt();
    c.app_send(4 * kSeg);
    c.expect_segments(4);
    c.advance(milliseconds(10));
    c.inject_ack(1, {{seg_start(2), seg_start(3)}});
    c.expect_nothing_for(microseconds(2400));
    c.advance(microseconds(200));
    c.expect_segment({.seq = 1, .flags = ".", .len = kSeg});
    EXPECT_EQ(c.counters().tcp_rack_lost, 1u);
    EXPECT_EQ(c.counters().tcp_rack_reorder_timeouts, 1u);
    EXPECT_EQ(c.counters().tcp_fast_retransmits, 1u);
    EXPECT_EQ(c.counters().tcp_loss_probes, 0u);
    EXPECT_EQ(c.counters().tcp_rto_expirations, 0u);
}

TEST(TcpRack, WithThreeSackedAndNoReorderingTheWindowIsZero) {
    // RFC 8985 6.2 step 4: no reordering seen and DupThresh segments SACKed: reo_wnd = 0, so
    // the hole is lost at once (what the three-duplicate-ACK rule would say).
    auto c = with_rtt();
    c.app_send(5 * kSeg);
    c.expect_segments(5);
    c.advance(milliseconds(10));
    c.inject_ack(1, {{seg_start(2), seg_start(5)}});
    c.expect_segment({.seq = 1, .flags = ".", .len = kSeg});
    EXPECT_EQ(c.counters().tcp_rack_reorder_timeouts, 0u);
}

// Makes the peer show reordering: segment 2 is SACKed before segment 1 arrives (never resent).
void show_reordering(ScriptedPeer& c) {
    c.app_send(2 * kSeg);
    c.expect_segments(2);
    c.advance(milliseconds(10));
    c.inject_ack(1, {{seg_start(2), seg_start(3)}});
    c.advance(milliseconds(1));
    c.inject_ack(seg_start(3));
    ASSERT_EQ(c.counters().tcp_reordering_seen, 1u);
    ASSERT_EQ(c.counters().tcp_retransmits, 0u);
}

TEST(TcpRack, ReorderingWithinTheWindowIsNotRetransmittedOnceSeen) {
    // RFC 8985 6.2 step 4: once reordering was seen, reo_wnd stays min_RTT / 4 even with
    // DupThresh segments SACKed, so a segment overtaken by three others but arriving within
    // 2.5 ms is not resent.
    auto c = with_rtt();
    show_reordering(c);
    c.app_send(5 * kSeg);
    c.expect_segments(5);
    c.advance(milliseconds(10));
    c.inject_ack(seg_start(3), {{seg_start(4), seg_start(7)}});  // 3 late, 4..6 SACKed
    c.advance(milliseconds(2));
    c.inject_ack(seg_start(8));                                   // 3 arrives after all
    c.expect_nothing_for(milliseconds(5));
    EXPECT_EQ(c.counters().tcp_retransmits, 0u);
    EXPECT_EQ(c.counters().tcp_fast_retransmits, 0u);
}

TEST(TcpRack, DsackWidensTheReorderingWindow) {
    // RFC 8985 6.2 step 4: a D-SACK (RFC 2883: a block below the cumulative ACK) says a
    // retransmission was needless; reo_wnd grows by another min_RTT / 4, to 5 ms here.
    auto c = with_rtt();
    c.app_send(kSeg);
    c.expect_segment({.seq = 1, .len = kSeg});
    c.advance(milliseconds(10));
    c.inject_ack(seg_start(2));
    c.inject_ack(seg_start(2), {{1, seg_start(2)}});              // D-SACK
    EXPECT_EQ(c.counters().tcp_dsacks_received, 1u);
    c.app_send(4 * kSeg);
    c.expect_segments(4);
    c.advance(milliseconds(10));
    c.inject_ack(seg_start(2), {{seg_start(3), seg_start(4)}});
    c.expect_nothing_for(microseconds(4900));                     // 2.5 ms would have fired by now
    c.advance(microseconds(200));
    c.expect_segment({.seq = seg_start(2), .len = kSeg});
}

TEST(TcpRack, MinRttIsTakenOverTheLastFiveMinutesNotAllTime) {
    // RFC 8985 6.2 step 4 uses min_RTT over a window (Linux: tcp_min_rtt_wlen, 300 s). The path's
    // round trip rises from 10 ms to 40 ms for good; five minutes on, reo_wnd is 40 / 4 = 10 ms,
    // not the 2.5 ms an all-time minimum would keep.
    auto c = with_rtt();
    show_reordering(c);                                           // reo_wnd = min_RTT / 4 from now on
    for (int i = 3; i < 14; ++i) {                                // one exchange every 30 s
        c.app_send(kSeg);
        c.expect_segment({.seq = seg_start(i), .len = kSeg});
        c.advance(milliseconds(40));
        c.inject_ack(seg_start(i + 1));
        c.advance(milliseconds(30'000 - 40));
    }
    c.app_send(2 * kSeg);
    c.expect_segments(2);
    c.advance(milliseconds(40));
    c.inject_ack(seg_start(14), {{seg_start(15), seg_start(16)}});
    c.expect_nothing_for(microseconds(9900));
    c.advance(microseconds(200));
    c.expect_segment({.seq = seg_start(14), .len = kSeg});
}

TEST(TcpRack, DetectsALostRetransmission) {
    // RFC 8985 6.2: a retransmission is a segment like any other. Segment 1 is resent, the
    // resend is lost too; new data sent after it is delivered, so a round trip later the resend
    // is lost as well and goes again (no RTO).
    auto c = with_rtt();
    c.app_send(20 * kSeg);
    c.expect_segments(10);                                        // the initial window
    c.advance(milliseconds(10));
    c.inject_ack(1, {{seg_start(2), seg_start(11)}});             // 1 lost
    auto first = c.expect_segment({.seq = 1, .len = kSeg});       // resent ...
    const auto fresh = c.expect_segments(c.pending());            // ... and new data as the pipe allows
    ASSERT_GE(fresh.size(), 1u);
    c.advance(milliseconds(10));
    c.inject_ack(1, {{seg_start(2), c.end_of(fresh.back())}});    // the new data arrives, 1 does not
    auto second = c.expect_segment({.seq = 1, .len = kSeg});
    EXPECT_EQ(second.at - first.at, milliseconds(10));
    EXPECT_EQ(c.counters().tcp_lost_retransmits, 1u);
    EXPECT_EQ(c.counters().tcp_rto_expirations, 0u);
}

TEST(TcpRack, TailLossProbeThenLossFoundFromItsAck) {
    // RFC 8985 7: segments 3 and 4 are lost at the tail. The ACK clock stops; after PTO = 2 SRTT
    // the probe resends segment 4; its SACK shows segment 3, sent before it, is lost (6.2), and
    // recovery resends it: no RTO.
    auto c = with_rtt();
    c.app_send(4 * kSeg);
    c.expect_segments(4);
    c.advance(milliseconds(10));
    c.inject_ack(seg_start(3));
    c.advance(milliseconds(20));
    auto probe = c.expect_segment({.seq = seg_start(4), .len = kSeg});
    EXPECT_EQ(c.counters().tcp_loss_probes, 1u);
    c.advance(milliseconds(10));
    c.inject_ack(seg_start(3), {{seg_start(4), seg_start(5)}});
    auto rtx = c.expect_segment({.seq = seg_start(3), .len = kSeg});
    EXPECT_EQ(rtx.at - probe.at, milliseconds(10));
    EXPECT_EQ(c.counters().tcp_rack_lost, 1u);
    EXPECT_EQ(c.counters().tcp_rto_expirations, 0u);
}

// ---- D-SACK as a receiver (RFC 2883) ----

TEST(TcpDsack, ADuplicateSegmentIsReportedAsTheFirstBlock) {
    // RFC 2883 4 (Linux tcp_send_dupack()): a segment wholly below RCV.NXT is ACKed at once with
    // a D-SACK block naming it.
    auto c = ScriptedPeer::passive();
    c.inject({.seq = 1, .ack = 1, .payload_len = 1000});
    c.expect_segment({.ack = 1001});
    c.inject({.seq = 1, .ack = 1, .payload_len = 1000});
    c.expect_segment({.ack = 1001, .sack = {{1, 1001}}});
    EXPECT_EQ(c.counters().tcp_dsacks_sent, 1u);
}

TEST(TcpDsack, APartlyDuplicateSegmentReportsTheOldPart) {
    // RFC 2883 4.1.2: only the bytes received twice go in the D-SACK block.
    auto c = ScriptedPeer::passive();
    c.inject({.seq = 1, .ack = 1, .payload_len = 1000});
    c.expect_segment({.ack = 1001});
    c.inject({.seq = 501, .ack = 1, .payload_len = 1000});
    c.expect_segment({.ack = 1501, .sack = {{501, 1001}}});
}

}  // namespace
}  // namespace ustack::tcp::testing

// Sequence numbers wrap at 2^32 (RFC 9293 3.4: all arithmetic is modulo 2^32). The peer's
// ISN is ours to choose; the stack's follows its clock (RFC 6528), so a test moves the virtual
// start until the stack's ISN lands just below 2^32.
#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

constexpr uint32_t kSeg = 1448;

TEST(TcpSequenceWrap, ReceiveSideWrapsMidTransfer) {
    auto c = ScriptedPeer::passive({.peer_iss = 0xFFFFFFFFu - 5000});
    for (uint32_t i = 0; i < 10; ++i) {
        c.inject({.seq = 1 + i * 1000, .ack = 1, .payload_len = 1000});
        c.expect_segment({.seq = 1, .ack = 1 + (i + 1) * 1000, .flags = "."});
    }
    EXPECT_EQ(c.app_recv(), 10000u);  // every byte, in order (the harness checks the pattern)
    EXPECT_EQ(c.counters().tcp_rx_out_of_window, 0u);
}

TEST(TcpSequenceWrap, ReceiveSideReassemblesAndSacksAcrossTheWrap) {
    // The segment spanning 2^32 is lost; the one after it is held out of order, and its SACK
    // block carries wrapped numbers.
    auto c = ScriptedPeer::passive({.peer_iss = 0xFFFFFFFFu - 1500});
    c.inject({.seq = 1, .ack = 1, .payload_len = 1000});
    c.expect_segment({.seq = 1, .ack = 1001, .flags = "."});
    c.inject({.seq = 2001, .ack = 1, .payload_len = 1000});           // after the wrap
    c.expect_segment({.seq = 1, .ack = 1001, .flags = ".", .sack = {{2001, 3001}}});
    c.inject({.seq = 1001, .ack = 1, .payload_len = 1000});           // spans 2^32
    c.expect_segment({.seq = 1, .ack = 3001, .flags = ".", .sack = Blocks::none()});
    EXPECT_EQ(c.app_recv(), 3000u);
}

// Options whose start time puts the stack's ISN for the active connection at `isn`.
PeerOptions options_with_stack_isn(uint32_t isn) {
    PeerOptions o;
    auto probe = ScriptedPeer::bare(o);
    probe.app_connect();
    const uint32_t at_start = probe.expect_segment({.flags = "S"}).tcp.seq.raw();
    const uint32_t ticks = isn - at_start;                             // the ISN clock ticks every 4 us
    o.start += std::chrono::microseconds(4) * static_cast<int64_t>(ticks);
    return o;
}

TEST(TcpSequenceWrap, SendSideWrapsMidTransfer) {
    const uint32_t isn = 0xFFFFFFFFu - 2000;
    auto c = ScriptedPeer::active(options_with_stack_isn(isn));
    ASSERT_EQ(c.stack_iss().raw(), isn);
    c.app_send(6 * kSeg);                                              // bytes 2001.. cross 2^32
    for (uint32_t i = 0; i < 6; ++i) c.expect_segment({.seq = 1 + i * kSeg, .len = kSeg});
    c.inject_ack(1 + 6 * kSeg);
    c.expect_nothing_for(std::chrono::seconds(2));                     // all acknowledged: no RTO
    EXPECT_EQ(c.counters().tcp_retransmits, 0u);
    EXPECT_EQ(c.stack().send_queue_bytes(c.socket()), 0u);
}

TEST(TcpSequenceWrap, SackRecoveryRepairsTheSegmentSpanningTheWrap) {
    // Segment 2 (bytes 1449..2896) holds sequence number 2^32; it is lost and SACKed around.
    const uint32_t isn = 0xFFFFFFFFu - 2000;
    PeerOptions o = options_with_stack_isn(isn);
    o.handshake_rtt = std::chrono::milliseconds(10);
    auto c = ScriptedPeer::active(o);
    c.app_send(6 * kSeg);
    c.expect_segments(6);
    c.advance(std::chrono::milliseconds(10));  // the ACKs come a round trip later
    c.inject_ack(1 + kSeg);
    c.inject_ack(1 + kSeg, {{1 + 2 * kSeg, 1 + 3 * kSeg}});
    c.inject_ack(1 + kSeg, {{1 + 2 * kSeg, 1 + 4 * kSeg}});
    c.inject_ack(1 + kSeg, {{1 + 2 * kSeg, 1 + 5 * kSeg}});
    c.expect_segment({.seq = 1 + kSeg, .flags = ".", .len = kSeg});
    c.inject_ack(1 + 6 * kSeg);
    c.expect_nothing_for(std::chrono::seconds(2));
    EXPECT_EQ(c.counters().tcp_retransmits, 1u);
}

TEST(TcpSequenceWrap, UrgentPointerCountsAcrossTheWrap) {
    const uint32_t isn = 0xFFFFFFFFu - 2;
    auto c = ScriptedPeer::active(options_with_stack_isn(isn));
    c.app_send(10, msgflags::kOob);                                    // bytes 1..10 cross 2^32
    c.expect_segment({.seq = 1, .flags = "UP.", .len = 10, .urp = 10});
    c.inject_ack(11);                                                  // urgent mode ends past the wrap
    c.app_send(1);
    c.expect_segment({.seq = 11, .flags = "P.", .len = 1});
}

}  // namespace
}  // namespace ustack::tcp::testing

// SACK (RFC 2018) both ways: recovery that resends exactly the holes the peer reports
// (RACK RFC 8985 with RFC 6675 recovery), and the blocks the stack reports as a receiver.
#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

constexpr uint32_t kSeg = 1448;  // 1460 - 12 bytes of timestamps
constexpr uint32_t seg_start(int i) { return 1 + static_cast<uint32_t>(i - 1) * kSeg; }  // i counts from 1

TEST(TcpSackRecovery, RetransmitsExactlyTheHolesThePeerReports) {
    // Ten segments leave; segments 2 and 5 are lost. RACK (RFC 8985 6.2) decides what is lost:
    // a hole sent before a segment now delivered, once RACK.rtt + reo_wnd has passed; reo_wnd is
    // min_RTT/4 until DupThresh (3) segments are SACKed, then 0 (no reordering seen). Only lost
    // holes are resent, as the pipe allows (RFC 6675).
    auto c = ScriptedPeer::active({.handshake_rtt = std::chrono::milliseconds(10)});
    c.app_send(10 * kSeg);
    c.expect_segments(10);
    c.advance(std::chrono::milliseconds(10));                                // the ACKs come a round trip later
    c.inject_ack(seg_start(2));                                              // 1 arrived
    c.inject_ack(seg_start(2), {{seg_start(3), seg_start(4)}});              // 3
    c.inject_ack(seg_start(2), {{seg_start(3), seg_start(5)}});              // 4
    EXPECT_EQ(c.pending(), 0u);                                              // within reo_wnd: not yet
    c.inject_ack(seg_start(2), {{seg_start(6), seg_start(7)}, {seg_start(3), seg_start(5)}});  // 6
    c.expect_segment({.seq = seg_start(2), .flags = ".", .len = kSeg});      // both holes lost; the first at once
    EXPECT_EQ(c.pending(), 0u);                                              // the pipe is full
    c.inject_ack(seg_start(2), {{seg_start(6), seg_start(8)}, {seg_start(3), seg_start(5)}});  // 7
    c.expect_segment({.seq = seg_start(5), .flags = ".", .len = kSeg});      // room for hole 2
    EXPECT_EQ(c.pending(), 0u);
    c.inject_ack(seg_start(2), {{seg_start(6), seg_start(9)}, {seg_start(3), seg_start(5)}});  // 8
    EXPECT_EQ(c.pending(), 0u);                                              // nothing SACKed is resent
    c.inject_ack(seg_start(2), {{seg_start(6), seg_start(11)}, {seg_start(3), seg_start(5)}}); // 9, 10
    c.inject_ack(seg_start(5), {{seg_start(6), seg_start(11)}});             // hole 1 repaired
    c.inject_ack(seg_start(11));                                             // hole 2 repaired
    c.expect_nothing_for(std::chrono::seconds(2));                           // and no timeout follows
    EXPECT_EQ(c.counters().tcp_retransmits, 2u);
    EXPECT_EQ(c.counters().tcp_sack_recoveries, 1u);
    EXPECT_EQ(c.counters().tcp_rto_expirations, 0u);
}

TEST(TcpSackBlocks, FirstBlockHoldsTheLatestOutOfOrderSegment) {
    // RFC 2018 4: the first block MUST specify the block containing the segment that triggered
    // this ACK. Bytes 1..1000 are missing; 1001, 3001 and 5001 arrive in that order, then
    // 2001 joins the first block.
    auto c = ScriptedPeer::passive();
    c.inject({.seq = 1001, .ack = 1, .payload_len = 1000});
    c.expect_segment({.seq = 1, .ack = 1, .flags = ".", .sack = {{1001, 2001}}, .len = 0});
    c.inject({.seq = 3001, .ack = 1, .payload_len = 1000});
    auto second = c.expect_segment({.seq = 1, .ack = 1, .flags = "."});
    ASSERT_EQ(second.tcp.options.sack_count, 2);
    EXPECT_EQ(second.tcp.options.sack_blocks[0].left.raw() - c.peer_iss().raw(), 3001u);
    c.inject({.seq = 5001, .ack = 1, .payload_len = 1000});
    auto third = c.expect_segment({.seq = 1, .ack = 1, .flags = "."});
    ASSERT_EQ(third.tcp.options.sack_count, 3);  // three fit beside timestamps
    EXPECT_EQ(third.tcp.options.sack_blocks[0].left.raw() - c.peer_iss().raw(), 5001u);
    c.inject({.seq = 2001, .ack = 1, .payload_len = 1000});
    auto fourth = c.expect_segment({.seq = 1, .ack = 1, .flags = "."});
    ASSERT_EQ(fourth.tcp.options.sack_count, 2);
    EXPECT_EQ(fourth.tcp.options.sack_blocks[0].left.raw() - c.peer_iss().raw(), 1001u);
    EXPECT_EQ(fourth.tcp.options.sack_blocks[0].right.raw() - c.peer_iss().raw(), 4001u);
    // The hole filled: the ACK advances and reports what remains above it.
    c.inject({.seq = 1, .ack = 1, .payload_len = 1000});
    c.expect_segment({.seq = 1, .ack = 4001, .flags = ".", .sack = {{5001, 6001}}});
    EXPECT_EQ(c.app_recv(), 4000u);
}

TEST(TcpSackBlocks, LaterBlocksRepeatTheMostRecentlyReportedFirst) {
    // RFC 2018 4: after the first block, the SACK option SHOULD repeat the most recently
    // reported blocks, so a block survives lost ACKs for as long as possible (Linux keeps its
    // blocks in most-recent-first order).
    auto c = ScriptedPeer::passive();
    c.inject({.seq = 1001, .ack = 1, .payload_len = 1000});
    c.inject({.seq = 3001, .ack = 1, .payload_len = 1000});
    c.inject({.seq = 5001, .ack = 1, .payload_len = 1000});
    c.expect_segments(2);
    c.expect_segment({.seq = 1, .ack = 1, .flags = ".", .sack = {{5001, 6001}, {3001, 4001}, {1001, 2001}}});
}

TEST(TcpSackBlocks, NoBlocksWithoutSackPermitted) {
    // RFC 2018 2: SACK options only on connections whose SYN offered SACK-permitted.
    auto c = ScriptedPeer::passive({.sack = false});
    c.inject({.seq = 1001, .ack = 1, .payload_len = 1000});
    c.expect_segment({.seq = 1, .ack = 1, .flags = ".", .sack = Blocks::none()});
}

}  // namespace
}  // namespace ustack::tcp::testing

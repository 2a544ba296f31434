// When the receiver ACKs: quick ACKs at the start (as Linux), then delayed ACKs (RFC 9293
// 3.8.6.3, RFC 5681 4.2, RFC 1122 4.2.3.2) with Linux's 40 ms, and at once for anything out
// of order.
#include <gtest/gtest.h>

#include "stack/tcp/tcb.h"
#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

using std::chrono::milliseconds;

constexpr uint32_t kSeg = 1448;

// A connection past Linux's quick-ACK start (16 full segments), the data read, and every ACK
// taken. The peer's next byte is `*next`.
ScriptedPeer past_quickack(uint32_t* next, Duration rtt = Duration{0}) {
    auto c = ScriptedPeer::passive({.handshake_rtt = rtt});
    uint32_t seq = 1;
    for (int i = 0; i < 17; ++i) {
        c.inject({.seq = seq, .ack = 1, .payload_len = kSeg});
        seq += kSeg;
    }
    c.expect_segments(c.pending());
    EXPECT_EQ(c.app_recv(), 17u * kSeg);
    EXPECT_EQ(c.pending(), 0u);
    *next = seq;
    return c;
}

TEST(TcpDelayedAck, FirstSegmentsAreAckedAtOnce) {
    // Linux's quick-ACK mode: at the start of a connection every segment is ACKed, so the
    // peer's slow start is not held back by delayed ACKs.
    auto c = ScriptedPeer::passive();
    for (uint32_t i = 0; i < 4; ++i) {
        c.inject({.seq = 1 + i * kSeg, .ack = 1, .payload_len = kSeg});
        c.expect_segment({.seq = 1, .ack = 1 + (i + 1) * kSeg, .flags = ".", .len = 0});
    }
}

TEST(TcpDelayedAck, LoneSegmentIsAckedWithin40Ms) {
    // RFC 9293 3.8.6.3: an ACK may be delayed, by less than 0.5 s; Linux waits 40 ms.
    uint32_t next = 0;
    auto c = past_quickack(&next);
    const Instant t = c.now();
    c.inject({.seq = next, .ack = 1, .payload_len = kSeg});
    c.expect_nothing_for(milliseconds(39));
    c.advance(milliseconds(1));
    auto ack = c.expect_segment({.seq = 1, .ack = next + kSeg, .flags = ".", .len = 0});
    EXPECT_EQ(ack.at - t, milliseconds(40));
}

TEST(TcpDelayedAck, EverySecondFullSegmentIsAckedAtOnce) {
    // RFC 5681 4.2 (RFC 1122 4.2.3.2): an ACK SHOULD be generated for at least every second
    // full-sized segment.
    uint32_t next = 0;
    auto c = past_quickack(&next);
    c.inject({.seq = next, .ack = 1, .payload_len = kSeg});
    EXPECT_EQ(c.pending(), 0u);
    c.inject({.seq = next + kSeg, .ack = 1, .payload_len = kSeg});
    c.expect_segment({.seq = 1, .ack = next + 2 * kSeg, .flags = ".", .len = 0});
    c.expect_nothing_for(milliseconds(100));  // and the delayed-ACK timer is off
}

TEST(TcpDelayedAck, OutOfOrderSegmentIsAckedAtOnce) {
    // RFC 5681 4.2: an out-of-order segment SHOULD get an immediate (duplicate) ACK, so the
    // sender's fast retransmit can work.
    uint32_t next = 0;
    auto c = past_quickack(&next);
    c.inject({.seq = next + kSeg, .ack = 1, .payload_len = kSeg});
    c.expect_segment({.seq = 1, .ack = next, .flags = ".", .sack = {{next + kSeg, next + 2 * kSeg}}, .len = 0});
}

TEST(TcpDelayedAck, SegmentFillingAHoleIsAckedAtOnce) {
    // RFC 5681 4.2: an ACK SHOULD be sent at once when a segment fills a gap.
    uint32_t next = 0;
    auto c = past_quickack(&next);
    c.inject({.seq = next + kSeg, .ack = 1, .payload_len = kSeg});
    c.expect_segment({.seq = 1, .ack = next, .flags = "."});
    c.inject({.seq = next, .ack = 1, .payload_len = kSeg});
    c.expect_segment({.seq = 1, .ack = next + 2 * kSeg, .flags = ".", .sack = Blocks::none()});
}

TEST(TcpDelayedAck, DataToSendCarriesTheAck) {
    // A delayed ACK rides on the next data segment instead of going alone.
    uint32_t next = 0;
    // (A 20 ms path keeps a tail loss probe, 2 SRTT + 40 ms, out of the 60 ms watched.)
    auto c = past_quickack(&next, milliseconds(20));
    c.inject({.seq = next, .ack = 1, .payload_len = 100});
    c.advance(milliseconds(10));
    c.app_send(50);
    c.expect_segment({.seq = 1, .ack = next + 100, .flags = "P.", .len = 50});
    c.expect_nothing_for(milliseconds(60));                           // the 40 ms timer was cancelled
}

TEST(TcpDelayedAck, RequestsOfAnInteractiveConnectionAreNotQuickAcked) {
    // Linux's pingpong mode (tcp_event_data_sent, tcp_in_quickack_mode): once the application
    // replies within the delayed-ACK timeout of a request, quick ACKs stop even at the start of
    // the connection; the next request's ACK waits for the reply and rides on it. Without
    // this every request of a ping-pong costs a pure ACK as well (sockperf, HTTP keep-alive).
    auto c = ScriptedPeer::passive({.handshake_rtt = milliseconds(20)});
    c.inject({.seq = 1, .ack = 1, .payload_len = 64});
    c.expect_segment({.seq = 1, .ack = 65, .flags = ".", .len = 0});  // quick ACK: not interactive yet
    EXPECT_EQ(c.app_recv(), 64u);
    c.app_send(64);
    c.expect_segment({.seq = 1, .ack = 65, .flags = "P.", .len = 64});
    c.inject({.seq = 65, .ack = 65, .payload_len = 64});
    c.expect_nothing_for(milliseconds(5));  // no pure ACK for the second request
    EXPECT_EQ(c.app_recv(), 64u);
    c.app_send(64);
    c.expect_segment({.seq = 65, .ack = 129, .flags = "P.", .len = 64});
}

TEST(TcpDelayedAck, AnInteractiveConnectionLeavesPingpongWhenTheDelayedAckFires) {
    // Linux tcp_delack_timer_handler: a delayed ACK that no reply carried ends pingpong mode,
    // so the quick ACKs of the connection's start come back.
    auto c = ScriptedPeer::passive({.handshake_rtt = milliseconds(20)});
    c.inject({.seq = 1, .ack = 1, .payload_len = 64});
    c.expect_segment({.seq = 1, .ack = 65, .flags = ".", .len = 0});
    EXPECT_EQ(c.app_recv(), 64u);
    c.app_send(64);
    c.expect_segment({.seq = 1, .ack = 65, .flags = "P.", .len = 64});
    c.inject({.seq = 65, .ack = 65, .payload_len = 64});
    c.advance(milliseconds(40));
    c.expect_segment({.seq = 65, .ack = 129, .flags = ".", .len = 0});  // the delayed ACK, alone
    c.inject({.seq = 129, .ack = 65, .payload_len = 64});
    c.expect_segment({.seq = 65, .ack = 193, .flags = ".", .len = 0});  // quick again
}

TEST(TcpDelayedAck, AReaderThatFallsBehindIsAckedOnItsReads) {
    // Linux __tcp_ack_snd_check: every second segment is ACKed at once only while the window's
    // right edge keeps moving; once more than half the buffer waits unread, the ACK waits for
    // the application's next read (tcp_cleanup_rbuf), or the 40 ms timer, and goes once.
    uint32_t next = 0;
    auto c = past_quickack(&next);
    const size_t half = tcp::kDefaultBufferBytes / 2;  // the default buffer: nothing autotuned it
    size_t unread = 0;
    while (unread + 2 * kSeg <= half) {  // the reader keeps up on paper: ACK every second segment
        c.inject({.seq = next, .ack = 1, .payload_len = kSeg});
        c.inject({.seq = next + kSeg, .ack = 1, .payload_len = kSeg});
        next += 2 * kSeg;
        unread += 2 * kSeg;
        c.expect_segment({.seq = 1, .ack = next, .flags = ".", .len = 0});
    }
    for (int i = 0; i < 4; ++i) {  // more than half unread: no ACK on arrival
        c.inject({.seq = next, .ack = 1, .payload_len = kSeg});
        next += kSeg;
        unread += kSeg;
    }
    EXPECT_EQ(c.pending(), 0u);
    EXPECT_EQ(c.app_recv(kSeg), kSeg);  // one read: the owed ACK goes with it, once
    c.expect_segment({.seq = 1, .ack = next, .flags = ".", .len = 0});
    c.expect_nothing_for(milliseconds(100));
    // Unread data and no read: the delayed-ACK timer still answers within 40 ms.
    c.inject({.seq = next, .ack = 1, .payload_len = kSeg});
    c.inject({.seq = next + kSeg, .ack = 1, .payload_len = kSeg});
    next += 2 * kSeg;
    c.expect_nothing_for(milliseconds(39));
    c.advance(milliseconds(1));
    c.expect_segment({.seq = 1, .ack = next, .flags = ".", .len = 0});
}

}  // namespace
}  // namespace ustack::tcp::testing

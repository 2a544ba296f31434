// Loss recovery by timeout and by duplicate ACKs: RFC 6298 (RTO, backoff), RFC 5681 3.2
// (fast retransmit), and Linux's bounds (1 s initial, 200 ms minimum).
#include <cerrno>
#include <vector>

#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(TcpRto, SynIsRetransmittedAfterOneSecondThenDoubling) {
    // RFC 6298 2.1: RTO starts at 1 s; 5.5: it doubles at each expiry. Linux: 6 SYN retries.
    auto c = ScriptedPeer::bare();
    EXPECT_EQ(c.app_connect(), -EINPROGRESS);
    const Instant t0 = c.now();
    c.expect_segment({.seq = 0, .flags = "S"});
    c.advance(seconds(200));
    Duration expected{0};
    for (int i = 0; i < 6; ++i) {
        expected += seconds(int64_t{1} << i);
        auto syn = c.expect_segment({.seq = 0, .flags = "S"});
        EXPECT_EQ(syn.at - t0, expected) << "retransmission " << i + 1;
    }
    EXPECT_EQ(c.pending(), 0u);
    // Gives up one (doubled) timeout after the last retry: 1+2+4+8+16+32+64 = 127 s.
    EXPECT_EQ(c.state(), "CLOSED");
    EXPECT_EQ(c.stack().take_error(c.socket()), ETIMEDOUT);
    EXPECT_EQ(c.counters().tcp_timeouts, 1u);
}

TEST(TcpRto, DataRtoIsFlooredAt200MsAfterAFastRttSampleAndDoubles) {
    // RFC 6298 2.4 allows a minimum; Linux's is 200 ms. A 10 ms handshake gives
    // SRTT + 4 RTTVAR = 30 ms, so the floor decides. Then 5.5: doubling per expiry.
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    const Instant t0 = c.now();
    c.app_send(3 * 1448);
    c.expect_segment({.seq = 1, .flags = ".", .len = 1448});
    c.expect_segment({.seq = 1449, .flags = ".", .len = 1448});
    c.expect_segment({.seq = 2897, .flags = "P.", .len = 1448});
    c.advance(milliseconds(1500));
    // RFC 8985 7.3: a tail loss probe may resend the last segment first; the RTO then runs from
    // it. The timeouts resend only the first unacknowledged segment: cwnd is one segment after
    // a timeout (RFC 5681 3.1).
    Instant last_tx = t0;
    std::vector<Instant> rto_at;
    for (const Segment& s : c.expect_segments(c.pending())) {
        if (c.seq_of(s) == 1) rto_at.push_back(s.at);
        else if (rto_at.empty()) last_tx = s.at;
        else ADD_FAILURE() << "after a timeout only the first segment is resent, got seq " << c.seq_of(s);
    }
    ASSERT_EQ(rto_at.size(), 3u);
    EXPECT_EQ(rto_at[0] - last_tx, milliseconds(200));
    EXPECT_EQ(rto_at[1] - rto_at[0], milliseconds(400));
    EXPECT_EQ(rto_at[2] - rto_at[1], milliseconds(800));
    EXPECT_EQ(c.counters().tcp_rto_expirations, 3u);
}

TEST(TcpRto, NewAcknowledgementEndsTheBackoff) {
    // RFC 6298 5.3 / Karn: once new data is acknowledged the backed-off RTO is recomputed from
    // the estimate, so the next loss is detected after 200 ms again, not after the doubled value.
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    c.app_send(1000);
    c.expect_segment({.seq = 1, .len = 1000});
    c.advance(milliseconds(600));                      // two timeouts: at 200 and 600 ms
    c.expect_segment({.seq = 1, .len = 1000});
    c.expect_segment({.seq = 1, .len = 1000});
    c.inject_ack(1001);
    c.app_send(1000);
    const Instant sent = c.now();
    c.expect_segment({.seq = 1001, .len = 1000});
    c.advance(milliseconds(1000));
    auto rtx = c.expect_segment({.seq = 1001, .len = 1000});
    EXPECT_LE(rtx.at - sent, milliseconds(300));       // not 800 ms (the backoff kept)
}

TEST(TcpFastRetransmit, ThreeDupAcksRetransmitWithoutWaitingForRto) {
    // RFC 5681 3.2: the third duplicate ACK retransmits the missing segment at once.
    auto c = ScriptedPeer::active({.sack = false});
    c.app_send(4 * 1448);
    c.expect_segments(4);
    c.inject_ack(1449);                                // segment 2 was lost
    c.inject_ack(1449);
    c.inject_ack(1449);
    EXPECT_EQ(c.pending(), 0u);                        // two duplicates are not enough
    c.inject_ack(1449);
    c.expect_segment({.seq = 1449, .flags = ".", .len = 1448});
    EXPECT_EQ(c.counters().tcp_fast_retransmits, 1u);
    EXPECT_EQ(c.counters().tcp_rto_expirations, 0u);
}

TEST(TcpLimitedTransmit, EachOfTheFirstTwoDupAcksSendsOneNewSegment) {
    // RFC 3042: on the first and second duplicate ACK the sender sends one new segment each,
    // beyond cwnd but within the peer's window; the third starts fast retransmit as usual.
    auto c = ScriptedPeer::active({.sack = false});
    c.app_send(20 * 1448);
    c.expect_segments(10);                             // the initial window
    c.inject_ack(1449);                                // segment 2 is lost
    c.expect_segments(2);                              // the window slides and grows by one
    EXPECT_EQ(c.pending(), 0u);
    c.inject_ack(1449);
    c.expect_segment({.seq = 1 + 12 * 1448, .flags = ".", .len = 1448});
    EXPECT_EQ(c.pending(), 0u);
    c.inject_ack(1449);
    c.expect_segment({.seq = 1 + 13 * 1448, .flags = ".", .len = 1448});
    EXPECT_EQ(c.pending(), 0u);
    c.inject_ack(1449);
    c.expect_segment({.seq = 1449, .flags = ".", .len = 1448});
    EXPECT_EQ(c.counters().tcp_fast_retransmits, 1u);
}

TEST(TcpFastRetransmit, WindowUpdatesAreNotDuplicateAcks) {
    // RFC 5681 2 (DUPLICATE ACKNOWLEDGMENT, condition e): an ACK that changes the advertised
    // window is not a duplicate, so three of them must not trigger a retransmission.
    auto c = ScriptedPeer::active({.sack = false});
    c.app_send(4 * 1448);
    c.expect_segments(4);
    c.inject({.ack = 1449, .win = 2048});
    c.inject({.ack = 1449, .win = 2049});
    c.inject({.ack = 1449, .win = 2050});
    c.inject({.ack = 1449, .win = 2051});
    EXPECT_EQ(c.pending(), 0u);
    EXPECT_EQ(c.counters().tcp_fast_retransmits, 0u);
}

TEST(TcpFastRetransmit, AckCarryingDataIsNotADuplicateAck) {
    // RFC 5681 2, condition b: a duplicate ACK carries no data.
    auto c = ScriptedPeer::active({.sack = false});
    c.app_send(4 * 1448);
    c.expect_segments(4);
    c.inject_ack(1449);
    for (int i = 0; i < 3; ++i) {
        c.inject({.ack = 1449, .payload_len = 100});
        c.expect_segment({.seq = 5793, .flags = ".", .len = 0});  // our ACK of their data
    }
    EXPECT_EQ(c.pending(), 0u);
    EXPECT_EQ(c.counters().tcp_fast_retransmits, 0u);
}

}  // namespace
}  // namespace ustack::tcp::testing

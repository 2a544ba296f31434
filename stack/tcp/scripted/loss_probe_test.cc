// Tail loss probes (RFC 8985 7): when the ACKs stop, one probe after about two round trips
// instead of waiting for the RTO.
#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

using std::chrono::milliseconds;

constexpr uint32_t kSeg = 1448;

TEST(TcpTailLossProbe, ResendsTheLastSegmentAfterTwoSrtt) {
    // RFC 8985 7.2: PTO = 2 SRTT (several segments in flight); 7.3: with nothing new to send,
    // the probe is the highest segment sent.
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    const Instant t0 = c.now();
    c.app_send(4 * kSeg);
    c.expect_segments(4);
    c.advance(milliseconds(25));
    auto probe = c.expect_segment({.seq = 1 + 3 * kSeg, .len = kSeg});
    EXPECT_EQ(probe.at - t0, milliseconds(20));
    EXPECT_EQ(c.counters().tcp_loss_probes, 1u);
    EXPECT_EQ(c.counters().tcp_rto_expirations, 0u);
}

TEST(TcpTailLossProbe, SendsNewDataWhenThereIsSome) {
    // RFC 8985 7.3: a previously unsent segment, if the receive window allows, is the probe.
    // Eleven segments are queued; cwnd (10) holds the last one back.
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    c.app_send(11 * kSeg);
    c.expect_segments(10);
    EXPECT_EQ(c.pending(), 0u);
    c.advance(milliseconds(25));
    c.expect_segment({.seq = 1 + 10 * kSeg, .len = kSeg});
}

TEST(TcpTailLossProbe, AckClockKeepsTheProbeAway) {
    // The probe is for a silent path: ACKs arriving within the PTO keep pushing it back.
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    c.app_send(4 * kSeg);
    c.expect_segments(4);
    for (uint32_t i = 1; i <= 3; ++i) {
        c.advance(milliseconds(15));
        c.inject_ack(1 + i * kSeg);
    }
    c.advance(milliseconds(15));
    EXPECT_EQ(c.counters().tcp_loss_probes, 0u);
}

TEST(TcpTailLossProbe, LoneSegmentProbeAllowsForADelayedAck) {
    // RFC 8985 7.2: with one segment in flight, PTO += WCDelAckT, RECOMMENDED 200 ms (Linux adds
    // TCP_RTO_MIN), since the receiver may hold its ACK that long; PTO is then capped by the RTO.
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    c.app_send(100);
    c.expect_segment({.seq = 1, .len = 100});
    c.expect_nothing_for(milliseconds(199));
}

}  // namespace
}  // namespace ustack::tcp::testing

// Path MTU discovery (RFC 1191 6.2): ICMP fragmentation needed lowers the MSS and resends
// what no longer fits at once, without a congestion response (Linux tcp_simple_retransmit);
// RFC 5927 / Linux tcp_v4_err: the quoted sequence number must be in flight.
#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

using std::chrono::milliseconds;

TEST(TcpPmtu, FragNeededLowersTheMssAndResendsAtOnce) {
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    ASSERT_EQ(c.info().snd_mss, 1448u);  // 1500 - 40 - 12 (timestamps)
    c.app_send(3 * 1448);
    c.expect_segment({.seq = 1, .len = 1448});
    c.expect_segment({.seq = 1449, .len = 1448});
    c.expect_segment({.seq = 2897, .len = 1448});
    const uint32_t cwnd = c.info().cwnd;
    c.inject_frag_needed(1, 1280);
    EXPECT_EQ(c.info().snd_mss, 1228u);  // 1280 - 40 - 12
    // Everything in flight is resent in the new size straight away, not after an RTO.
    const Instant at = c.now();
    for (uint32_t seq = 1; seq < 4345; seq += 1228) {
        auto s = c.expect_segment({.seq = seq, .len = std::min<uint32_t>(1228, 4345 - seq)});
        EXPECT_EQ(s.at, at);
    }
    EXPECT_EQ(c.info().cwnd, cwnd);  // not a congestion event
    EXPECT_EQ(c.counters().tcp_rto_expirations, 0u);
    EXPECT_EQ(c.counters().tcp_pmtu_mss_reductions, 1u);
    // New data goes in the new size too.
    c.inject_ack(4345);
    c.app_send(2000);
    c.expect_segment({.seq = 4345, .len = 1228});
}

TEST(TcpPmtu, FragNeededQuotingASequenceNotInFlightIsIgnored) {
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    c.app_send(1000);
    c.expect_segment({.seq = 1, .len = 1000});
    c.inject_frag_needed(50'000, 1280);  // a blind forgery: not a sequence number we sent
    EXPECT_EQ(c.info().snd_mss, 1448u);
    EXPECT_EQ(c.pending(), 0u);
    EXPECT_EQ(c.counters().icmp_frag_needed_ignored, 1u);
    EXPECT_EQ(c.counters().ip_pmtu_updates, 0u);
}

TEST(TcpPmtu, ReportBelowTheFloorUsesLinuxMinimum) {
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    c.app_send(1000);
    c.expect_segment({.seq = 1, .len = 1000});
    c.inject_frag_needed(1, 200);
    EXPECT_EQ(c.info().snd_mss, 552u - 40 - 12);  // min_pmtu 552
    c.expect_segment({.seq = 1, .len = 500});
    c.expect_segment({.seq = 501, .len = 500});
}

}  // namespace
}  // namespace ustack::tcp::testing

// Congestion window after idleness (RFC 5681 4.1, Linux tcp_slow_start_after_idle=1): a
// window from before a quiet period longer than the RTO is not sent as one burst.
#include <cstdint>

#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

using std::chrono::milliseconds;

constexpr uint32_t kMss = 1448;

// Slow start grows cwnd from 10 to 20 segments: ten segments, each acknowledged on its own.
ScriptedPeer connection_with_cwnd_of_20_segments() {
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});  // RTO: the 200 ms floor
    c.app_send(10 * kMss);
    c.expect_segments(10);
    c.advance(milliseconds(10));
    for (uint32_t i = 1; i <= 10; ++i) c.inject_ack(1 + i * kMss);
    EXPECT_EQ(c.info().cwnd, 20 * kMss);
    EXPECT_EQ(c.pending(), 0u);
    return c;
}

// Writes enough for 30 segments and counts how many leave at once.
size_t burst_after(ScriptedPeer& c, Duration idle) {
    c.advance(idle);
    EXPECT_EQ(c.pending(), 0u);
    c.app_send(30 * kMss);
    return c.pending();
}

TEST(TcpIdleRestart, IdleLongerThanTheRtoRestartsFromTheInitialWindow) {
    auto c = connection_with_cwnd_of_20_segments();
    EXPECT_EQ(burst_after(c, milliseconds(1000)), 10u);  // not 20
    EXPECT_EQ(c.info().cwnd, 10 * kMss);
    EXPECT_EQ(c.counters().tcp_idle_restarts, 1u);
    // Linux tcp_cwnd_restart(): ssthresh keeps 3/4 of the old window (here still unset).
    EXPECT_EQ(c.info().ssthresh, UINT32_MAX);
}

TEST(TcpIdleRestart, EachRtoOfIdlenessHalvesTheWindowDownToTheRestartWindow) {
    // 300 ms idle with a 200 ms RTO: one halving, 40 -> 20 segments (above the restart window
    // of 10). cwnd reaches 40 by acknowledging another 20 segments one by one.
    auto c = connection_with_cwnd_of_20_segments();
    c.app_send(20 * kMss);
    c.expect_segments(20);
    c.advance(milliseconds(10));
    for (uint32_t i = 11; i <= 30; ++i) c.inject_ack(1 + i * kMss);
    ASSERT_EQ(c.info().cwnd, 40 * kMss);
    c.advance(milliseconds(300));
    c.app_send(50 * kMss);
    EXPECT_EQ(c.pending(), 20u);
    EXPECT_EQ(c.info().cwnd, 20 * kMss);
}

TEST(TcpIdleRestart, IdleShorterThanTheRtoKeepsTheWindow) {
    auto c = connection_with_cwnd_of_20_segments();
    EXPECT_EQ(burst_after(c, milliseconds(150)), 20u);
    EXPECT_EQ(c.counters().tcp_idle_restarts, 0u);
}

}  // namespace
}  // namespace ustack::tcp::testing

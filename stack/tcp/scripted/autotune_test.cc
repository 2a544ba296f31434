// Receive-buffer auto-tuning (Linux tcp_rcv_space_adjust): an application that reads more per
// RTT than the last measurement gets a bigger buffer and so a bigger advertised window, up to
// 6 MiB (Linux tcp_rmem[2]); not when it set SO_RCVBUF itself.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

using std::chrono::milliseconds;

constexpr uint32_t kMss = 1448;

// The peer sends n full segments from `from`; the stack ACKs what it likes.
void peer_sends(ScriptedPeer& c, uint32_t from, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) c.inject({.seq = from + i * kMss, .flags = ".", .payload_len = kMss});
    c.expect_segments(c.pending());
}

// The peer sends `segments` full segments; the application reads them all; returns the window
// field of the stack's latest ACK after two more (which stay unread; two, so one is ACKed at once).
uint16_t read_then_window(ScriptedPeer& c, uint32_t& next, uint32_t segments) {
    peer_sends(c, next, segments);
    next += segments * kMss;
    EXPECT_EQ(c.app_recv(), size_t{segments} * kMss);
    c.expect_segments(c.pending());  // a window update, when the window opened enough
    c.inject({.seq = next, .flags = ".", .payload_len = kMss});
    c.inject({.seq = next + kMss, .flags = ".", .payload_len = kMss});
    next += 2 * kMss;
    const std::vector<Segment> acks = c.expect_segments(c.pending());
    EXPECT_FALSE(acks.empty());
    if (acks.empty()) return 0;
    EXPECT_EQ(c.app_recv(), size_t{2} * kMss);
    c.expect_segments(c.pending());
    return acks.back().tcp.window;
}

// Reads 20 segments, then an RTT (10 ms) later 100 more: far more than the 10-segment start.
uint16_t window_after_a_fast_reader(ScriptedPeer& c) {
    uint32_t next = 1;
    read_then_window(c, next, 20);
    c.advance(milliseconds(10));
    return read_then_window(c, next, 100);
}

TEST(TcpRcvAutotune, AFastReaderGetsALargerWindow) {
    auto c = ScriptedPeer::passive({.handshake_rtt = milliseconds(10)});
    // 256 KiB at the start: the window field says 2048 with a shift of 7. 94 KB read in the
    // first RTT against the 10-segment start: the buffer grows to about 2.5 MB.
    EXPECT_GT(window_after_a_fast_reader(c), 8 * 2048);
    EXPECT_EQ(c.counters().tcp_rcvbuf_autotuned, 1u);
}

TEST(TcpRcvAutotune, GrowthStopsAtSixMebibytes) {
    auto c = ScriptedPeer::passive({.handshake_rtt = milliseconds(10)});
    uint32_t next = 1;
    uint16_t win = 0;
    for (uint32_t segments : {20, 100, 300, 1000, 2000}) {  // each fits the window of the round before
        win = read_then_window(c, next, segments);
        c.advance(milliseconds(10));
    }
    EXPECT_EQ(win, (6 * 1024 * 1024 - 2 * kMss) >> 7);  // Linux tcp_rmem[2]; two segments unread
}

TEST(TcpRcvAutotune, ReadingWithinOneRttGrowsNothing) {
    auto c = ScriptedPeer::passive({.handshake_rtt = milliseconds(10)});
    peer_sends(c, 1, 100);
    EXPECT_EQ(c.app_recv(), 100u * kMss);
    c.inject({.seq = 1 + 100 * kMss, .flags = ".", .payload_len = kMss});
    EXPECT_LE(c.expect_segment({.flags = "."}).tcp.window, 2048);
    EXPECT_EQ(c.counters().tcp_rcvbuf_autotuned, 0u);
}

TEST(TcpRcvAutotune, SoRcvbufSetByTheApplicationIsKept) {
    auto c = ScriptedPeer::passive({.handshake_rtt = milliseconds(10), .rcvbuf = 256 * 1024});
    EXPECT_LE(window_after_a_fast_reader(c), 2048);
    EXPECT_EQ(c.counters().tcp_rcvbuf_autotuned, 0u);
}

}  // namespace
}  // namespace ustack::tcp::testing

// Flow control: zero-window probing (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17), receiver SWS
// avoidance (RFC 9293 3.8.6.2.2), and the sender's Nagle / SWS rule (RFC 896, 3.8.6.2.1).
#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// ---- the sender facing a zero window ----

TEST(TcpZeroWindow, ProbeCarriesOneByteAndBacksOff) {
    // RFC 9293 3.8.6.1: with a zero window and data to send, probe after an RTO and back off
    // exponentially. The probe carries one byte of new data (LESSONS: probes must carry data),
    // so the peer's answer says whether the window opened.
    auto c = ScriptedPeer::active();
    c.inject({.ack = 1, .win = 0});                                   // window closes
    const Instant t0 = c.now();
    c.app_send(3000);
    EXPECT_EQ(c.pending(), 0u);                                       // nothing fits
    c.advance(milliseconds(200));
    auto p1 = c.expect_segment({.seq = 1, .flags = ".", .len = 1});
    EXPECT_EQ(p1.at - t0, milliseconds(200));
    c.inject({.ack = 1, .win = 0});                                   // still closed
    c.advance(milliseconds(400));
    auto p2 = c.expect_segment({.seq = 1, .flags = ".", .len = 1});
    EXPECT_EQ(p2.at - p1.at, milliseconds(400));
    c.inject({.ack = 1, .win = 0});
    c.advance(milliseconds(800));
    auto p3 = c.expect_segment({.seq = 1, .flags = ".", .len = 1});
    EXPECT_EQ(p3.at - p2.at, milliseconds(800));
    EXPECT_EQ(c.pending(), 0u);
    // The window opens and takes the probe byte: sending resumes at once.
    c.inject({.ack = 2, .win = 2048});
    c.expect_segment({.seq = 2, .flags = ".", .len = 1448});
}

TEST(TcpZeroWindow, PersistBackoffIsIndependentOfTheRetransmissionTimer) {
    // Linux ICSK_TIME_PROBE0: the persist timer has its own backoff. Three probes double its
    // interval; when the window then opens without taking the probe byte (ack unchanged), the
    // data that follows is lost and its first retransmission comes one plain RTO later, not
    // one backed off by the probes.
    auto c = ScriptedPeer::active();
    c.inject({.ack = 1, .win = 0});
    c.app_send(3000);
    for (int i = 0; i < 3; ++i) {
        c.advance(milliseconds(200 << i));
        c.expect_segment({.seq = 1, .flags = ".", .len = 1});
        c.inject({.ack = 1, .win = 0});
    }
    EXPECT_EQ(c.counters().tcp_persist_probes, 3u);
    c.inject({.ack = 1, .win = 2048});                                 // opens; the probe byte was dropped
    const auto data = c.expect_segments(2);                            // 2 x 1448 (Nagle holds the rest)
    EXPECT_EQ(c.seq_of(data[0]), 2u);
    // Nothing is ACKed from here on. Timeouts resend from snd_una at 1 RTO (200 ms) and then
    // 2 RTOs; a backoff inherited from the probes would put the second at 16 RTOs.
    c.advance(seconds(1));
    std::vector<Instant> resent;
    for (const Segment& s : c.expect_segments(c.pending())) {
        if (c.seq_of(s) == 1 && s.payload.size() == 1448) resent.push_back(s.at);
    }
    ASSERT_EQ(resent.size(), 2u) << c.trace();
    EXPECT_EQ(resent[1] - resent[0], milliseconds(400));
    EXPECT_EQ(c.counters().tcp_rto_expirations, 2u);
    EXPECT_EQ(c.counters().tcp_persist_probes, 3u);
}

// The peer keeps its window closed and answers every probe at once, for `duration`.
void answer_probes(ScriptedPeer& c, Duration duration) {
    for (Duration t{0}; t < duration; t += seconds(1)) {
        c.advance(seconds(1));
        while (c.pending() > 0) {
            c.expect_segment({.seq = 1, .len = 1});
            c.inject({.ack = 1, .win = 0});
        }
        if (c.state() != "ESTABLISHED") return;
    }
}

TEST(TcpZeroWindow, ConnectionStaysOpenWhileProbesAreAnswered) {
    // RFC 1122 4.2.2.17: a TCP MUST NOT close a connection merely because the receive window
    // has been zero for a long time, as long as the receiver keeps acknowledging the probes.
    auto c = ScriptedPeer::active();
    c.inject({.ack = 1, .win = 0});
    c.app_send(3000);
    answer_probes(c, std::chrono::hours(1));
    EXPECT_EQ(c.state(), "ESTABLISHED");
}

TEST(TcpZeroWindow, AnsweredProbesNeverPushDataIntoTheClosedWindow) {
    // RFC 9293 3.8.6: nothing beyond the offered window but the one-byte probe. Each answer to
    // a probe repeats the same ACK and zero window; counting them as duplicate ACKs
    // (RFC 5681 3.2) would "fast retransmit" a full segment into the closed window.
    auto c = ScriptedPeer::active();
    c.inject({.ack = 1, .win = 0});
    c.app_send(3000);
    answer_probes(c, seconds(60));
    EXPECT_EQ(c.counters().tcp_fast_retransmits, 0u);
}

TEST(TcpZeroWindow, DuplicatedProbeAnswersNeverPushDataIntoTheClosedWindow) {
    // The same rule when the network duplicates the answer to one probe three times.
    auto c = ScriptedPeer::active();
    c.inject({.ack = 1, .win = 0});
    c.app_send(3000);
    c.advance(milliseconds(200));
    c.expect_segment({.seq = 1, .len = 1});
    for (int i = 0; i < 3; ++i) c.inject({.ack = 1, .win = 0});
    c.expect_nothing_for(milliseconds(300));                          // the next probe is due at +400 ms
    EXPECT_EQ(c.counters().tcp_fast_retransmits, 0u);
}

// ---- the receiver's window ----

namespace {
// Fills a 16 KiB receive window (no window scaling, so the numbers are the bytes) with
// 1448-byte segments the application does not read, ACKing along.
ScriptedPeer filled_receiver() {
    auto c = ScriptedPeer::passive({.wscale = std::nullopt, .rcvbuf = 16384});
    uint32_t seq = 1;
    while (seq < 1 + 16384) {
        const uint32_t n = std::min<uint32_t>(1448, 1 + 16384 - seq);
        c.inject({.seq = seq, .ack = 1, .payload_len = n});
        seq += n;
    }
    for (const Segment& s : c.expect_segments(c.pending())) EXPECT_TRUE(s.tcp.flags.ack());
    return c;
}
}  // namespace

TEST(TcpReceiverSws, FullBufferAdvertisesZeroWindow) {
    auto c = filled_receiver();
    c.inject({.seq = 16385, .ack = 1, .payload_len = 1});             // a probe
    c.expect_segment({.seq = 1, .ack = 16385, .flags = ".", .win = 0});
}

TEST(TcpReceiverSws, SmallReadsDoNotOpenAZeroWindow) {
    // RFC 9293 3.8.6.2.2 (RFC 1122 4.2.3.3): the right edge moves only when it can move by
    // min(RCV.BUFF / 2, Eff.snd.MSS); reading 1000 bytes of a 16 KiB buffer is not enough,
    // neither for a window update nor in the ACK answering a probe.
    auto c = filled_receiver();
    EXPECT_EQ(c.app_recv(1000), 1000u);
    EXPECT_EQ(c.pending(), 0u);                                       // no window update
    c.inject({.seq = 16385, .ack = 1, .payload_len = 1});
    c.expect_segment({.seq = 1, .ack = 16385, .flags = ".", .win = 0});
}

TEST(TcpReceiverSws, ReadingAUsefulAmountSendsAWindowUpdate) {
    // RFC 1122 4.2.3.3 and 4.2.2.17: once the window can open by a full segment (here two, as
    // Linux), the receiver says so at once, so a sender waiting on it need not probe.
    auto c = filled_receiver();
    EXPECT_EQ(c.app_recv(4000), 4000u);
    auto update = c.expect_segment({.seq = 1, .ack = 16385, .flags = ".", .len = 0});
    EXPECT_EQ(update.tcp.window, 4000);
}

TEST(TcpReceiverSws, WindowNeverShrinks) {
    // RFC 9293 3.8.6: the right edge offered is never taken back, even when the data that
    // arrives is not read.
    auto c = ScriptedPeer::passive({.wscale = std::nullopt, .rcvbuf = 16384});
    c.inject({.seq = 1, .ack = 1, .payload_len = 1000});
    auto a1 = c.expect_segment({.seq = 1, .ack = 1001, .flags = "."});
    c.inject({.seq = 1001, .ack = 1, .payload_len = 1000});
    auto a2 = c.expect_segment({.seq = 1, .ack = 2001, .flags = "."});
    EXPECT_GE(2001u + a2.tcp.window, 1001u + a1.tcp.window);
}

// ---- the sender's small segments ----

TEST(TcpNagle, SmallSegmentWaitsWhileDataIsUnacknowledged) {
    // RFC 896 / RFC 9293 3.8.6.2.1: with data in flight, a segment smaller than the MSS waits
    // until the outstanding data is acknowledged.
    // A 50 ms path, so that neither the RTO (200 ms) nor a tail loss probe (2 SRTT + 40 ms)
    // ends the wait in the first 120 ms.
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(50)});
    c.app_send(100);
    c.expect_segment({.seq = 1, .flags = "P.", .len = 100});         // nothing in flight: goes
    c.app_send(100);
    c.expect_nothing_for(milliseconds(120));                          // waits
    c.inject_ack(101);
    c.expect_segment({.seq = 101, .flags = "P.", .len = 100});
}

TEST(TcpNagle, SmallWritesCoalesceWhileWaiting) {
    // The bytes held back go out together as one segment once the ACK comes.
    auto c = ScriptedPeer::active();
    c.app_send(100);
    c.expect_segment({.seq = 1, .len = 100});
    for (int i = 0; i < 5; ++i) c.app_send(100);
    EXPECT_EQ(c.pending(), 0u);
    c.inject_ack(101);
    c.expect_segment({.seq = 101, .flags = "P.", .len = 500});
}

TEST(TcpNagle, NodelaySendsSmallSegmentsAtOnce) {
    // TCP_NODELAY (RFC 1122 4.2.3.4: a TCP SHOULD let the application disable Nagle).
    auto c = ScriptedPeer::active();
    c.set_nodelay(true);
    c.app_send(100);
    c.expect_segment({.seq = 1, .flags = "P.", .len = 100});
    c.app_send(100);
    c.expect_segment({.seq = 101, .flags = "P.", .len = 100});
}

TEST(TcpNagle, FullSegmentsAreNotHeld) {
    // Nagle holds only a partial segment: full ones go while others are in flight.
    auto c = ScriptedPeer::active();
    c.app_send(100);
    c.expect_segment({.seq = 1, .len = 100});
    c.app_send(1448);
    c.expect_segment({.seq = 101, .flags = "P.", .len = 1448});
}

}  // namespace
}  // namespace ustack::tcp::testing

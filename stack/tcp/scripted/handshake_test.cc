// Opening a connection: the SYN and SYN-ACK option layout (as Linux), the unscaled window in
// a SYN (RFC 7323 2.2), MSS clamping, and simultaneous open (RFC 9293 figure 8).
#include <algorithm>
#include <cerrno>

#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

TEST(TcpSynOptions, ActiveSynCarriesMssSackOkTsNopWscaleInLinuxOrder) {
    auto c = ScriptedPeer::bare();
    EXPECT_EQ(c.app_connect(), -EINPROGRESS);
    auto syn = c.expect_segment({.seq = 0, .flags = "S", .len = 0});
    EXPECT_EQ(option_layout(syn.raw_options), "mss,sackOK,TS,nop,wscale");
    EXPECT_EQ(syn.tcp.options.mss, 1460);  // RFC 9293 3.7.1: MTU 1500 - 40
    ASSERT_TRUE(syn.tcp.options.timestamps);
    EXPECT_EQ(syn.tcp.options.timestamps->tsecr, 0u);  // RFC 7323 3.2: nothing to echo yet
    EXPECT_EQ(syn.tcp.options.window_scale, 7);
}

TEST(TcpSynOptions, SynAckWithTimestampsUsesLinuxLayout) {
    auto c = ScriptedPeer::bare();
    c.app_listen();
    c.inject({.seq = 0, .flags = "S", .mss = 1460, .wscale = 7, .sack_permitted = true});
    auto synack = c.expect_segment({.seq = 0, .ack = 1, .flags = "S."});
    EXPECT_EQ(option_layout(synack.raw_options), "mss,sackOK,TS,nop,wscale");
    ASSERT_TRUE(synack.tcp.options.timestamps);
    EXPECT_EQ(synack.tcp.options.timestamps->tsecr, c.peer_tsval());  // echoes the SYN's TSval
}

TEST(TcpSynOptions, SynAckWithoutTimestampsUsesLinuxLayout) {
    auto c = ScriptedPeer::bare({.timestamps = false});
    c.app_listen();
    c.inject({.seq = 0, .flags = "S", .mss = 1460, .wscale = 7, .sack_permitted = true});
    auto synack = c.expect_segment({.seq = 0, .ack = 1, .flags = "S."});
    EXPECT_EQ(option_layout(synack.raw_options), "mss,nop,nop,sackOK,nop,wscale");
}

TEST(TcpSynOptions, SynAckOffersOnlyWhatTheSynOffered) {
    // RFC 7323 2.2 and 3.2, RFC 2018 2: window scale, timestamps and SACK-permitted appear in
    // a SYN-ACK only if the SYN carried them.
    auto c = ScriptedPeer::bare({.timestamps = false});
    c.app_listen();
    c.inject({.seq = 0, .flags = "S", .mss = 1460});
    auto synack = c.expect_segment({.seq = 0, .ack = 1, .flags = "S."});
    EXPECT_EQ(option_layout(synack.raw_options), "mss");
}

TEST(TcpWindowScale, WindowInOurSynIsNotScaled) {
    // RFC 7323 2.2: the window field of a SYN is never scaled. 256 KiB of buffer shows as
    // 65535 in the SYN, and as 256 KiB >> 7 once the handshake is done.
    auto c = ScriptedPeer::bare();
    c.app_connect();
    c.expect_segment({.seq = 0, .flags = "S", .win = 65535});
    c.inject({.seq = 0, .ack = 1, .flags = "S.", .win = 65535, .mss = 1460, .wscale = 7, .sack_permitted = true});
    c.expect_segment({.seq = 1, .ack = 1, .flags = ".", .win = 2048});
}

TEST(TcpWindowScale, WindowInPeersSynAckIsNotScaled) {
    // RFC 7323 2.2: the peer's SYN-ACK says 1000 bytes even though it announces a shift of 7;
    // reading it as 1000 << 7 would let four segments out instead of the 1000 bytes allowed.
    auto c = ScriptedPeer::bare();
    c.app_connect();
    c.expect_segment({.seq = 0, .flags = "S"});
    c.inject({.seq = 0, .ack = 1, .flags = "S.", .win = 1000, .mss = 1460, .wscale = 7, .sack_permitted = true});
    c.expect_segment({.seq = 1, .ack = 1, .flags = "."});
    c.app_send(4000);
    c.expect_segment({.seq = 1, .ack = 1, .flags = ".", .len = 1000});
    c.advance(std::chrono::milliseconds(100));
    for (const Segment& s : c.expect_segments(c.pending())) EXPECT_LE(c.end_of(s), 1001u);  // (a loss probe may resend)
}

TEST(TcpWindowScale, ShiftAboveFourteenIsUsedAsFourteen) {
    // RFC 7323 2.3: a shift over 14 is used as 14. The peer offers 20 and a window field of 1:
    // 16384 bytes, not 1 MiB. ACKing one segment at a time grows cwnd past that, so only the
    // window can hold the flight to 16384.
    auto c = ScriptedPeer::active({.wscale = 20, .window = 1});
    c.app_send(60000);
    uint32_t acked = 1, sent_end = 1;
    for (const Segment& s : c.expect_segments(c.pending())) sent_end = std::max(sent_end, c.end_of(s));
    for (int i = 0; i < 10; ++i) {
        acked += 1448;
        c.inject_ack(acked);
        for (const Segment& s : c.expect_segments(c.pending())) sent_end = std::max(sent_end, c.end_of(s));
        EXPECT_LE(sent_end - acked, 16384u) << "after ACK " << acked;
    }
    EXPECT_GT(sent_end - acked, 16384u - 1448u);  // the window, not cwnd, is the limit
}

TEST(TcpMss, DataSegmentsNeverExceedPeerMssLessTimestampSpace) {
    // RFC 9293 3.7.1 with RFC 7323: the peer's MSS counts the timestamp option's 12 bytes, as
    // Linux does, so segments carry 1000 - 12 = 988 bytes.
    auto c = ScriptedPeer::active({.mss = 1000});
    c.app_send(3000);
    c.expect_segment({.seq = 1, .flags = ".", .len = 988});
    c.expect_segment({.seq = 989, .flags = ".", .len = 988});
    c.expect_segment({.seq = 1977, .flags = ".", .len = 988});
    c.inject_ack(2965);  // the 36-byte tail waited for this (Nagle)
    c.expect_segment({.seq = 2965, .flags = "P.", .len = 36});
}

TEST(TcpMss, WithoutTimestampsSegmentsCarryTheWholeMss) {
    auto c = ScriptedPeer::active({.mss = 1000, .timestamps = false});
    c.app_send(2500);
    c.expect_segment({.seq = 1, .flags = ".", .len = 1000});
    c.expect_segment({.seq = 1001, .flags = ".", .len = 1000});
    c.inject_ack(2001);
    c.expect_segment({.seq = 2001, .flags = "P.", .len = 500});
}

TEST(TcpMss, PeerWithoutMssOptionGets536Bytes) {
    // RFC 9293 3.7.1: without an MSS option the sender assumes 536 (RFC 1122 4.2.2.6).
    auto c = ScriptedPeer::active({.mss = std::nullopt, .timestamps = false});
    c.app_send(1000);
    c.expect_segment({.seq = 1, .flags = ".", .len = 536});
    c.inject_ack(537);
    c.expect_segment({.seq = 537, .flags = "P.", .len = 464});
}

TEST(TcpMss, ZeroMssOptionCountsAsNone) {
    // A zero MSS option is ignored, as Linux does (tcp_parse_options): 536 (RFC 9293 3.7.1).
    // Found by the TCP input fuzzer: a zero MSS gave a zero congestion window.
    auto c = ScriptedPeer::active({.mss = 0, .timestamps = false});
    c.app_send(1000);
    c.expect_segment({.seq = 1, .flags = ".", .len = 536});
}

TEST(TcpMss, TinyMssIsRaisedToTheMinimum) {
    // An MSS below the 12 bytes of timestamps must not wrap into a huge one; Linux never sends
    // less than TCP_MIN_SND_MSS (48) per segment. Found by the TCP input fuzzer.
    auto c = ScriptedPeer::active({.mss = 4});
    c.app_send(100);
    c.expect_segment({.seq = 1, .flags = ".", .len = 48});
    c.expect_segment({.seq = 49, .flags = ".", .len = 48});
}

TEST(TcpSimultaneousOpen, ShutdownInSynReceivedSendsTheFinAfterTheHandshake) {
    // RFC 9293 3.10.4 (CLOSE in SYN-RECEIVED): the FIN is queued until ESTABLISHED. Found by the
    // TCP input fuzzer: entering FIN-WAIT-1 at once sent the FIN before the handshake ended and
    // then took the ACK of our SYN for a byte of data.
    auto c = ScriptedPeer::bare();
    EXPECT_EQ(c.app_connect(), -EINPROGRESS);
    c.expect_segment({.seq = 0, .flags = "S"});
    c.inject({.seq = 0, .flags = "S", .mss = 1460, .wscale = 7, .sack_permitted = true});
    c.expect_segment({.seq = 0, .ack = 1, .flags = "S."});
    c.app_shutdown_write();
    EXPECT_EQ(c.state(), "SYN-RECEIVED");
    EXPECT_EQ(c.pending(), 0u);
    c.inject({.seq = 1, .ack = 1, .flags = "."});                  // the peer ACKs our SYN
    c.expect_segment({.seq = 1, .ack = 1, .flags = "F."});
    EXPECT_EQ(c.state(), "FIN-WAIT-1");
    c.inject({.seq = 1, .ack = 2, .flags = "."});
    EXPECT_EQ(c.state(), "FIN-WAIT-2");
}

TEST(TcpSimultaneousOpen, CrossingSynsBothReachEstablished) {
    // RFC 9293 3.5 figure 8: each side's SYN reaches the other in SYN-SENT; each answers with
    // SYN-ACK from SYN-RECEIVED; each SYN-ACK then completes the other's open.
    auto c = ScriptedPeer::bare();
    EXPECT_EQ(c.app_connect(), -EINPROGRESS);
    c.expect_segment({.seq = 0, .flags = "S"});                                         // line 2
    c.inject({.seq = 0, .flags = "S", .mss = 1460, .wscale = 7, .sack_permitted = true});  // line 3
    EXPECT_EQ(c.state(), "SYN-RECEIVED");
    auto synack = c.expect_segment({.seq = 0, .ack = 1, .flags = "S."});                 // line 5
    EXPECT_EQ(option_layout(synack.raw_options), "mss,sackOK,TS,nop,wscale");
    c.inject({.seq = 0, .ack = 1, .flags = "S.", .mss = 1460, .wscale = 7, .sack_permitted = true});  // line 6
    EXPECT_EQ(c.state(), "ESTABLISHED");
    EXPECT_EQ(c.app_send(100), 100u);
    while (c.pending() > 1) c.expect_segment({.flags = "."});  // an ACK first does no harm
    c.expect_segment({.seq = 1, .ack = 1, .flags = "P.", .len = 100});
}

}  // namespace
}  // namespace ustack::tcp::testing

// Closing: TIME-WAIT (RFC 9293 3.6, 2 MSL = 60 s as Linux), its reuse by a new SYN, and
// simultaneous close through CLOSING (RFC 9293 figure 13).
#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The stack closes first; the peer ACKs the FIN and sends its own; the stack is in TIME-WAIT.
void close_into_time_wait(ScriptedPeer& c) {
    c.app_close();
    c.expect_segment({.seq = 1, .ack = 1, .flags = "F.", .len = 0});
    c.inject({.seq = 1, .ack = 2, .flags = "."});
    EXPECT_EQ(c.state(), "FIN-WAIT-2");
    c.inject({.seq = 1, .ack = 2, .flags = "F."});
    c.expect_segment({.seq = 2, .ack = 2, .flags = ".", .len = 0});
    EXPECT_EQ(c.state(), "TIME-WAIT");
}

TEST(TcpTimeWait, ActiveCloserStaysInTimeWaitFor60Seconds) {
    // RFC 9293 3.6: the side that closes first waits 2 MSL; Linux's TCP_TIMEWAIT_LEN is 60 s.
    auto c = ScriptedPeer::active();
    close_into_time_wait(c);
    c.expect_nothing_for(seconds(59));
    EXPECT_EQ(c.state(), "TIME-WAIT");
    c.advance(seconds(1));
    EXPECT_EQ(c.state(), "");  // gone
    EXPECT_EQ(c.pending(), 0u);
}

TEST(TcpTimeWait, PassiveCloserDoesNotEnterTimeWait) {
    // RFC 9293 3.6: CLOSE-WAIT -> LAST-ACK -> CLOSED on the ACK of our FIN.
    auto c = ScriptedPeer::passive();
    c.inject({.seq = 1, .ack = 1, .flags = "F."});
    c.expect_segment({.seq = 1, .ack = 2, .flags = "."});
    EXPECT_EQ(c.state(), "CLOSE-WAIT");
    c.app_close();
    c.expect_segment({.seq = 1, .ack = 2, .flags = "F."});
    EXPECT_EQ(c.state(), "LAST-ACK");
    c.inject({.seq = 2, .ack = 2, .flags = "."});
    EXPECT_EQ(c.state(), "");
}

TEST(TcpTimeWait, ResetEndsTimeWaitButTheReaderKeepsItsDataAndEndOfStream) {
    // Linux: the peer's FIN moved the socket to TIME-WAIT with data still unread; a RST from
    // the peer (its connection is gone, and it answered a late ACK of ours) kills only the
    // timewait state. The application reads the queued data and then 0, never ECONNRESET.
    // (Seen at 5% loss against Linux: the download's reader got ECONNRESET at its tail.)
    auto c = ScriptedPeer::active();
    c.app_shutdown_write();
    c.expect_segment({.seq = 1, .ack = 1, .flags = "F.", .len = 0});
    c.inject({.seq = 1, .ack = 2, .flags = ".", .payload_len = 1000});
    c.expect_segment({.seq = 2, .ack = 1001, .flags = ".", .len = 0});  // quick ACK
    c.inject({.seq = 1001, .ack = 2, .flags = "F."});
    c.expect_segment({.seq = 2, .ack = 1002, .flags = ".", .len = 0});
    EXPECT_EQ(c.state(), "TIME-WAIT");
    c.inject({.seq = 1002, .flags = "R"});
    EXPECT_EQ(c.counters().tcp_resets_received, 1u);
    EXPECT_EQ(c.app_recv(), 1000u);
    std::byte buf[8];
    MutableBytes out[] = {buf};
    EXPECT_EQ(c.stack().recv(c.socket(), out, nullptr, 0, c.now()), 0);
    EXPECT_EQ(c.stack().take_error(c.socket()), 0);
}

TEST(TcpClose, ResetInCloseWaitLeavesEndOfStreamToTheReaderAndEpipeToTheWriter) {
    // Linux tcp_reset() in CLOSE-WAIT sets EPIPE; tcp_recvmsg still returns 0 first, because
    // the FIN came before the reset.
    auto c = ScriptedPeer::passive();
    c.inject({.seq = 1, .ack = 1, .flags = "F.", .payload_len = 500});
    c.expect_segment({.seq = 1, .ack = 502, .flags = "."});
    EXPECT_EQ(c.state(), "CLOSE-WAIT");
    c.inject({.seq = 502, .flags = "R"});
    EXPECT_EQ(c.app_recv(), 500u);
    std::byte buf[8];
    MutableBytes out[] = {buf};
    EXPECT_EQ(c.stack().recv(c.socket(), out, nullptr, 0, c.now()), 0);
    EXPECT_EQ(c.stack().take_error(c.socket()), EPIPE);
}

TEST(TcpTimeWait, RetransmittedFinIsAckedAndRestartsTheTimer) {
    // RFC 9293 3.10.7.4 (TIME-WAIT): "The only thing that can arrive in this state is a
    // retransmission of the remote FIN. Acknowledge it, and restart the 2 MSL timeout."
    auto c = ScriptedPeer::active();
    close_into_time_wait(c);
    c.advance(seconds(30));
    c.inject({.seq = 1, .ack = 2, .flags = "F."});                 // our ACK was lost
    c.expect_segment({.seq = 2, .ack = 2, .flags = ".", .len = 0});
    c.advance(seconds(59));
    EXPECT_EQ(c.state(), "TIME-WAIT");                             // 89 s after the first FIN
    c.advance(seconds(1));
    EXPECT_EQ(c.state(), "");
}

TEST(TcpTimeWait, NewSynWithHigherSequenceReusesTheConnection) {
    // RFC 9293 3.6.1 (RFC 6191): a SYN for a 4-tuple in TIME-WAIT whose sequence number lies
    // above what the old connection used may open a new incarnation; Linux does.
    auto c = ScriptedPeer::passive();
    close_into_time_wait(c);
    c.advance(seconds(1));
    c.new_incarnation(c.peer_iss().raw() + 100'000);
    c.inject({.seq = 0, .flags = "S", .mss = 1460, .wscale = 7, .sack_permitted = true});
    c.expect_segment({.seq = 0, .ack = 1, .flags = "S."});
    c.inject({.seq = 1, .ack = 1, .flags = "."});
    EXPECT_GT(c.app_accept(), 0);
    EXPECT_EQ(c.state(), "ESTABLISHED");
}

TEST(TcpTimeWait, SynWithOldSequenceDoesNotReopen) {
    // A SYN at or below the old RCV.NXT could be an old duplicate: it gets an ACK, and the
    // TIME-WAIT connection stays.
    auto c = ScriptedPeer::passive();
    close_into_time_wait(c);
    c.inject({.seq = 0u - 100'000u, .flags = "S", .mss = 1460});
    c.expect_segment({.seq = 2, .ack = 2, .flags = ".", .len = 0});
    EXPECT_EQ(c.state(), "TIME-WAIT");
}

TEST(TcpSimultaneousClose, CrossingFinsGoThroughClosingToTimeWait) {
    // RFC 9293 figure 13: both FINs cross. FIN-WAIT-1 + FIN -> CLOSING (ACK it);
    // CLOSING + ACK of our FIN -> TIME-WAIT.
    auto c = ScriptedPeer::active();
    c.app_close();
    c.expect_segment({.seq = 1, .ack = 1, .flags = "F."});
    c.inject({.seq = 1, .ack = 1, .flags = "F."});                 // theirs, not acking ours
    c.expect_segment({.seq = 2, .ack = 2, .flags = ".", .len = 0});
    EXPECT_EQ(c.state(), "CLOSING");
    c.inject({.seq = 2, .ack = 2, .flags = "."});
    EXPECT_EQ(c.state(), "TIME-WAIT");
    c.expect_nothing_for(seconds(59));
    c.advance(seconds(1));
    EXPECT_EQ(c.state(), "");
}

TEST(TcpSimultaneousClose, FinAckingOurFinGoesStraightToTimeWait) {
    // RFC 9293 3.10.7.4 (FIN-WAIT-1, eighth): a FIN that also acknowledges our FIN moves us to
    // TIME-WAIT directly.
    auto c = ScriptedPeer::active();
    c.app_close();
    c.expect_segment({.seq = 1, .ack = 1, .flags = "F."});
    c.inject({.seq = 1, .ack = 2, .flags = "F."});
    c.expect_segment({.seq = 2, .ack = 2, .flags = "."});
    EXPECT_EQ(c.state(), "TIME-WAIT");
}

TEST(TcpClose, FinIsRetransmittedLikeData) {
    // RFC 9293 3.10.4: the FIN occupies sequence space and is retransmitted until ACKed.
    auto c = ScriptedPeer::active({.handshake_rtt = milliseconds(10)});
    c.app_close();
    c.expect_segment({.seq = 1, .ack = 1, .flags = "F."});
    c.advance(milliseconds(200));
    c.expect_segment({.seq = 1, .ack = 1, .flags = "F."});
}

}  // namespace
}  // namespace ustack::tcp::testing

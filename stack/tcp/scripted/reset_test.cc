// Resets and blind attacks: RST generation in each state (RFC 9293 3.10.7), RST and SYN
// acceptance (RFC 5961 challenge ACKs), and PAWS (RFC 7323 5.3).
#include <cerrno>

#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

using std::chrono::milliseconds;

// ---- RST generation (RFC 9293 3.10.7.1 - 3.10.7.3) ----

TEST(TcpReset, SynToClosedPortGetsRstAckForItsSequenceSpace) {
    // RFC 9293 3.10.7.1: no ACK in the segment -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    auto c = ScriptedPeer::bare();
    c.inject({.seq = 0, .flags = "S", .mss = 1460});
    c.expect_segment({.seq = 0, .ack = 1, .flags = "R.", .len = 0, .absolute = false});
    EXPECT_EQ(c.counters().tcp_rx_no_socket, 1u);
}

TEST(TcpReset, AckToClosedPortGetsRstFromItsAckNumber) {
    // RFC 9293 3.10.7.1: with ACK -> <SEQ=SEG.ACK><CTL=RST>.
    auto c = ScriptedPeer::bare();
    c.inject({.seq = 1, .ack = 777777, .flags = ".", .payload_len = 10, .absolute = true});
    c.expect_segment({.seq = 777777, .flags = "R", .len = 0, .absolute = true});
}

TEST(TcpReset, RstToClosedPortIsNotAnswered) {
    // RFC 9293 3.10.7.1: an incoming RST is discarded.
    auto c = ScriptedPeer::bare();
    c.inject({.seq = 1, .ack = 5, .flags = "R."});
    c.expect_nothing_for(milliseconds(10));
}

TEST(TcpReset, AckToListenerGetsRst) {
    // RFC 9293 3.10.7.2: in LISTEN an ACK is bad: <SEQ=SEG.ACK><CTL=RST>; the listener stays.
    auto c = ScriptedPeer::bare();
    c.app_listen();
    c.inject({.seq = 1, .ack = 424242, .flags = ".", .absolute = true});
    c.expect_segment({.seq = 424242, .flags = "R", .absolute = true});
    EXPECT_EQ(c.state(), "LISTEN");
}

TEST(TcpReset, RstToListenerIsIgnored) {
    auto c = ScriptedPeer::bare();
    c.app_listen();
    c.inject({.seq = 1, .flags = "R"});
    c.expect_nothing_for(milliseconds(10));
    EXPECT_EQ(c.state(), "LISTEN");
}

TEST(TcpReset, SynSentAnswersUnacceptableAckWithRst) {
    // RFC 9293 3.10.7.3: in SYN-SENT, SEG.ACK =< ISS or > SND.NXT -> <SEQ=SEG.ACK><CTL=RST>,
    // and the connection attempt goes on.
    auto c = ScriptedPeer::bare();
    c.app_connect();
    c.expect_segment({.seq = 0, .flags = "S"});
    c.inject({.seq = 0, .ack = 1000, .flags = "S.", .mss = 1460});
    c.expect_segment({.seq = 1000, .flags = "R", .len = 0});
    EXPECT_EQ(c.state(), "SYN-SENT");
    c.inject({.seq = 0, .ack = 1, .flags = "S.", .mss = 1460});
    c.expect_segment({.seq = 1, .ack = 1, .flags = "."});
    EXPECT_EQ(c.state(), "ESTABLISHED");
}

TEST(TcpReset, SynSentAcceptsRstWithAcceptableAckAsRefusal) {
    // RFC 9293 3.10.7.3: RST with an acceptable ACK: "error: connection reset", to CLOSED.
    auto c = ScriptedPeer::bare();
    c.app_connect();
    c.expect_segment({.seq = 0, .flags = "S"});
    c.inject({.seq = 0, .ack = 1, .flags = "R."});
    EXPECT_EQ(c.state(), "CLOSED");
    EXPECT_EQ(c.stack().take_error(c.socket()), ECONNREFUSED);
    c.expect_nothing_for(std::chrono::seconds(5));  // and no SYN retransmission
}

TEST(TcpReset, SynSentIgnoresRstWithoutAck) {
    // RFC 9293 3.10.7.3: a RST without an acceptable ACK is dropped (it could be blind).
    auto c = ScriptedPeer::bare();
    c.app_connect();
    c.expect_segment({.seq = 0, .flags = "S"});
    c.inject({.seq = 0, .flags = "R"});
    EXPECT_EQ(c.state(), "SYN-SENT");
}

TEST(TcpReset, SynReceivedAnswersUnacceptableAckWithRst) {
    // RFC 9293 3.10.7.4 (fifth, SYN-RECEIVED): an ACK outside SND.UNA < SEG.ACK =< SND.NXT gets
    // <SEQ=SEG.ACK><CTL=RST>; the half-open connection stays.
    auto c = ScriptedPeer::bare();
    c.app_listen();
    c.inject({.seq = 0, .flags = "S", .mss = 1460});
    c.expect_segment({.seq = 0, .ack = 1, .flags = "S."});
    c.inject({.seq = 1, .ack = 50, .flags = "."});
    c.expect_segment({.seq = 50, .flags = "R"});
    c.inject({.seq = 1, .ack = 1, .flags = "."});   // the real third segment still completes it
    EXPECT_GT(c.app_accept(), 0);
    EXPECT_EQ(c.state(), "ESTABLISHED");
}

TEST(TcpReset, RstAtRcvNxtClosesAnEstablishedConnection) {
    // RFC 5961 3.2: a RST whose sequence number is exactly RCV.NXT resets the connection.
    auto c = ScriptedPeer::passive();
    c.inject({.seq = 1, .flags = "R"});
    EXPECT_EQ(c.state(), "CLOSED");
    EXPECT_EQ(c.stack().take_error(c.socket()), ECONNRESET);
    EXPECT_EQ(c.counters().tcp_resets_received, 1u);
    c.expect_nothing_for(milliseconds(10));
}

// ---- RFC 5961 challenge ACKs ----

TEST(TcpChallengeAck, InWindowRstNotAtRcvNxtGetsChallengeAck) {
    // RFC 5961 3.2: an in-window RST that is not exactly RCV.NXT gets <SEQ=SND.NXT>
    // <ACK=RCV.NXT><CTL=ACK> and the connection stays.
    auto c = ScriptedPeer::passive();
    c.inject({.seq = 1 + 5000, .flags = "R"});
    c.expect_segment({.seq = 1, .ack = 1, .flags = ".", .len = 0});
    EXPECT_EQ(c.state(), "ESTABLISHED");
    EXPECT_EQ(c.counters().tcp_challenge_acks, 1u);
    EXPECT_EQ(c.counters().tcp_resets_received, 0u);
}

TEST(TcpChallengeAck, OutOfWindowRstIsSilentlyDropped) {
    // RFC 5961 3.2 (1): a RST outside the window is dropped without reply.
    auto c = ScriptedPeer::passive();
    c.inject({.seq = 1 + 100'000'000, .flags = "R"});
    c.expect_nothing_for(milliseconds(10));
    EXPECT_EQ(c.state(), "ESTABLISHED");
}

TEST(TcpChallengeAck, SynInEstablishedGetsChallengeAckAndConnectionSurvives) {
    // RFC 5961 4.2: a SYN in a synchronized state, whatever its sequence number, gets a
    // challenge ACK; the connection is not reset (RFC 793's old rule).
    auto c = ScriptedPeer::passive();
    c.inject({.seq = 1 + 3000, .flags = "S", .mss = 1460});        // in window
    c.expect_segment({.seq = 1, .ack = 1, .flags = ".", .len = 0});
    c.inject({.seq = 1 + 500'000'000, .flags = "S", .mss = 1460}); // far outside it
    c.expect_segment({.seq = 1, .ack = 1, .flags = ".", .len = 0});
    EXPECT_EQ(c.state(), "ESTABLISHED");
    EXPECT_EQ(c.counters().tcp_resets_received, 0u);
    // Data still flows.
    c.inject({.seq = 1, .ack = 1, .payload_len = 100});
    c.expect_segment({.seq = 1, .ack = 101, .flags = "."});
    EXPECT_EQ(c.app_recv(), 100u);
}

// ---- PAWS ----

TEST(TcpPaws, SegmentWithOlderTimestampIsDroppedAndAcked) {
    // RFC 7323 5.3 R1: SEG.TSval < TS.Recent -> send an ACK and drop the segment.
    auto c = ScriptedPeer::passive();
    c.advance(milliseconds(100));
    const uint32_t recent = c.peer_tsval();
    c.inject({.seq = 1, .ack = 1, .payload_len = 100});               // TS.Recent = recent
    c.expect_segment({.seq = 1, .ack = 101, .flags = "."});
    c.inject({.seq = 101, .ack = 1, .ts = {recent - 50, c.last_stack_tsval()}, .payload_len = 100});
    auto ack = c.expect_segment({.seq = 1, .ack = 101, .flags = ".", .len = 0});  // dropped
    ASSERT_TRUE(ack.tcp.options.timestamps);
    EXPECT_EQ(ack.tcp.options.timestamps->tsecr, recent);             // TS.Recent unchanged
    EXPECT_EQ(c.counters().tcp_paws_rejected, 1u);
    EXPECT_EQ(c.app_recv(), 100u);                                    // only the first segment
    // The same bytes with a current timestamp are accepted.
    c.inject({.seq = 101, .ack = 1, .payload_len = 100});
    c.expect_segment({.seq = 1, .ack = 201, .flags = "."});
    EXPECT_EQ(c.app_recv(), 100u);
}

TEST(TcpPaws, TimestampIsComparedModulo2To32) {
    // RFC 7323 5.2: timestamps compare as 32-bit serial numbers; a TSval that wrapped past
    // 2^32 is newer, not older.
    auto c = ScriptedPeer::passive({.peer_ts_base = 0xFFFFFFF0u});
    c.inject({.seq = 1, .ack = 1, .payload_len = 100});
    c.expect_segment({.seq = 1, .ack = 101, .flags = "."});
    c.advance(milliseconds(100));                                      // the peer's clock wraps
    ASSERT_LT(c.peer_tsval(), 0xFFFFFFF0u);
    c.inject({.seq = 101, .ack = 1, .payload_len = 100});
    c.expect_segment({.seq = 1, .ack = 201, .flags = "."});
    EXPECT_EQ(c.counters().tcp_paws_rejected, 0u);
}

}  // namespace
}  // namespace ustack::tcp::testing

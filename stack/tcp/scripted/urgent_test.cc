// Urgent data (RFC 9293 3.8.5, RFC 6093) as Linux handles it: the pointer names the byte after
// the urgent one; one urgent byte is held out of the stream for recv(MSG_OOB) unless
// SO_OOBINLINE; ordinary reads stop at the mark (stack/tcp/urgent.h).
#include <cerrno>

#include <gtest/gtest.h>

#include "stack/tcp/testing/scripted_peer.h"

namespace ustack::tcp::testing {
namespace {

constexpr uint32_t kSeg = 1448;  // 1460 less timestamps

// The peer sends len bytes from stream offset `from` (sequence from + 1), URG with pointer urp
// when urp != 0; the stack ACKs at once (quick-ack at the start of a connection).
void peer_sends(ScriptedPeer& c, uint32_t from, uint32_t len, uint16_t urp) {
    c.inject({.seq = 1 + from, .ack = 1, .flags = urp != 0 ? "UP." : "P.", .payload_len = len, .urp = urp});
    c.expect_segment({.seq = 1, .ack = 1 + from + len, .flags = "."});
}

ssize_t recv_into(ScriptedPeer& c, std::vector<std::byte>& buf, int flags = 0) {
    buf.assign(64, std::byte{0});
    const ssize_t r = c.app_recv_raw(buf, flags);
    buf.resize(r > 0 ? static_cast<size_t>(r) : 0);
    return r;
}

// Stream offsets [from, from + n) as the peer sent them.
std::vector<std::byte> peer_bytes(uint32_t from, uint32_t n) {
    std::vector<std::byte> v;
    for (uint32_t i = 0; i < n; ++i) v.push_back(ScriptedPeer::peer_byte(from + i));
    return v;
}

void set_oob_inline(ScriptedPeer& c) {
    SocketOptions o = c.stack().get_options(c.socket());
    o.oob_inline = true;
    ASSERT_EQ(c.stack().set_options(c.socket(), o), 0);
}

TEST(TcpUrgentReceive, TheByteBeforeThePointerIsHeldOutOfLineAndReadOnce) {
    auto c = ScriptedPeer::passive();
    peer_sends(c, 0, 1, 0);
    peer_sends(c, 1, 1, /*urp=*/1);                      // send("b", MSG_OOB): the pointer is one past it
    const int s = c.socket();
    EXPECT_TRUE(c.stack().poll_events(s) & readiness::kPri);
    EXPECT_EQ(c.stack().readable_bytes(s), 1u);          // FIONREAD counts up to the mark
    std::vector<std::byte> buf;
    ASSERT_EQ(recv_into(c, buf, msgflags::kOob), 1);
    EXPECT_EQ(buf, peer_bytes(1, 1));
    EXPECT_FALSE(c.stack().poll_events(s) & readiness::kPri);
    EXPECT_EQ(recv_into(c, buf, msgflags::kOob), -EINVAL);  // once only
    ASSERT_EQ(recv_into(c, buf), 1);                      // the stream is the other byte alone
    EXPECT_EQ(buf, peer_bytes(0, 1));
    EXPECT_TRUE(c.stack().at_urgent_mark(s));
    EXPECT_EQ(recv_into(c, buf), -EAGAIN);                // the urgent byte is passed over
    EXPECT_FALSE(c.stack().at_urgent_mark(s));
}

TEST(TcpUrgentReceive, ReadsStopAtTheMarkAndSkipTheUrgentByte) {
    auto c = ScriptedPeer::passive();
    peer_sends(c, 0, 10, /*urp=*/6);                     // offset 5 is urgent
    const int s = c.socket();
    std::vector<std::byte> buf;
    EXPECT_FALSE(c.stack().at_urgent_mark(s));
    ASSERT_EQ(recv_into(c, buf), 5);
    EXPECT_EQ(buf, peer_bytes(0, 5));
    EXPECT_TRUE(c.stack().at_urgent_mark(s));
    EXPECT_EQ(c.stack().readable_bytes(s), 0u);          // Linux tcp_inq at the mark
    EXPECT_TRUE(c.stack().poll_events(s) & readiness::kIn);  // the bytes after the mark
    ASSERT_EQ(recv_into(c, buf, msgflags::kOob | msgflags::kPeek), 1);  // a peek leaves it
    ASSERT_EQ(recv_into(c, buf, msgflags::kOob), 1);
    EXPECT_EQ(buf, peer_bytes(5, 1));
    ASSERT_EQ(recv_into(c, buf), 4);
    EXPECT_EQ(buf, peer_bytes(6, 4));
    EXPECT_FALSE(c.stack().at_urgent_mark(s));
    EXPECT_EQ(recv_into(c, buf, msgflags::kOob), -EINVAL);  // the mark is behind us
}

TEST(TcpUrgentReceive, TheUrgentByteAloneAtTheMarkIsNotReadable) {
    // Linux tcp_poll: at the mark an out-of-line urgent byte does not count toward POLLIN.
    auto c = ScriptedPeer::passive();
    peer_sends(c, 0, 1, /*urp=*/1);
    const int s = c.socket();
    EXPECT_TRUE(c.stack().at_urgent_mark(s));
    EXPECT_EQ(c.stack().poll_events(s) & (readiness::kIn | readiness::kPri), readiness::kPri);
}

TEST(TcpUrgentReceive, OobInlineLeavesTheByteInTheStream) {
    auto c = ScriptedPeer::passive();
    set_oob_inline(c);
    peer_sends(c, 0, 10, /*urp=*/6);
    const int s = c.socket();
    EXPECT_TRUE(c.stack().poll_events(s) & readiness::kPri);  // Linux still reports POLLPRI
    std::vector<std::byte> buf;
    EXPECT_EQ(recv_into(c, buf, msgflags::kOob), -EINVAL);
    ASSERT_EQ(recv_into(c, buf), 5);                      // up to the mark
    EXPECT_TRUE(c.stack().at_urgent_mark(s));
    ASSERT_EQ(recv_into(c, buf), 5);                      // the urgent byte and what follows
    EXPECT_EQ(buf, peer_bytes(5, 5));
    EXPECT_FALSE(c.stack().poll_events(s) & readiness::kPri);
}

TEST(TcpUrgentReceive, ANewerPointerTurnsTheOldUrgentByteIntoData) {
    auto c = ScriptedPeer::passive();
    peer_sends(c, 0, 3, /*urp=*/3);                      // offset 2 urgent
    peer_sends(c, 3, 3, /*urp=*/3);                      // offset 5 urgent: replaces it
    std::vector<std::byte> buf;
    ASSERT_EQ(recv_into(c, buf, msgflags::kOob), 1);
    EXPECT_EQ(buf, peer_bytes(5, 1));
    ASSERT_EQ(recv_into(c, buf), 5);                      // offset 2 is ordinary data now
    EXPECT_EQ(buf, peer_bytes(0, 5));
    EXPECT_EQ(recv_into(c, buf), -EAGAIN);
}

TEST(TcpUrgentReceive, ANewerPointerDropsTheOldByteWhenItIsNextToRead) {
    // Linux tcp_check_urg: the unread old urgent byte at the read position is discarded, not
    // returned as data.
    auto c = ScriptedPeer::passive();
    peer_sends(c, 0, 1, /*urp=*/1);
    peer_sends(c, 1, 1, /*urp=*/1);
    std::vector<std::byte> buf;
    EXPECT_EQ(c.stack().readable_bytes(c.socket()), 0u);
    ASSERT_EQ(recv_into(c, buf, msgflags::kOob), 1);
    EXPECT_EQ(buf, peer_bytes(1, 1));
    EXPECT_EQ(recv_into(c, buf), -EAGAIN);               // offset 0 is gone, offset 1 passed over
}

TEST(TcpUrgentReceive, APointerAheadOfTheDataWaitsForItsByte) {
    auto c = ScriptedPeer::passive();
    c.inject({.seq = 1, .ack = 1, .flags = "U.", .urp = 5});  // names offset 4, not yet sent
    std::vector<std::byte> buf;
    EXPECT_FALSE(c.stack().poll_events(c.socket()) & readiness::kPri);
    EXPECT_EQ(recv_into(c, buf, msgflags::kOob), -EAGAIN);  // never blocks
    peer_sends(c, 0, 8, 0);                               // the byte comes without URG
    EXPECT_TRUE(c.stack().poll_events(c.socket()) & readiness::kPri);
    ASSERT_EQ(recv_into(c, buf, msgflags::kOob), 1);
    EXPECT_EQ(buf, peer_bytes(4, 1));
    ASSERT_EQ(recv_into(c, buf), 4);
}

TEST(TcpUrgentReceive, AnOldPointerIsIgnored) {
    auto c = ScriptedPeer::passive();
    peer_sends(c, 0, 4, 0);
    // Partly a duplicate, with a pointer to offset 1, which has arrived already.
    c.inject({.seq = 1, .ack = 1, .flags = "UP.", .payload_len = 6, .urp = 2});
    c.expect_segment({.seq = 1, .ack = 7, .flags = "."});
    EXPECT_FALSE(c.stack().poll_events(c.socket()) & readiness::kPri);
    EXPECT_FALSE(c.stack().at_urgent_mark(c.socket()));
    EXPECT_EQ(c.app_recv(), 6u);
}

TEST(TcpUrgentReceive, TheMarkWorksAcrossSequenceWrap) {
    auto c = ScriptedPeer::passive({.peer_iss = 0xFFFFFFFFu - 3});
    peer_sends(c, 0, 8, /*urp=*/6);                      // offset 5 has sequence number 2
    std::vector<std::byte> buf;
    ASSERT_EQ(recv_into(c, buf), 5);
    ASSERT_EQ(recv_into(c, buf, msgflags::kOob), 1);
    EXPECT_EQ(buf, peer_bytes(5, 1));
    ASSERT_EQ(recv_into(c, buf), 2);
    EXPECT_EQ(buf, peer_bytes(6, 2));
}

TEST(TcpUrgentSend, TheLastByteOfAnOobSendIsUrgent) {
    auto c = ScriptedPeer::passive();
    c.app_send(3, msgflags::kOob);
    c.expect_segment({.seq = 1, .flags = "UP.", .len = 3, .urp = 3});  // points one past byte 3
    c.inject_ack(4);
    c.app_send(2);
    c.expect_segment({.seq = 4, .flags = "P.", .len = 2});  // acknowledged: urgent mode is over
}

TEST(TcpUrgentSend, EverySegmentBeforeThePointerCarriesItUntilAcknowledged) {
    auto c = ScriptedPeer::passive();
    c.app_send(3000, msgflags::kOob);
    c.expect_segment({.seq = 1, .flags = "U.", .len = kSeg, .urp = 3000});
    c.expect_segment({.seq = 1 + kSeg, .flags = "U.", .len = kSeg, .urp = 3000 - kSeg});
    // Urgent data is not held back by Nagle with data in flight (Linux tcp_nagle_test).
    c.expect_segment({.seq = 1 + 2 * kSeg, .flags = "UP.", .len = 3000 - 2 * kSeg, .urp = 3000 - 2 * kSeg});
    c.inject_ack(1 + kSeg);
    c.app_send(10);                                      // after the pointer: no URG, still no Nagle
    c.expect_segment({.seq = 3001, .flags = "P.", .len = 10});
    c.inject_ack(3011);
    c.app_send(10);
    c.expect_segment({.seq = 3011, .flags = "P.", .len = 10});
}

TEST(TcpUrgentSend, APointerBeyond64KiBIsSentAsFfff) {
    auto c = ScriptedPeer::passive();
    c.app_send(70000, msgflags::kOob);
    c.expect_segment({.seq = 1, .flags = "U.", .len = kSeg, .urp = 0xFFFF});
}

}  // namespace
}  // namespace ustack::tcp::testing

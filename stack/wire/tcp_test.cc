#include "stack/wire/tcp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "stack/wire/checksum.h"
#include "stack/wire/linux_captures_test.h"

namespace ustack::wire {
namespace {

const Ipv4Addr kClient = Ipv4Addr::from_octets(10, 99, 0, 1);
const Ipv4Addr kServer = Ipv4Addr::from_octets(10, 99, 0, 2);

template <size_t N>
ConstBytes segment(const uint8_t (&frame)[N]) { return testdata::frame(frame).subspan(testdata::kEthIp); }
std::vector<std::byte> copy(ConstBytes b) { return {b.begin(), b.end()}; }

// Emits repr (and copies payload behind it) and returns the segment bytes.
std::vector<std::byte> emit(const TcpRepr& repr, Ipv4Addr src, Ipv4Addr dst, ConstBytes payload = {}) {
    std::vector<std::byte> out(repr.header_len() + payload.size());
    std::copy(payload.begin(), payload.end(), out.begin() + repr.header_len());
    repr.emit(out, src, dst, payload.size());
    return out;
}

TEST(TcpView, ParsesLinuxSyn) {
    auto v = TcpView::parse(segment(testdata::kTcpSyn));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->src_port(), 47524);
    EXPECT_EQ(v->dst_port(), 8080);
    EXPECT_EQ(v->seq(), SeqNum(276331112));
    EXPECT_EQ(v->ack(), SeqNum(0));
    EXPECT_EQ(v->header_len(), 40u);
    EXPECT_EQ(v->flags(), TcpFlags{TcpFlags::kSyn});
    EXPECT_EQ(v->window(), 64240);
    EXPECT_EQ(v->checksum(), 0x1cab);
    EXPECT_EQ(v->urgent_pointer(), 0);
    EXPECT_EQ(v->options().size(), 20u);
    EXPECT_TRUE(v->payload().empty());
    EXPECT_EQ(v->seg_len(), 1u);  // RFC 9293 3.4: SYN occupies one sequence number
    EXPECT_TRUE(v->checksum_valid(kClient, kServer));
}

TEST(TcpView, ParsesLinuxDataSegment) {
    auto v = TcpView::parse(segment(testdata::kTcpData));
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->flags().psh());
    EXPECT_TRUE(v->flags().ack());
    EXPECT_FALSE(v->flags().syn());
    EXPECT_EQ(v->ack(), SeqNum(790658045));
    EXPECT_EQ(v->header_len(), 32u);
    EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(v->payload().data()), v->payload().size()), "hello\n");
    EXPECT_EQ(v->seg_len(), 6u);
    EXPECT_TRUE(v->checksum_valid(kClient, kServer));
}

TEST(TcpView, FinOccupiesOneSequenceNumber) {
    auto s = copy(segment(testdata::kTcpData));
    s[13] = std::byte{TcpFlags::kFin | TcpFlags::kAck};
    EXPECT_EQ(TcpView::parse(s)->seg_len(), 7u);
}

TEST(TcpView, ChecksumCoversThePseudoHeader) {
    auto v = TcpView::parse(segment(testdata::kTcpData));
    EXPECT_FALSE(v->checksum_valid(kClient, Ipv4Addr::from_octets(10, 99, 0, 3)));
}

TEST(TcpView, CorruptedPayloadFailsTheChecksum) {
    auto s = copy(segment(testdata::kTcpData));
    s.back() ^= std::byte{0x01};
    EXPECT_FALSE(TcpView::parse(s)->checksum_valid(kClient, kServer));
}

TEST(TcpView, RejectsShorterThanTheMinimumHeader) {
    for (size_t n = 0; n < 20; ++n) EXPECT_FALSE(TcpView::parse(segment(testdata::kTcpSyn).first(n))) << n;
}

TEST(TcpView, RejectsDataOffsetBelowFiveWords) {
    auto s = copy(segment(testdata::kTcpSyn));
    for (uint8_t off = 0; off < 5; ++off) {
        s[12] = std::byte(off << 4);
        EXPECT_FALSE(TcpView::parse(s)) << int{off};
    }
}

TEST(TcpView, RejectsDataOffsetBeyondTheSegment) {
    EXPECT_FALSE(TcpView::parse(segment(testdata::kTcpSyn).first(39)));
    auto s = copy(segment(testdata::kTcpSyn));
    s[12] = std::byte{0xb0};  // 44 bytes of header in a 40-byte segment
    EXPECT_FALSE(TcpView::parse(s));
}

TEST(TcpRepr, FromLinuxSynReadsEveryOption) {
    auto r = TcpRepr::from(*TcpView::parse(segment(testdata::kTcpSyn)));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->options.mss, 1460);
    EXPECT_TRUE(r->options.sack_permitted);
    EXPECT_EQ(r->options.timestamps, (TcpTimestamps{3276928049u, 0}));
    EXPECT_EQ(r->options.window_scale, 10);
    EXPECT_EQ(r->options.sack_count, 0);
}

TEST(TcpRepr, EmitReproducesLinuxSyn) {
    auto r = *TcpRepr::from(*TcpView::parse(segment(testdata::kTcpSyn)));
    EXPECT_EQ(emit(r, kClient, kServer), copy(segment(testdata::kTcpSyn)));
}

TEST(TcpRepr, EmitReproducesLinuxSynAck) {
    auto r = *TcpRepr::from(*TcpView::parse(segment(testdata::kTcpSynAck)));
    EXPECT_EQ(r.flags, TcpFlags{TcpFlags::kSyn | TcpFlags::kAck});
    EXPECT_EQ(r.options.timestamps, (TcpTimestamps{1941854567u, 3276928049u}));
    EXPECT_EQ(emit(r, kServer, kClient), copy(segment(testdata::kTcpSynAck)));
}

TEST(TcpRepr, EmitReproducesLinuxSynWithoutTimestamps) {
    auto r = *TcpRepr::from(*TcpView::parse(segment(testdata::kTcpSynNoTimestamps)));
    EXPECT_FALSE(r.options.timestamps);
    EXPECT_EQ(r.header_len(), 32u);
    EXPECT_EQ(emit(r, kClient, kServer), copy(segment(testdata::kTcpSynNoTimestamps)));
}

TEST(TcpRepr, EmitReproducesLinuxDataSegment) {
    auto v = *TcpView::parse(segment(testdata::kTcpData));
    auto r = *TcpRepr::from(v);
    EXPECT_EQ(emit(r, kClient, kServer, v.payload()), copy(segment(testdata::kTcpData)));
}

TEST(TcpRepr, UrgentPointerIsBigEndianAtOffset18) {
    TcpRepr r{.src_port = 1, .dst_port = 2, .seq = SeqNum(5), .ack = SeqNum(6),
              .flags = {TcpFlags::kAck | TcpFlags::kUrg}, .window = 10, .urgent_pointer = 0xABCD};
    auto out = emit(r, kClient, kServer);
    EXPECT_EQ(std::to_integer<int>(out[13]) & 0x20, 0x20);  // URG
    EXPECT_EQ(out[18], std::byte{0xAB});
    EXPECT_EQ(out[19], std::byte{0xCD});
    auto v = TcpView::parse(out);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->flags().urg());
    EXPECT_EQ(v->urgent_pointer(), 0xABCD);
    EXPECT_EQ(TcpRepr::from(*v)->urgent_pointer, 0xABCD);
}

TEST(TcpRepr, RoundTripsThroughEmit) {
    TcpRepr r{.src_port = 1, .dst_port = 65535, .seq = SeqNum(0xfffffff0), .ack = SeqNum(7),
              .flags = {TcpFlags::kAck | TcpFlags::kFin | TcpFlags::kEce}, .window = 1234, .urgent_pointer = 9};
    r.options.timestamps = TcpTimestamps{1, 2};
    r.options.sack_blocks[0] = {SeqNum(100), SeqNum(200)};
    r.options.sack_count = 1;
    const uint8_t payload[] = {'a', 'b', 'c'};
    auto out = emit(r, kClient, kServer, as_bytes(payload, 3));
    auto v = TcpView::parse(out);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->checksum_valid(kClient, kServer));
    auto back = TcpRepr::from(*v);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->src_port, r.src_port);
    EXPECT_EQ(back->dst_port, r.dst_port);
    EXPECT_EQ(back->seq, r.seq);
    EXPECT_EQ(back->ack, r.ack);
    EXPECT_EQ(back->flags, r.flags);
    EXPECT_EQ(back->window, r.window);
    EXPECT_EQ(back->urgent_pointer, r.urgent_pointer);
    EXPECT_EQ(back->options, r.options);
    EXPECT_EQ(v->payload().size(), 3u);
}

TEST(TcpRepr, PartialChecksumIsCompletedAsADeviceWould) {
    auto r = *TcpRepr::from(*TcpView::parse(segment(testdata::kTcpData)));
    const auto payload = TcpView::parse(segment(testdata::kTcpData))->payload();
    r.checksum_partial = true;
    auto out = emit(r, kClient, kServer, payload);
    EXPECT_FALSE(TcpView::parse(out)->checksum_valid(kClient, kServer));
    // The device checksums from the TCP header to the end, over the partial sum in the field,
    // and stores the result there (virtio csum_start/csum_offset).
    const uint16_t completed = internet_checksum(out);
    out[16] = std::byte(completed >> 8);
    out[17] = std::byte(completed & 0xff);
    EXPECT_EQ(out, copy(segment(testdata::kTcpData)));
}

TEST(TcpRepr, MalformedOptionsAreRejected) {
    auto s = copy(segment(testdata::kTcpSyn));
    s[21] = std::byte{5};  // MSS option claiming length 5
    auto v = TcpView::parse(s);
    ASSERT_TRUE(v);
    EXPECT_FALSE(TcpRepr::from(*v));
}

}  // namespace
}  // namespace ustack::wire

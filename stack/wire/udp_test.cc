#include "stack/wire/udp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "stack/wire/linux_captures_test.h"

namespace ustack::wire {
namespace {

const Ipv4Addr kSrc = Ipv4Addr::from_octets(10, 99, 0, 1);
const Ipv4Addr kDst = Ipv4Addr::from_octets(10, 99, 0, 2);

ConstBytes datagram() { return testdata::frame(testdata::kUdpDatagram).subspan(testdata::kEthIp); }
std::vector<std::byte> copy(ConstBytes b) { return {b.begin(), b.end()}; }
std::string_view text(ConstBytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

TEST(UdpView, ParsesLinuxDatagram) {
    auto v = UdpView::parse(datagram());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->src_port(), 40000);
    EXPECT_EQ(v->dst_port(), 5353);
    EXPECT_EQ(v->length(), 18);
    EXPECT_EQ(v->checksum(), 0x7117);
    EXPECT_EQ(text(v->payload()), "hi ustack\n");
    EXPECT_TRUE(v->checksum_valid(kSrc, kDst));
}

TEST(UdpView, ChecksumCoversThePseudoHeader) {
    auto v = UdpView::parse(datagram());
    EXPECT_FALSE(v->checksum_valid(kSrc, Ipv4Addr::from_octets(10, 99, 0, 3)));
}

TEST(UdpView, CorruptedPayloadFailsTheChecksum) {
    auto d = copy(datagram());
    d[9] ^= std::byte{0x20};
    EXPECT_FALSE(UdpView::parse(d)->checksum_valid(kSrc, kDst));
}

TEST(UdpView, ZeroChecksumMeansNoneAndIsValid) {
    // RFC 768: an all-zero checksum field means the sender computed none.
    auto d = copy(datagram());
    d[6] = d[7] = std::byte{0};
    d[9] ^= std::byte{0x20};
    EXPECT_TRUE(UdpView::parse(d)->checksum_valid(kSrc, kDst));
}

TEST(UdpView, PayloadIsTrimmedToTheLengthField) {
    auto d = copy(datagram());
    d.resize(d.size() + 6);  // Ethernet padding after a short datagram
    auto v = UdpView::parse(d);
    ASSERT_TRUE(v);
    EXPECT_EQ(text(v->payload()), "hi ustack\n");
    EXPECT_TRUE(v->checksum_valid(kSrc, kDst));
}

TEST(UdpView, RejectsShorterThanTheHeader) {
    for (size_t n = 0; n < UdpView::kHeaderLen; ++n) EXPECT_FALSE(UdpView::parse(datagram().first(n))) << n;
}

TEST(UdpView, RejectsLengthFieldBelowTheHeader) {
    auto d = copy(datagram());
    d[4] = std::byte{0}, d[5] = std::byte{7};
    EXPECT_FALSE(UdpView::parse(d));
}

TEST(UdpView, RejectsLengthFieldBeyondTheBuffer) {
    EXPECT_FALSE(UdpView::parse(datagram().first(17)));
}

TEST(UdpRepr, EmitReproducesTheCapturedDatagram) {
    auto d = copy(datagram());
    std::vector<std::byte> out(d.size());
    std::copy(d.begin() + 8, d.end(), out.begin() + 8);
    UdpRepr{40000, 5353}.emit(out, kSrc, kDst, d.size() - 8);
    EXPECT_EQ(out, d);
}

TEST(UdpRepr, ComputedZeroChecksumIsSentAsAllOnes) {
    // RFC 768: "If the computed checksum is zero, it is transmitted as all ones."
    std::vector<std::byte> out(8 + 4);
    UdpRepr r{1234, 5678};
    r.emit(out, kSrc, kDst, 4);
    // Putting the checksum itself into the payload makes the sum 0xffff, the checksum 0.
    out[8] = out[6], out[9] = out[7];
    r.emit(out, kSrc, kDst, 4);
    auto v = UdpView::parse(out);
    EXPECT_EQ(v->checksum(), 0xffff);
    EXPECT_TRUE(v->checksum_valid(kSrc, kDst));
}

TEST(UdpRepr, OddLengthPayloadRoundTrips) {
    std::vector<std::byte> out(8 + 3, std::byte{0x5a});
    UdpRepr{53, 33333}.emit(out, kSrc, kDst, 3);
    auto v = UdpView::parse(out);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->src_port(), 53);
    EXPECT_EQ(v->dst_port(), 33333);
    EXPECT_EQ(v->length(), 11);
    EXPECT_TRUE(v->checksum_valid(kSrc, kDst));
}

}  // namespace
}  // namespace ustack::wire

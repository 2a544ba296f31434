#include "stack/wire/ipv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "stack/wire/linux_captures_test.h"

namespace ustack::wire {
namespace {

ConstBytes echo_request_packet() { return testdata::frame(testdata::kIcmpEchoRequest).subspan(testdata::kEth); }

std::vector<std::byte> copy(ConstBytes b) { return {b.begin(), b.end()}; }

TEST(Ipv4View, ParsesLinuxEchoRequest) {
    auto v = Ipv4View::parse(echo_request_packet());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->header_len(), 20u);
    EXPECT_EQ(v->tos(), 0);
    EXPECT_EQ(v->total_len(), 84);
    EXPECT_EQ(v->ident(), 0xfbdf);
    EXPECT_TRUE(v->dont_fragment());
    EXPECT_FALSE(v->more_fragments());
    EXPECT_EQ(v->fragment_offset_bytes(), 0);
    EXPECT_FALSE(v->is_fragment());
    EXPECT_EQ(v->ttl(), 64);
    EXPECT_EQ(v->protocol(), ipproto::kIcmp);
    EXPECT_EQ(v->checksum(), 0x2a01);
    EXPECT_EQ(v->src(), Ipv4Addr::from_octets(10, 99, 0, 1));
    EXPECT_EQ(v->dst(), Ipv4Addr::from_octets(10, 99, 0, 2));
    EXPECT_TRUE(v->options().empty());
    EXPECT_EQ(v->payload().size(), 64u);
    EXPECT_EQ(v->packet().size(), 84u);
    EXPECT_TRUE(v->checksum_valid());
}

TEST(Ipv4View, CorruptedHeaderFailsTheChecksum) {
    auto p = copy(echo_request_packet());
    p[8] = std::byte{63};  // ttl changed in flight without fixing the checksum
    auto v = Ipv4View::parse(p);
    ASSERT_TRUE(v);
    EXPECT_FALSE(v->checksum_valid());
}

TEST(Ipv4View, EthernetPaddingIsExcludedFromPayload) {
    // A 46-byte minimum Ethernet payload carrying a 40-byte TCP/IP packet.
    auto p = copy(testdata::frame(testdata::kTcpSyn).subspan(testdata::kEth));
    p.resize(20 + 20);
    p[2] = std::byte{0}, p[3] = std::byte{40};
    p.resize(46);
    auto v = Ipv4View::parse(p);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->payload().size(), 20u);
    EXPECT_EQ(v->packet().size(), 40u);
}

TEST(Ipv4View, OptionsFollowTheFixedHeader) {
    auto p = copy(echo_request_packet());
    p.insert(p.begin() + 20, {std::byte{1}, std::byte{1}, std::byte{1}, std::byte{0}});  // NOP NOP NOP EOL
    p[0] = std::byte{0x46};
    p[3] = std::byte{88};
    auto v = Ipv4View::parse(p);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->header_len(), 24u);
    EXPECT_EQ(v->options().size(), 4u);
    EXPECT_EQ(v->payload().size(), 64u);
    EXPECT_EQ(v->header().size(), 24u);
}

TEST(Ipv4View, FragmentFields) {
    auto p = copy(echo_request_packet());
    p[6] = std::byte{0x20 | 0x01}, p[7] = std::byte{0x02};  // MF, offset 0x102 * 8
    auto v = Ipv4View::parse(p);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->more_fragments());
    EXPECT_FALSE(v->dont_fragment());
    EXPECT_EQ(v->fragment_offset_bytes(), 0x102 * 8);
    EXPECT_TRUE(v->is_fragment());
}

TEST(Ipv4View, RejectsShorterThanMinimumHeader) {
    for (size_t n = 0; n < 20; ++n) EXPECT_FALSE(Ipv4View::parse(echo_request_packet().first(n))) << n;
}

TEST(Ipv4View, RejectsVersionOtherThanFour) {
    auto p = copy(echo_request_packet());
    p[0] = std::byte{0x65};
    EXPECT_FALSE(Ipv4View::parse(p));
}

TEST(Ipv4View, RejectsHeaderLengthBelowFiveWords) {
    auto p = copy(echo_request_packet());
    for (uint8_t ihl = 0; ihl < 5; ++ihl) {
        p[0] = std::byte(0x40 | ihl);
        EXPECT_FALSE(Ipv4View::parse(p)) << int{ihl};
    }
}

TEST(Ipv4View, RejectsTotalLengthBeyondTheBuffer) {
    EXPECT_FALSE(Ipv4View::parse(echo_request_packet().first(83)));
}

TEST(Ipv4View, RejectsTotalLengthShorterThanTheHeader) {
    auto p = copy(echo_request_packet());
    p[2] = std::byte{0}, p[3] = std::byte{19};
    EXPECT_FALSE(Ipv4View::parse(p));
    p[0] = std::byte{0x4f}, p[3] = std::byte{59};  // IHL 15 = 60 bytes
    EXPECT_FALSE(Ipv4View::parse(p));
}

TEST(Ipv4Repr, EmitReproducesTheCapturedHeader) {
    auto v = *Ipv4View::parse(echo_request_packet());
    auto r = Ipv4Repr::from(v);
    EXPECT_EQ(r.payload_len, 64);
    std::byte out[Ipv4Repr::kHeaderLen];
    r.emit(out);
    EXPECT_TRUE(std::equal(std::begin(out), std::end(out), echo_request_packet().begin()));
}

TEST(Ipv4Repr, EmitWithoutDontFragmentReproducesLinuxEchoReply) {
    auto packet = testdata::frame(testdata::kIcmpEchoReply).subspan(testdata::kEth);
    auto r = Ipv4Repr::from(*Ipv4View::parse(packet));
    EXPECT_FALSE(r.dont_fragment);
    std::byte out[Ipv4Repr::kHeaderLen];
    r.emit(out);
    EXPECT_TRUE(std::equal(std::begin(out), std::end(out), packet.begin()));
}

TEST(Ipv4Repr, RoundTripsThroughEmit) {
    Ipv4Repr r{.src = Ipv4Addr::from_octets(10, 77, 0, 2), .dst = Ipv4Addr::from_octets(10, 77, 0, 1),
               .protocol = ipproto::kUdp, .payload_len = 1000, .ttl = 3, .tos = 0xb8, .ident = 0xbeef,
               .dont_fragment = false};
    std::vector<std::byte> out(Ipv4Repr::kHeaderLen + 1000);
    r.emit(out);
    auto v = Ipv4View::parse(out);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->checksum_valid());
    EXPECT_EQ(Ipv4Repr::from(*v), r);
}

}  // namespace
}  // namespace ustack::wire

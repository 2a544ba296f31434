#include "stack/wire/arp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "stack/wire/linux_captures_test.h"

namespace ustack::wire {
namespace {

const MacAddr kHostA{{0x02, 0, 0, 0, 0, 0x0a}};
const MacAddr kHostB{{0x02, 0, 0, 0, 0, 0x0b}};

ConstBytes request_body() { return testdata::frame(testdata::kArpRequest).subspan(testdata::kEth); }

std::vector<std::byte> mutated_request(size_t off, uint8_t value) {
    std::vector<std::byte> v(request_body().begin(), request_body().end());
    v[off] = std::byte{value};
    return v;
}

TEST(ArpRepr, ParsesLinuxWhoHas) {
    auto a = ArpRepr::parse(request_body());
    ASSERT_TRUE(a);
    EXPECT_EQ(a->op, ArpOp::kRequest);
    EXPECT_EQ(a->sender_mac, kHostA);
    EXPECT_EQ(a->sender_ip, Ipv4Addr::from_octets(10, 99, 0, 1));
    EXPECT_EQ(a->target_mac, MacAddr{});  // unknown, so zero
    EXPECT_EQ(a->target_ip, Ipv4Addr::from_octets(10, 99, 0, 2));
}

TEST(ArpRepr, ParsesLinuxIsAt) {
    auto a = ArpRepr::parse(testdata::frame(testdata::kArpReply).subspan(testdata::kEth));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->op, ArpOp::kReply);
    EXPECT_EQ(a->sender_mac, kHostB);
    EXPECT_EQ(a->sender_ip, Ipv4Addr::from_octets(10, 99, 0, 2));
    EXPECT_EQ(a->target_mac, kHostA);
    EXPECT_EQ(a->target_ip, Ipv4Addr::from_octets(10, 99, 0, 1));
}

TEST(ArpRepr, EmitReproducesTheCapturedReply) {
    auto body = testdata::frame(testdata::kArpReply).subspan(testdata::kEth);
    std::byte out[ArpRepr::kLen];
    ArpRepr::parse(body)->emit(out);
    EXPECT_TRUE(std::equal(std::begin(out), std::end(out), body.begin()));
}

TEST(ArpRepr, RoundTripsThroughEmit) {
    ArpRepr a{ArpOp::kReply, kHostB, Ipv4Addr::from_octets(1, 2, 3, 4), kHostA, Ipv4Addr::from_octets(5, 6, 7, 8)};
    std::byte out[ArpRepr::kLen];
    a.emit(out);
    EXPECT_EQ(ArpRepr::parse(out), a);
}

TEST(ArpRepr, IgnoresEthernetPadding) {
    std::vector<std::byte> padded(request_body().begin(), request_body().end());
    padded.resize(46);  // a 60-byte minimum frame minus the Ethernet header
    EXPECT_EQ(ArpRepr::parse(padded), ArpRepr::parse(request_body()));
}

TEST(ArpRepr, RejectsTruncatedPackets) {
    for (size_t n = 0; n < ArpRepr::kLen; ++n) EXPECT_FALSE(ArpRepr::parse(request_body().first(n))) << n;
}

TEST(ArpRepr, RejectsOtherHardwareTypes) { EXPECT_FALSE(ArpRepr::parse(mutated_request(1, 6))); }
TEST(ArpRepr, RejectsOtherProtocolTypes) { EXPECT_FALSE(ArpRepr::parse(mutated_request(2, 0x86))); }
TEST(ArpRepr, RejectsOtherHardwareLengths) { EXPECT_FALSE(ArpRepr::parse(mutated_request(4, 8))); }
TEST(ArpRepr, RejectsOtherProtocolLengths) { EXPECT_FALSE(ArpRepr::parse(mutated_request(5, 16))); }

TEST(ArpRepr, RejectsOpcodesOtherThanRequestAndReply) {
    EXPECT_FALSE(ArpRepr::parse(mutated_request(7, 0)));
    EXPECT_FALSE(ArpRepr::parse(mutated_request(7, 3)));  // RARP request
    EXPECT_FALSE(ArpRepr::parse(mutated_request(6, 1)));  // op 0x0101
}

}  // namespace
}  // namespace ustack::wire

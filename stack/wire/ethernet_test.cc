#include "stack/wire/ethernet.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "stack/wire/linux_captures_test.h"

namespace ustack::wire {
namespace {

const MacAddr kHostA{{0x02, 0, 0, 0, 0, 0x0a}};
const MacAddr kHostB{{0x02, 0, 0, 0, 0, 0x0b}};

TEST(EthernetView, ParsesABroadcastArpFrame) {
    auto v = EthernetView::parse(testdata::frame(testdata::kArpRequest));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->dst(), MacAddr::broadcast());
    EXPECT_EQ(v->src(), kHostA);
    EXPECT_EQ(v->ethertype(), ethertype::kArp);
    EXPECT_EQ(v->payload().size(), 28u);
}

TEST(EthernetView, ParsesAUnicastIpv4Frame) {
    auto v = EthernetView::parse(testdata::frame(testdata::kTcpSyn));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->dst(), kHostB);
    EXPECT_EQ(v->src(), kHostA);
    EXPECT_EQ(v->ethertype(), ethertype::kIpv4);
    EXPECT_EQ(v->payload().size(), sizeof testdata::kTcpSyn - 14);
}

TEST(EthernetView, HeaderWithoutPayloadIsAccepted) {
    auto v = EthernetView::parse(testdata::frame(testdata::kTcpSyn).first(14));
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->payload().empty());
}

TEST(EthernetView, RejectsFramesShorterThanTheHeader) {
    auto f = testdata::frame(testdata::kTcpSyn);
    for (size_t n = 0; n < EthernetView::kHeaderLen; ++n) EXPECT_FALSE(EthernetView::parse(f.first(n))) << n;
}

TEST(EthernetRepr, EmitReproducesTheCapturedHeader) {
    auto f = testdata::frame(testdata::kIcmpEchoReply);
    auto repr = EthernetRepr::from(*EthernetView::parse(f));
    std::byte out[EthernetRepr::kHeaderLen];
    repr.emit(out);
    EXPECT_TRUE(std::equal(std::begin(out), std::end(out), f.begin()));
    EXPECT_EQ(EthernetRepr::from(*EthernetView::parse(out)), repr);
}

TEST(MacAddrParse, AcceptsColonSeparatedHexInEitherCase) {
    EXPECT_EQ(MacAddr::parse("02:00:00:00:00:0a"), kHostA);
    EXPECT_EQ(MacAddr::parse("AA:bb:Cc:dD:ee:FF"), (MacAddr{{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}}));
    EXPECT_EQ(MacAddr::parse("ff:ff:ff:ff:ff:ff"), MacAddr::broadcast());
}

TEST(MacAddrParse, RejectsAnythingButSixTwoDigitGroups) {
    for (const char* bad : {"", "02:00:00:00:00", "02:00:00:00:00:0a:0b", "2:0:0:0:0:a", "02-00-00-00-00-0a",
                            "0200.0000.000a", "02:00:00:00:00:0g", "02:00:00:00:00:0a ", " 02:00:00:00:00:0a",
                            "02:00:00:00:00:0a:", "02:00:00:00:000:a", "02::00:00:00:00:0a", "020000000000a"}) {
        EXPECT_EQ(MacAddr::parse(bad), std::nullopt) << '"' << bad << '"';
    }
}

TEST(MacAddr, ToStringIsLowerCaseHex) {
    EXPECT_EQ((MacAddr{{0xaa, 0xbb, 0x0c, 0x00, 0xee, 0xff}}).to_string(), "aa:bb:0c:00:ee:ff");
}

TEST(MacAddr, BroadcastMulticastAndZero) {
    EXPECT_TRUE(MacAddr::broadcast().is_broadcast());
    EXPECT_TRUE(MacAddr::broadcast().is_multicast());
    EXPECT_TRUE((MacAddr{{0x01, 0x00, 0x5e, 0, 0, 1}}).is_multicast());
    EXPECT_FALSE(kHostA.is_multicast());
    EXPECT_TRUE(MacAddr{}.is_zero());
    EXPECT_FALSE(kHostA.is_zero());
}

}  // namespace
}  // namespace ustack::wire

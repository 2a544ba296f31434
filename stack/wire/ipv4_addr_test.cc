#include "stack/wire/ipv4_addr.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace ustack::wire {
namespace {

TEST(Ipv4AddrParse, AcceptsDottedQuads) {
    EXPECT_EQ(Ipv4Addr::parse("10.77.0.2"), Ipv4Addr::from_octets(10, 77, 0, 2));
    EXPECT_EQ(Ipv4Addr::parse("0.0.0.0"), Ipv4Addr::any());
    EXPECT_EQ(Ipv4Addr::parse("255.255.255.255"), Ipv4Addr::broadcast());
    EXPECT_EQ(Ipv4Addr::parse("192.168.100.200")->value, 0xc0a864c8u);
}

TEST(Ipv4AddrParse, RejectsAnythingButFourDecimalOctets) {
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "01x.1.1.1", " 1.2.3.4",
                            "1.2.3.4 ", "1.2..4", ".1.2.3", "1.2.3.", "1.2.3.4.", "a.b.c.d", "1.2.3.-4",
                            "+1.2.3.4", "1.2.3.4/24", "1234.1.1.1", "0x1.2.3.4", "1,2,3,4", "10.0.0.1\n",
                            "4294967295"}) {
        EXPECT_EQ(Ipv4Addr::parse(bad), std::nullopt) << '"' << bad << '"';
    }
    EXPECT_EQ(Ipv4Addr::parse(std::string_view("1.2.3.4\0", 8)), std::nullopt);
}

TEST(Ipv4AddrParse, RejectsLeadingZerosLikeInetPton) {
    // inet_aton would read "010" as octal 8; refusing it avoids guessing.
    EXPECT_EQ(Ipv4Addr::parse("010.0.0.1"), std::nullopt);
    EXPECT_EQ(Ipv4Addr::parse("10.00.0.1"), std::nullopt);
    in_addr a;
    EXPECT_EQ(inet_pton(AF_INET, "010.0.0.1", &a), 0);
}

TEST(Ipv4Addr, ToStringIsDottedQuad) {
    EXPECT_EQ(Ipv4Addr::from_octets(10, 77, 0, 2).to_string(), "10.77.0.2");
    EXPECT_EQ(Ipv4Addr::broadcast().to_string(), "255.255.255.255");
    EXPECT_EQ(Ipv4Addr::any().to_string(), "0.0.0.0");
}

TEST(Ipv4Addr, NetworkOrderMatchesInetPton) {
    in_addr a;
    ASSERT_EQ(inet_pton(AF_INET, "10.77.0.2", &a), 1);
    EXPECT_EQ(Ipv4Addr::from_octets(10, 77, 0, 2).to_network(), a.s_addr);
    EXPECT_EQ(Ipv4Addr::from_network(a.s_addr), Ipv4Addr::from_octets(10, 77, 0, 2));
}

TEST(Ipv4Addr, LoadAndStoreAreBigEndian) {
    std::byte buf[6]{};
    Ipv4Addr::from_octets(1, 2, 3, 4).store(buf, 1);
    EXPECT_EQ(buf[1], std::byte{1});
    EXPECT_EQ(buf[4], std::byte{4});
    EXPECT_EQ(Ipv4Addr::load(buf, 1), Ipv4Addr::from_octets(1, 2, 3, 4));
}

TEST(Ipv4Addr, ClassPredicates) {
    EXPECT_TRUE(Ipv4Addr::any().is_unspecified());
    EXPECT_TRUE(Ipv4Addr::broadcast().is_broadcast());
    EXPECT_TRUE(Ipv4Addr::from_octets(224, 0, 0, 1).is_multicast());
    EXPECT_TRUE(Ipv4Addr::from_octets(239, 255, 255, 255).is_multicast());
    EXPECT_FALSE(Ipv4Addr::from_octets(240, 0, 0, 1).is_multicast());
    EXPECT_TRUE(Ipv4Addr::from_octets(127, 0, 0, 1).is_loopback());
    EXPECT_FALSE(Ipv4Addr::from_octets(10, 0, 0, 1).is_loopback());
}

TEST(Ipv4Addr, OrdersNumerically) {
    EXPECT_LT(Ipv4Addr::from_octets(9, 255, 255, 255), Ipv4Addr::from_octets(10, 0, 0, 0));
}

TEST(Ipv4CidrParse, AcceptsAddressSlashPrefix) {
    auto c = Ipv4Cidr::parse("10.77.0.2/24");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->address, Ipv4Addr::from_octets(10, 77, 0, 2));
    EXPECT_EQ(c->prefix_len, 24);
    EXPECT_EQ(Ipv4Cidr::parse("0.0.0.0/0")->prefix_len, 0);
    EXPECT_EQ(Ipv4Cidr::parse("1.2.3.4/32")->prefix_len, 32);
}

TEST(Ipv4CidrParse, RejectsMissingOrOutOfRangePrefix) {
    for (const char* bad : {"10.77.0.2", "10.77.0.2/", "10.77.0.2/33", "10.77.0.2/-1", "10.77.0.2/24/8",
                            "10.77.0.300/24", "/24", "10.77.0.2/ 24", "10.77.0.2/24 ", "10.77.0.2/2x",
                            "10.77.0.2/100", "10.77.0.2/08", ""}) {
        EXPECT_EQ(Ipv4Cidr::parse(bad), std::nullopt) << '"' << bad << '"';
    }
}

TEST(Ipv4Cidr, MaskNetworkAndBroadcast) {
    auto c = *Ipv4Cidr::parse("10.77.0.2/24");
    EXPECT_EQ(c.netmask(), Ipv4Addr::from_octets(255, 255, 255, 0));
    EXPECT_EQ(c.network(), Ipv4Addr::from_octets(10, 77, 0, 0));
    EXPECT_EQ(c.subnet_broadcast(), Ipv4Addr::from_octets(10, 77, 0, 255));
    EXPECT_EQ(c.to_string(), "10.77.0.2/24");
}

TEST(Ipv4Cidr, ContainsOnlyItsSubnet) {
    auto c = *Ipv4Cidr::parse("10.77.0.2/24");
    EXPECT_TRUE(c.contains(Ipv4Addr::from_octets(10, 77, 0, 1)));
    EXPECT_TRUE(c.contains(Ipv4Addr::from_octets(10, 77, 0, 255)));
    EXPECT_FALSE(c.contains(Ipv4Addr::from_octets(10, 77, 1, 1)));
    EXPECT_FALSE(c.contains(Ipv4Addr::from_octets(10, 78, 0, 1)));
}

TEST(Ipv4Cidr, PrefixZeroContainsEverything) {
    auto c = *Ipv4Cidr::parse("10.1.2.3/0");
    EXPECT_EQ(c.netmask(), Ipv4Addr::any());
    EXPECT_EQ(c.subnet_broadcast(), Ipv4Addr::broadcast());
    EXPECT_TRUE(c.contains(Ipv4Addr::from_octets(200, 1, 1, 1)));
}

TEST(Ipv4Cidr, PrefixThirtyTwoContainsOnlyItself) {
    auto c = *Ipv4Cidr::parse("10.1.2.3/32");
    EXPECT_EQ(c.netmask(), Ipv4Addr::broadcast());
    EXPECT_TRUE(c.contains(Ipv4Addr::from_octets(10, 1, 2, 3)));
    EXPECT_FALSE(c.contains(Ipv4Addr::from_octets(10, 1, 2, 4)));
}

}  // namespace
}  // namespace ustack::wire

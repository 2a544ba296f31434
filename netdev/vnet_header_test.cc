// The virtio_net_hdr in front of TAP frames: what we make of the kernel's, what we send.
#include "netdev/vnet_header.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace ustack::netdev::vnet {
namespace {

// An Ethernet + IPv4 + TCP frame: ihl 5 words, TCP data offset tcp_words, payload bytes after.
std::vector<std::byte> tcp_frame(size_t payload, uint8_t tcp_words = 8, uint8_t protocol = 6) {
    const size_t tcp_len = size_t{tcp_words} * 4;
    std::vector<std::byte> f(14 + 20 + tcp_len + payload);
    f[12] = std::byte{0x08};
    f[13] = std::byte{0x00};
    f[14] = std::byte{0x45};
    const size_t total = 20 + tcp_len + payload;
    f[16] = std::byte(total >> 8);
    f[17] = std::byte(total & 0xff);
    f[14 + 6] = std::byte{0x40};  // don't fragment
    f[14 + 9] = std::byte{protocol};
    f[34 + 12] = std::byte(tcp_words << 4);
    return f;
}

TEST(VnetHeader, WriteThenReadRoundTrips) {
    const Header h{kFlagNeedsCsum, kGsoTcpv4, 66, 1448, 34, 16};
    std::array<std::byte, kHeaderLen> raw;
    write(h, raw);
    EXPECT_EQ(read(raw), h);
}

TEST(VnetHeader, ReceivedPlainFrameIsVerifiedByTheStack) {
    auto r = parse_received(Header{}, 60);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->checksum_partial);
}

TEST(VnetHeader, ReceivedPartialChecksumIsAcceptedUnverified) {
    auto r = parse_received(Header{kFlagNeedsCsum, 0, 0, 0, 34, 16}, 54);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->checksum_partial);
}

TEST(VnetHeader, ReceivedDataValidIsAcceptedUnverified) {
    auto r = parse_received(Header{kFlagDataValid, 0, 0, 0, 0, 0}, 60);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->checksum_partial);
}

TEST(VnetHeader, ReceivedGroMergedTcpFrameIsAccepted) {
    const Header h{kFlagNeedsCsum, static_cast<uint8_t>(kGsoTcpv4 | kGsoEcn), 66, 1448, 34, 16};
    auto r = parse_received(h, 14 + 65000);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->checksum_partial);
}

TEST(VnetHeader, ReceivedChecksumFieldOutsideTheFrameIsMalformed) {
    EXPECT_FALSE(parse_received(Header{kFlagNeedsCsum, 0, 0, 0, 34, 16}, 51));
    EXPECT_TRUE(parse_received(Header{kFlagNeedsCsum, 0, 0, 0, 34, 16}, 52));
    EXPECT_FALSE(parse_received(Header{kFlagNeedsCsum, 0, 0, 0, 0xffff, 0xffff}, 1500));
}

TEST(VnetHeader, ReceivedSegmentationWeDidNotOfferIsMalformed) {
    EXPECT_FALSE(parse_received(Header{0, kGsoUdp, 0, 0, 0, 0}, 1000));
    EXPECT_FALSE(parse_received(Header{0, kGsoTcpv6, 0, 0, 0, 0}, 1000));
    EXPECT_FALSE(parse_received(Header{0, 0x42, 0, 0, 0, 0}, 1000));
}

TEST(VnetHeader, SmallTcpFrameGetsChecksumOffloadOnly) {
    auto h = header_for_send(tcp_frame(100), 1500);
    ASSERT_TRUE(h);
    EXPECT_EQ(*h, (Header{kFlagNeedsCsum, kGsoNone, 0, 0, 34, 16}));
}

TEST(VnetHeader, FrameThatFillsTheMtuIsNotSegmented) {
    auto h = header_for_send(tcp_frame(1500 - 20 - 32), 1500);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->gso_type, kGsoNone);
}

TEST(VnetHeader, TcpFrameOverTheMtuIsSegmentedAtWhatFitsIt) {
    auto h = header_for_send(tcp_frame(45 * 1448), 1500);
    ASSERT_TRUE(h);
    EXPECT_EQ(*h, (Header{kFlagNeedsCsum, kGsoTcpv4, 14 + 20 + 32, 1448, 34, 16}));
    // Without timestamps (20-byte TCP header) each segment carries 1460 bytes.
    EXPECT_EQ(header_for_send(tcp_frame(10 * 1460, 5), 1500)->gso_size, 1460);
}

TEST(VnetHeader, OtherFramesGoWithAnEmptyHeader) {
    auto udp = header_for_send(tcp_frame(100, 8, 17), 1500);
    ASSERT_TRUE(udp);
    EXPECT_EQ(*udp, Header{});
    std::vector<std::byte> arp(42);
    arp[12] = std::byte{0x08};
    arp[13] = std::byte{0x06};
    EXPECT_EQ(header_for_send(arp, 1500), Header{});
    auto fragment = tcp_frame(100);
    fragment[14 + 6] = std::byte{0x20};  // more fragments
    EXPECT_EQ(header_for_send(fragment, 1500), Header{});
}

TEST(VnetHeader, OversizeFrameThatCannotBeSegmentedIsRefused) {
    EXPECT_FALSE(header_for_send(tcp_frame(3000, 8, 17), 1500));       // UDP
    auto truncated = tcp_frame(3000);
    truncated[34 + 12] = std::byte{0x30};                                // data offset below 5 words
    EXPECT_FALSE(header_for_send(truncated, 1500));
    EXPECT_FALSE(header_for_send(tcp_frame(65535), 1500));              // past a 64 KiB IP packet
}

TEST(VnetHeader, ShortOrGarbageFramesNeverReadOutOfBounds) {
    for (size_t n = 0; n < 80; ++n) {
        std::vector<std::byte> f(n, std::byte{0xff});
        if (n > 13) {
            f[12] = std::byte{0x08};
            f[13] = std::byte{0x00};
        }
        if (n > 14) f[14] = std::byte{0x4f};
        (void)header_for_send(f, 1500);
        (void)header_for_send(f, 20);
    }
}

}  // namespace
}  // namespace ustack::netdev::vnet

// TPACKET_V2 slots laid out as the kernel lays them out (net/packet/af_packet.c: tpacket_rcv).
#include "netdev/tpacket_v2.h"

#include <gtest/gtest.h>
#include <linux/if_packet.h>

#include <cstring>
#include <vector>

namespace ustack::netdev::tpacket_v2 {
namespace {

constexpr size_t kSlot = 2048;
constexpr size_t kLead = 10;  // a virtio_net_hdr before the frame

// A slot holding a frame of len bytes (snaplen of them captured), each byte fill, at the
// offset the kernel picks for an Ethernet frame after a virtio_net_hdr.
std::vector<std::byte> slot(size_t len, uint8_t fill, uint32_t status = TP_STATUS_USER, size_t snaplen = SIZE_MAX,
                            uint8_t pkttype = PACKET_HOST) {
    if (snaplen == SIZE_MAX) snaplen = len;
    std::vector<std::byte> s(kSlot);
    const uint16_t mac = TPACKET_ALIGN(TPACKET2_HDRLEN + 16) + kLead - 14;
    tpacket2_hdr h{};
    h.tp_status = status;
    h.tp_len = static_cast<uint32_t>(len);
    h.tp_snaplen = static_cast<uint32_t>(snaplen);
    h.tp_mac = mac;
    std::memcpy(s.data(), &h, sizeof h);
    sockaddr_ll sll{};
    sll.sll_pkttype = pkttype;
    std::memcpy(s.data() + TPACKET_ALIGN(sizeof h), &sll, sizeof sll);
    std::memset(s.data() + mac - kLead, 0xee, kLead);
    std::memset(s.data() + mac, fill, std::min(snaplen, kSlot - mac));
    return s;
}

TEST(TpacketV2, ReadsTheFrameItsLeadAndWhatTheKernelSaidOfIt) {
    const auto s = slot(1514, 0x22, TP_STATUS_USER | TP_STATUS_CSUMNOTREADY, SIZE_MAX, PACKET_BROADCAST);
    const auto f = read_frame(s, kLead);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->len, 1514u);
    ASSERT_EQ(f->bytes.size(), 1514u);
    EXPECT_EQ(f->bytes[0], std::byte{0x22});
    EXPECT_EQ(f->bytes[1513], std::byte{0x22});
    ASSERT_EQ(f->lead.size(), kLead);
    EXPECT_EQ(f->lead[0], std::byte{0xee});
    EXPECT_NE(f->status & TP_STATUS_CSUMNOTREADY, 0u);
    EXPECT_EQ(f->pkttype, PACKET_BROADCAST);
}

// A frame longer than the slot (TP_STATUS_COPY: the whole frame waits in the socket queue)
// shows what fit and its real length, so the reader can tell it was cut.
TEST(TpacketV2, ACutFrameShowsItsRealLength) {
    const size_t fits = kSlot - (TPACKET_ALIGN(TPACKET2_HDRLEN + 16) + kLead - 14);
    const auto s = slot(9014, 0x33, TP_STATUS_USER | TP_STATUS_COPY, fits);
    const auto f = read_frame(s, kLead);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->len, 9014u);
    EXPECT_EQ(f->bytes.size(), fits);
    EXPECT_NE(f->status & TP_STATUS_COPY, 0u);
}

TEST(TpacketV2, AFrameRunningPastTheSlotIsRefused) {
    auto s = slot(60, 0x11);
    const uint32_t snaplen = kSlot;  // from tp_mac, past the end
    std::memcpy(s.data() + offsetof(tpacket2_hdr, tp_snaplen), &snaplen, sizeof snaplen);
    EXPECT_FALSE(read_frame(s, kLead));
}

TEST(TpacketV2, AFrameOverlappingTheHeaderOrLeadIsRefused) {
    auto s = slot(60, 0x11);
    const uint16_t mac = TPACKET2_HDRLEN + kLead - 1;  // the lead would overlap the sockaddr_ll
    std::memcpy(s.data() + offsetof(tpacket2_hdr, tp_mac), &mac, sizeof mac);
    EXPECT_FALSE(read_frame(s, kLead));
    EXPECT_TRUE(read_frame(s, 0));
}

TEST(TpacketV2, ASlotShorterThanItsHeaderIsRefused) {
    const auto s = slot(60, 0x11);
    EXPECT_FALSE(read_frame(std::span(s).first(TPACKET2_HDRLEN - 1), 0));
}

TEST(TpacketV2, TransmitFramesStartRightAfterThePaddedHeader) {
    EXPECT_EQ(tx_data_offset(), TPACKET_ALIGN(sizeof(tpacket2_hdr)));
}

}  // namespace
}  // namespace ustack::netdev::tpacket_v2

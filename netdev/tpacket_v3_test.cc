// TPACKET_V3 block walking over synthetic blocks laid out as the kernel lays them out
// (net/packet/af_packet.c: prb_fill_curr_block, tpacket_rcv).
#include "netdev/tpacket_v3.h"

#include <gtest/gtest.h>
#include <linux/if_packet.h>

#include <cstring>
#include <vector>

namespace ustack::netdev::tpacket_v3 {
namespace {

constexpr size_t kBlock = 4096;
constexpr size_t kLead = 10;  // a virtio_net_hdr before each frame

struct Builder {
    std::vector<std::byte> block = std::vector<std::byte>(kBlock);
    uint32_t offset = 48;  // BLK_PLUS_PRIV(0): the descriptor, aligned to 8
    uint32_t prev = 0;
    uint32_t count = 0;

    // Appends a frame of len bytes, each byte fill; returns its header's offset.
    uint32_t add(size_t len, uint8_t fill, uint32_t status = TP_STATUS_USER, uint8_t pkttype = PACKET_HOST) {
        const uint32_t mac = TPACKET_ALIGN(TPACKET3_HDRLEN + 16 + kLead);
        tpacket3_hdr h{};
        h.tp_status = status;
        h.tp_len = static_cast<uint32_t>(len);
        h.tp_snaplen = static_cast<uint32_t>(len);
        h.tp_mac = mac;
        std::memcpy(block.data() + offset, &h, sizeof h);
        sockaddr_ll sll{};
        sll.sll_pkttype = pkttype;
        std::memcpy(block.data() + offset + TPACKET_ALIGN(sizeof h), &sll, sizeof sll);
        std::memset(block.data() + offset + mac - kLead, 0xee, kLead);
        std::memset(block.data() + offset + mac, fill, len);
        if (count > 0) set_next(prev, offset - prev);
        prev = offset;
        ++count;
        const uint32_t at = offset;
        offset += TPACKET_ALIGN(mac + static_cast<uint32_t>(len));
        return at;
    }
    void set_next(uint32_t at, uint32_t next) {
        std::memcpy(block.data() + at + offsetof(tpacket3_hdr, tp_next_offset), &next, sizeof next);
    }
    void close(uint32_t status = TP_STATUS_USER) {
        tpacket_block_desc d{};
        d.version = TPACKET_V3;
        d.hdr.bh1.block_status = status;
        d.hdr.bh1.num_pkts = count;
        d.hdr.bh1.offset_to_first_pkt = 48;
        std::memcpy(block.data(), &d, sizeof d);
    }
};

TEST(TpacketV3, WalksEveryFrameOfARetiredBlockInOrder) {
    Builder b;
    b.add(60, 0x11);
    b.add(1514, 0x22, TP_STATUS_USER | TP_STATUS_CSUMNOTREADY);
    b.add(100, 0x33, TP_STATUS_USER, PACKET_OUTGOING);
    b.close();
    auto block = read_block(b.block);
    ASSERT_TRUE(block);
    EXPECT_TRUE(block->user);
    ASSERT_EQ(block->num_pkts, 3u);
    uint32_t at = block->first;
    const size_t lens[] = {60, 1514, 100};
    const uint8_t fills[] = {0x11, 0x22, 0x33};
    for (int i = 0; i < 3; ++i) {
        auto f = read_frame(b.block, at, kLead);
        ASSERT_TRUE(f) << "frame " << i;
        EXPECT_EQ(f->len, lens[i]);
        ASSERT_EQ(f->bytes.size(), lens[i]);
        EXPECT_EQ(f->bytes.front(), std::byte{fills[i]});
        EXPECT_EQ(f->bytes.back(), std::byte{fills[i]});
        ASSERT_EQ(f->lead.size(), kLead);
        EXPECT_EQ(f->lead.front(), std::byte{0xee});
        EXPECT_EQ(f->lead.data() + kLead, f->bytes.data());
        EXPECT_EQ((f->status & TP_STATUS_CSUMNOTREADY) != 0, i == 1);
        EXPECT_EQ(f->pkttype, i == 2 ? PACKET_OUTGOING : PACKET_HOST);
        EXPECT_EQ(f->next == 0, i == 2);
        at = f->next;
    }
}

TEST(TpacketV3, ABlockStillTheKernelsIsNotOurs) {
    Builder b;
    b.add(60, 1);
    b.close(TP_STATUS_KERNEL);
    auto block = read_block(b.block);
    ASSERT_TRUE(block);
    EXPECT_FALSE(block->user);
}

TEST(TpacketV3, ATruncatedFrameKeepsItsWireLength) {
    Builder b;
    const uint32_t at = b.add(200, 7);
    uint32_t snap = 100;
    std::memcpy(b.block.data() + at + offsetof(tpacket3_hdr, tp_snaplen), &snap, sizeof snap);
    b.close();
    auto f = read_frame(b.block, at, kLead);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->len, 200u);
    EXPECT_EQ(f->bytes.size(), 100u);
}

TEST(TpacketV3, FramesReachingOutsideTheBlockAreRejected) {
    Builder b;
    const uint32_t at = b.add(60, 1);
    b.close();
    EXPECT_FALSE(read_frame(b.block, kBlock - 8, kLead));       // header past the end
    EXPECT_FALSE(read_frame(b.block, 0, kLead));                // inside the descriptor
    uint32_t snap = kBlock;                                     // data past the end
    std::memcpy(b.block.data() + at + offsetof(tpacket3_hdr, tp_snaplen), &snap, sizeof snap);
    EXPECT_FALSE(read_frame(b.block, at, kLead));
}

TEST(TpacketV3, LeadBytesMustNotOverlapTheHeader) {
    Builder b;
    const uint32_t at = b.add(60, 1);
    b.close();
    uint16_t mac = TPACKET3_HDRLEN;  // no room for the vnet header before the frame
    std::memcpy(b.block.data() + at + offsetof(tpacket3_hdr, tp_mac), &mac, sizeof mac);
    EXPECT_TRUE(read_frame(b.block, at, 0));
    EXPECT_FALSE(read_frame(b.block, at, kLead));
}

TEST(TpacketV3, AChainThatGoesBackOrLoopsIsRejected) {
    Builder b;
    const uint32_t first = b.add(60, 1);
    b.add(60, 2);
    b.close();
    b.set_next(first, 0x80000000u);  // far outside
    EXPECT_FALSE(read_frame(b.block, first, kLead));
    b.set_next(first, 16);  // into this frame's own data
    EXPECT_FALSE(read_frame(b.block, first, kLead));
}

TEST(TpacketV3, AShortBlockHasNoDescriptor) {
    std::vector<std::byte> tiny(8);
    EXPECT_FALSE(read_block(tiny));
}

}  // namespace
}  // namespace ustack::netdev::tpacket_v3

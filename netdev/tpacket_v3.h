// Walking a TPACKET_V3 receive block: the kernel fills a block with frames, each a
// tpacket3_hdr followed (at tp_mac) by the frame, chained by tp_next_offset, and hands the
// whole block to us when it is full or its retire timeout expires (TP_STATUS_USER in the block
// descriptor). Pure functions over the block's bytes, so they are tested on synthetic blocks and
// fuzzed: the ring is shared memory, and nothing in it is trusted to stay inside the block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ustack::netdev::tpacket_v3 {

using ConstBytes = std::span<const std::byte>;

// What the block descriptor (struct tpacket_block_desc, version 1) says.
struct Block {
    bool user = false;         // TP_STATUS_USER: the kernel retired the block to us
    uint32_t num_pkts = 0;     // frames in the block
    uint32_t first = 0;        // offset of the first frame's tpacket3_hdr
};
// nullopt when the block is shorter than its descriptor.
std::optional<Block> read_block(ConstBytes block);

// One frame in a block.
struct Frame {
    uint32_t status = 0;       // tp_status: TP_STATUS_CSUMNOTREADY, TP_STATUS_VLAN_VALID, ...
    uint8_t pkttype = 0;       // sll_pkttype of the sockaddr_ll after the header (PACKET_OUTGOING, ...)
    uint32_t len = 0;          // the frame's length on the wire (tp_len)
    ConstBytes bytes;          // what was captured: tp_snaplen bytes from tp_mac
    // The lead bytes just before the frame (PACKET_VNET_HDR puts the virtio_net_hdr there);
    // empty when lead is 0.
    ConstBytes lead;
    uint32_t next = 0;         // offset of the next frame's header in the block, 0: none
};
// Reads the frame whose tpacket3_hdr is at offset. nullopt when the header, the frame or the
// lead bytes would lie outside the block or overlap the header, or the chain does not move
// forward: the caller stops walking the block (and counts it).
std::optional<Frame> read_frame(ConstBytes block, uint32_t offset, size_t lead);

}  // namespace ustack::netdev::tpacket_v3

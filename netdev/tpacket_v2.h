// One TPACKET_V2 ring frame: a fixed-size slot holding a tpacket2_hdr, a sockaddr_ll and (at
// tp_mac) the frame. Unlike a V3 block, each slot is handed over on its own as soon as the
// kernel has written it (tp_status turns TP_STATUS_USER), so there is no retire timeout and a
// lone frame costs no latency. Pure functions over the slot's bytes, tested on synthetic slots
// and fuzzed: the ring is shared memory, and nothing in it is trusted to stay inside the slot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ustack::netdev::tpacket_v2 {

using ConstBytes = std::span<const std::byte>;

// Where the frame starts in a transmit slot when PACKET_TX_HAS_OFF is off (the default): right
// after the tpacket2_hdr, padded (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll)).
size_t tx_data_offset();

// A received frame as its slot describes it.
struct Frame {
    uint32_t status = 0;   // tp_status: TP_STATUS_COPY, TP_STATUS_CSUMNOTREADY, TP_STATUS_VLAN_VALID, ...
    uint8_t pkttype = 0;   // sll_pkttype of the sockaddr_ll after the header (PACKET_OUTGOING, ...)
    uint32_t len = 0;      // the frame's length on the wire (tp_len)
    ConstBytes bytes;      // what was captured: tp_snaplen bytes from tp_mac
    // The lead bytes just before the frame (PACKET_VNET_HDR puts the virtio_net_hdr there);
    // empty when lead is 0.
    ConstBytes lead;
};
// Reads the frame in slot. nullopt when the slot is shorter than its header, or the frame or
// its lead bytes would lie outside the slot or overlap the header and sockaddr_ll.
std::optional<Frame> read_frame(ConstBytes slot, size_t lead);

}  // namespace ustack::netdev::tpacket_v2

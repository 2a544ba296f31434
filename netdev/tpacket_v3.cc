#include "netdev/tpacket_v3.h"

#include <linux/if_packet.h>

#include <cstring>

namespace ustack::netdev::tpacket_v3 {

std::optional<Block> read_block(ConstBytes block) {
    tpacket_block_desc desc;
    if (block.size() < sizeof desc) return std::nullopt;
    std::memcpy(&desc, block.data(), sizeof desc);
    const tpacket_hdr_v1& h = desc.hdr.bh1;
    return Block{.user = (h.block_status & TP_STATUS_USER) != 0,
                 .num_pkts = h.num_pkts,
                 .first = h.offset_to_first_pkt};
}

std::optional<Frame> read_frame(ConstBytes block, uint32_t offset, size_t lead) {
    tpacket3_hdr h;
    if (offset < sizeof(tpacket_block_desc) || size_t{offset} + sizeof h > block.size()) return std::nullopt;
    std::memcpy(&h, block.data() + offset, sizeof h);
    // tp_mac is relative to the header; a sockaddr_ll and then the lead bytes sit between the
    // header and the frame (TPACKET3_HDRLEN is the header, padded, plus the sockaddr_ll).
    const size_t mac = size_t{offset} + h.tp_mac;
    if (h.tp_mac < TPACKET3_HDRLEN + lead || mac + h.tp_snaplen > block.size()) return std::nullopt;
    sockaddr_ll sll;
    std::memcpy(&sll, block.data() + offset + TPACKET_ALIGN(sizeof h), sizeof sll);
    // The next header must start past this one's frame data; a chain that loops or goes back
    // would otherwise walk the same bytes forever.
    if (h.tp_next_offset != 0) {
        const size_t next = size_t{offset} + h.tp_next_offset;
        if (next < mac + h.tp_snaplen || next + sizeof h > block.size()) return std::nullopt;
    }
    Frame f;
    f.status = h.tp_status;
    f.pkttype = sll.sll_pkttype;
    f.len = h.tp_len;
    f.bytes = block.subspan(mac, h.tp_snaplen);
    f.lead = block.subspan(mac - lead, lead);
    f.next = h.tp_next_offset == 0 ? 0 : offset + h.tp_next_offset;
    return f;
}

}  // namespace ustack::netdev::tpacket_v3

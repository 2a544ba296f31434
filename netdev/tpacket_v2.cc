#include "netdev/tpacket_v2.h"

#include <linux/if_packet.h>

#include <cstring>

namespace ustack::netdev::tpacket_v2 {

size_t tx_data_offset() { return TPACKET2_HDRLEN - sizeof(sockaddr_ll); }

std::optional<Frame> read_frame(ConstBytes slot, size_t lead) {
    tpacket2_hdr h;
    if (slot.size() < TPACKET2_HDRLEN) return std::nullopt;
    std::memcpy(&h, slot.data(), sizeof h);
    // tp_mac is relative to the slot; the sockaddr_ll and then the lead bytes sit between the
    // header and the frame.
    if (h.tp_mac < TPACKET2_HDRLEN + lead || size_t{h.tp_mac} + h.tp_snaplen > slot.size()) return std::nullopt;
    sockaddr_ll sll;
    std::memcpy(&sll, slot.data() + TPACKET_ALIGN(sizeof h), sizeof sll);
    Frame f;
    f.status = h.tp_status;
    f.pkttype = sll.sll_pkttype;
    f.len = h.tp_len;
    f.bytes = slot.subspan(h.tp_mac, h.tp_snaplen);
    f.lead = slot.subspan(h.tp_mac - lead, lead);
    return f;
}

}  // namespace ustack::netdev::tpacket_v2

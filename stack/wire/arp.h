// ARP for IPv4 over Ethernet (RFC 826). Other hardware or protocol types are not ours.
#pragma once

#include <optional>

#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4_addr.h"

namespace ustack::wire {

enum class ArpOp : uint16_t { kRequest = 1, kReply = 2 };

struct ArpRepr {
    static constexpr size_t kLen = 28;
    ArpOp op = ArpOp::kRequest;
    MacAddr sender_mac;
    Ipv4Addr sender_ip;
    MacAddr target_mac;
    Ipv4Addr target_ip;

    // nullopt unless htype=1, ptype=0x0800, hlen=6, plen=4, op is 1 or 2 and the packet
    // holds at least 28 bytes (trailing Ethernet padding is ignored).
    static std::optional<ArpRepr> parse(ConstBytes packet);
    void emit(MutableBytes out) const;  // writes kLen bytes

    friend bool operator==(const ArpRepr&, const ArpRepr&) = default;
};

}  // namespace ustack::wire

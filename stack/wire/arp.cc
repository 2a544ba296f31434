#include "stack/wire/arp.h"

namespace ustack::wire {
namespace {
constexpr uint16_t kHtypeEthernet = 1;
constexpr uint8_t kHlenEthernet = 6;
constexpr uint8_t kPlenIpv4 = 4;
}  // namespace

std::optional<ArpRepr> ArpRepr::parse(ConstBytes packet) {
    if (packet.size() < kLen) return std::nullopt;
    if (load_be16(packet, 0) != kHtypeEthernet || load_be16(packet, 2) != ethertype::kIpv4 ||
        load_u8(packet, 4) != kHlenEthernet || load_u8(packet, 5) != kPlenIpv4) {
        return std::nullopt;
    }
    uint16_t op = load_be16(packet, 6);
    if (op != static_cast<uint16_t>(ArpOp::kRequest) && op != static_cast<uint16_t>(ArpOp::kReply)) {
        return std::nullopt;
    }
    return ArpRepr{
        .op = static_cast<ArpOp>(op),
        .sender_mac = MacAddr::load(packet, 8),
        .sender_ip = Ipv4Addr::load(packet, 14),
        .target_mac = MacAddr::load(packet, 18),
        .target_ip = Ipv4Addr::load(packet, 24),
    };
}

void ArpRepr::emit(MutableBytes out) const {
    store_be16(out, 0, kHtypeEthernet);
    store_be16(out, 2, ethertype::kIpv4);
    store_u8(out, 4, kHlenEthernet);
    store_u8(out, 5, kPlenIpv4);
    store_be16(out, 6, static_cast<uint16_t>(op));
    sender_mac.store(out, 8);
    sender_ip.store(out, 14);
    target_mac.store(out, 18);
    target_ip.store(out, 24);
}

}  // namespace ustack::wire

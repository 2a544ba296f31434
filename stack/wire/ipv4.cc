#include "stack/wire/ipv4.h"

#include "stack/wire/checksum.h"

namespace ustack::wire {

std::optional<Ipv4View> Ipv4View::parse(ConstBytes packet) {
    if (packet.size() < kMinHeaderLen) return std::nullopt;
    uint8_t version_ihl = load_u8(packet, 0);
    size_t ihl_bytes = (version_ihl & 0x0f) * 4u;
    size_t total = load_be16(packet, 2);
    // RFC 791: version 4; IHL counts 32-bit words and is at least 5; the total length
    // covers the header and must fit in what we received.
    if ((version_ihl >> 4) != 4 || ihl_bytes < kMinHeaderLen) return std::nullopt;
    if (total < ihl_bytes || total > packet.size()) return std::nullopt;
    return Ipv4View(packet);
}

bool Ipv4View::checksum_valid() const { return internet_checksum(header()) == 0; }

Ipv4Repr Ipv4Repr::from(const Ipv4View& v) {
    return Ipv4Repr{
        .src = v.src(),
        .dst = v.dst(),
        .protocol = v.protocol(),
        .payload_len = static_cast<uint16_t>(v.total_len() - v.header_len()),
        .ttl = v.ttl(),
        .tos = v.tos(),
        .ident = v.ident(),
        .dont_fragment = v.dont_fragment(),
    };
}

void Ipv4Repr::emit(MutableBytes out) const {
    store_u8(out, 0, 0x45);  // version 4, IHL 5
    store_u8(out, 1, tos);
    store_be16(out, 2, static_cast<uint16_t>(kHeaderLen + payload_len));
    store_be16(out, 4, ident);
    store_be16(out, 6, dont_fragment ? 0x4000 : 0);
    store_u8(out, 8, ttl);
    store_u8(out, 9, protocol);
    store_be16(out, 10, 0);
    src.store(out, 12);
    dst.store(out, 16);
    store_be16(out, 10, internet_checksum(out.first(kHeaderLen)));
}

}  // namespace ustack::wire

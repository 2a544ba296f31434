// IPv4 input and output (RFC 791, RFC 1122 3.2.1): routing, header checksum, TTL,
// fragmentation of what does not fit the MTU, reassembly, and counted drops of whatever is
// not for us.
#include <algorithm>
#include <cstring>

#include "stack/stack_impl.h"
#include "stack/wire/checksum.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"

namespace ustack {

using wire::Ipv4Repr;
using wire::Ipv4View;

std::optional<Ipv4Addr> Stack::Impl::next_hop(Ipv4Addr dst) const {
    if (dst.is_unspecified() || dst.is_loopback() || dst.is_multicast()) return std::nullopt;
    if (dst.is_broadcast() || config.address.contains(dst)) return dst;
    if (config.gateway) return *config.gateway;
    return std::nullopt;
}

bool Stack::Impl::routes(Ipv4Addr dst) const {
    // Our own address is not routed through the device: the kernel would reach it over loopback.
    return dst != config.address.address && next_hop(dst).has_value();
}

bool Stack::Impl::send_ipv4(const IpSend& p, size_t l4_len, FunctionRef<void(std::span<std::byte>)> fill) {
    const auto hop = next_hop(p.dst);
    if (!hop) {
        ++counters.ip_tx_no_route;
        return false;
    }
    const size_t limit = p.use_path_mtu ? path_mtu(p.dst) : mtu;
    if (Ipv4Repr::kHeaderLen + l4_len > limit && !p.dont_fragment) return send_fragments(p, *hop, limit, l4_len, fill);
    constexpr size_t kL2 = wire::EthernetRepr::kHeaderLen;
    PacketBuffer* b = pool.take();
    b->len = kL2 + Ipv4Repr::kHeaderLen + l4_len;
    fill(b->bytes().subspan(kL2 + Ipv4Repr::kHeaderLen));
    Ipv4Repr ip{p.src, p.dst, p.protocol, static_cast<uint16_t>(l4_len), p.ttl, p.tos, ip_ident++, p.dont_fragment};
    ip.emit(b->bytes().subspan(kL2));
    ++counters.ip_tx;
    send_ip_frame(b, hop.value());
    return true;
}

bool Stack::Impl::send_fragments(const IpSend& p, Ipv4Addr hop, size_t limit, size_t l4_len,
                                 FunctionRef<void(std::span<std::byte>)> fill) {
    // RFC 791 3.2, as Linux ip_fragment: the payload is built once, then cut into pieces of
    // the largest multiple of 8 bytes that fits the MTU, all with one identification. Only
    // the last has MF clear. The send path allocates nothing per packet once warm: the
    // scratch buffer keeps its size.
    if (Ipv4Repr::kHeaderLen + l4_len > 65535) return false;
    frag_scratch.resize(l4_len);
    fill(frag_scratch);
    constexpr size_t kL2 = wire::EthernetRepr::kHeaderLen;
    const size_t chunk = (limit - Ipv4Repr::kHeaderLen) & ~size_t{7};
    const uint16_t ident = ip_ident++;
    for (size_t off = 0; off < l4_len; off += chunk) {
        const size_t len = std::min(chunk, l4_len - off);
        const bool more = off + len < l4_len;
        PacketBuffer* b = pool.take();
        b->len = kL2 + Ipv4Repr::kHeaderLen + len;
        std::memcpy(b->data + kL2 + Ipv4Repr::kHeaderLen, frag_scratch.data() + off, len);
        const auto header = b->bytes().subspan(kL2, Ipv4Repr::kHeaderLen);
        Ipv4Repr{p.src, p.dst, p.protocol, static_cast<uint16_t>(len), p.ttl, p.tos, ident, false}.emit(header);
        wire::store_be16(header, 6, static_cast<uint16_t>((more ? 0x2000 : 0) | (off / 8)));
        wire::store_be16(header, 10, 0);
        wire::store_be16(header, 10, wire::internet_checksum(header));
        ++counters.ip_tx;
        ++counters.ip_frag_creates;
        send_ip_frame(b, hop);
    }
    ++counters.ip_frag_oks;
    return true;
}

void Stack::Impl::handle_ipv4(std::span<const std::byte> packet, bool checksum_partial) {
    ++counters.ip_rx;
    auto ip = Ipv4View::parse(packet);
    if (!ip) {
        ++counters.ip_rx_malformed;
        return;
    }
    if (!ip->checksum_valid()) {
        ++counters.ip_rx_bad_checksum;
        return;
    }
    const Ipv4Addr dst = ip->dst();
    const bool for_us = dst == config.address.address;
    const bool broadcast = dst.is_broadcast() || dst == config.address.subnet_broadcast();
    if (!for_us && !broadcast) {
        ++counters.ip_rx_not_for_us;  // we do not forward (RFC 1122 3.3.1: hosts need not)
        return;
    }
    if (ip->is_fragment()) {
        // RFC 791 3.2 / RFC 815: held until the datagram is whole, then handled as if it had
        // arrived in one piece. Fragments carry no partial checksums.
        auto whole = reassembler.add(*ip, now);
        if (!whole) return;
        auto datagram = Ipv4View::parse(*whole);
        if (!datagram) return;
        deliver_ipv4(*datagram, false, for_us);
        return;
    }
    deliver_ipv4(*ip, checksum_partial, for_us);
}

void Stack::Impl::run_reassembly_timers() {
    reassembler.expire(now, [&](const Ipv4View& first) {
        // RFC 792, RFC 1122 3.2.2.4: time exceeded, fragment reassembly time exceeded, quoting
        // the first fragment (Linux ip_expire sends it only when that fragment arrived).
        if (first.dst() == config.address.address) {
            send_icmp_error(first, wire::icmptype::kTimeExceeded, wire::icmpcode::kFragmentReassemblyTimeExceeded);
        }
    });
}

void Stack::Impl::deliver_ipv4(const Ipv4View& ip, bool checksum_partial, bool for_us) {
    // Learn the sender's MAC opportunistically? No: RFC 1122 2.3.2.1 leaves it to ARP; we
    // only learn from ARP so a spoofed IP packet cannot poison the cache.
    switch (ip.protocol()) {
        case wire::ipproto::kIcmp:
            if (for_us) handle_icmp(ip, checksum_partial);
            break;
        case wire::ipproto::kUdp:
            handle_udp(ip, checksum_partial);
            break;
        case wire::ipproto::kTcp:
            if (for_us) handle_tcp(ip, checksum_partial);  // RFC 1122 4.2.3.10: no broadcast TCP
            break;
        default:
            ++counters.ip_rx_unknown_protocol;
            if (for_us) send_dest_unreachable(ip, wire::icmpcode::kProtocolUnreachable);
    }
}

}  // namespace ustack

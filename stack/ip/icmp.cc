// ICMP (RFC 792): echo replies, destination unreachable out, and errors in to the sockets
// they concern.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "stack/stack_impl.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/udp.h"

namespace ustack {

using wire::IcmpRepr;
using wire::IcmpView;
namespace icmptype = wire::icmptype;
namespace icmpcode = wire::icmpcode;

namespace {
constexpr double kIcmpBurst = 50;        // Linux net.ipv4.icmp_msgs_burst
constexpr double kIcmpPerSecond = 1000;  // Linux net.ipv4.icmp_msgs_per_sec
}  // namespace

void Stack::Impl::handle_icmp(const wire::Ipv4View& ip, bool checksum_partial) {
    ++counters.icmp_rx;
    auto icmp = IcmpView::parse(ip.payload());
    if (!icmp || (!checksum_partial && !icmp->checksum_valid())) {
        ++counters.icmp_rx_malformed;
        return;
    }
    if (icmp->type() == icmptype::kEchoRequest) {
        // RFC 1122 3.2.2.6: the reply carries the request's identifier, sequence and data.
        IcmpRepr reply{icmptype::kEchoReply, 0, icmp->rest_of_header(), icmp->payload()};
        IpSend p{config.address.address, ip.src(), wire::ipproto::kIcmp, 64, ip.tos(), false};
        if (send_ipv4(p, reply.len(), [&](std::span<std::byte> out) { reply.emit(out); })) {
            ++counters.icmp_echo_replies_sent;
        }
        return;
    }
    if (icmp->type() == icmptype::kDestUnreachable) {
        ++counters.icmp_dest_unreachable_rx;
        // The payload quotes the offending datagram's IP header and at least 8 bytes after it.
        // The quote is truncated, so its total length field cannot be checked: read the
        // fixed fields directly.
        const auto quote = icmp->payload();
        if (quote.size() < wire::Ipv4View::kMinHeaderLen || (wire::load_u8(quote, 0) >> 4) != 4) return;
        const size_t ihl = (wire::load_u8(quote, 0) & 0x0f) * 4u;
        if (ihl < wire::Ipv4View::kMinHeaderLen || quote.size() < ihl + 8) return;
        const Ipv4Addr inner_src = Ipv4Addr::load(quote, 12);
        const Ipv4Addr inner_dst = Ipv4Addr::load(quote, 16);
        const uint8_t inner_protocol = wire::load_u8(quote, 9);
        if (inner_src != config.address.address) return;
        const auto l4 = quote.subspan(ihl);
        const Endpoint local{inner_src, wire::load_be16(l4, 0)};
        const Endpoint remote{inner_dst, wire::load_be16(l4, 2)};
        if (icmp->code() == icmpcode::kFragmentationNeeded) {
            handle_frag_needed(*icmp, quote);
            return;
        }
        if (inner_protocol == wire::ipproto::kUdp && icmp->code() == icmpcode::kPortUnreachable) {
            udp_icmp_error(local, remote, ECONNREFUSED);
        }
        // TCP reacts to ICMP only in the full TCP (RFC 5927 guidance); ignored for now.
    }
}

void Stack::Impl::handle_frag_needed(const IcmpView& icmp, wire::ConstBytes quote) {
    // RFC 1191: the next-hop MTU is in the low 16 bits of the rest of the header. The quote
    // was checked by the caller: our packet, IP header and 8 bytes of its payload.
    ++counters.icmp_frag_needed_rx;
    const size_t ihl = (wire::load_u8(quote, 0) & 0x0f) * 4u;
    const Ipv4Addr dst = Ipv4Addr::load(quote, 16);
    const uint8_t protocol = wire::load_u8(quote, 9);
    const auto l4 = quote.subspan(ihl);
    const size_t reported = icmp.rest_of_header() & 0xffff;
    if (protocol == wire::ipproto::kTcp) {
        // RFC 5927 / Linux tcp_v4_err: only for a connection we have, and only when the quoted
        // sequence number is one we sent and is not yet acknowledged; a blind forger must
        // guess it.
        const FourTuple ft{Endpoint{config.address.address, wire::load_be16(l4, 0)}, Endpoint{dst, wire::load_be16(l4, 2)}};
        tcp::Tcb* t = tcp_lookup(ft);
        const wire::SeqNum seq{wire::load_be32(l4, 4)};
        if (t == nullptr || t->state == tcp::State::kListen || !(t->snd_una <= seq && seq <= t->snd_nxt)) {
            ++counters.icmp_frag_needed_ignored;
            return;
        }
        if (pmtu.learn(dst, reported, mtu, now)) ++counters.ip_pmtu_updates;
        tcp_mtu_reduced(*t, path_mtu(dst));
        return;
    }
    // UDP and the rest (Linux ipv4_update_pmtu): the next datagrams to dst are cut to fit.
    if (pmtu.learn(dst, reported, mtu, now)) ++counters.ip_pmtu_updates;
}

void Stack::Impl::send_dest_unreachable(const wire::Ipv4View& offending, uint8_t code) {
    send_icmp_error(offending, icmptype::kDestUnreachable, code);
}

void Stack::Impl::send_icmp_error(const wire::Ipv4View& offending, uint8_t type, uint8_t code) {
    // RFC 1122 3.2.2: never about a broadcast or multicast datagram, a fragment other than the
    // first, or an ICMP error.
    if (offending.dst().is_broadcast() || offending.dst().is_multicast() ||
        offending.dst() == config.address.subnet_broadcast() || offending.fragment_offset_bytes() != 0 ||
        offending.src().is_unspecified() || offending.src().is_broadcast()) {
        return;
    }
    // Rate limit, as Linux does, so a port scan cannot turn us into an amplifier.
    const double elapsed = std::chrono::duration<double>(now - icmp_refill).count();
    icmp_refill = now;
    icmp_tokens = std::min(kIcmpBurst, icmp_tokens + elapsed * kIcmpPerSecond);
    if (icmp_tokens < 1) return;
    icmp_tokens -= 1;
    // RFC 1812 4.3.2.3: as much of the original as fits in 576 bytes.
    const auto original = offending.packet();
    const size_t quote = std::min(original.size(), size_t{576} - wire::Ipv4Repr::kHeaderLen - IcmpRepr::kHeaderLen);
    IcmpRepr msg{type, code, 0, original.first(quote)};
    IpSend p{config.address.address, offending.src(), wire::ipproto::kIcmp, 64, 0, false};
    if (send_ipv4(p, msg.len(), [&](std::span<std::byte> out) { msg.emit(out); })) {
        if (type == icmptype::kDestUnreachable) ++counters.icmp_dest_unreachable_sent;
        if (type == icmptype::kTimeExceeded) ++counters.icmp_time_exceeded_sent;
    }
}

}  // namespace ustack

// ARP input and output (RFC 826).
#include <cerrno>

#include "stack/stack_impl.h"
#include "stack/wire/arp.h"

namespace ustack {

using wire::ArpOp;
using wire::ArpRepr;

namespace {
PacketBuffer* build_arp(PacketPool& pool, const wire::MacAddr& eth_dst, const wire::MacAddr& eth_src, const ArpRepr& arp) {
    PacketBuffer* b = pool.take();
    b->len = wire::EthernetRepr::kHeaderLen + ArpRepr::kLen;
    wire::EthernetRepr{eth_dst, eth_src, wire::ethertype::kArp}.emit(b->bytes());
    arp.emit(b->bytes().subspan(wire::EthernetRepr::kHeaderLen));
    return b;
}
}  // namespace

void Stack::Impl::handle_arp(std::span<const std::byte> packet) {
    ++counters.arp_rx;
    auto arp_in = ArpRepr::parse(packet);
    if (!arp_in) {
        ++counters.arp_rx_malformed;
        return;
    }
    const Ipv4Addr me = config.address.address;
    if (arp_in->sender_ip.is_unspecified() || arp_in->sender_mac.is_multicast()) return;
    // RFC 826 packet reception: merge the sender into an existing entry; add it if we are
    // the target. Either way, release packets that were waiting for it.
    HeapVector<PacketBuffer*> ready;
    if (arp_in->target_ip == me) {
        auto waiting = arp.learn(arp_in->sender_ip, arp_in->sender_mac, now);
        ready.assign(waiting.begin(), waiting.end());
    } else {
        arp.update_if_present(arp_in->sender_ip, arp_in->sender_mac, now);
    }
    for (PacketBuffer* b : ready) {
        wire::EthernetRepr{arp_in->sender_mac, config.mac, wire::ethertype::kIpv4}.emit(b->bytes());
        queue_frame(b);
    }
    if (arp_in->op == ArpOp::kRequest && arp_in->target_ip == me) {
        ArpRepr reply{ArpOp::kReply, config.mac, me, arp_in->sender_mac, arp_in->sender_ip};
        queue_frame(build_arp(pool, arp_in->sender_mac, config.mac, reply));
        ++counters.arp_replies_sent;
    }
}

void Stack::Impl::send_arp_request(Ipv4Addr target) {
    ArpRepr req{ArpOp::kRequest, config.mac, config.address.address, wire::MacAddr{}, target};
    queue_frame(build_arp(pool, wire::MacAddr::broadcast(), config.mac, req));
    ++counters.arp_requests_sent;
}

void Stack::Impl::run_arp_timers() {
    HeapVector<Ipv4Addr> resend;
    HeapVector<PacketBuffer*> dropped;
    HeapVector<Ipv4Addr> failed;
    arp.on_timer(now, &resend, &dropped, &failed);
    for (Ipv4Addr ip : resend) send_arp_request(ip);
    // A connection still opening towards a neighbour that never answered fails with
    // EHOSTUNREACH, as on Linux, instead of retrying SYNs into the void.
    for (Ipv4Addr hop : failed) {
        HeapVector<tcp::Tcb*> doomed;
        for (const auto& [ft, id] : tcp_connections) {
            SocketEntry* e = find(id);
            if (e && e->tcp && e->tcp->state == tcp::State::kSynSent && next_hop(ft.remote.addr) == hop) doomed.push_back(e->tcp.get());
        }
        for (tcp::Tcb* t : doomed) tcp_close_connection(*t, EHOSTUNREACH);
    }
    for (PacketBuffer* b : dropped) {
        ++counters.arp_pending_dropped;
        pool.give(b);
    }
}

}  // namespace ustack

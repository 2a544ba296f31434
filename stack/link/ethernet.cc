// Ethernet receive demux and transmit framing.
#include "stack/stack_impl.h"
#include "stack/wire/ethernet.h"

namespace ustack {

using wire::EthernetRepr;
using wire::EthernetView;

void Stack::Impl::handle_frame(std::span<const std::byte> frame, bool checksum_partial) {
    ++counters.link_rx_frames;
    counters.link_rx_bytes += frame.size();
    auto eth = EthernetView::parse(frame);
    if (!eth) {
        ++counters.link_rx_malformed;
        return;
    }
    const wire::MacAddr dst = eth->dst();
    if (dst != config.mac && !dst.is_broadcast()) {
        ++counters.link_rx_not_for_us;
        return;
    }
    switch (eth->ethertype()) {
        case wire::ethertype::kArp:
            handle_arp(eth->payload());
            break;
        case wire::ethertype::kIpv4:
            handle_ipv4(eth->payload(), checksum_partial);
            break;
        default:
            ++counters.link_rx_unknown_ethertype;
    }
}

void Stack::Impl::queue_frame(PacketBuffer* buf) {
    tx_batch.push_back(buf);
    if (tx_batch.size() >= 64) flush();
}

void Stack::Impl::send_ip_frame(PacketBuffer* buf, Ipv4Addr next_hop) {
    std::optional<wire::MacAddr> mac;
    if (next_hop.is_broadcast() || next_hop == config.address.subnet_broadcast()) {
        mac = wire::MacAddr::broadcast();
    } else {
        mac = arp.lookup(next_hop);
        if (mac && arp.needs_refresh(next_hop, now)) send_arp_request(next_hop);
    }
    if (!mac) {
        bool send_request = false;
        if (!arp.enqueue(next_hop, buf, now, &send_request)) {
            ++counters.arp_pending_dropped;
            pool.give(buf);
        }
        if (send_request) send_arp_request(next_hop);
        return;
    }
    EthernetRepr{*mac, config.mac, wire::ethertype::kIpv4}.emit(buf->bytes());
    queue_frame(buf);
}

void Stack::Impl::flush() {
    if (tx_batch.empty()) return;
    HeapVector<std::span<const std::byte>> frames;
    frames.reserve(tx_batch.size());
    for (PacketBuffer* b : tx_batch) frames.emplace_back(b->data, b->len);
    const int sent = device.send(frames);
    const size_t accepted = sent < 0 ? 0 : static_cast<size_t>(sent);
    for (size_t i = 0; i < tx_batch.size(); ++i) {
        if (i < accepted) {
            ++counters.link_tx_frames;
            counters.link_tx_bytes += tx_batch[i]->len;
        } else {
            // The device queue is full: TCP recovers by retransmission, UDP loses the datagram,
            // exactly as when a kernel qdisc drops.
            ++counters.link_tx_dropped;
        }
        pool.give(tx_batch[i]);
    }
    tx_batch.clear();
}

}  // namespace ustack

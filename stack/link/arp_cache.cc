#include "stack/link/arp_cache.h"

namespace ustack::link {

std::optional<MacAddr> ArpCache::lookup(Ipv4Addr ip) const {
    auto it = entries_.find(ip);
    if (it == entries_.end()) return std::nullopt;
    return it->second.mac;
}

bool ArpCache::needs_refresh(Ipv4Addr ip, Instant now) const {
    auto it = entries_.find(ip);
    return it != entries_.end() && it->second.mac && it->second.expires <= now &&
           it->second.next_request <= now;
}

const ArpCache::Entry* ArpCache::find(Ipv4Addr ip) const {
    auto it = entries_.find(ip);
    return it == entries_.end() ? nullptr : &it->second;
}

heap::Vector<PacketBuffer*> ArpCache::learn(Ipv4Addr ip, MacAddr mac, Instant now) {
    Entry& e = entries_[ip];
    e.mac = mac;
    e.expires = now + kReachableTime;
    e.requests_sent = 0;
    e.next_request = Instant{0};
    heap::Vector<PacketBuffer*> out;
    out.swap(e.pending);
    return out;
}

bool ArpCache::update_if_present(Ipv4Addr ip, MacAddr mac, Instant now) {
    auto it = entries_.find(ip);
    if (it == entries_.end()) return false;
    it->second.mac = mac;
    it->second.expires = now + kReachableTime;
    it->second.requests_sent = 0;
    return true;
}

bool ArpCache::enqueue(Ipv4Addr ip, PacketBuffer* packet, Instant now, bool* send_request) {
    Entry& e = entries_[ip];
    *send_request = false;
    if (e.requests_sent == 0) {
        *send_request = true;
        e.requests_sent = 1;
        e.next_request = now + kRetryInterval;
    }
    if (e.pending.size() >= kMaxPendingPerEntry) return false;
    e.pending.push_back(packet);
    return true;
}

void ArpCache::on_timer(Instant now, heap::Vector<Ipv4Addr>* resend, heap::Vector<PacketBuffer*>* dropped,
                        heap::Vector<Ipv4Addr>* failed) {
    for (auto it = entries_.begin(); it != entries_.end();) {
        Entry& e = it->second;
        if (e.mac || e.requests_sent == 0 || e.next_request > now) {
            ++it;
            continue;
        }
        if (e.requests_sent >= kMaxRequests) {
            // Resolution failed: drop what waited for it and forget the entry.
            dropped->insert(dropped->end(), e.pending.begin(), e.pending.end());
            failed->push_back(it->first);
            it = entries_.erase(it);
            continue;
        }
        ++e.requests_sent;
        e.next_request = now + kRetryInterval;
        resend->push_back(it->first);
        ++it;
    }
}

std::optional<Instant> ArpCache::next_deadline() const {
    std::optional<Instant> best;
    for (const auto& [ip, e] : entries_) {
        if (e.mac || e.requests_sent == 0) continue;
        if (!best || e.next_request < *best) best = e.next_request;
    }
    return best;
}

}  // namespace ustack::link

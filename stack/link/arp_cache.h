// The neighbour table (RFC 826): IPv4 to MAC, with expiry, bounded resolution retries, and a
// bounded queue of packets waiting for each resolution.
#pragma once

#include <optional>
#include <unordered_map>
#include <vector>

#include "stack/core/heap.h"
#include "stack/core/packet_pool.h"
#include "stack/core/time.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4_addr.h"

namespace ustack::link {

using wire::Ipv4Addr;
using wire::MacAddr;

class ArpCache {
public:
    static constexpr Duration kReachableTime = std::chrono::seconds(60);
    static constexpr Duration kRetryInterval = std::chrono::seconds(1);
    static constexpr int kMaxRequests = 3;           // Linux mcast_solicit
    static constexpr size_t kMaxPendingPerEntry = 8; // packets held while resolving

    struct Entry {
        std::optional<MacAddr> mac;  // nullopt while incomplete
        Instant expires{0};          // a resolved entry is refreshed after this
        Instant next_request{0};
        int requests_sent = 0;
        heap::Vector<PacketBuffer*> pending;  // IP packets, headroom for Ethernet
    };

    // The MAC for ip if known (even if due for refresh; the caller then asks needs_refresh).
    std::optional<MacAddr> lookup(Ipv4Addr ip) const;
    bool needs_refresh(Ipv4Addr ip, Instant now) const;

    // Learns or refreshes a mapping (from a reply, or a request addressed to us: RFC 826
    // "merge"). Returns the packets that were waiting for it, for the caller to send.
    heap::Vector<PacketBuffer*> learn(Ipv4Addr ip, MacAddr mac, Instant now);
    // Updates ip only if already present (RFC 826: merge without adding).
    bool update_if_present(Ipv4Addr ip, MacAddr mac, Instant now);

    // Queues a packet for an unresolved ip. Returns false (caller frees and counts) when the
    // queue is full. Sets *send_request when a request should go out now.
    bool enqueue(Ipv4Addr ip, PacketBuffer* packet, Instant now, bool* send_request);

    // Resolutions whose retry is due: requests to send now, the packets of resolutions that
    // gave up (caller frees and counts them) and the addresses that gave up.
    void on_timer(Instant now, heap::Vector<Ipv4Addr>* resend, heap::Vector<PacketBuffer*>* dropped,
                  heap::Vector<Ipv4Addr>* failed);
    std::optional<Instant> next_deadline() const;

    size_t size() const { return entries_.size(); }
    // For introspection and tests.
    const Entry* find(Ipv4Addr ip) const;

private:
    struct Hash {
        size_t operator()(Ipv4Addr a) const { return std::hash<uint32_t>()(a.value); }
    };
    heap::HashMap<Ipv4Addr, Entry, Hash> entries_;
};

}  // namespace ustack::link

// Per-destination path MTU (RFC 1191), learnt from ICMP fragmentation needed, with Linux's
// rules (net/ipv4/route.c __ip_rt_update_pmtu): an entry only ever lowers the MTU, never below
// min_pmtu (552), and expires after ip_rt_mtu_expires (10 minutes), when the link MTU applies
// again. Pure: the caller passes the time; entries live on the stack heap, at most kMaxEntries
// (the oldest-expiring goes first) so a flood of forged ICMP cannot grow it without bound.
#pragma once

#include <cstddef>
#include <optional>

#include "stack/core/heap.h"
#include "stack/core/time.h"
#include "stack/wire/ipv4_addr.h"

namespace ustack::ip {

class PathMtuCache {
public:
    static constexpr size_t kMinPmtu = 552;                          // Linux min_pmtu
    static constexpr Duration kExpires = std::chrono::minutes(10);   // Linux mtu_expires
    static constexpr size_t kMaxEntries = 4096;

    // ICMP said packets to dst must be at most reported bytes (RFC 1191 next-hop MTU).
    // Returns the new path MTU when this lowered it, nullopt when it changed nothing.
    std::optional<size_t> learn(wire::Ipv4Addr dst, size_t reported, size_t link_mtu, Instant now);
    // The MTU to use towards dst now.
    size_t mtu(wire::Ipv4Addr dst, size_t link_mtu, Instant now) const;
    size_t size() const { return entries_.size(); }

private:
    struct Entry {
        size_t mtu;
        Instant expires;
    };
    heap::HashMap<uint32_t, Entry> entries_;
};

}  // namespace ustack::ip

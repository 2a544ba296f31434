#include "stack/ip/path_mtu.h"

#include <algorithm>

namespace ustack::ip {

std::optional<size_t> PathMtuCache::learn(wire::Ipv4Addr dst, size_t reported, size_t link_mtu, Instant now) {
    const size_t old = mtu(dst, link_mtu, now);
    // A report of 0 (pre-RFC 1191 routers) or below the floor clamps to the floor.
    const size_t fresh = std::max(reported, kMinPmtu);
    if (fresh >= old) return std::nullopt;  // the path MTU only ever goes down
    if (entries_.size() >= kMaxEntries && !entries_.contains(dst.value)) {
        auto victim = std::min_element(entries_.begin(), entries_.end(),
                                       [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
        entries_.erase(victim);
    }
    entries_[dst.value] = Entry{fresh, now + kExpires};
    return fresh;
}

size_t PathMtuCache::mtu(wire::Ipv4Addr dst, size_t link_mtu, Instant now) const {
    auto it = entries_.find(dst.value);
    if (it == entries_.end() || it->second.expires <= now) return link_mtu;
    return std::min(it->second.mtu, link_mtu);
}

}  // namespace ustack::ip

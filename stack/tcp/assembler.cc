#include "stack/tcp/assembler.h"

#include <algorithm>

namespace ustack::tcp {

bool Assembler::add(uint32_t offset, uint32_t len) {
    if (len == 0) return true;
    Range r{offset, offset + len};
    // Merge with every range it touches or overlaps.
    auto it = ranges_.begin();
    while (it != ranges_.end() && it->end < r.start) ++it;
    auto first = it;
    while (it != ranges_.end() && it->start <= r.end) {
        r.start = std::min(r.start, it->start);
        r.end = std::max(r.end, it->end);
        ++it;
    }
    if (first == it && ranges_.size() >= kMaxRanges) return false;
    it = ranges_.erase(first, it);
    ranges_.insert(it, r);
    return true;
}

uint32_t Assembler::advance(uint32_t n) {
    // Every range that starts at or before the new rcv_nxt is consumed; the furthest end among
    // them tells how many bytes past the new rcv_nxt are already in the ring.
    uint32_t contiguous = 0;
    auto it = ranges_.begin();
    while (it != ranges_.end() && it->start <= n) {
        contiguous = std::max(contiguous, it->end > n ? it->end - n : 0);
        ++it;
    }
    ranges_.erase(ranges_.begin(), it);
    // Remaining ranges start strictly after every consumed one (add() merges touching ranges).
    const uint32_t shift = n + contiguous;
    for (auto& r : ranges_) {
        r.start -= shift;
        r.end -= shift;
    }
    return contiguous;
}

}  // namespace ustack::tcp

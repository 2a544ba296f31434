// Out-of-order receive bookkeeping: which byte ranges beyond rcv_nxt have arrived. The bytes
// themselves are already in the receive ring at their final offsets (ByteRing::write_ahead);
// this only remembers where. Ranges are offsets from rcv_nxt, kept sorted and disjoint.
#pragma once

#include <cstdint>
#include <vector>

#include "stack/core/heap.h"

namespace ustack::tcp {

class Assembler {
public:
    static constexpr size_t kMaxRanges = 32;  // beyond this, new out-of-order data is dropped

    // Records [offset, offset+len) as received; returns false if it could not be recorded.
    bool add(uint32_t offset, uint32_t len);
    // rcv_nxt advanced by n (in-order data or a filled hole): rebases every range and returns
    // how many further bytes are now contiguous from the new rcv_nxt (and drops that range).
    uint32_t advance(uint32_t n);
    bool empty() const { return ranges_.empty(); }
    size_t range_count() const { return ranges_.size(); }
    struct Range {
        uint32_t start, end;
    };
    const auto& ranges() const { return ranges_; }

private:
    std::vector<Range, heap::Allocator<Range>> ranges_;
};

}  // namespace ustack::tcp

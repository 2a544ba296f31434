// Deadlines for every timer in the stack, in one priority queue with lazy cancellation: arming
// a timer pushes (deadline, key); the owner keeps the deadline it armed, and an entry whose
// deadline no longer matches its owner's is skipped when it reaches the front. O(log n) per
// operation; a hierarchical wheel can replace it behind the same interface.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include "stack/core/heap.h"
#include "stack/core/time.h"

namespace ustack {

struct TimerEntry {
    Instant when;
    uint64_t key;  // owner-defined: socket id and timer kind
    friend bool operator>(const TimerEntry& a, const TimerEntry& b) { return a.when > b.when; }
};

class TimerQueue {
public:
    void arm(Instant when, uint64_t key) { q_.push({when, key}); }
    // The earliest entry, stale or not (callers use it only as a wake-up hint).
    std::optional<Instant> earliest() const {
        if (q_.empty()) return std::nullopt;
        return q_.top().when;
    }
    // Pops the next entry due at or before now, if any.
    std::optional<TimerEntry> pop_due(Instant now) {
        if (q_.empty() || q_.top().when > now) return std::nullopt;
        TimerEntry e = q_.top();
        q_.pop();
        return e;
    }
    // Drops entries from the front for which is_stale returns true, so earliest() is exact.
    template <class F>
    void prune(F&& is_stale) {
        while (!q_.empty() && is_stale(q_.top())) q_.pop();
    }
    size_t size() const { return q_.size(); }

private:
    std::priority_queue<TimerEntry, std::vector<TimerEntry, heap::Allocator<TimerEntry>>, std::greater<>> q_;
};

}  // namespace ustack

// Deadlines for every timer in the stack, in a hierarchical timing wheel (Varghese and Lauck,
// "Hashed and hierarchical timing wheels", 1987): O(1) to arm, O(1) amortised to expire, with
// lazy cancellation. Arming a timer adds (deadline, key); the owner keeps the deadline it armed,
// and an entry whose deadline no longer matches its owner's is dropped by prune() or ignored by
// the owner when it comes due.
//
// The wheel is a scheduling index, not a rounding: every entry keeps its exact deadline, a
// timer never comes due before it, and earliest() is the exact earliest pending deadline (the
// service thread arms a timerfd with it; the simulator's virtual clock jumps to it). Entries due
// together come out ordered by deadline, then by the order they were armed, so simulator runs
// are reproducible.
//
// Layout: time is cut into ticks of 2^20 ns (~1.05 ms). Level L has 64 slots of 64^L ticks each.
// An entry sits at the level of the highest 6-bit group in which its tick differs from the
// wheel's current tick, in the slot given by its own tick's bits at that group; so every entry
// at a lower level or an earlier slot is due earlier. Entries beyond the five levels (2^30
// ticks, about 13 days) wait in an overflow vector until their block begins. Each slot is a vector
// of its entries (cascades read them in order; an emptied slot keeps its buffer for reuse).
// The front: the entries of the earliest tick (and any armed before its end) sit in a small
// heap ordered by (deadline, arm order), from which earliest(), prune() and pop_due() work.
// When it empties, the next occupied slot is found through the occupancy bitmaps; a slot of a
// higher level cascades down as the current tick moves to its start, and a level-0 slot (one
// tick) becomes the heap (make_heap over the slot's vector). Each entry is cascaded at most once
// per level. Cancellation stays lazy: re-arming leaves the old entry to be pruned, so the wheel
// holds about one entry per re-arm in the last RTO, not one per timer.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <vector>

#include "stack/core/heap.h"
#include "stack/core/time.h"

namespace ustack {

struct TimerEntry {
    Instant when;
    uint64_t key;  // owner-defined: socket id and timer kind
};

class TimerWheel {
public:
    static constexpr int kTickShift = 20;  // one tick is 2^20 ns
    static constexpr int kLevelBits = 6;
    static constexpr int kSlots = 1 << kLevelBits;
    static constexpr int kLevels = 5;
    static constexpr int kSpanBits = kLevelBits * kLevels;  // ticks the levels cover: 2^30

    void arm(Instant when, uint64_t key) {
        const Entry e{when, next_seq_++, key};
        ++size_;
        if (tick_of(when) < front_end_) {
            front_.push_back(e);
            std::push_heap(front_.begin(), front_.end(), Later{});
            return;
        }
        place(e);
    }

    // The earliest pending deadline, stale or not (prune() first to make it exact for live
    // timers; it also makes this O(1)).
    std::optional<Instant> earliest() const {
        if (!front_.empty()) return front_.front().when;
        return scan_min();
    }

    // Pops the next entry due at or before now, if any: deadline order, then arm order.
    std::optional<TimerEntry> pop_due(Instant now) {
        while (front_.empty()) {
            if (!refill()) return std::nullopt;
        }
        if (front_.front().when > now) return std::nullopt;
        const Entry r = pop_front();
        return TimerEntry{r.when, r.key};
    }

    // Drops stale entries ahead of the earliest live one, so earliest() is exact.
    template <class F>
    void prune(F&& is_stale) {
        for (;;) {
            while (!front_.empty() && is_stale(TimerEntry{front_.front().when, front_.front().key})) pop_front();
            if (!front_.empty() || !refill()) return;
        }
    }

    size_t size() const { return size_; }

private:
    // Slots hold their entries inline in vectors, not in linked lists through a node pool:
    // cascading and refilling then read memory in order instead of chasing an index per entry
    // (the list walk's cache misses were most of the wheel's time with many connections).
    struct Entry {
        Instant when;
        uint64_t seq;
        uint64_t key;
    };
    using Slot = heap::Vector<Entry>;
    // Heap order for front_: the top is the earliest deadline, then the earliest armed.
    struct Later {
        bool operator()(const Entry& a, const Entry& b) const {
            return a.when != b.when ? a.when > b.when : a.seq > b.seq;
        }
    };

    static uint64_t tick_of(Instant t) { return t.count() <= 0 ? 0 : static_cast<uint64_t>(t.count()) >> kTickShift; }
    static uint32_t group(uint64_t tick, int level) { return static_cast<uint32_t>(tick >> (kLevelBits * level)) & (kSlots - 1); }
    // Slots of one level strictly after index g, as a bit mask.
    static uint64_t after(uint32_t g) { return g + 1 >= kSlots ? 0 : ~uint64_t{0} << (g + 1); }

    Entry pop_front() {
        std::pop_heap(front_.begin(), front_.end(), Later{});
        const Entry r = front_.back();
        front_.pop_back();
        --size_;
        return r;
    }

    // Puts e at its level relative to the current tick (its tick is not before it).
    void place(const Entry& e) {
        const uint64_t t = tick_of(e.when);
        const uint64_t diff = t <= cur_ ? 0 : t ^ cur_;
        if (diff >> kSpanBits) {
            overflow_.push_back(e);
            return;
        }
        const int level = diff == 0 ? 0 : (63 - std::countl_zero(diff)) / kLevelBits;
        const uint32_t slot = diff == 0 ? group(cur_, 0) : group(t, level);
        slots_[level][slot].push_back(e);
        occupied_[level] |= uint64_t{1} << slot;
    }

    // Re-places every entry of `from` relative to the (new) current tick; `from` ends empty.
    // The entries move through scratch_, so `from` may be a slot they could land in.
    void replace_all(Slot& from) {
        scratch_.swap(from);  // from takes scratch_'s empty buffer, keeping capacities in use
        for (const Entry& e : scratch_) place(e);
        scratch_.clear();
    }

    // Moves the entries of the earliest occupied tick into the (empty) front heap, cascading
    // higher-level slots and the overflow list down on the way. False when the wheel is empty.
    bool refill() {
        for (;;) {
            // Level 0: the current tick's slot and those after it (earlier ones are empty).
            if (const uint64_t m = occupied_[0] & (~uint64_t{0} << group(cur_, 0))) {
                const auto slot = static_cast<uint32_t>(std::countr_zero(m));
                cur_ = (cur_ & ~uint64_t{kSlots - 1}) | slot;
                front_end_ = cur_ + 1;
                front_.swap(slots_[0][slot]);  // front_ was empty: the slot keeps its buffer
                occupied_[0] &= ~(uint64_t{1} << slot);
                std::make_heap(front_.begin(), front_.end(), Later{});
                return true;
            }
            // Above: the first occupied slot after the current one, at the lowest level that has
            // one (lower levels are earlier), cascades as the current tick moves to its start.
            int level = 1;
            for (; level < kLevels; ++level) {
                const uint64_t m = occupied_[level] & after(group(cur_, level));
                if (!m) continue;
                const auto slot = static_cast<uint32_t>(std::countr_zero(m));
                const int shift = kLevelBits * (level + 1);
                const uint64_t base = shift >= 64 ? 0 : cur_ >> shift << shift;
                cur_ = base | (static_cast<uint64_t>(slot) << (kLevelBits * level));
                occupied_[level] &= ~(uint64_t{1} << slot);
                replace_all(slots_[level][slot]);
                break;
            }
            if (level < kLevels) continue;
            if (overflow_.empty()) return false;
            // Only the overflow list is left: move to the start of its earliest entry's block.
            uint64_t min_tick = UINT64_MAX;
            for (const Entry& e : overflow_) min_tick = std::min(min_tick, tick_of(e.when));
            cur_ = min_tick >> kSpanBits << kSpanBits;
            replace_all(overflow_);
        }
    }

    // The earliest deadline in the wheel, without moving anything (earliest() before prune()).
    std::optional<Instant> scan_min() const {
        const Slot* first = nullptr;
        for (int level = 0; level < kLevels && first == nullptr; ++level) {
            const uint32_t g = group(cur_, level);
            const uint64_t m = occupied_[level] & (level == 0 ? ~uint64_t{0} << g : after(g));
            if (m) first = &slots_[level][std::countr_zero(m)];
        }
        if (first == nullptr) first = &overflow_;
        std::optional<Instant> min;
        for (const Entry& e : *first)
            if (!min || e.when < *min) min = e.when;
        return min;
    }

    uint64_t cur_ = 0;                          // the tick the wheel is positioned at
    uint64_t front_end_ = 0;                    // entries with ticks before this are in front_
    uint64_t next_seq_ = 0;
    size_t size_ = 0;
    Slot slots_[kLevels][kSlots];               // entries by level and slot
    uint64_t occupied_[kLevels] = {};           // which slots are non-empty
    Slot overflow_;                             // beyond the levels' span
    Slot scratch_;                              // a slot's entries while they cascade
    Slot front_;                                // heap (Later) of the earliest tick's entries
};

}  // namespace ustack

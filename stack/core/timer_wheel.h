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
// ticks, about 13 days) wait in an overflow list until their block begins.
// The front: the entries of the earliest tick (and any armed before its end) sit in a small
// heap ordered by (deadline, arm order), from which earliest(), prune() and pop_due() work.
// When it empties, the next occupied slot is found through the occupancy bitmaps; a slot of a
// higher level cascades down as the current tick moves to its start, and a level-0 slot (one
// tick) moves into the heap. Each entry is cascaded at most once per level.
#pragma once

#include <algorithm>
#include <bit>
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
};

class TimerWheel {
public:
    static constexpr int kTickShift = 20;  // one tick is 2^20 ns
    static constexpr int kLevelBits = 6;
    static constexpr int kSlots = 1 << kLevelBits;
    static constexpr int kLevels = 5;
    static constexpr int kSpanBits = kLevelBits * kLevels;  // ticks the levels cover: 2^30

    TimerWheel() {
        for (auto& level : slots_)
            for (auto& head : level) head = kNil;
    }

    void arm(Instant when, uint64_t key) {
        const uint64_t seq = next_seq_++;
        ++size_;
        if (tick_of(when) < front_end_) {
            front_.push({when, seq, key});
            return;
        }
        place(new_node(when, key, seq));
    }

    // The earliest pending deadline, stale or not (prune() first to make it exact for live
    // timers; it also makes this O(1)).
    std::optional<Instant> earliest() const {
        if (!front_.empty()) return front_.top().when;
        return scan_min();
    }

    // Pops the next entry due at or before now, if any: deadline order, then arm order.
    std::optional<TimerEntry> pop_due(Instant now) {
        while (front_.empty()) {
            if (!refill()) return std::nullopt;
        }
        if (front_.top().when > now) return std::nullopt;
        const Front r = front_.top();
        front_.pop();
        --size_;
        return TimerEntry{r.when, r.key};
    }

    // Drops stale entries ahead of the earliest live one, so earliest() is exact.
    template <class F>
    void prune(F&& is_stale) {
        for (;;) {
            while (!front_.empty() && is_stale(TimerEntry{front_.top().when, front_.top().key})) {
                front_.pop();
                --size_;
            }
            if (!front_.empty() || !refill()) return;
        }
    }

    size_t size() const { return size_; }

private:
    static constexpr uint32_t kNil = UINT32_MAX;

    struct Node {
        Instant when;
        uint64_t key;
        uint64_t seq;
        uint32_t next;
    };
    struct Front {
        Instant when;
        uint64_t seq;
        uint64_t key;
        friend bool operator>(const Front& a, const Front& b) {
            return a.when != b.when ? a.when > b.when : a.seq > b.seq;
        }
    };

    static uint64_t tick_of(Instant t) { return t.count() <= 0 ? 0 : static_cast<uint64_t>(t.count()) >> kTickShift; }
    static uint32_t group(uint64_t tick, int level) { return static_cast<uint32_t>(tick >> (kLevelBits * level)) & (kSlots - 1); }
    // Slots of one level strictly after index g, as a bit mask.
    static uint64_t after(uint32_t g) { return g + 1 >= kSlots ? 0 : ~uint64_t{0} << (g + 1); }

    uint32_t new_node(Instant when, uint64_t key, uint64_t seq) {
        uint32_t n;
        if (free_ != kNil) {
            n = free_;
            free_ = nodes_[n].next;
            nodes_[n] = Node{when, key, seq, kNil};
        } else {
            n = static_cast<uint32_t>(nodes_.size());
            nodes_.push_back(Node{when, key, seq, kNil});
        }
        return n;
    }
    void free_node(uint32_t n) {
        nodes_[n].next = free_;
        free_ = n;
    }

    // Puts node n at its level relative to the current tick (its tick is not before it).
    void place(uint32_t n) {
        const uint64_t t = tick_of(nodes_[n].when);
        const uint64_t diff = t <= cur_ ? 0 : t ^ cur_;
        if (diff >> kSpanBits) {
            nodes_[n].next = overflow_;
            overflow_ = n;
            return;
        }
        const int level = diff == 0 ? 0 : (63 - std::countl_zero(diff)) / kLevelBits;
        const uint32_t slot = diff == 0 ? group(cur_, 0) : group(t, level);
        nodes_[n].next = slots_[level][slot];
        slots_[level][slot] = n;
        occupied_[level] |= uint64_t{1} << slot;
    }

    // Detaches a slot's list and re-places each entry relative to the (new) current tick.
    void cascade(int level, uint32_t slot) {
        uint32_t list = slots_[level][slot];
        slots_[level][slot] = kNil;
        occupied_[level] &= ~(uint64_t{1} << slot);
        while (list != kNil) {
            const uint32_t n = list;
            list = nodes_[n].next;
            place(n);
        }
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
                uint32_t list = slots_[0][slot];
                slots_[0][slot] = kNil;
                occupied_[0] &= ~(uint64_t{1} << slot);
                while (list != kNil) {
                    const uint32_t n = list;
                    list = nodes_[n].next;
                    front_.push({nodes_[n].when, nodes_[n].seq, nodes_[n].key});
                    free_node(n);
                }
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
                cascade(level, slot);
                break;
            }
            if (level < kLevels) continue;
            if (overflow_ == kNil) return false;
            // Only the overflow list is left: move to the start of its earliest entry's block.
            uint64_t min_tick = UINT64_MAX;
            for (uint32_t n = overflow_; n != kNil; n = nodes_[n].next) min_tick = std::min(min_tick, tick_of(nodes_[n].when));
            cur_ = min_tick >> kSpanBits << kSpanBits;
            uint32_t list = overflow_;
            overflow_ = kNil;
            while (list != kNil) {
                const uint32_t n = list;
                list = nodes_[n].next;
                place(n);
            }
        }
    }

    // The earliest deadline in the wheel, without moving anything (earliest() before prune()).
    std::optional<Instant> scan_min() const {
        uint32_t head = kNil;
        for (int level = 0; level < kLevels && head == kNil; ++level) {
            const uint32_t g = group(cur_, level);
            const uint64_t m = occupied_[level] & (level == 0 ? ~uint64_t{0} << g : after(g));
            if (m) head = slots_[level][std::countr_zero(m)];
        }
        if (head == kNil) head = overflow_;
        std::optional<Instant> min;
        for (uint32_t n = head; n != kNil; n = nodes_[n].next)
            if (!min || nodes_[n].when < *min) min = nodes_[n].when;
        return min;
    }

    uint64_t cur_ = 0;                          // the tick the wheel is positioned at
    uint64_t front_end_ = 0;                    // entries with ticks before this are in front_
    uint64_t next_seq_ = 0;
    size_t size_ = 0;
    uint32_t slots_[kLevels][kSlots];           // list heads (node indices), kNil when empty
    uint64_t occupied_[kLevels] = {};           // which slots are non-empty
    uint32_t overflow_ = kNil;                  // beyond the levels' span
    uint32_t free_ = kNil;                      // free nodes, linked through next
    heap::Vector<Node> nodes_;
    std::priority_queue<Front, heap::Vector<Front>, std::greater<>> front_;
};

}  // namespace ustack

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
// current tick, in the slot given by its own tick's bits at that group; so level 0 holds the
// current 64-tick block, and every entry at a lower level or an earlier slot is due earlier.
// When the current tick enters a higher-level slot, that slot cascades down. Entries beyond the
// five levels (2^30 ticks, about 13 days) wait in an overflow list until their block begins.
// Entries due at or before the last time seen leave the wheel for a small heap ordered by
// (deadline, arm order), from which pop_due() takes them.
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
        if (when <= seen_) {
            ready_.push({when, seq, key});
            return;
        }
        const uint32_t n = new_node(when, key, seq);
        place(n);
        if (wheel_min_valid_ && (!wheel_min_ || when < *wheel_min_)) wheel_min_ = when;
    }

    // The earliest pending deadline, stale or not (prune() first to make it exact for live
    // timers).
    std::optional<Instant> earliest() const {
        if (!ready_.empty()) return ready_.top().when;
        if (!wheel_min_valid_) {
            wheel_min_ = scan_min();
            wheel_min_valid_ = true;
        }
        return wheel_min_;
    }

    // Pops the next entry due at or before now, if any: deadline order, then arm order.
    std::optional<TimerEntry> pop_due(Instant now) {
        advance(now);
        if (ready_.empty() || ready_.top().when > now) return std::nullopt;
        const Ready r = ready_.top();
        ready_.pop();
        --size_;
        return TimerEntry{r.when, r.key};
    }

    // Drops stale entries ahead of the earliest live one, so earliest() is exact.
    template <class F>
    void prune(F&& is_stale) {
        while (!ready_.empty() && is_stale(TimerEntry{ready_.top().when, ready_.top().key})) {
            ready_.pop();
            --size_;
        }
        if (!ready_.empty()) return;
        // The first non-empty slot holds the earliest entries of the wheel; drop its stale ones
        // and, if none are left, go on to the next.
        for (;;) {
            uint32_t* head = first_slot();
            if (head == nullptr) {
                wheel_min_ = std::nullopt;
                wheel_min_valid_ = true;
                return;
            }
            std::optional<Instant> min;
            for (uint32_t* link = head; *link != kNil;) {
                const uint32_t n = *link;
                if (is_stale(TimerEntry{nodes_[n].when, nodes_[n].key})) {
                    *link = nodes_[n].next;
                    free_node(n);
                    --size_;
                    continue;
                }
                if (!min || nodes_[n].when < *min) min = nodes_[n].when;
                link = &nodes_[n].next;
            }
            if (min) {
                wheel_min_ = min;
                wheel_min_valid_ = true;
                return;
            }
            clear_bit_for(head);
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
    struct Ready {
        Instant when;
        uint64_t seq;
        uint64_t key;
        friend bool operator>(const Ready& a, const Ready& b) {
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

    // The head of the slot holding the earliest wheel entries (the overflow list last).
    uint32_t* first_slot() {
        for (int level = 0; level < kLevels; ++level) {
            const uint32_t g = group(cur_, level);
            // Level 0 includes the current tick's slot; above it, that slot is always empty.
            const uint64_t mask = occupied_[level] & (level == 0 ? ~uint64_t{0} << g : after(g));
            if (mask) return &slots_[level][std::countr_zero(mask)];
        }
        return overflow_ != kNil ? &overflow_ : nullptr;
    }
    void clear_bit_for(uint32_t* head) {
        if (head == &overflow_) return;
        const auto i = static_cast<size_t>(head - &slots_[0][0]);
        occupied_[i / kSlots] &= ~(uint64_t{1} << (i % kSlots));
    }

    std::optional<Instant> scan_min() const {
        uint32_t* head = const_cast<TimerWheel*>(this)->first_slot();
        if (head == nullptr) return std::nullopt;
        std::optional<Instant> min;
        for (uint32_t n = *head; n != kNil; n = nodes_[n].next)
            if (!min || nodes_[n].when < *min) min = nodes_[n].when;
        return min;
    }

    // Moves the entries of level-0 slot for the current tick due by now into the ready heap
    // (all of them when all is set).
    void drain_current(Instant now, bool all) {
        const uint32_t slot = group(cur_, 0);
        if (!(occupied_[0] & (uint64_t{1} << slot))) return;
        uint32_t* link = &slots_[0][slot];
        while (*link != kNil) {
            const uint32_t n = *link;
            if (all || nodes_[n].when <= now) {
                ready_.push({nodes_[n].when, nodes_[n].seq, nodes_[n].key});
                *link = nodes_[n].next;
                free_node(n);
                wheel_min_valid_ = false;
            } else {
                link = &nodes_[n].next;
            }
        }
        if (slots_[0][slot] == kNil) occupied_[0] &= ~(uint64_t{1} << slot);
    }

    // Re-places every entry of a detached list relative to the (new) current tick.
    void cascade(uint32_t list) {
        while (list != kNil) {
            const uint32_t n = list;
            list = nodes_[n].next;
            place(n);
        }
    }

    // Moves the current tick up to now's, cascading every slot it enters on the way and
    // skipping empty stretches, and leaves everything due by now in the ready heap.
    void advance(Instant now) {
        if (now <= seen_) return;
        seen_ = now;
        const uint64_t target = tick_of(now);
        for (;;) {
            if (cur_ >= target) {
                drain_current(now, false);
                return;
            }
            drain_current(now, true);  // its tick is over
            // The next tick at which an entry cascades: the first occupied slot after the
            // current one, at the lowest level that has one (lower levels are earlier).
            int level = 0;
            uint64_t next = 0;
            for (; level < kLevels; ++level) {
                const uint64_t mask = occupied_[level] & after(group(cur_, level));
                if (!mask) continue;
                const int shift = kLevelBits * (level + 1);
                const uint64_t base = shift >= 64 ? 0 : cur_ >> shift << shift;
                next = base | (static_cast<uint64_t>(std::countr_zero(mask)) << (kLevelBits * level));
                break;
            }
            if (level == kLevels && overflow_ != kNil) {
                uint64_t min_tick = UINT64_MAX;
                for (uint32_t n = overflow_; n != kNil; n = nodes_[n].next) min_tick = std::min(min_tick, tick_of(nodes_[n].when));
                next = min_tick >> kSpanBits << kSpanBits;
            } else if (level == kLevels) {
                cur_ = target;  // nothing in the wheel
                continue;
            }
            if (next > target) {
                // Nothing cascades before now: no entry changes level when the tick moves.
                cur_ = target;
                continue;
            }
            cur_ = next;
            uint32_t list;
            if (level == kLevels) {
                list = overflow_;
                overflow_ = kNil;
            } else {
                const uint32_t slot = group(next, level);
                list = slots_[level][slot];
                slots_[level][slot] = kNil;
                occupied_[level] &= ~(uint64_t{1} << slot);
            }
            cascade(list);
        }
    }

    uint64_t cur_ = 0;                          // the tick the wheel is positioned at
    Instant seen_{INT64_MIN};                   // the latest now given to pop_due
    uint64_t next_seq_ = 0;
    size_t size_ = 0;
    uint32_t slots_[kLevels][kSlots] = {};      // list heads (node indices); set to kNil below
    uint64_t occupied_[kLevels] = {};           // which slots are non-empty
    uint32_t overflow_ = kNil;                  // beyond the levels' span
    uint32_t free_ = kNil;                      // free nodes, linked through next
    heap::Vector<Node> nodes_;
    std::priority_queue<Ready, heap::Vector<Ready>, std::greater<>> ready_;
    // The earliest deadline in the wheel (not the ready heap), cached between changes.
    mutable std::optional<Instant> wheel_min_;
    mutable bool wheel_min_valid_ = true;
};

}  // namespace ustack

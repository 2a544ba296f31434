#include "stack/core/timer_wheel.h"

#include <map>
#include <set>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "stack/core/rng.h"

namespace ustack {
namespace {

constexpr int64_t kTick = int64_t{1} << TimerWheel::kTickShift;

// Distances in ticks at and around every level boundary, and beyond the wheel's span.
std::vector<int64_t> boundary_ticks() {
    std::vector<int64_t> v;
    for (int level = 1; level <= TimerWheel::kLevels + 1; ++level) {
        const int64_t b = int64_t{1} << (TimerWheel::kLevelBits * level);
        for (int64_t d : {b - 1, b, b + 1}) v.push_back(d);
    }
    for (int64_t d : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{3} << 30, int64_t{1} << 40}) v.push_back(d);
    return v;
}

TEST(TimerWheel, EachBoundaryDistanceFiresAtItsExactDeadlineNeverBefore) {
    for (int64_t start_in_tick : {int64_t{0}, int64_t{1}, kTick - 1, int64_t{12345}}) {
        for (int64_t base_ticks : {int64_t{0}, int64_t{63}, int64_t{4095}, int64_t{777777}}) {
            for (int64_t d : boundary_ticks()) {
                for (int64_t within : {int64_t{0}, int64_t{1}, kTick - 1}) {
                    TimerWheel w;
                    const Instant start(base_ticks * kTick + start_in_tick);
                    EXPECT_FALSE(w.pop_due(start));  // positions the wheel at start
                    const Instant when = start + Instant(d * kTick + within);
                    w.arm(when, 42);
                    ASSERT_EQ(w.earliest(), when);
                    EXPECT_FALSE(w.pop_due(when - Instant(1))) << "d=" << d << " within=" << within;
                    ASSERT_EQ(w.earliest(), when);
                    auto e = w.pop_due(when);
                    ASSERT_TRUE(e) << "d=" << d << " within=" << within << " base=" << base_ticks;
                    EXPECT_EQ(e->when, when);
                    EXPECT_EQ(e->key, 42u);
                    EXPECT_EQ(w.size(), 0u);
                    EXPECT_FALSE(w.earliest());
                }
            }
        }
    }
}

TEST(TimerWheel, SameDeadlineFiresInArmOrder) {
    TimerWheel w;
    const Instant when(5 * kTick + 17);
    for (uint64_t k = 0; k < 10; ++k) w.arm(when, 100 - k);
    w.arm(when - Instant(1), 7);
    auto first = w.pop_due(when);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->key, 7u);
    for (uint64_t k = 0; k < 10; ++k) {
        auto e = w.pop_due(when);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->key, 100 - k);
    }
    EXPECT_FALSE(w.pop_due(when));
}

TEST(TimerWheel, PruneMakesEarliestTheFirstLiveDeadline) {
    TimerWheel w;
    w.pop_due(Instant(0));
    w.arm(Instant(3 * kTick), 1);        // level 0
    w.arm(Instant(100 * kTick), 2);      // level 1
    w.arm(Instant(100 * kTick + 5), 3);  // same slot as 2
    std::set<uint64_t> cancelled{1, 2};
    w.prune([&](const TimerEntry& e) { return cancelled.contains(e.key); });
    EXPECT_EQ(w.earliest(), Instant(100 * kTick + 5));
}

// The model: a std::multimap ordered by (deadline, arm order). Random arms (around level
// boundaries, within ticks, far beyond the span), cancellations, prunes and clock steps of every
// size; every pop must be the reference's next live entry and never early.
void run_model(uint64_t seed) {
    Rng rng(seed);
    TimerWheel w;
    std::multimap<std::pair<int64_t, uint64_t>, uint64_t> ref;  // (when, seq) -> key
    std::set<uint64_t> cancelled;                              // keys; stale in the wheel
    const std::vector<int64_t> boundaries = boundary_ticks();
    int64_t now = static_cast<int64_t>(rng.below(1u << 30)) * (rng.below(4) == 0 ? 4096 : 1);
    uint64_t seq = 0;
    w.pop_due(Instant(now));

    auto live_min = [&]() -> std::optional<int64_t> {
        for (const auto& [k, key] : ref)
            if (!cancelled.contains(key)) return k.first;
        return std::nullopt;
    };

    for (int step = 0; step < 3000; ++step) {
        const uint32_t op = rng.below(100);
        if (op < 45) {
            int64_t d;
            switch (rng.below(5)) {
                case 0: d = boundaries[rng.below(static_cast<uint32_t>(boundaries.size()))] * kTick + rng.below(3) - 1; break;
                case 1: d = static_cast<int64_t>(rng.below(200)) * kTick + rng.below(static_cast<uint32_t>(kTick)); break;
                case 2: d = static_cast<int64_t>(rng.below(1u << 20)) * kTick + rng.below(static_cast<uint32_t>(kTick)); break;
                case 3: d = static_cast<int64_t>(rng.below(3)) - 1; break;  // overdue or due now
                default: d = static_cast<int64_t>(rng.next() % (uint64_t{1} << 52)); break;
            }
            const int64_t when = std::max<int64_t>(now + d, 1);
            const uint64_t key = seq;
            w.arm(Instant(when), key);
            ref.emplace(std::pair{when, seq}, key);
            ++seq;
        } else if (op < 55 && !ref.empty()) {
            auto it = ref.begin();
            std::advance(it, rng.below(static_cast<uint32_t>(std::min<size_t>(ref.size(), 64))));
            cancelled.insert(it->second);
        } else if (op < 65) {
            w.prune([&](const TimerEntry& e) { return cancelled.contains(e.key); });
            const auto m = live_min();
            ASSERT_EQ(w.earliest().has_value(), m.has_value()) << "seed " << seed << " step " << step;
            if (m) {
                ASSERT_EQ(w.earliest()->count(), *m) << "seed " << seed << " step " << step;
            }
        } else {
            // Step the clock: a nanosecond, to a boundary, some ticks, or far.
            int64_t d;
            switch (rng.below(5)) {
                case 0: d = rng.below(3); break;
                case 1: d = boundaries[rng.below(static_cast<uint32_t>(boundaries.size()))] * kTick + rng.below(3) - 1; break;
                case 2: d = static_cast<int64_t>(rng.below(300)) * kTick + rng.below(static_cast<uint32_t>(kTick)); break;
                case 3: d = ref.empty() ? 0 : ref.begin()->first.first - now; break;  // to the next deadline
                default: d = static_cast<int64_t>(rng.below(1u << 26)) * kTick; break;
            }
            now += std::max<int64_t>(d, 0);
            if (now > (int64_t{1} << 62)) now = int64_t{1} << 62;
            // Earliest before popping is a real pending deadline no later than the live minimum.
            if (auto e = w.earliest()) {
                ASSERT_FALSE(ref.empty());
                ASSERT_LE(ref.begin()->first.first, e->count());
                if (auto m = live_min()) {
                    ASSERT_LE(e->count(), *m);
                }
            }
            while (auto e = w.pop_due(Instant(now))) {
                ASSERT_LE(e->when.count(), now) << "fired early; seed " << seed;
                if (cancelled.contains(e->key)) {
                    // A stale entry: the wheel may hand it out (the owner ignores it) in order.
                    auto it = ref.begin();
                    while (it != ref.end() && it->second != e->key) ++it;
                    ASSERT_NE(it, ref.end());
                    ASSERT_EQ(it->first.first, e->when.count());
                    ref.erase(it);
                    continue;
                }
                // Stale entries the wheel already dropped sort ahead of it in the reference.
                while (!ref.empty() && cancelled.contains(ref.begin()->second) && ref.begin()->second != e->key) ref.erase(ref.begin());
                ASSERT_FALSE(ref.empty()) << "seed " << seed << " step " << step;
                ASSERT_EQ(ref.begin()->second, e->key) << "wrong order; seed " << seed << " step " << step;
                ASSERT_EQ(ref.begin()->first.first, e->when.count());
                ref.erase(ref.begin());
            }
            // Nothing live is left behind that was due.
            for (const auto& [k, key] : ref) {
                if (k.first > now) break;
                ASSERT_TRUE(cancelled.contains(key)) << "missed a due timer; seed " << seed << " step " << step;
            }
        }
    }
}

TEST(TimerWheel, MatchesAnOrderedMultimapOverManySeeds) {
    for (uint64_t seed = 1; seed <= 200; ++seed) {
        run_model(seed);
        if (HasFatalFailure()) return;
    }
}

}  // namespace
}  // namespace ustack

#include "stack/core/windowed_min.h"

#include <algorithm>
#include <deque>
#include <utility>

#include <gtest/gtest.h>

#include "stack/core/rng.h"

namespace ustack {
namespace {

constexpr Duration kWindow = std::chrono::seconds(100);
Instant at(int64_t s) { return std::chrono::seconds(s); }

TEST(WindowedMin, TheFirstSampleIsTheMinimumAndALowerOneReplacesIt) {
    WindowedMin<int> m(kWindow);
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(m.update(at(0), 50), 50);
    EXPECT_EQ(m.update(at(1), 70), 50);
    EXPECT_EQ(m.update(at(2), 40), 40);
    EXPECT_EQ(m.get(), 40);
}

TEST(WindowedMin, TheMinimumAgesOutAfterTheWindow) {
    // All-time minimum would say 10 for ever; a path whose delay rose must be seen to have.
    WindowedMin<int> m(kWindow);
    m.update(at(0), 10);
    for (int64_t t = 10; t <= 100; t += 10) EXPECT_EQ(m.update(at(t), 30), 10);
    EXPECT_EQ(m.update(at(101), 30), 30);
}

TEST(WindowedMin, WhenTheBestAgesOutTheBestOfTheRestTakesOver) {
    // 10 at 0 s; later samples 50, 30, 40 land in the second, third and fourth quarters. Once
    // 10 is older than the window, the answer is 30, the best of the last 100 s, not the newest.
    WindowedMin<int> m(kWindow);
    m.update(at(0), 10);
    m.update(at(26), 50);
    m.update(at(51), 30);
    m.update(at(76), 40);
    EXPECT_EQ(m.get(), 10);
    EXPECT_EQ(m.update(at(101), 60), 30);
    EXPECT_EQ(m.update(at(152), 60), 40);  // 30 (51 s) is out; 40 (76 s) is the best left
}

TEST(WindowedMin, AWholeWindowWithoutSamplesStartsOver) {
    WindowedMin<int> m(kWindow);
    m.update(at(0), 10);
    m.update(at(10), 20);
    EXPECT_EQ(m.update(at(500), 90), 90);
}

TEST(WindowedMin, AlwaysAnswersASampleFromTheWindowNeverBelowItsMinimum) {
    // Against a brute-force window over a random walk: the estimate is one of the samples of the
    // last window (so never lower than the true minimum, never stale), and exact whenever the
    // newest sample is the true minimum.
    Rng rng(42);
    WindowedMin<int> m(kWindow);
    std::deque<std::pair<int64_t, int>> recent;
    int v = 1000;
    int64_t t = 0;
    for (int i = 0; i < 20000; ++i) {
        t += static_cast<int64_t>(rng.next() % 5);
        v = std::max(1, v + static_cast<int>(rng.next() % 21) - 10);
        const int est = m.update(at(t), v);
        recent.emplace_back(t, v);
        while (at(t) - at(recent.front().first) > kWindow) recent.pop_front();
        int true_min = v;
        for (const auto& [st, sv] : recent) true_min = std::min(true_min, sv);
        ASSERT_GE(est, true_min) << "at " << t << " s";
        ASSERT_TRUE(std::any_of(recent.begin(), recent.end(), [&](const auto& p) { return p.second == est; })) << "at " << t << " s";
        if (true_min == v) {
            ASSERT_EQ(est, v);
        }
    }
}

}  // namespace
}  // namespace ustack

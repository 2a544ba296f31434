#include "stack/tcp/rcv_autotune.h"

#include <gtest/gtest.h>

namespace ustack::tcp {
namespace {

using std::chrono::milliseconds;

constexpr uint32_t kMss = 1000;
constexpr size_t kStart = 256 * 1024;
constexpr size_t kMax = 6 * 1024 * 1024;
const Instant t0{std::chrono::seconds(10)};

TEST(RcvAutotune, NothingChangesWithinAnRtt) {
    RcvSpace s;
    EXPECT_EQ(rcv_space_adjust(s, t0, milliseconds(10), 100'000, kStart, kMax, kMss), kStart);
    EXPECT_EQ(rcv_space_adjust(s, t0 + milliseconds(9), milliseconds(10), 900'000, kStart, kMax, kMss), kStart);
}

TEST(RcvAutotune, GrowsToTwiceWhatAnRttDeliveredPlusTheTrend) {
    RcvSpace s;
    rcv_space_adjust(s, t0, milliseconds(10), 0, kStart, kMax, kMss);
    s.space = 100'000;  // as if the last RTT read this much
    // 150 KB in this RTT: 2*150000 + 16*1000 = 316000, plus 2 * 316000 * 50/100.
    EXPECT_EQ(rcv_space_adjust(s, t0 + milliseconds(10), milliseconds(10), 150'000, kStart, kMax, kMss), 632'000u);
    EXPECT_EQ(s.space, 150'000u);
}

TEST(RcvAutotune, ReadingNoMoreThanBeforeDoesNotGrow) {
    RcvSpace s;
    rcv_space_adjust(s, t0, milliseconds(10), 0, kStart, kMax, kMss);
    s.space = 100'000;
    EXPECT_EQ(rcv_space_adjust(s, t0 + milliseconds(10), milliseconds(10), 100'000, kStart, kMax, kMss), kStart);
    EXPECT_EQ(s.space, 100'000u);
}

TEST(RcvAutotune, NeverShrinksNorPassesTheMaximum) {
    RcvSpace s;
    rcv_space_adjust(s, t0, milliseconds(10), 0, kStart, kMax, kMss);
    EXPECT_EQ(rcv_space_adjust(s, t0 + milliseconds(10), milliseconds(10), 50'000'000, kStart, kMax, kMss), kMax);
    EXPECT_EQ(rcv_space_adjust(s, t0 + milliseconds(20), milliseconds(10), 50'000'001, kMax, kMax, kMss), kMax);
}

TEST(RcvAutotune, NoRttNoMeasurement) {
    RcvSpace s;
    rcv_space_adjust(s, t0, Duration{0}, 0, kStart, kMax, kMss);
    EXPECT_EQ(rcv_space_adjust(s, t0 + milliseconds(100), Duration{0}, 10'000'000, kStart, kMax, kMss), kStart);
}

}  // namespace
}  // namespace ustack::tcp

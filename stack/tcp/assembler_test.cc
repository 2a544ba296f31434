#include <gtest/gtest.h>

#include "stack/tcp/assembler.h"

namespace ustack::tcp {
namespace {

TEST(Assembler, FillingTheHoleReleasesEverythingContiguous) {
    Assembler a;
    ASSERT_TRUE(a.add(10, 10));   // [10,20)
    ASSERT_TRUE(a.add(30, 5));    // [30,35)
    EXPECT_EQ(a.advance(5), 0u);  // in-order 5 bytes: still a hole at [5,10) relative to old
    EXPECT_EQ(a.advance(5), 10u); // hole filled: [10,20) is now contiguous
    ASSERT_EQ(a.range_count(), 1u);
    EXPECT_EQ(a.ranges()[0].start, 10u);  // [30,35) rebased by 20
    EXPECT_EQ(a.advance(10), 5u);
    EXPECT_TRUE(a.empty());
}

TEST(Assembler, OverlappingAndTouchingRangesMerge) {
    Assembler a;
    a.add(10, 5);
    a.add(20, 5);
    a.add(14, 7);  // bridges both
    ASSERT_EQ(a.range_count(), 1u);
    EXPECT_EQ(a.ranges()[0].start, 10u);
    EXPECT_EQ(a.ranges()[0].end, 25u);
}

TEST(Assembler, SegmentOverlappingPastARangeConsumesIt) {
    Assembler a;
    a.add(5, 5);                   // [5,10)
    EXPECT_EQ(a.advance(8), 2u);   // in-order data covered [0,8): bytes 8 and 9 were already here
    EXPECT_TRUE(a.empty());
}

TEST(Assembler, BoundedRangeCount) {
    Assembler a;
    for (uint32_t i = 0; i < Assembler::kMaxRanges; ++i) ASSERT_TRUE(a.add(10 + 3 * i, 1));
    EXPECT_FALSE(a.add(1000, 1));
    EXPECT_TRUE(a.add(11, 1));     // merging into an existing range is always possible
}

}  // namespace
}  // namespace ustack::tcp

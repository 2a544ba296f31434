#include "stack/tcp/sack.h"

#include <gtest/gtest.h>

namespace ustack::tcp {
namespace {

TEST(Scoreboard, BlocksMergeAndHolesAreFound) {
    Scoreboard sb;
    const SeqNum una(1000), max(10000);
    sb.add(SeqNum(3000), SeqNum(4000), una, max);
    sb.add(SeqNum(5000), SeqNum(6000), una, max);
    sb.add(SeqNum(4000), SeqNum(4500), una, max);  // touches the first: merged
    ASSERT_EQ(sb.ranges().size(), 2u);
    EXPECT_EQ(sb.sacked_bytes(), 2500u);
    SeqNum start;
    EXPECT_EQ(sb.hole_at(una, &start), 2000u);  // [1000, 3000)
    EXPECT_EQ(start, una);
    EXPECT_EQ(sb.hole_at(SeqNum(3500), &start), 500u);  // skips SACKed bytes: [4500, 5000)
    EXPECT_EQ(start, SeqNum(4500));
    EXPECT_EQ(sb.hole_at(SeqNum(6000), &start), 0u);  // past the highest SACKed byte
}

TEST(Scoreboard, BlocksOutsideTheWindowAreIgnoredAsRfc2018Requires) {
    Scoreboard sb;
    sb.add(SeqNum(500), SeqNum(900), SeqNum(1000), SeqNum(2000));   // below snd_una
    sb.add(SeqNum(2500), SeqNum(3000), SeqNum(1000), SeqNum(2000));  // beyond snd_max
    sb.add(SeqNum(1500), SeqNum(1400), SeqNum(1000), SeqNum(2000));  // inverted
    EXPECT_TRUE(sb.empty());
}

TEST(Scoreboard, NothingOutstandingRecordsNothing) {
    // A block spanning snd_una when snd_una == snd_max clips to nothing; it must not leave an
    // empty range behind (found by the TCP input fuzzer).
    Scoreboard sb;
    sb.add(SeqNum(900), SeqNum(1500), SeqNum(1000), SeqNum(1000));
    EXPECT_TRUE(sb.empty());
}

TEST(Scoreboard, CumulativeAckPrunes) {
    Scoreboard sb;
    sb.add(SeqNum(2000), SeqNum(3000), SeqNum(1000), SeqNum(9000));
    sb.add(SeqNum(4000), SeqNum(5000), SeqNum(1000), SeqNum(9000));
    sb.advance(SeqNum(2500));
    ASSERT_EQ(sb.ranges().size(), 2u);
    EXPECT_EQ(sb.ranges()[0].left, SeqNum(2500));
    sb.advance(SeqNum(5000));
    EXPECT_TRUE(sb.empty());
}

TEST(Scoreboard, IsLostNeedsThreeSegmentsSackedAbove) {
    Scoreboard sb;
    const uint32_t mss = 1000;
    sb.add(SeqNum(2000), SeqNum(4000), SeqNum(1000), SeqNum(9000));
    EXPECT_FALSE(sb.is_lost(SeqNum(1000), mss));  // only 2 segments above
    sb.add(SeqNum(5000), SeqNum(6000), SeqNum(1000), SeqNum(9000));
    EXPECT_TRUE(sb.is_lost(SeqNum(1000), mss));
    EXPECT_FALSE(sb.is_lost(SeqNum(4500), mss));
}

TEST(Scoreboard, WorksAcrossSequenceWrap) {
    Scoreboard sb;
    const SeqNum una(0xfffff000u), max(0x00002000u);
    sb.add(SeqNum(0xfffffc00u), SeqNum(0x00000400u), una, max);
    EXPECT_EQ(sb.sacked_bytes(), 0x800u);
    EXPECT_TRUE(sb.is_sacked(SeqNum(0)));
    SeqNum start;
    EXPECT_EQ(sb.hole_at(una, &start), 0xc00u);
}

}  // namespace
}  // namespace ustack::tcp

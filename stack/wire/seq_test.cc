#include "stack/wire/seq.h"

#include <gtest/gtest.h>

namespace ustack::wire {
namespace {

TEST(SeqNum, ComparesAcrossTheWrap) {
    // RFC 9293 3.4: sequence arithmetic is modulo 2^32.
    EXPECT_LT(SeqNum(0xfffffff0), SeqNum(0x10));
    EXPECT_GT(SeqNum(0x10), SeqNum(0xfffffff0));
    EXPECT_LE(SeqNum(0xffffffff), SeqNum(0));
    EXPECT_GE(SeqNum(0), SeqNum(0xffffffff));
    EXPECT_FALSE(SeqNum(0x10) < SeqNum(0xfffffff0));
}

TEST(SeqNum, DifferenceIsSignedAndWraps) {
    EXPECT_EQ(SeqNum(0x10) - SeqNum(0xfffffff0), 0x20);
    EXPECT_EQ(SeqNum(0xfffffff0) - SeqNum(0x10), -0x20);
}

TEST(SeqNum, AdditionWraps) {
    EXPECT_EQ(SeqNum(0xfffffffe) + 5, SeqNum(3));
    EXPECT_EQ(SeqNum(3) - 5, SeqNum(0xfffffffe));
    SeqNum s(0xffffffff);
    s += 1;
    EXPECT_EQ(s.raw(), 0u);
}

TEST(SeqNum, EqualIsNeitherLessNorGreater) {
    EXPECT_FALSE(SeqNum(42) < SeqNum(42));
    EXPECT_FALSE(SeqNum(42) > SeqNum(42));
    EXPECT_LE(SeqNum(42), SeqNum(42));
    EXPECT_GE(SeqNum(42), SeqNum(42));
}

TEST(SeqNum, MaxAndMinFollowModularOrder) {
    EXPECT_EQ(seq_max(SeqNum(0xfffffff0), SeqNum(0x10)), SeqNum(0x10));
    EXPECT_EQ(seq_min(SeqNum(0xfffffff0), SeqNum(0x10)), SeqNum(0xfffffff0));
}

TEST(SeqNum, WindowSpanningTheWrapContainsBothEnds) {
    SeqNum lo(0xfffffff0), hi(0x10);
    EXPECT_TRUE(seq_in_window(SeqNum(0xfffffff0), lo, hi));
    EXPECT_TRUE(seq_in_window(SeqNum(0xffffffff), lo, hi));
    EXPECT_TRUE(seq_in_window(SeqNum(0), lo, hi));
    EXPECT_TRUE(seq_in_window(SeqNum(0xf), lo, hi));
    EXPECT_FALSE(seq_in_window(SeqNum(0x10), lo, hi));  // hi is excluded
    EXPECT_FALSE(seq_in_window(SeqNum(0xffffffef), lo, hi));
}

}  // namespace
}  // namespace ustack::wire

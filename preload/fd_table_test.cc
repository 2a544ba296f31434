#include "preload/fd_table.h"

#include <gtest/gtest.h>

namespace ustack::preload {
namespace {

SocketFile* fake(uintptr_t n) { return reinterpret_cast<SocketFile*>(n * 16); }

TEST(FdTableCapacity, FollowsTheHardLimitSoARaisedSoftLimitStillFits) {
    EXPECT_EQ(FdTable::capacity_for(1024, 4096), 4096u);
}

TEST(FdTableCapacity, IsCappedForHugeOrInfiniteLimits) {
    EXPECT_EQ(FdTable::capacity_for(1024, RLIM_INFINITY), FdTable::kMaxCapacity);
    EXPECT_EQ(FdTable::capacity_for(1 << 30, 1 << 30), FdTable::kMaxCapacity);
}

TEST(FdTable, UninitialisedTableSaysEveryFdIsTheKernels) {
    FdTable t;
    EXPECT_EQ(t.get(0), nullptr);
    EXPECT_EQ(t.get(12345), nullptr);
    EXPECT_FALSE(t.fits(3));
}

TEST(FdTable, FreshSlotsAreKernelFds) {
    FdTable t;
    ASSERT_TRUE(t.init(1024));
    for (int fd : {0, 1, 2, 500, 1023}) EXPECT_EQ(t.get(fd), nullptr);
}

TEST(FdTable, ExchangeRecordsAndReturnsThePrevious) {
    FdTable t;
    ASSERT_TRUE(t.init(64));
    EXPECT_EQ(t.exchange(5, fake(1)), nullptr);
    EXPECT_EQ(t.get(5), fake(1));
    EXPECT_EQ(t.exchange(5, fake(2)), fake(1));
    EXPECT_EQ(t.exchange(5, nullptr), fake(2));
    EXPECT_EQ(t.get(5), nullptr);
}

TEST(FdTable, FdsOutsideTheTableAreKernelFds) {
    FdTable t;
    ASSERT_TRUE(t.init(64));
    EXPECT_TRUE(t.fits(63));
    EXPECT_FALSE(t.fits(64));
    EXPECT_FALSE(t.fits(-1));
    EXPECT_EQ(t.get(64), nullptr);
    EXPECT_EQ(t.get(-1), nullptr);
}

TEST(FdTable, DupedFdsShareOneEntryAndForEachFindsThem) {
    FdTable t;
    ASSERT_TRUE(t.init(128));
    t.exchange(3, fake(7));
    t.exchange(90, fake(7));
    t.exchange(10, kInternalFd);
    int found = 0;
    t.for_each([&](int fd, SocketFile* f) {
        if (f == fake(7)) {
            EXPECT_TRUE(fd == 3 || fd == 90);
            ++found;
        }
    });
    EXPECT_EQ(found, 2);
}

TEST(FdTable, InitTwiceKeepsTheFirstMapping) {
    FdTable t;
    ASSERT_TRUE(t.init(64));
    t.exchange(1, fake(1));
    EXPECT_TRUE(t.init(128));
    EXPECT_EQ(t.capacity(), 64u);
    EXPECT_EQ(t.get(1), fake(1));
}

}  // namespace
}  // namespace ustack::preload

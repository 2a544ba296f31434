// The epoll reporting rules of epoll(7), one behaviour per test.
#include "preload/epoll_rules.h"

#include <gtest/gtest.h>

namespace ustack::preload::epoll {
namespace {

constexpr uint32_t kAlways = EPOLLERR | EPOLLHUP;

TEST(EpollLevelTriggered, ReportsWhileReadyAndRequested) {
    ReportState st;
    EXPECT_EQ(report(EPOLLIN | kAlways, EPOLLIN | EPOLLOUT, 5, st, true), EPOLLIN);
    EXPECT_EQ(report(EPOLLIN | kAlways, EPOLLIN | EPOLLOUT, 5, st, true), EPOLLIN);
}

TEST(EpollLevelTriggered, ErrorAndHangupAreReportedUnasked) {
    ReportState st;
    EXPECT_EQ(report(EPOLLIN | kAlways, EPOLLHUP | EPOLLERR, 0, st, true), EPOLLHUP | EPOLLERR);
}

TEST(EpollLevelTriggered, NothingReadyNothingReported) {
    ReportState st;
    EXPECT_EQ(report(EPOLLIN | kAlways, EPOLLOUT, 0, st, true), 0u);
}

TEST(EpollEdgeTriggered, ReportsOnceWhileNothingChanges) {
    ReportState st;
    const uint32_t ev = EPOLLIN | EPOLLET | kAlways;
    EXPECT_EQ(report(ev, EPOLLIN, 5, st, true), EPOLLIN);
    EXPECT_EQ(report(ev, EPOLLIN, 5, st, true), 0u);
}

TEST(EpollEdgeTriggered, MoreDataIsANewEdge) {
    ReportState st;
    const uint32_t ev = EPOLLIN | EPOLLET | kAlways;
    report(ev, EPOLLIN, 5, st, true);
    EXPECT_EQ(report(ev, EPOLLIN, 9, st, true), EPOLLIN);
}

TEST(EpollEdgeTriggered, ReadinessSeenToDropRearms) {
    ReportState st;
    const uint32_t ev = EPOLLIN | EPOLLET | kAlways;
    report(ev, EPOLLIN, 5, st, true);
    EXPECT_EQ(report(ev, 0, 0, st, true), 0u);
    EXPECT_EQ(report(ev, EPOLLIN, 3, st, true), EPOLLIN);
}

TEST(EpollEdgeTriggered, NewBitReportsEveryReadyBit) {
    ReportState st;
    const uint32_t ev = EPOLLIN | EPOLLRDHUP | EPOLLET | kAlways;
    report(ev, EPOLLIN, 5, st, true);
    EXPECT_EQ(report(ev, EPOLLIN | EPOLLRDHUP, 5, st, true), EPOLLIN | EPOLLRDHUP);
}

TEST(EpollEdgeTriggered, PeekDoesNotConsumeTheEdge) {
    ReportState st;
    const uint32_t ev = EPOLLIN | EPOLLET | kAlways;
    EXPECT_EQ(report(ev, EPOLLIN, 5, st, false), EPOLLIN);
    EXPECT_EQ(report(ev, EPOLLIN, 5, st, true), EPOLLIN);
}

TEST(EpollOneShot, DisarmsAfterOneReport) {
    ReportState st;
    const uint32_t ev = EPOLLIN | EPOLLONESHOT | kAlways;
    EXPECT_EQ(report(ev, EPOLLIN, 5, st, true), EPOLLIN);
    EXPECT_TRUE(st.disarmed);
    EXPECT_EQ(report(ev, EPOLLIN | EPOLLHUP, 5, st, true), 0u);
}

TEST(EpollOneShot, PeekLeavesItArmed) {
    ReportState st;
    report(EPOLLIN | EPOLLONESHOT | kAlways, EPOLLIN, 5, st, false);
    EXPECT_FALSE(st.disarmed);
}

}  // namespace
}  // namespace ustack::preload::epoll

#include "netdev/pair.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <array>
#include <cstring>
#include <thread>
#include <vector>

namespace ustack::netdev {
namespace {

std::vector<std::byte> frame_of(size_t len, uint8_t tag) {
    std::vector<std::byte> f(len, std::byte{0});
    for (size_t i = 0; i < len; ++i) f[i] = std::byte(tag + i);
    return f;
}

// Receive buffers big enough for any frame a 1500-byte pair carries.
struct Slots {
    explicit Slots(size_t n, size_t size = 1514) : storage(n, std::vector<std::byte>(size)), slots(n) {
        for (size_t i = 0; i < n; ++i) slots[i].buffer = storage[i];
    }
    std::vector<std::vector<std::byte>> storage;
    std::vector<RxSlot> slots;
    std::vector<std::byte> frame(size_t i) const {
        return {slots[i].buffer.begin(), slots[i].buffer.begin() + static_cast<long>(slots[i].len)};
    }
};

int send_all(Device& d, const std::vector<std::vector<std::byte>>& frames) {
    std::vector<ConstBytes> spans(frames.begin(), frames.end());
    return d.send(spans);
}

bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

TEST(PairDevice, FramesSentOnOneSideArriveOnTheOtherInOrder) {
    auto [a, b] = PairDevice::create();
    std::vector<std::vector<std::byte>> sent = {frame_of(60, 1), frame_of(1514, 2), frame_of(100, 3)};
    ASSERT_EQ(send_all(*a, sent), 3);
    Slots rx(8);
    ASSERT_EQ(b->receive(rx.slots), 3);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(rx.frame(i), sent[i]) << "frame " << i;
    EXPECT_EQ(a->receive(rx.slots), 0) << "the sender must not see its own frames";
}

TEST(PairDevice, BothDirectionsAreIndependent) {
    auto [a, b] = PairDevice::create();
    ASSERT_EQ(send_all(*a, {frame_of(64, 10)}), 1);
    ASSERT_EQ(send_all(*b, {frame_of(64, 20), frame_of(64, 30)}), 2);
    EXPECT_EQ(a->queued(), 2u);
    EXPECT_EQ(b->queued(), 1u);
    Slots rx(8);
    ASSERT_EQ(a->receive(rx.slots), 2);
    EXPECT_EQ(rx.frame(0), frame_of(64, 20));
    EXPECT_EQ(rx.frame(1), frame_of(64, 30));
}

TEST(PairDevice, ReceiveStopsWhenSlotsAreFullAndKeepsTheRest) {
    auto [a, b] = PairDevice::create();
    ASSERT_EQ(send_all(*a, {frame_of(64, 1), frame_of(64, 2), frame_of(64, 3)}), 3);
    Slots rx(2);
    ASSERT_EQ(b->receive(rx.slots), 2);
    EXPECT_EQ(b->queued(), 1u);
    ASSERT_EQ(b->receive(rx.slots), 1);
    EXPECT_EQ(rx.frame(0), frame_of(64, 3));
}

TEST(PairDevice, FullQueueDropsAndCountsOnTheSender) {
    auto [a, b] = PairDevice::create(1500, /*queue_limit=*/2);
    // A full receive queue loses frames like a NIC ring does; send() still accepts them.
    ASSERT_EQ(send_all(*a, {frame_of(64, 1), frame_of(64, 2), frame_of(64, 3)}), 3);
    EXPECT_EQ(b->queued(), 2u);
    EXPECT_EQ(a->counters().tx_frames, 3u);
    EXPECT_EQ(a->counters().tx_dropped, 1u);
    Slots rx(8);
    ASSERT_EQ(b->receive(rx.slots), 2);
    EXPECT_EQ(rx.frame(0), frame_of(64, 1));
    EXPECT_EQ(rx.frame(1), frame_of(64, 2));
    EXPECT_EQ(b->counters().rx_frames, 2u);
}

TEST(PairDevice, FrameLongerThanMtuPlusEthernetHeaderIsDropped) {
    auto [a, b] = PairDevice::create(1500);
    ASSERT_EQ(send_all(*a, {frame_of(1515, 1), frame_of(1514, 2)}), 2);
    EXPECT_EQ(b->queued(), 1u);
    EXPECT_EQ(a->counters().tx_dropped, 1u);
}

TEST(PairDevice, FrameLongerThanTheSlotIsDroppedAndCounted) {
    auto [a, b] = PairDevice::create();
    ASSERT_EQ(send_all(*a, {frame_of(200, 1), frame_of(50, 2)}), 2);
    Slots rx(1, /*size=*/100);
    ASSERT_EQ(b->receive(rx.slots), 1);
    EXPECT_EQ(rx.frame(0), frame_of(50, 2));
    EXPECT_EQ(b->counters().rx_oversize, 1u);
}

TEST(PairDevice, WaitFdIsReadableExactlyWhileFramesAreQueued) {
    auto [a, b] = PairDevice::create();
    EXPECT_FALSE(readable(b->wait_fd()));
    ASSERT_EQ(send_all(*a, {frame_of(64, 1), frame_of(64, 2)}), 2);
    EXPECT_TRUE(readable(b->wait_fd()));
    EXPECT_FALSE(readable(a->wait_fd())) << "the sender's side has nothing queued";
    Slots one(1);
    ASSERT_EQ(b->receive(one.slots), 1);
    EXPECT_TRUE(readable(b->wait_fd())) << "one frame is still queued";
    ASSERT_EQ(b->receive(one.slots), 1);
    EXPECT_FALSE(readable(b->wait_fd()));
    ASSERT_EQ(send_all(*a, {frame_of(64, 3)}), 1);
    EXPECT_TRUE(readable(b->wait_fd())) << "readable again after refilling";
}

TEST(PairDevice, ReportsTheMtuItWasCreatedWithAndNoMac) {
    auto [a, b] = PairDevice::create(9000);
    EXPECT_EQ(a->mtu(), 9000u);
    EXPECT_EQ(b->mtu(), 9000u);
    EXPECT_FALSE(a->hw_addr().has_value());
    EXPECT_EQ(a->name(), "pair:a");
    EXPECT_EQ(b->name(), "pair:b");
}

TEST(PairDevice, ReceiveClearsChecksumPartialLeftInASlot) {
    auto [a, b] = PairDevice::create();
    ASSERT_EQ(send_all(*a, {frame_of(64, 1)}), 1);
    Slots rx(1);
    rx.slots[0].checksum_partial = true;
    ASSERT_EQ(b->receive(rx.slots), 1);
    EXPECT_FALSE(rx.slots[0].checksum_partial);
}

TEST(PairDevice, TwoThreadsCanDriveTheTwoSidesConcurrently) {
    constexpr int kFrames = 20000;
    auto [a, b] = PairDevice::create(1500, /*queue_limit=*/kFrames);
    std::thread sender([&a = a] {
        for (int i = 0; i < kFrames; ++i) {
            uint32_t seq = static_cast<uint32_t>(i);
            std::vector<std::byte> f(64);
            std::memcpy(f.data(), &seq, sizeof seq);
            ConstBytes one[] = {f};
            a->send(one);
        }
    });
    Slots rx(16);
    int expected = 0;
    bool in_order = true;
    while (expected < kFrames) {
        pollfd p{b->wait_fd(), POLLIN, 0};
        if (poll(&p, 1, 5000) != 1) break;  // the sender stalled: fail below
        int n = b->receive(rx.slots);
        for (int i = 0; i < n; ++i, ++expected) {
            uint32_t seq;
            std::memcpy(&seq, rx.slots[i].buffer.data(), sizeof seq);
            in_order = in_order && seq == static_cast<uint32_t>(expected);
        }
    }
    sender.join();
    EXPECT_EQ(expected, kFrames);
    EXPECT_TRUE(in_order);
    EXPECT_EQ(a->counters().tx_dropped, 0u);
}

}  // namespace
}  // namespace ustack::netdev

// The link's arithmetic (serialisation, latency, drop-tail) and its impairments' rates.
#include "stack/sim/link.h"

#include <gtest/gtest.h>

#include <vector>

namespace ustack::sim {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr Instant kT0{std::chrono::seconds(1)};

std::vector<std::byte> frame(size_t n, uint8_t fill = 0xab) { return std::vector<std::byte>(n, std::byte{fill}); }

LinkConfig plain(Duration latency, uint64_t bps, size_t queue = 128) {
    LinkConfig c;
    c.latency = latency;
    c.bits_per_second = bps;
    c.queue_limit = queue;
    return c;
}

TEST(LinkTiming, SerialisationDelayIsBitsOverRateRoundedUp) {
    Link l("l", plain(milliseconds(0), 10'000'000), 1);
    EXPECT_EQ(l.serialisation_delay(1500), microseconds(1200));
    EXPECT_EQ(l.serialisation_delay(1), Duration(800));
    Link odd("l", plain(milliseconds(0), 3), 1);
    EXPECT_EQ(odd.serialisation_delay(1), Duration(2'666'666'667));  // 8/3 s, rounded up
    Link infinite("l", plain(milliseconds(0), 0), 1);
    EXPECT_EQ(infinite.serialisation_delay(1500), Duration(0));
}

TEST(LinkTiming, FrameArrivesAfterSerialisationPlusLatency) {
    Link l("l", plain(milliseconds(5), 8'000'000), 1);
    l.transmit(frame(1000), kT0);  // 8000 bits at 8 Mbit/s: 1 ms
    const Instant arrival = kT0 + milliseconds(6);
    EXPECT_EQ(l.next_delivery(), arrival);
    EXPECT_FALSE(l.pop_due(arrival - Duration(1)));
    auto f = l.pop_due(arrival);
    ASSERT_TRUE(f);
    EXPECT_EQ(*f, frame(1000));
    EXPECT_FALSE(l.next_delivery());
}

TEST(LinkTiming, BackToBackFramesQueueBehindEachOther) {
    Link l("l", plain(milliseconds(5), 8'000'000), 1);
    for (int i = 0; i < 3; ++i) l.transmit(frame(1000, static_cast<uint8_t>(i)), kT0);
    for (int i = 0; i < 3; ++i) {
        const Instant arrival = kT0 + milliseconds(5 + 1 * (i + 1));
        EXPECT_EQ(l.next_delivery(), arrival);
        auto f = l.pop_due(arrival);
        ASSERT_TRUE(f);
        EXPECT_EQ((*f)[0], std::byte{static_cast<uint8_t>(i)});
    }
}

TEST(LinkTiming, IdleLinkStartsSerialisingWhenTheFrameArrives) {
    Link l("l", plain(milliseconds(5), 8'000'000), 1);
    l.transmit(frame(1000), kT0);
    l.transmit(frame(1000), kT0 + milliseconds(10));  // long after the first left
    ASSERT_TRUE(l.pop_due(kT0 + milliseconds(6)));
    EXPECT_EQ(l.next_delivery(), kT0 + milliseconds(16));
}

TEST(LinkQueue, FullQueueDropsTheTail) {
    Link l("l", plain(milliseconds(5), 8'000'000, /*queue=*/4), 1);
    for (int i = 0; i < 6; ++i) l.transmit(frame(1000, static_cast<uint8_t>(i)), kT0);
    EXPECT_EQ(l.stats().queue_drops, 2u);
    EXPECT_EQ(l.in_flight(), 4u);
    // Once the first frame has been serialised there is room for one more.
    l.transmit(frame(1000, 9), kT0 + milliseconds(1));
    EXPECT_EQ(l.stats().queue_drops, 2u);
    std::vector<uint8_t> order;
    while (auto f = l.pop_due(kT0 + milliseconds(100))) order.push_back(static_cast<uint8_t>((*f)[0]));
    EXPECT_EQ(order, (std::vector<uint8_t>{0, 1, 2, 3, 9}));
}

// Impairments over many frames: the counts are exact (the seed fixes them) and near the rate.
struct RateCase {
    double loss, duplicate, corrupt, reorder;
};

LinkStats send_many(const Impairments& im, uint64_t seed, int n) {
    LinkConfig c = plain(milliseconds(1), 0, 1'000'000);
    c.impair = im;
    Link l("l", c, seed);
    for (int i = 0; i < n; ++i) l.transmit(frame(100), kT0 + microseconds(i));
    while (l.pop_due(kT0 + std::chrono::seconds(100))) {
    }
    return l.stats();
}

TEST(LinkImpairments, RatesAreExactForASeedAndCloseToTheProbabilities) {
    Impairments im;
    im.loss = 0.05;
    im.duplicate = 0.02;
    im.corrupt = 0.01;
    im.reorder = 0.03;
    const int n = 100'000;
    const LinkStats s = send_many(im, 42, n);
    EXPECT_EQ(s.lost, 4932u);
    EXPECT_EQ(s.duplicated, 1914u);
    EXPECT_EQ(s.corrupted, 963u);
    EXPECT_EQ(s.reordered, 2748u);
    EXPECT_NEAR(static_cast<double>(s.lost) / n, 0.05, 0.003);
    EXPECT_NEAR(static_cast<double>(s.duplicated) / (n - s.lost), 0.02, 0.002);
    EXPECT_NEAR(static_cast<double>(s.corrupted) / (n - s.lost + s.duplicated), 0.01, 0.002);
    EXPECT_NEAR(static_cast<double>(s.reordered) / (n - s.lost), 0.03, 0.002);
    EXPECT_EQ(s.delivered, n - s.lost + s.duplicated);
}

TEST(LinkImpairments, SameSeedSameFatesOtherSeedOthers) {
    Impairments im;
    im.loss = 0.1;
    const LinkStats a = send_many(im, 7, 10'000), b = send_many(im, 7, 10'000), c = send_many(im, 8, 10'000);
    EXPECT_EQ(a.lost, b.lost);
    EXPECT_NE(a.lost, c.lost);
}

TEST(LinkImpairments, CorruptionFlipsExactlyOneByte) {
    LinkConfig c = plain(milliseconds(1), 0);
    c.impair.corrupt = 1.0;
    Link l("l", c, 3);
    for (int i = 0; i < 100; ++i) {
        l.transmit(frame(60), kT0);
        auto f = l.pop_due(kT0 + milliseconds(1));
        ASSERT_TRUE(f);
        int differing = 0;
        for (std::byte b : *f) differing += b != std::byte{0xab};
        EXPECT_EQ(differing, 1);
    }
}

TEST(LinkImpairments, DuplicateDeliversTwoCopiesBackToBack) {
    LinkConfig c = plain(milliseconds(1), 0);
    c.impair.duplicate = 1.0;
    Link l("l", c, 3);
    l.transmit(frame(60, 1), kT0);
    auto a = l.pop_due(kT0 + milliseconds(1));
    auto b = l.pop_due(kT0 + milliseconds(1));
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
    EXPECT_FALSE(l.pop_due(kT0 + milliseconds(1)));
}

TEST(LinkImpairments, ReorderedFramesAreOvertakenByLaterOnes) {
    LinkConfig c = plain(milliseconds(1), 0);
    c.impair.reorder = 0.3;
    c.impair.reorder_delay = milliseconds(5);
    Link l("l", c, 5);
    for (int i = 0; i < 100; ++i) l.transmit(frame(60, static_cast<uint8_t>(i)), kT0 + microseconds(100 * i));
    std::vector<int> order;
    while (auto t = l.next_delivery()) order.push_back(static_cast<int>((*l.pop_due(*t))[0]));
    ASSERT_EQ(order.size(), 100u);
    int overtaken = 0;  // frames delivered after some frame sent later than them
    int latest = -1;
    for (int i : order) {
        if (i < latest) ++overtaken;
        latest = std::max(latest, i);
    }
    EXPECT_GT(l.stats().reordered, 20u);
    EXPECT_GT(overtaken, 0);
    EXPECT_LE(static_cast<uint64_t>(overtaken), l.stats().reordered);  // only reordered frames are late
}

TEST(LinkImpairments, JitterVariesDelayButNeverReorders) {
    LinkConfig c = plain(milliseconds(10), 0);
    c.impair.jitter = milliseconds(5);
    Link l("l", c, 11);
    for (int i = 0; i < 1000; ++i) l.transmit(frame(60, static_cast<uint8_t>(i)), kT0 + microseconds(100 * i));
    Instant last{0}, lo = Instant::max(), hi{0};
    int expected = 0;
    while (auto t = l.next_delivery()) {
        auto f = l.pop_due(*t);
        EXPECT_EQ((*f)[0], std::byte{static_cast<uint8_t>(expected++)});
        EXPECT_GE(*t, last);
        last = *t;
        const Duration delay = *t - (kT0 + microseconds(100 * (expected - 1)));
        lo = std::min(lo, Instant{delay});
        hi = std::max(hi, Instant{delay});
    }
    EXPECT_EQ(expected, 1000);
    EXPECT_GE(lo, Instant{milliseconds(10)});
    EXPECT_LE(hi, Instant{milliseconds(15)});
    EXPECT_GT(hi - lo, milliseconds(3));  // the delay really varies
}

}  // namespace
}  // namespace ustack::sim

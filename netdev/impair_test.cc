#include "netdev/impair.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <vector>

#include "netdev/pair.h"

namespace ustack::netdev {
namespace {

using std::chrono::microseconds;
using Frame = std::vector<std::byte>;

// A 100-byte frame whose bytes all say which frame it is.
Frame numbered(uint8_t n) { return Frame(100, std::byte{n}); }

bool readable(int fd, int timeout_ms = 0) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, timeout_ms) == 1;
}

// `far` is a plain pair side; `near` is the other side wrapped in the impairment under test.
// The test owns a virtual clock.
struct Rig {
    explicit Rig(ImpairOptions opts, size_t queue_limit = 4096) {
        auto [a, b] = PairDevice::create(1500, queue_limit);
        far = std::move(b);
        opts.clock = [this] { return now; };
        auto r = ImpairDevice::wrap(std::move(a), std::move(opts));
        EXPECT_NE(r.device, nullptr) << r.error;
        near = std::move(r.device);
    }
    void far_sends(const std::vector<Frame>& frames) {
        std::vector<ConstBytes> spans(frames.begin(), frames.end());
        ASSERT_EQ(far->send(spans), static_cast<int>(frames.size()));
    }
    int near_sends(const std::vector<Frame>& frames) {
        std::vector<ConstBytes> spans(frames.begin(), frames.end());
        return near->send(spans);
    }
    static std::vector<Frame> drain(Device& d) {
        std::vector<Frame> out;
        std::vector<Frame> bufs(64, Frame(1514));
        for (;;) {
            std::vector<RxSlot> slots;
            for (auto& b : bufs) slots.push_back(RxSlot{b});
            int n = d.receive(slots);
            if (n <= 0) return out;
            for (int i = 0; i < n; ++i) out.emplace_back(slots[i].buffer.begin(), slots[i].buffer.begin() + slots[i].len);
        }
    }
    std::vector<Frame> near_receives() { return drain(*near); }
    std::vector<Frame> far_receives() { return drain(*far); }

    Instant now{0};
    std::unique_ptr<PairDevice> far;
    std::unique_ptr<ImpairDevice> near;
};

std::vector<Frame> numbered_frames(int count) {
    std::vector<Frame> f;
    for (int i = 0; i < count; ++i) f.push_back(numbered(static_cast<uint8_t>(i)));
    return f;
}

TEST(Impair, WithoutImpairmentFramesPassUnchangedBothWays) {
    Rig rig({});
    rig.far_sends({numbered(1), numbered(2)});
    EXPECT_EQ(rig.near_receives(), (std::vector<Frame>{numbered(1), numbered(2)}));
    EXPECT_EQ(rig.near_sends({numbered(3)}), 1);
    EXPECT_EQ(rig.far_receives(), std::vector<Frame>{numbered(3)});
}

TEST(Impair, DropLosesFramesAtTheConfiguredRateAndCountsThem) {
    Rig rig({.rx = {.drop = 0.3}, .seed = 7});
    for (int round = 0; round < 10; ++round) rig.far_sends(numbered_frames(100));
    const auto got = rig.near_receives();
    EXPECT_EQ(got.size() + rig.near->rx_stats().dropped, 1000u);
    EXPECT_GT(rig.near->rx_stats().dropped, 230u);
    EXPECT_LT(rig.near->rx_stats().dropped, 370u);
}

TEST(Impair, SurvivorsOfDropKeepTheirOrder) {
    Rig rig({.rx = {.drop = 0.5}, .seed = 3});
    rig.far_sends(numbered_frames(200));
    const auto got = rig.near_receives();
    EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
}

TEST(Impair, TheSameSeedReplaysTheSameFates) {
    auto run = [](uint64_t seed) {
        Rig rig({.rx = {.drop = 0.2, .duplicate = 0.2, .corrupt = 0.2, .reorder = 0.2}, .seed = seed});
        rig.far_sends(numbered_frames(100));
        rig.now += microseconds(2000);
        return rig.near_receives();
    };
    EXPECT_EQ(run(42), run(42));
    EXPECT_NE(run(42), run(43));
}

TEST(Impair, DuplicateDeliversACopyRightAfterTheOriginal) {
    Rig rig({.rx = {.duplicate = 1.0}});
    rig.far_sends({numbered(1), numbered(2)});
    EXPECT_EQ(rig.near_receives(), (std::vector<Frame>{numbered(1), numbered(1), numbered(2), numbered(2)}));
    EXPECT_EQ(rig.near->rx_stats().duplicated, 2u);
}

TEST(Impair, CorruptFlipsExactlyOneByteAfterTheEthernetHeader) {
    Rig rig({.rx = {.corrupt = 1.0}, .seed = 11});
    rig.far_sends(numbered_frames(50));
    const auto got = rig.near_receives();
    ASSERT_EQ(got.size(), 50u);
    for (size_t i = 0; i < got.size(); ++i) {
        const Frame sent = numbered(static_cast<uint8_t>(i));
        ASSERT_EQ(got[i].size(), sent.size());
        size_t differing = 0;
        for (size_t b = 0; b < sent.size(); ++b) {
            if (got[i][b] != sent[b]) {
                ++differing;
                EXPECT_GE(b, 14u) << "frame " << i << " corrupted inside the Ethernet header";
            }
        }
        EXPECT_EQ(differing, 1u) << "frame " << i;
    }
    EXPECT_EQ(rig.near->rx_stats().corrupted, 50u);
}

TEST(Impair, DelayHoldsAFrameUntilTheClockReachesItsReleaseTime) {
    Rig rig({.rx = {.delay = microseconds(100)}});
    rig.far_sends({numbered(1)});
    EXPECT_TRUE(rig.near_receives().empty());
    EXPECT_EQ(rig.near->held_rx(), 1u);
    rig.now += microseconds(99);
    EXPECT_TRUE(rig.near_receives().empty());
    rig.now += microseconds(1);
    EXPECT_EQ(rig.near_receives(), std::vector<Frame>{numbered(1)});
    EXPECT_EQ(rig.near->held_rx(), 0u);
}

TEST(Impair, ReorderLetsLaterFramesOvertakeAHeldOne) {
    Rig rig({.rx = {.reorder = 0.3, .reorder_delay = microseconds(500)}, .seed = 5});
    rig.far_sends(numbered_frames(100));
    auto got = rig.near_receives();  // the frames that were not held back
    rig.now += microseconds(500);
    auto late = rig.near_receives();  // the reordered ones, now due
    EXPECT_EQ(late.size(), rig.near->rx_stats().reordered);
    EXPECT_GT(late.size(), 0u);
    got.insert(got.end(), late.begin(), late.end());
    EXPECT_FALSE(std::is_sorted(got.begin(), got.end())) << "no frame was overtaken";
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, numbered_frames(100)) << "reordering must neither lose nor invent frames";
}

TEST(Impair, TxImpairmentAppliesToSentFrames) {
    Rig rig({.tx = {.drop = 1.0}});
    EXPECT_EQ(rig.near_sends({numbered(1), numbered(2)}), 2) << "dropped frames still count as sent";
    EXPECT_TRUE(rig.far_receives().empty());
    EXPECT_EQ(rig.near->tx_stats().dropped, 2u);
}

TEST(Impair, DelayedSendsLeaveOnALaterCallOnceDue) {
    Rig rig({.tx = {.delay = microseconds(50)}});
    EXPECT_EQ(rig.near_sends({numbered(1)}), 1);
    EXPECT_EQ(rig.far->queued(), 0u);
    rig.now += microseconds(50);
    rig.near_receives();  // any later call releases due sends
    EXPECT_EQ(rig.far_receives(), std::vector<Frame>{numbered(1)});
}

TEST(Impair, DelayedSendsKeepTheirOrderBehindEarlierOnes) {
    Rig rig({.tx = {.delay = microseconds(50)}});
    rig.near_sends({numbered(1)});
    rig.now += microseconds(10);
    rig.near_sends({numbered(2)});
    rig.now += microseconds(40);
    rig.near_sends({numbered(3)});  // numbered(1) is due now and leaves first
    rig.now += microseconds(10);
    rig.near_receives();
    EXPECT_EQ(rig.far_receives(), (std::vector<Frame>{numbered(1), numbered(2)}));
}

TEST(Impair, FullHoldDropsReceivedFramesAndCountsOverflow) {
    Rig rig({.rx = {.delay = microseconds(10)}, .hold_limit = 3});
    rig.far_sends(numbered_frames(5));
    EXPECT_TRUE(rig.near_receives().empty());
    EXPECT_EQ(rig.near->held_rx(), 3u);
    EXPECT_EQ(rig.near->rx_stats().overflow, 2u);
}

TEST(Impair, WaitFdIsReadableWhenTheInnerDeviceHasFrames) {
    Rig rig({.rx = {.delay = microseconds(10)}});
    EXPECT_FALSE(readable(rig.near->wait_fd()));
    rig.far_sends({numbered(1)});
    EXPECT_TRUE(readable(rig.near->wait_fd()));
}

TEST(Impair, WaitFdIsReadableAtOnceWhileADueFrameIsStillHeld) {
    Rig rig({.rx = {.delay = microseconds(10)}});
    rig.far_sends({numbered(1), numbered(2)});
    rig.near_receives();  // both pulled and held
    rig.now += microseconds(10);
    Frame buf(1514);
    RxSlot one{buf};
    ASSERT_EQ(rig.near->receive({&one, 1}), 1);  // one slot: the second due frame stays held
    EXPECT_TRUE(readable(rig.near->wait_fd(), 100)) << "a due frame must wake the caller at once";
    ASSERT_EQ(rig.near->receive({&one, 1}), 1);
    EXPECT_FALSE(readable(rig.near->wait_fd(), 0)) << "nothing held, nothing queued";
}

// With the real clock: wait_fd stays quiet while a frame is held and wakes the caller when
// the frame is due.
TEST(Impair, WaitFdWakesTheCallerWhenAHeldFrameBecomesDue) {
    auto [a, b] = PairDevice::create();
    auto r = ImpairDevice::wrap(std::move(a), {.rx = {.delay = std::chrono::milliseconds(200)}});
    ASSERT_NE(r.device, nullptr) << r.error;
    Frame f = numbered(9);
    ConstBytes frames[] = {f};
    ASSERT_EQ(b->send(frames), 1);
    Frame buf(1514);
    RxSlot slot{buf};
    ASSERT_EQ(r.device->receive({&slot, 1}), 0);  // pulled and held for 200 ms
    EXPECT_FALSE(readable(r.device->wait_fd(), 0));
    ASSERT_TRUE(readable(r.device->wait_fd(), 5000));
    EXPECT_EQ(r.device->receive({&slot, 1}), 1);
    EXPECT_EQ(Frame(buf.begin(), buf.begin() + slot.len), f);
}

TEST(Impair, WaitFdWakesTheCallerWhenAHeldSendBecomesDue) {
    auto [a, b] = PairDevice::create();
    auto r = ImpairDevice::wrap(std::move(a), {.tx = {.delay = std::chrono::milliseconds(100)}});
    ASSERT_NE(r.device, nullptr) << r.error;
    Frame f = numbered(4);
    ConstBytes frames[] = {f};
    ASSERT_EQ(r.device->send(frames), 1);
    ASSERT_TRUE(readable(r.device->wait_fd(), 5000));
    Frame buf(1514);
    RxSlot slot{buf};
    EXPECT_EQ(r.device->receive({&slot, 1}), 0);  // releases the send, receives nothing
    EXPECT_EQ(b->queued(), 1u);
}

// Hands out queued frames of any length, as AF_PACKET on a veth does with a kernel peer's
// unsegmented TSO/GSO sends (one frame carrying a 64 KiB IP packet on a 1500-byte MTU).
class LongFrameSource : public Device {
public:
    std::vector<Frame> queue;
    int receive(std::span<RxSlot> slots) override {
        size_t filled = 0;
        while (filled < slots.size() && !queue.empty()) {
            RxSlot& slot = slots[filled];
            if (queue.front().size() > slot.buffer.size()) return -EMSGSIZE;  // the bug, made loud
            std::copy(queue.front().begin(), queue.front().end(), slot.buffer.begin());
            slot.len = queue.front().size();
            slot.checksum_partial = true;
            queue.erase(queue.begin());
            ++filled;
        }
        return static_cast<int>(filled);
    }
    int send(std::span<const ConstBytes> frames) override { return static_cast<int>(frames.size()); }
    size_t mtu() const override { return 1500; }
    std::optional<wire::MacAddr> hw_addr() const override { return std::nullopt; }
    int wait_fd() const override { return -1; }
    std::string name() const override { return "long"; }
};

TEST(Impair, FramesLongerThanTheMtuFromTheInnerDevicePassWhole) {
    auto source = std::make_unique<LongFrameSource>();
    LongFrameSource& inner = *source;
    const Frame gso(14 + 65535, std::byte{0x5a});
    inner.queue = {numbered(1), gso, numbered(2)};
    Instant now{0};
    // Any rx impairment makes the decorator pull into its own buffers; a delay loses nothing.
    auto r = ImpairDevice::wrap(std::move(source), {.rx = {.delay = microseconds(10)}, .clock = [&now] { return now; }});
    ASSERT_NE(r.device, nullptr) << r.error;
    std::vector<Frame> bufs(3, Frame(14 + 65535 + 4));  // the stack's own slot size
    auto slots = [&bufs] { return std::vector<RxSlot>{RxSlot{bufs[0]}, RxSlot{bufs[1]}, RxSlot{bufs[2]}}; };
    std::vector<RxSlot> pull = slots();
    ASSERT_EQ(r.device->receive(pull), 0);  // pulled and held, not yet due
    now += microseconds(10);
    std::vector<RxSlot> release = slots();
    ASSERT_EQ(r.device->receive(release), 3);
    std::vector<Frame> got;
    for (const RxSlot& slot : release) {
        EXPECT_TRUE(slot.checksum_partial);
        got.emplace_back(slot.buffer.begin(), slot.buffer.begin() + static_cast<std::ptrdiff_t>(slot.len));
    }
    EXPECT_EQ(got, (std::vector<Frame>{numbered(1), gso, numbered(2)}));
    EXPECT_EQ(r.device->counters().rx_oversize, 0u);
}

TEST(Impair, NameAndPropertiesComeFromTheInnerDevice) {
    auto [a, b] = PairDevice::create(9000);
    auto r = ImpairDevice::wrap(std::move(a), {});
    ASSERT_NE(r.device, nullptr);
    EXPECT_EQ(r.device->name(), "pair:a+impair");
    EXPECT_EQ(r.device->mtu(), 9000u);
}

}  // namespace
}  // namespace ustack::netdev

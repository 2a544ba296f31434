// Test fixtures: two stacks joined by an in-memory pair under a virtual clock, and a raw
// frame harness for driving one stack with hand-built frames.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include "netdev/pair.h"
#include "stack/core/rng.h"
#include "stack/stack.h"

namespace ustack::testing {

inline const wire::MacAddr kMacA{{0x02, 0, 0, 0, 0, 0x0a}};
inline const wire::MacAddr kMacB{{0x02, 0, 0, 0, 0, 0x0b}};
inline const Ipv4Addr kAddrA = Ipv4Addr::from_octets(10, 0, 0, 1);
inline const Ipv4Addr kAddrB = Ipv4Addr::from_octets(10, 0, 0, 2);

// Wraps a device and drops the frames a predicate picks; for loss tests.
class DroppingDevice final : public netdev::Device {
public:
    using Predicate = std::function<bool(size_t index, std::span<const std::byte> frame)>;
    DroppingDevice(netdev::Device& inner, Predicate drop) : inner_(inner), drop_(std::move(drop)) {}
    int receive(std::span<netdev::RxSlot> slots) override { return inner_.receive(slots); }
    int send(std::span<const netdev::ConstBytes> frames) override {
        std::vector<netdev::ConstBytes> kept;
        for (auto f : frames) {
            if (!drop_(sent_++, f)) kept.push_back(f);
            else ++dropped;
        }
        if (!kept.empty()) inner_.send(kept);
        return static_cast<int>(frames.size());
    }
    size_t mtu() const override { return inner_.mtu(); }
    std::optional<wire::MacAddr> hw_addr() const override { return std::nullopt; }
    int wait_fd() const override { return inner_.wait_fd(); }
    std::string name() const override { return "drop+" + inner_.name(); }
    size_t dropped = 0;

private:
    netdev::Device& inner_;
    Predicate drop_;
    size_t sent_ = 0;
};

// Wraps a device and, from a seeded PRNG, drops, duplicates and reorders what is sent: a
// reordered frame is held back and goes out after the next one (or at the next receive()).
class ShufflingDevice final : public netdev::Device {
public:
    struct Rates {
        uint32_t drop_pct = 0, duplicate_pct = 0, reorder_pct = 0;
    };
    ShufflingDevice(netdev::Device& inner, Rates rates, uint64_t seed) : inner_(inner), rates_(rates), rng_(seed) {}
    int receive(std::span<netdev::RxSlot> slots) override {
        release_held();
        return inner_.receive(slots);
    }
    int send(std::span<const netdev::ConstBytes> frames) override {
        for (auto f : frames) {
            if (rng_.below(100) < rates_.drop_pct) continue;
            const int copies = rng_.below(100) < rates_.duplicate_pct ? 2 : 1;
            for (int c = 0; c < copies; ++c) {
                if (rng_.below(100) < rates_.reorder_pct) {
                    held_.emplace_back(f.begin(), f.end());
                    ++reordered;
                } else {
                    netdev::ConstBytes one[] = {f};
                    inner_.send(one);
                    release_held();
                }
            }
        }
        return static_cast<int>(frames.size());
    }
    size_t mtu() const override { return inner_.mtu(); }
    std::optional<wire::MacAddr> hw_addr() const override { return std::nullopt; }
    int wait_fd() const override { return inner_.wait_fd(); }
    std::string name() const override { return "shuffle+" + inner_.name(); }
    size_t reordered = 0;

private:
    void release_held() {
        for (const auto& h : held_) {
            netdev::ConstBytes one[] = {h};
            inner_.send(one);
        }
        held_.clear();
    }
    netdev::Device& inner_;
    Rates rates_;
    Rng rng_;
    std::vector<std::vector<std::byte>> held_;
};

// Wraps a device and offers TAP-like offloads (checksum both ways, TSO) on a 1500-byte MTU:
// frames arrive marked checksum_partial, as the kernel's do, and the largest frame sent is
// recorded. Super-frames go on whole over an inner pair with a 64 KiB MTU (the peer stack
// takes them as GRO merges). drop picks frames to lose.
class OffloadingDevice final : public netdev::Device {
public:
    using Predicate = std::function<bool(std::span<const std::byte> frame)>;
    OffloadingDevice(netdev::Device& inner, Predicate drop) : inner_(inner), drop_(std::move(drop)) {}
    int receive(std::span<netdev::RxSlot> slots) override {
        const int n = inner_.receive(slots);
        for (int i = 0; i < n; ++i) slots[static_cast<size_t>(i)].checksum_partial = true;
        return n;
    }
    int send(std::span<const netdev::ConstBytes> frames) override {
        for (auto f : frames) {
            max_frame = std::max(max_frame, f.size());
            if (drop_ && drop_(f)) continue;
            netdev::ConstBytes one[] = {f};
            inner_.send(one);
        }
        return static_cast<int>(frames.size());
    }
    size_t mtu() const override { return 1500; }  // the inner pair carries 64 KiB frames
    std::optional<wire::MacAddr> hw_addr() const override { return std::nullopt; }
    int wait_fd() const override { return inner_.wait_fd(); }
    netdev::Offloads offloads() const override { return {.rx_checksum = true, .tx_checksum = true, .tso4 = true}; }
    std::string name() const override { return "offload+" + inner_.name(); }
    size_t max_frame = 0;

private:
    netdev::Device& inner_;
    Predicate drop_;
};

class TwoStacks {
public:
    // Both ends offer TAP-like offloads; drop_from_a picks frames a sends that are lost.
    struct WithOffloads {
        OffloadingDevice::Predicate drop_from_a;
    };
    explicit TwoStacks(WithOffloads w) {
        auto [a, b] = netdev::PairDevice::create(65535, 4096);
        dev_a_ = std::move(a);
        dev_b_ = std::move(b);
        offload_a_ = std::make_unique<OffloadingDevice>(*dev_a_, std::move(w.drop_from_a));
        offload_b_ = std::make_unique<OffloadingDevice>(*dev_b_, nullptr);
        a_ = std::make_unique<Stack>(StackConfig{{kAddrA, 24}, std::nullopt, kMacA, 1}, *offload_a_, now_);
        b_ = std::make_unique<Stack>(StackConfig{{kAddrB, 24}, std::nullopt, kMacB, 2}, *offload_b_, now_);
    }
    OffloadingDevice* offload_a() { return offload_a_.get(); }

    // Both directions impaired alike, each with its own seed.
    TwoStacks(ShufflingDevice::Rates rates, uint64_t seed) {
        auto [a, b] = netdev::PairDevice::create(1500, 4096);
        dev_a_ = std::move(a);
        dev_b_ = std::move(b);
        shuffle_a_ = std::make_unique<ShufflingDevice>(*dev_a_, rates, seed);
        shuffle_b_ = std::make_unique<ShufflingDevice>(*dev_b_, rates, seed + 1);
        a_ = std::make_unique<Stack>(StackConfig{{kAddrA, 24}, std::nullopt, kMacA, 1}, *shuffle_a_, now_);
        b_ = std::make_unique<Stack>(StackConfig{{kAddrB, 24}, std::nullopt, kMacB, 2}, *shuffle_b_, now_);
    }

    explicit TwoStacks(DroppingDevice::Predicate drop_from_a = nullptr) {
        auto [a, b] = netdev::PairDevice::create(1500, 4096);
        dev_a_ = std::move(a);
        dev_b_ = std::move(b);
        netdev::Device* da = dev_a_.get();
        if (drop_from_a) {
            lossy_a_ = std::make_unique<DroppingDevice>(*dev_a_, std::move(drop_from_a));
            da = lossy_a_.get();
        }
        a_ = std::make_unique<Stack>(StackConfig{{kAddrA, 24}, std::nullopt, kMacA, 1}, *da, now_);
        b_ = std::make_unique<Stack>(StackConfig{{kAddrB, 24}, std::nullopt, kMacB, 2}, *dev_b_, now_);
    }
    Stack& a() { return *a_; }
    Stack& b() { return *b_; }
    Instant now() const { return now_; }
    DroppingDevice* lossy_a() { return lossy_a_.get(); }

    // Delivers frames and fires timers, advancing virtual time only when nothing is in
    // flight, until pred() holds. Returns false if virtual time passes `limit` first.
    bool run_until(const std::function<bool()>& pred, Duration limit = std::chrono::seconds(120)) {
        const Instant end = now_ + limit;
        for (;;) {
            a_->poll(now_);
            b_->poll(now_);
            if (pred()) return true;
            if (dev_a_->queued() > 0 || dev_b_->queued() > 0) continue;
            std::optional<Instant> next;
            for (Stack* s : {a_.get(), b_.get()}) {
                if (auto d = s->next_deadline(); d && (!next || *d < *next)) next = d;
            }
            if (!next || *next > end) return false;
            now_ = std::max(now_, *next);
        }
    }
    void advance(Duration d) {
        const Instant end = now_ + d;
        run_until([&] { return false; }, d);
        now_ = end;
        a_->poll(now_);
        b_->poll(now_);
    }

private:
    Instant now_{std::chrono::seconds(1000)};
    std::unique_ptr<netdev::PairDevice> dev_a_, dev_b_;
    std::unique_ptr<DroppingDevice> lossy_a_;
    std::unique_ptr<ShufflingDevice> shuffle_a_, shuffle_b_;
    std::unique_ptr<OffloadingDevice> offload_a_, offload_b_;
    std::unique_ptr<Stack> a_, b_;
};

inline std::span<const std::byte> bytes_of(const std::vector<uint8_t>& v) {
    return {reinterpret_cast<const std::byte*>(v.data()), v.size()};
}

}  // namespace ustack::testing

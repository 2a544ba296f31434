// Two in-memory devices joined back to back, for tests: what one sends the other receives.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "netdev/device.h"

namespace ustack::netdev {

// Each direction is a bounded FIFO owned by the receiving side. A frame sent while the peer's
// queue is full is dropped and counted (tx_dropped on the sender), as a NIC drops on a full
// receive ring: send() still accepts it. Frames longer than mtu + 14 are dropped the same way,
// so a stack that builds oversized frames is caught in tests.
//
// Thread-safety: the two sides share one mutex around both queues and all counters, so side A
// and side B may be driven from different threads (two stacks in two threads). One side on
// its own is not thread-safe beyond that, like every Device.
class PairDevice final : public Device {
public:
    static constexpr size_t kDefaultQueueLimit = 256;

    static std::pair<std::unique_ptr<PairDevice>, std::unique_ptr<PairDevice>> create(
        size_t mtu = 1500, size_t queue_limit = kDefaultQueueLimit);

    ~PairDevice() override;

    int receive(std::span<RxSlot> slots) override;
    int send(std::span<const ConstBytes> frames) override;
    size_t mtu() const override { return mtu_; }
    std::optional<wire::MacAddr> hw_addr() const override { return std::nullopt; }
    // An eventfd that is readable exactly while this side has frames queued for receive().
    int wait_fd() const override;
    DeviceCounters counters() const override;
    std::string name() const override { return side_ == 0 ? "pair:a" : "pair:b"; }

    // Frames waiting for this side's receive().
    size_t queued() const;

    struct Link;  // the shared queues; defined in pair.cc

private:
    PairDevice(std::shared_ptr<Link> link, int side, size_t mtu);

    std::shared_ptr<Link> link_;
    int side_;  // 0 = a, 1 = b
    size_t mtu_;
};

}  // namespace ustack::netdev

// The netdev::Device each simulated host's stack runs on: send() puts frames on the host's
// outgoing link, receive() hands out the frames its incoming link has delivered by now.
#pragma once

#include <string>

#include "netdev/device.h"
#include "stack/core/time.h"
#include "stack/sim/link.h"

namespace ustack::sim {

class SimDevice final : public netdev::Device {
public:
    // now is the world's virtual clock; it must outlive the device.
    SimDevice(std::string name, const Instant& now, size_t mtu = 1500) : name_(std::move(name)), now_(now), mtu_(mtu) {}

    // The cable: frames sent go out on `out`, frames arriving come from `in`. Unattached, sent
    // frames are dropped (counted) and nothing arrives.
    void attach(Link* out, Link* in) {
        out_ = out;
        in_ = in;
    }

    int receive(std::span<netdev::RxSlot> slots) override;
    // Every frame is accepted; one longer than mtu + 14 is dropped and counted, as PairDevice
    // does, so a stack that builds oversized frames is caught.
    int send(std::span<const netdev::ConstBytes> frames) override;
    size_t mtu() const override { return mtu_; }
    std::optional<wire::MacAddr> hw_addr() const override { return std::nullopt; }
    int wait_fd() const override { return -1; }  // the simulator knows when frames arrive
    netdev::DeviceCounters counters() const override { return counters_; }
    std::string name() const override { return "sim:" + name_; }

private:
    std::string name_;
    const Instant& now_;
    size_t mtu_;
    Link* out_ = nullptr;
    Link* in_ = nullptr;
    netdev::DeviceCounters counters_;
};

}  // namespace ustack::sim

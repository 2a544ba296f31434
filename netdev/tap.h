// A Linux TAP interface: the kernel sees an Ethernet NIC, we hold the other end as an fd.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "netdev/device.h"

namespace ustack::netdev {

class TapDevice final : public Device {
public:
    struct Result {
        std::unique_ptr<TapDevice> device;
        std::string error;  // one line: cause and fix, prefixed with the spec
    };

    // "tap:NAME": attaches to TAP NAME (IFF_TAP | IFF_NO_PI, plus IFF_VNET_HDR when offloads
    // is true), creating it when we may, and brings it up when it is down and we may.
    static Result attach(const std::string& ifname, bool offloads = true);
    // "fd:N": takes ownership of an inherited fd already attached to a TAP without packet
    // info; makes it non-blocking and close-on-exec. Offloads are used when the fd was
    // attached with IFF_VNET_HDR (as `ustack run` does) and offloads is true.
    static Result adopt(int fd, bool offloads = true);

    ~TapDevice() override;
    TapDevice(const TapDevice&) = delete;
    TapDevice& operator=(const TapDevice&) = delete;

    int receive(std::span<RxSlot> slots) override;
    int send(std::span<const ConstBytes> frames) override;
    size_t mtu() const override { return mtu_; }
    std::optional<wire::MacAddr> hw_addr() const override { return std::nullopt; }
    int wait_fd() const override { return fd_; }
    Offloads offloads() const override;
    DeviceCounters counters() const override { return counters_; }
    std::string name() const override { return name_; }

    // The kernel's name for the interface (useful for fd:N).
    const std::string& ifname() const { return ifname_; }

private:
    TapDevice(int fd, std::string name, std::string ifname, size_t mtu, bool vnet_header, bool offloads);
    // One write(); the vnet header in front when there is one. -errno on failure.
    long write_frame(ConstBytes frame);

    int fd_;
    std::string name_;
    std::string ifname_;
    size_t mtu_;
    // Every frame, both ways, carries a virtio_net_hdr (IFF_VNET_HDR).
    bool vnet_header_;
    // The kernel takes partial checksums and TCP super-frames from us and hands us the same
    // (TUNSETOFFLOAD TUN_F_CSUM|TUN_F_TSO4). Only with vnet_header_.
    bool offloads_;
    DeviceCounters counters_;
    // Catches the tail of a frame longer than the slot it was read into, so that we can tell
    // it was too long (read() on a TAP silently truncates) and drop it.
    std::vector<std::byte> overflow_;
};

}  // namespace ustack::netdev

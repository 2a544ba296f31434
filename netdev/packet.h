// An existing Ethernet interface used through an AF_PACKET socket: we see its frames beside
// the kernel and send with its MAC (so no promiscuous mode is needed).
#pragma once

#include <array>
#include <memory>
#include <string>

#include "netdev/device.h"

namespace ustack::netdev {

class PacketDevice final : public Device {
public:
    struct Result {
        std::unique_ptr<PacketDevice> device;
        std::string error;  // one line: cause and fix, prefixed with the spec
    };

    // "packet:IFACE": a raw socket bound to IFACE for every EtherType, blind to our own sends.
    static Result open(const std::string& ifname);

    ~PacketDevice() override;
    PacketDevice(const PacketDevice&) = delete;
    PacketDevice& operator=(const PacketDevice&) = delete;

    // Sets checksum_partial for frames the kernel reports TP_STATUS_CSUMNOTREADY (a local veth
    // peer leaves checksums to an offload that never happens). Drops and counts (rx_dropped)
    // frames whose 802.1Q tag the kernel stripped: ustack speaks untagged Ethernet only.
    int receive(std::span<RxSlot> slots) override;
    int send(std::span<const ConstBytes> frames) override;
    size_t mtu() const override { return mtu_; }
    std::optional<wire::MacAddr> hw_addr() const override { return mac_; }
    int wait_fd() const override { return fd_; }
    DeviceCounters counters() const override { return counters_; }
    std::string name() const override { return "packet:" + ifname_; }

private:
    PacketDevice(int fd, std::string ifname, size_t mtu, wire::MacAddr mac);

    int fd_;
    std::string ifname_;
    size_t mtu_;
    wire::MacAddr mac_;
    DeviceCounters counters_;
};

}  // namespace ustack::netdev

// An existing Ethernet interface used through an AF_PACKET socket: we see its frames beside
// the kernel and send with its MAC (so no promiscuous mode is needed).
#pragma once

#include <array>
#include <memory>
#include <string>

#include "netdev/device.h"
#include "netdev/packet_rx_ring.h"

namespace ustack::netdev {

class PacketDevice final : public Device {
public:
    struct Result {
        std::unique_ptr<PacketDevice> device;
        std::string error;  // one line: cause and fix, prefixed with the spec
    };

    // "packet:IFACE": a raw socket bound to IFACE for every EtherType, blind to our own sends.
    // With offloads (USTACK_OFFLOADS=on, the default) every frame both ways carries a
    // virtio_net_hdr (PACKET_VNET_HDR), as on a TAP with IFF_VNET_HDR: we send TCP with partial
    // checksums and TSO super-frames of up to 64 KiB, and receive the veth peer's GSO frames
    // with what their header says. Without (or when the kernel refuses PACKET_VNET_HDR),
    // frames are plain and offloads() reports none.
    //
    // rx_ring maps a TPACKET_V3 receive ring (netdev/packet_rx_ring.h) instead of reading with
    // recvmmsg; when the kernel refuses it, one line on stderr says so and recvmmsg is used.
    // Off by default: the kernel wakes a V3 reader only when a block retires (full, or after
    // the retire timeout of at least 1 ms), so every lone frame waits up to 1 ms; measured
    // over a veth, TCP ping-pong p50 went from about 21 us to 1000 us. recvmmsg already takes
    // up to 32 frames per system call.
    static Result open(const std::string& ifname, bool offloads = true, bool rx_ring = false);

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
    Offloads offloads() const override;

private:
    PacketDevice(int fd, std::string ifname, size_t mtu, wire::MacAddr mac, bool vnet_header,
                 std::unique_ptr<PacketRxRing> ring);
    int receive_from_ring(std::span<RxSlot> slots);

    int fd_;
    std::string ifname_;
    size_t mtu_;
    wire::MacAddr mac_;
    // PACKET_VNET_HDR is on: a virtio_net_hdr leads every frame both ways, and the kernel
    // takes partial checksums and TCP super-frames from us (netdev/vnet_header.h).
    bool vnet_header_;
    // The TPACKET_V3 receive ring; null when the kernel would not map one (then recvmmsg).
    std::unique_ptr<PacketRxRing> ring_;
    DeviceCounters counters_;
};

}  // namespace ustack::netdev

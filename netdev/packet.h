// An existing Ethernet interface used through an AF_PACKET socket: we see its frames beside
// the kernel and send with its MAC (so no promiscuous mode is needed).
#pragma once

#include <array>
#include <memory>
#include <string>

#include "netdev/device.h"
#include "netdev/packet_frame_ring.h"
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
    // rings maps TPACKET_V2 rings (netdev/packet_frame_ring.h) for receiving, sending or both;
    // when the kernel refuses them, one line on stderr says so and recvmmsg/sendmmsg are used.
    // A receive slot is handed to us the moment the kernel fills it, so the ring costs no
    // latency; a frame longer than a slot (GRO/GSO, up to 64 KiB) comes through the socket
    // queue in ring order. Sends go out with one send() per batch; the kernel copies a frame
    // out of the ring again when it crosses into another namespace (the veth case), which made
    // TSO sends slower than sendmmsg, so the transmit ring is not the default.
    // block_ring receives through a TPACKET_V3 ring instead (netdev/packet_rx_ring.h; then no
    // transmit ring, which would need TPACKET_V2 on the same socket): the kernel wakes a V3
    // reader only when a block retires (full, or after the retire timeout of at least 1 ms),
    // so every lone frame waits up to 1 ms; measured over a veth, TCP ping-pong p50 went from
    // about 21 us to 1000 us.
    static Result open(const std::string& ifname, bool offloads = true, PacketRings rings = PacketRings::kRx,
                       bool block_ring = false);

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
    // The TPACKET_V2 rings actually mapped, and whether a TPACKET_V3 receive ring is.
    PacketRings rings() const;
    bool has_block_ring() const { return block_ring_ != nullptr; }

private:
    PacketDevice(int fd, std::string ifname, size_t mtu, wire::MacAddr mac, bool vnet_header,
                 std::unique_ptr<PacketRxRing> block_ring, std::unique_ptr<PacketFrameRing> frame_ring);
    // Each returns the number of slots filled (or frames accepted) or -errno; receive() and
    // send() count them.
    // recvmmsg, dequeuing at most limit frames from the socket.
    int receive_plain(std::span<RxSlot> slots, size_t limit);
    int receive_from_block_ring(std::span<RxSlot> slots);
    int receive_from_frame_ring(std::span<RxSlot> slots);
    // Fills slot with a frame read in a ring; false when the frame is dropped (and counted).
    bool take_ring_frame(uint32_t status, uint8_t pkttype, uint32_t len, ConstBytes bytes, ConstBytes lead,
                         RxSlot& slot);
    int send_plain(std::span<const ConstBytes> frames);
    int send_to_ring(std::span<const ConstBytes> frames);

    int fd_;
    std::string ifname_;
    size_t mtu_;
    wire::MacAddr mac_;
    // PACKET_VNET_HDR is on: a virtio_net_hdr leads every frame both ways, and the kernel
    // takes partial checksums and TCP super-frames from us (netdev/vnet_header.h).
    bool vnet_header_;
    // The TPACKET_V3 receive ring, when asked for and mapped.
    std::unique_ptr<PacketRxRing> block_ring_;
    // The TPACKET_V2 rings, when asked for and mapped; without one, recvmmsg and sendmmsg.
    std::unique_ptr<PacketFrameRing> frame_ring_;
    DeviceCounters counters_;
};

}  // namespace ustack::netdev

// The contract between the stack and whatever carries its frames: TAP, AF_PACKET, an
// in-memory pair for tests, or a decorator (pcap recording, fault injection) around one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "stack/wire/ethernet.h"

namespace ustack::netdev {

using ConstBytes = std::span<const std::byte>;

// What the device can do for us (TAP with IFF_VNET_HDR; see netdev/vnet_header.h).
struct Offloads {
    // Frames may arrive with transport checksums partial or already verified; such frames
    // have RxSlot::checksum_partial set. Frames may also be GRO-merged TCP segments of up to
    // 64 KiB (the stack's receive slots hold any IPv4 packet).
    bool rx_checksum = false;
    // The device completes TCP/IPv4 checksums, and the stack must leave every TCP/IPv4
    // checksum partial: the folded pseudo-header sum, not complemented (Linux's
    // CHECKSUM_PARTIAL). UDP and ICMP checksums stay complete.
    bool tx_checksum = false;
    // The device cuts a TCP/IPv4 frame longer than the MTU into segments of
    // MTU - IP header - TCP header payload bytes each, copying the headers (TSO). The stack
    // builds such frames (up to 64 KiB) only when its segment size fills the MTU exactly.
    bool tso4 = false;
};

// One receive buffer. The device writes a frame into buffer and sets len.
struct RxSlot {
    std::span<std::byte> buffer;
    size_t len = 0;
    // The frame's transport checksum was never filled in: the sender left it to offload
    // (AF_PACKET reports TP_STATUS_CSUMNOTREADY for frames from a local veth peer). The
    // stack treats the checksum as valid. receive() sets this for every slot it fills.
    bool checksum_partial = false;
};

// What a device has counted since it was opened. Decorators report their inner device's.
struct DeviceCounters {
    uint64_t rx_frames = 0;    // frames handed to the caller by receive()
    uint64_t tx_frames = 0;    // frames accepted by send()
    uint64_t rx_oversize = 0;  // frames longer than the slot offered: dropped
    uint64_t rx_dropped = 0;   // other frames dropped on receive (e.g. 802.1Q-tagged on AF_PACKET)
    uint64_t tx_dropped = 0;   // accepted by send() but lost (pair: the peer's queue was full)
};

// Every call is non-blocking; a caller that wants to wait polls wait_fd().
// Not thread-safe: the stack lock serialises every call.
class Device {
public:
    virtual ~Device() = default;

    // Fills up to slots.size() slots with waiting frames. Returns the number filled (0 when
    // nothing is waiting) or -errno. A frame longer than its slot is dropped and counted.
    virtual int receive(std::span<RxSlot> slots) = 0;

    // Sends the frames in order. Returns how many were accepted (the rest were not sent:
    // the device queue is full) or -errno.
    virtual int send(std::span<const ConstBytes> frames) = 0;

    // The largest IP packet a frame can carry (1500 on a default TAP or veth).
    virtual size_t mtu() const = 0;

    // The hardware address the stack should use by default: the interface's own for
    // AF_PACKET (so no promiscuous mode is needed); nullopt for TAP, whose kernel-side MAC
    // belongs to the kernel and not to us.
    virtual std::optional<wire::MacAddr> hw_addr() const = 0;

    // Readable when receive() may return frames. -1 when there is nothing to wait on.
    virtual int wait_fd() const = 0;

    virtual Offloads offloads() const { return {}; }

    virtual DeviceCounters counters() const { return {}; }

    // For logs and `ustack stat`: "tap:ustack0", "packet:veth1", "fd:3", "pair:a".
    virtual std::string name() const = 0;
};

// Opens the device a USTACK_DEVICE value names: "tap:NAME" (attach, creating it when
// permitted), "packet:IFACE" or "fd:N" (an inherited TAP fd). On failure, error holds one
// line naming the cause and the fix, e.g.
//   "USTACK_DEVICE=tap:foo: cannot open /dev/net/tun: Permission denied (run as root, or let `ustack run` open it and pass fd:N)".
struct OpenResult {
    std::unique_ptr<Device> device;
    std::string error;
};
// Which memory-mapped rings a packet:IFACE device uses (USTACK_PACKET_RING); the rest go
// through recvmmsg/sendmmsg. Other devices ignore it. The receive ring is the default: over a
// veth it was faster both ways and lowered ping-pong latency; the transmit ring was slower for
// TSO frames (README.md, AF_PACKET rings).
enum class PacketRings { kNone, kRx, kTx, kBoth };

// offloads false (USTACK_OFFLOADS=off) opens the device without checksum and segmentation
// offloads, so offloads() reports none.
OpenResult open_device(std::string_view spec, bool offloads = true, PacketRings rings = PacketRings::kRx);

}  // namespace ustack::netdev

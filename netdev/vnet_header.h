// The virtio_net_hdr that a TAP opened with IFF_VNET_HDR puts in front of every frame, both
// ways: on receive it says what the kernel left undone (a checksum left partial, a GRO-merged
// TCP frame), on send what we leave to the kernel (checksum, TCP segmentation). Pure functions
// over bytes, so they are tested and fuzzed without a TAP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ustack::netdev::vnet {

using ConstBytes = std::span<const std::byte>;

// sizeof(struct virtio_net_hdr): the legacy header, what TUNSETVNETHDRSZ is set to. Its
// 16-bit fields are in host byte order (we never ask for TUNSETVNETLE/BE).
inline constexpr size_t kHeaderLen = 10;

// Values from <linux/virtio_net.h>, which C++ cannot include (a member there is named
// `class`). They are kernel ABI and never change.
inline constexpr uint8_t kFlagNeedsCsum = 1;     // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr uint8_t kFlagDataValid = 2;     // VIRTIO_NET_HDR_F_DATA_VALID
inline constexpr uint8_t kGsoNone = 0;           // VIRTIO_NET_HDR_GSO_NONE
inline constexpr uint8_t kGsoTcpv4 = 1;          // VIRTIO_NET_HDR_GSO_TCPV4
inline constexpr uint8_t kGsoUdp = 3;            // VIRTIO_NET_HDR_GSO_UDP
inline constexpr uint8_t kGsoTcpv6 = 4;          // VIRTIO_NET_HDR_GSO_TCPV6
inline constexpr uint8_t kGsoEcn = 0x80;         // VIRTIO_NET_HDR_GSO_ECN

struct Header {
    uint8_t flags = 0;        // VIRTIO_NET_HDR_F_*
    uint8_t gso_type = 0;     // VIRTIO_NET_HDR_GSO_*
    uint16_t hdr_len = 0;     // Ethernet + IP + TCP header bytes, copied into every segment
    uint16_t gso_size = 0;    // payload bytes per segment
    uint16_t csum_start = 0;  // checksum the bytes from here to the end of the frame...
    uint16_t csum_offset = 0; // ...and store the result this far past csum_start

    friend bool operator==(const Header&, const Header&) = default;
};

Header read(std::span<const std::byte, kHeaderLen> in);
void write(const Header& h, std::span<std::byte, kHeaderLen> out);

// What a received frame's header tells the stack. nullopt: the header is malformed (an unknown
// segmentation type, or a checksum position outside the frame) and the frame is dropped.
struct Received {
    // The transport checksum need not (or cannot) be verified: the kernel left it partial
    // (VIRTIO_NET_HDR_F_NEEDS_CSUM, the sender was local) or already verified it
    // (VIRTIO_NET_HDR_F_DATA_VALID). Same meaning as RxSlot::checksum_partial.
    bool checksum_partial = false;
};
std::optional<Received> parse_received(const Header& h, size_t frame_len);

// The header to send frame with, on a device whose IP MTU is mtu, when the stack leaves every
// TCP/IPv4 checksum partial (the folded pseudo-header sum, as Linux's CHECKSUM_PARTIAL).
// TCP/IPv4 frames get NEEDS_CSUM; a TCP/IPv4 frame longer than the MTU also gets GSO_TCPV4 so
// the kernel cuts it into segments that fit (the stack only builds such frames when its
// segment size fills the MTU, see Offloads::tso4). Other frames get an empty header.
// nullopt: the frame is longer than the MTU and not TCP/IPv4 that can be segmented.
std::optional<Header> header_for_send(ConstBytes frame, size_t mtu);

}  // namespace ustack::netdev::vnet

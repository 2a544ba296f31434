#include "netdev/vnet_header.h"

#include <cstring>

namespace ustack::netdev::vnet {
namespace {

// struct virtio_net_hdr, host byte order.
struct RawHeader {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
};
static_assert(sizeof(RawHeader) == kHeaderLen);

constexpr size_t kEthernetLen = 14;
constexpr size_t kTcpChecksumOffset = 16;
constexpr size_t kMinIpv4Len = 20;
constexpr size_t kMinTcpLen = 20;

uint8_t byte_at(ConstBytes b, size_t i) { return static_cast<uint8_t>(b[i]); }

// Where a TCP/IPv4 frame's TCP header starts and how long it is; nullopt for anything else,
// including IP fragments (the kernel can neither checksum nor segment those for us).
struct TcpLayout {
    size_t tcp_start;
    size_t tcp_len;
};
std::optional<TcpLayout> tcp_layout(ConstBytes f) {
    if (f.size() < kEthernetLen + kMinIpv4Len) return std::nullopt;
    if (byte_at(f, 12) != 0x08 || byte_at(f, 13) != 0x00) return std::nullopt;  // not IPv4
    const uint8_t ver_ihl = byte_at(f, kEthernetLen);
    const size_t ihl = size_t{ver_ihl & 0x0fu} * 4;
    if ((ver_ihl >> 4) != 4 || ihl < kMinIpv4Len) return std::nullopt;
    if (byte_at(f, kEthernetLen + 9) != 6) return std::nullopt;  // not TCP
    const bool more_fragments = (byte_at(f, kEthernetLen + 6) & 0x20) != 0;
    const bool fragment_offset = ((byte_at(f, kEthernetLen + 6) & 0x1f) | byte_at(f, kEthernetLen + 7)) != 0;
    if (more_fragments || fragment_offset) return std::nullopt;
    const size_t tcp_start = kEthernetLen + ihl;
    if (f.size() < tcp_start + kMinTcpLen) return std::nullopt;
    const size_t tcp_len = size_t{byte_at(f, tcp_start + 12)} / 16 * 4;
    if (tcp_len < kMinTcpLen || f.size() < tcp_start + tcp_len) return std::nullopt;
    return TcpLayout{tcp_start, tcp_len};
}

}  // namespace

Header read(std::span<const std::byte, kHeaderLen> in) {
    RawHeader raw;
    std::memcpy(&raw, in.data(), kHeaderLen);
    return {raw.flags, raw.gso_type, raw.hdr_len, raw.gso_size, raw.csum_start, raw.csum_offset};
}

void write(const Header& h, std::span<std::byte, kHeaderLen> out) {
    RawHeader raw{h.flags, h.gso_type, h.hdr_len, h.gso_size, h.csum_start, h.csum_offset};
    std::memcpy(out.data(), &raw, kHeaderLen);
}

std::optional<Received> parse_received(const Header& h, size_t frame_len) {
    // We offered TUN_F_CSUM|TUN_F_TSO4 only, so the kernel merges nothing but TCP/IPv4; the
    // merged frame itself is whole and needs no work from us.
    const uint8_t gso = h.gso_type & static_cast<uint8_t>(~kGsoEcn);
    if (gso != kGsoNone && gso != kGsoTcpv4) return std::nullopt;
    Received r;
    if (h.flags & kFlagNeedsCsum) {
        // The checksum field (two bytes at csum_start + csum_offset) must lie inside the frame.
        if (size_t{h.csum_start} + h.csum_offset + 2 > frame_len) return std::nullopt;
        r.checksum_partial = true;
    }
    if (h.flags & kFlagDataValid) r.checksum_partial = true;
    return r;
}

std::optional<Header> header_for_send(ConstBytes frame, size_t mtu) {
    const bool oversize = frame.size() > kEthernetLen + mtu;
    const std::optional<TcpLayout> tcp = tcp_layout(frame);
    if (!tcp) {
        if (oversize) return std::nullopt;
        return Header{};
    }
    Header h;
    h.flags = kFlagNeedsCsum;
    h.csum_start = static_cast<uint16_t>(tcp->tcp_start);
    h.csum_offset = kTcpChecksumOffset;
    if (oversize) {
        const size_t headers = tcp->tcp_start + tcp->tcp_len;
        const size_t ip_and_tcp = headers - kEthernetLen;
        if (frame.size() == headers || mtu <= ip_and_tcp || frame.size() > kEthernetLen + 65535) return std::nullopt;
        h.gso_type = kGsoTcpv4;
        h.hdr_len = static_cast<uint16_t>(headers);
        h.gso_size = static_cast<uint16_t>(mtu - ip_and_tcp);
    }
    return h;
}

}  // namespace ustack::netdev::vnet

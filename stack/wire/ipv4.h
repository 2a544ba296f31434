// The IPv4 header (RFC 791).
#pragma once

#include <optional>

#include "stack/wire/bytes.h"
#include "stack/wire/ipv4_addr.h"

namespace ustack::wire {

namespace ipproto {
inline constexpr uint8_t kIcmp = 1;
inline constexpr uint8_t kTcp = 6;
inline constexpr uint8_t kUdp = 17;
}  // namespace ipproto

// An IPv4 packet inside a buffer we do not own. parse() accepts it when version is 4,
// IHL >= 5, and IHL*4 <= total length <= buffer length (Ethernet padding past the total
// length is allowed and excluded from payload()). The checksum is not verified by parse();
// call checksum_valid(), since receive paths count bad checksums separately.
class Ipv4View {
public:
    static constexpr size_t kMinHeaderLen = 20;
    static std::optional<Ipv4View> parse(ConstBytes packet);

    size_t header_len() const { return (load_u8(bytes_, 0) & 0x0f) * 4u; }
    uint8_t tos() const { return load_u8(bytes_, 1); }
    uint16_t total_len() const { return load_be16(bytes_, 2); }
    uint16_t ident() const { return load_be16(bytes_, 4); }
    bool dont_fragment() const { return (load_u8(bytes_, 6) & 0x40) != 0; }
    bool more_fragments() const { return (load_u8(bytes_, 6) & 0x20) != 0; }
    uint16_t fragment_offset_bytes() const { return static_cast<uint16_t>((load_be16(bytes_, 6) & 0x1fff) * 8u); }
    bool is_fragment() const { return more_fragments() || fragment_offset_bytes() != 0; }
    uint8_t ttl() const { return load_u8(bytes_, 8); }
    uint8_t protocol() const { return load_u8(bytes_, 9); }
    uint16_t checksum() const { return load_be16(bytes_, 10); }
    Ipv4Addr src() const { return Ipv4Addr::load(bytes_, 12); }
    Ipv4Addr dst() const { return Ipv4Addr::load(bytes_, 16); }
    ConstBytes header() const { return bytes_.first(header_len()); }
    ConstBytes options() const { return bytes_.subspan(kMinHeaderLen, header_len() - kMinHeaderLen); }
    ConstBytes payload() const { return bytes_.subspan(header_len(), total_len() - header_len()); }
    // The whole packet, trimmed to total_len().
    ConstBytes packet() const { return bytes_.first(total_len()); }
    bool checksum_valid() const;

private:
    explicit Ipv4View(ConstBytes b) : bytes_(b) {}
    ConstBytes bytes_;
};

// The header the stack emits: always 20 bytes, no options.
struct Ipv4Repr {
    static constexpr size_t kHeaderLen = 20;
    Ipv4Addr src;
    Ipv4Addr dst;
    uint8_t protocol = 0;
    uint16_t payload_len = 0;
    uint8_t ttl = 64;
    uint8_t tos = 0;
    uint16_t ident = 0;
    bool dont_fragment = true;

    static Ipv4Repr from(const Ipv4View& v);
    // Writes kHeaderLen bytes including a correct header checksum.
    void emit(MutableBytes out) const;

    friend bool operator==(const Ipv4Repr&, const Ipv4Repr&) = default;
};

}  // namespace ustack::wire

// ICMP for IPv4 (RFC 792): echo, destination unreachable, time exceeded.
#pragma once

#include <optional>

#include "stack/wire/bytes.h"

namespace ustack::wire {

namespace icmptype {
inline constexpr uint8_t kEchoReply = 0;
inline constexpr uint8_t kDestUnreachable = 3;
inline constexpr uint8_t kEchoRequest = 8;
inline constexpr uint8_t kTimeExceeded = 11;
}  // namespace icmptype

namespace icmpcode {  // for kDestUnreachable
inline constexpr uint8_t kNetUnreachable = 0;
inline constexpr uint8_t kHostUnreachable = 1;
inline constexpr uint8_t kProtocolUnreachable = 2;
inline constexpr uint8_t kPortUnreachable = 3;
inline constexpr uint8_t kFragmentationNeeded = 4;  // RFC 1191: next-hop MTU in bytes 6-7
inline constexpr uint8_t kFragmentReassemblyTimeExceeded = 1;  // for kTimeExceeded
}  // namespace icmpcode

// An ICMP message inside a buffer we do not own (at least the 8-byte header).
class IcmpView {
public:
    static constexpr size_t kHeaderLen = 8;
    static std::optional<IcmpView> parse(ConstBytes message);

    uint8_t type() const { return load_u8(bytes_, 0); }
    uint8_t code() const { return load_u8(bytes_, 1); }
    uint16_t checksum() const { return load_be16(bytes_, 2); }
    uint32_t rest_of_header() const { return load_be32(bytes_, 4); }
    uint16_t echo_ident() const { return load_be16(bytes_, 4); }
    uint16_t echo_seq() const { return load_be16(bytes_, 6); }
    uint16_t next_hop_mtu() const { return load_be16(bytes_, 6); }
    ConstBytes payload() const { return bytes_.subspan(kHeaderLen); }
    bool checksum_valid() const;

private:
    explicit IcmpView(ConstBytes b) : bytes_(b) {}
    ConstBytes bytes_;
};

struct IcmpRepr {
    static constexpr size_t kHeaderLen = 8;
    uint8_t type = 0;
    uint8_t code = 0;
    uint32_t rest_of_header = 0;  // echo: ident<<16 | seq; frag needed: next-hop MTU
    ConstBytes payload;           // echo data, or the offending IP header + 8 bytes

    size_t len() const { return kHeaderLen + payload.size(); }
    // Writes len() bytes (header, then a copy of payload) with a correct checksum.
    void emit(MutableBytes out) const;
};

}  // namespace ustack::wire

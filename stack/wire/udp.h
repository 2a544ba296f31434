// UDP (RFC 768).
#pragma once

#include <optional>

#include "stack/wire/bytes.h"
#include "stack/wire/ipv4_addr.h"

namespace ustack::wire {

// A datagram inside a buffer we do not own. parse() requires 8 <= length field <= buffer
// size; payload() is trimmed to the length field.
class UdpView {
public:
    static constexpr size_t kHeaderLen = 8;
    static std::optional<UdpView> parse(ConstBytes datagram);

    uint16_t src_port() const { return load_be16(bytes_, 0); }
    uint16_t dst_port() const { return load_be16(bytes_, 2); }
    uint16_t length() const { return load_be16(bytes_, 4); }
    uint16_t checksum() const { return load_be16(bytes_, 6); }
    ConstBytes payload() const { return bytes_.subspan(kHeaderLen, length() - kHeaderLen); }
    // A zero checksum means the sender computed none (RFC 768) and is valid.
    bool checksum_valid(Ipv4Addr src, Ipv4Addr dst) const;

private:
    explicit UdpView(ConstBytes b) : bytes_(b) {}
    ConstBytes bytes_;
};

struct UdpRepr {
    static constexpr size_t kHeaderLen = 8;
    uint16_t src_port = 0;
    uint16_t dst_port = 0;

    // The payload is already in out[kHeaderLen, kHeaderLen + payload_len): the application's
    // bytes are copied once, straight into the frame. Writes the header and the checksum
    // (a computed 0 is sent as 0xffff, RFC 768).
    void emit(MutableBytes out, Ipv4Addr src, Ipv4Addr dst, size_t payload_len) const;
};

}  // namespace ustack::wire

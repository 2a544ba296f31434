// Ethernet II framing (IEEE 802.3 with EtherType; no 802.1Q for now).
#pragma once

#include <array>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "stack/wire/bytes.h"

namespace ustack::wire {

struct MacAddr {
    std::array<uint8_t, 6> octets{};

    static constexpr MacAddr broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    // "aa:bb:cc:dd:ee:ff" (hex, either case); anything else is nullopt.
    static std::optional<MacAddr> parse(std::string_view text);
    static MacAddr load(ConstBytes b, size_t off);
    void store(MutableBytes b, size_t off) const;

    bool is_broadcast() const { return *this == broadcast(); }
    bool is_multicast() const { return (octets[0] & 1) != 0; }
    bool is_zero() const { return *this == MacAddr{}; }
    std::string to_string() const;

    friend constexpr auto operator<=>(const MacAddr&, const MacAddr&) = default;
};

namespace ethertype {
inline constexpr uint16_t kIpv4 = 0x0800;
inline constexpr uint16_t kArp = 0x0806;
inline constexpr uint16_t kIpv6 = 0x86dd;
}  // namespace ethertype

// A frame inside a buffer we do not own. parse() checks the length once; accessors never
// read out of bounds.
class EthernetView {
public:
    static constexpr size_t kHeaderLen = 14;
    static std::optional<EthernetView> parse(ConstBytes frame);

    MacAddr dst() const { return MacAddr::load(bytes_, 0); }
    MacAddr src() const { return MacAddr::load(bytes_, 6); }
    uint16_t ethertype() const { return load_be16(bytes_, 12); }
    ConstBytes payload() const { return bytes_.subspan(kHeaderLen); }

private:
    explicit EthernetView(ConstBytes b) : bytes_(b) {}
    ConstBytes bytes_;
};

struct EthernetRepr {
    static constexpr size_t kHeaderLen = 14;
    MacAddr dst;
    MacAddr src;
    uint16_t ethertype = 0;

    static EthernetRepr from(const EthernetView& v) { return {v.dst(), v.src(), v.ethertype()}; }
    // Writes exactly kHeaderLen bytes; out.size() must be at least that.
    void emit(MutableBytes out) const;

    friend bool operator==(const EthernetRepr&, const EthernetRepr&) = default;
};

}  // namespace ustack::wire

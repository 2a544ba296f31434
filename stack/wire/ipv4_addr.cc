// Strict textual IPv4 forms: configuration errors should be reported, never guessed at.
#include "stack/wire/ipv4_addr.h"

#include <arpa/inet.h>

namespace ustack::wire {
namespace {

// A decimal number of 1..max_digits digits, no sign and no leading zero (inet_pton also
// refuses "010", which inet_aton would read as octal).
std::optional<uint32_t> parse_decimal(std::string_view text, size_t max_digits) {
    if (text.empty() || text.size() > max_digits) return std::nullopt;
    if (text.size() > 1 && text[0] == '0') return std::nullopt;
    uint32_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint32_t>(c - '0');
    }
    return v;
}

}  // namespace

std::optional<Ipv4Addr> Ipv4Addr::parse(std::string_view text) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
        size_t dot = text.find('.');
        if ((i < 3) != (dot != std::string_view::npos)) return std::nullopt;
        auto octet = parse_decimal(text.substr(0, dot), 3);
        if (!octet || *octet > 255) return std::nullopt;
        value = (value << 8) | *octet;
        text = (dot == std::string_view::npos) ? std::string_view{} : text.substr(dot + 1);
    }
    return Ipv4Addr{value};
}

uint32_t Ipv4Addr::to_network() const { return htonl(value); }
Ipv4Addr Ipv4Addr::from_network(uint32_t be) { return {ntohl(be)}; }

std::string Ipv4Addr::to_string() const {
    std::string s;
    for (int shift = 24; shift >= 0; shift -= 8) {
        s += std::to_string((value >> shift) & 0xff);
        if (shift) s += '.';
    }
    return s;
}

std::optional<Ipv4Cidr> Ipv4Cidr::parse(std::string_view text) {
    size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto addr = Ipv4Addr::parse(text.substr(0, slash));
    auto len = parse_decimal(text.substr(slash + 1), 2);
    if (!addr || !len || *len > 32) return std::nullopt;
    return Ipv4Cidr{*addr, static_cast<uint8_t>(*len)};
}

Ipv4Addr Ipv4Cidr::netmask() const {
    // Shifting a 32-bit value by 32 is undefined, so /0 is its own case.
    return {prefix_len == 0 ? 0u : ~uint32_t{0} << (32 - prefix_len)};
}
Ipv4Addr Ipv4Cidr::network() const { return {address.value & netmask().value}; }
Ipv4Addr Ipv4Cidr::subnet_broadcast() const { return {network().value | ~netmask().value}; }
bool Ipv4Cidr::contains(Ipv4Addr a) const { return (a.value & netmask().value) == network().value; }
std::string Ipv4Cidr::to_string() const { return address.to_string() + "/" + std::to_string(prefix_len); }

}  // namespace ustack::wire

// IPv4 addresses and CIDR prefixes.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stack/wire/bytes.h"

namespace ustack::wire {

// An IPv4 address held in host byte order, so that comparisons and masks read naturally.
struct Ipv4Addr {
    uint32_t value = 0;

    static constexpr Ipv4Addr any() { return {0}; }
    static constexpr Ipv4Addr broadcast() { return {0xffffffffu}; }
    static constexpr Ipv4Addr from_octets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
        return {(uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d};
    }
    // Dotted quad only ("10.0.0.1"); anything else is nullopt.
    static std::optional<Ipv4Addr> parse(std::string_view text);
    static Ipv4Addr load(ConstBytes b, size_t off) { return {load_be32(b, off)}; }
    void store(MutableBytes b, size_t off) const { store_be32(b, off, value); }

    // Network byte order, as in sockaddr_in::sin_addr.s_addr.
    uint32_t to_network() const;
    static Ipv4Addr from_network(uint32_t be);

    bool is_unspecified() const { return value == 0; }
    bool is_broadcast() const { return value == 0xffffffffu; }
    bool is_multicast() const { return (value >> 28) == 0xe; }
    bool is_loopback() const { return (value >> 24) == 127; }
    std::string to_string() const;

    friend constexpr auto operator<=>(Ipv4Addr, Ipv4Addr) = default;
};

// An address with a prefix length, as in USTACK_ADDRESS ("10.77.0.2/24").
struct Ipv4Cidr {
    Ipv4Addr address;
    uint8_t prefix_len = 32;

    // "A.B.C.D/N" with 0 <= N <= 32; anything else is nullopt.
    static std::optional<Ipv4Cidr> parse(std::string_view text);
    Ipv4Addr netmask() const;
    Ipv4Addr network() const;
    Ipv4Addr subnet_broadcast() const;
    bool contains(Ipv4Addr a) const;
    std::string to_string() const;

    friend constexpr bool operator==(const Ipv4Cidr&, const Ipv4Cidr&) = default;
};

}  // namespace ustack::wire

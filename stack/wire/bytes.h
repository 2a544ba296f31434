// Byte-span vocabulary and big-endian field access shared by every wire type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ustack::wire {

using ConstBytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

inline ConstBytes as_bytes(const void* data, size_t len) {
    return {static_cast<const std::byte*>(data), len};
}
inline MutableBytes as_writable_bytes(void* data, size_t len) {
    return {static_cast<std::byte*>(data), len};
}

// Callers check bounds first (views do it once at parse time); these do no checking.
inline uint8_t load_u8(ConstBytes b, size_t off) { return static_cast<uint8_t>(b[off]); }
inline uint16_t load_be16(ConstBytes b, size_t off) {
    return static_cast<uint16_t>((load_u8(b, off) << 8) | load_u8(b, off + 1));
}
inline uint32_t load_be32(ConstBytes b, size_t off) {
    return (uint32_t{load_u8(b, off)} << 24) | (uint32_t{load_u8(b, off + 1)} << 16) |
           (uint32_t{load_u8(b, off + 2)} << 8) | uint32_t{load_u8(b, off + 3)};
}
inline void store_u8(MutableBytes b, size_t off, uint8_t v) { b[off] = std::byte{v}; }
inline void store_be16(MutableBytes b, size_t off, uint16_t v) {
    b[off] = std::byte(v >> 8);
    b[off + 1] = std::byte(v & 0xff);
}
inline void store_be32(MutableBytes b, size_t off, uint32_t v) {
    b[off] = std::byte(v >> 24);
    b[off + 1] = std::byte((v >> 16) & 0xff);
    b[off + 2] = std::byte((v >> 8) & 0xff);
    b[off + 3] = std::byte(v & 0xff);
}

}  // namespace ustack::wire

// RFC 1071 Internet checksum. The sum is taken over native-endian words and swapped to
// network order once at the end (RFC 1071 2(B): the one's-complement sum is independent of
// byte order), so the inner loop is plain 64-bit adds with end-around carry.
#include "stack/wire/checksum.h"

#include <bit>
#include <cstring>

namespace ustack::wire {
namespace {

// Adds with end-around carry; 2^64 == 1 (mod 2^16 - 1), so this keeps the one's-complement sum.
inline uint64_t add_carry(uint64_t acc, uint64_t v) {
    acc += v;
    return acc + (acc < v ? 1 : 0);
}

inline uint64_t load_native64(const std::byte* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Folds to 16 bits. A non-zero input never folds to zero, which keeps +0/-0 the way
// a true one's-complement adder would.
inline uint32_t fold16(uint64_t acc) {
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<uint32_t>(acc);
}

}  // namespace

uint32_t checksum_accumulate(uint32_t sum, ConstBytes data) {
    const std::byte* p = data.data();
    size_t n = data.size();
    uint64_t acc = 0;

    while (n >= 32) {
        acc = add_carry(acc, load_native64(p));
        acc = add_carry(acc, load_native64(p + 8));
        acc = add_carry(acc, load_native64(p + 16));
        acc = add_carry(acc, load_native64(p + 24));
        p += 32;
        n -= 32;
    }
    while (n >= 8) {
        acc = add_carry(acc, load_native64(p));
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        // Tail of 1..7 bytes, zero-padded: an odd final byte is the high half of a word
        // in network order (RFC 1071 4.1), which memcpy into a zeroed word gives us.
        uint64_t tail = 0;
        std::memcpy(&tail, p, n);
        acc = add_carry(acc, tail);
    }

    uint32_t folded = fold16(acc);
    if constexpr (std::endian::native == std::endian::little) {
        folded = ((folded & 0xff) << 8) | (folded >> 8);
    }
    return fold16(uint64_t{sum} + folded);
}

uint16_t checksum_finish(uint32_t sum) {
    return static_cast<uint16_t>(~fold16(sum) & 0xffff);
}

uint16_t internet_checksum(ConstBytes data) {
    return checksum_finish(checksum_accumulate(0, data));
}

uint32_t pseudo_header_sum(Ipv4Addr src, Ipv4Addr dst, uint8_t protocol, uint16_t length) {
    uint64_t acc = (src.value >> 16) + (src.value & 0xffff) + (dst.value >> 16) +
                   (dst.value & 0xffff) + protocol + length;
    return fold16(acc);
}

}  // namespace ustack::wire

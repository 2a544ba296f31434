// The Internet checksum (RFC 1071) and the TCP/UDP pseudo-header (RFC 9293 3.1, RFC 768).
#pragma once

#include "stack/wire/bytes.h"
#include "stack/wire/ipv4_addr.h"

namespace ustack::wire {

// Adds data to a running 32-bit one's-complement accumulator. Only the last chunk of a
// chained sum may have odd length (RFC 1071 pads it with a zero byte).
uint32_t checksum_accumulate(uint32_t sum, ConstBytes data);

// Folds the accumulator to 16 bits and complements it: the value to put in a header.
uint16_t checksum_finish(uint32_t sum);

// checksum_finish(checksum_accumulate(0, data)). Over a header that already holds a correct
// checksum the result is 0, which is how receivers verify.
uint16_t internet_checksum(ConstBytes data);

// The accumulator for the IPv4 pseudo-header: src, dst, zero, protocol, upper-layer length.
uint32_t pseudo_header_sum(Ipv4Addr src, Ipv4Addr dst, uint8_t protocol, uint16_t length);

}  // namespace ustack::wire

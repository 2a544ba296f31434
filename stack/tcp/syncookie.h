// SYN cookies: when a listener's SYN queue is full, the SYN-ACK's sequence number carries what
// the connection needs (a keyed hash of the 4-tuple and the peer's ISN, a coarse clock and the
// MSS as an index into a small table), so the listener keeps no state until the final ACK
// proves the peer received it (ACK - 1 is the cookie). As Linux does with tcp_syncookies=1.
// Window scale and SACK-permitted ride in the low bits of our SYN-ACK's TSval and come back in
// the ACK's TSecr; without timestamps they are lost, as in Linux.
// Pure functions only; the listener (listen.cc) does the sending and the accepting.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "stack/core/time.h"

namespace ustack::tcp::syncookie {

// The key of the keyed hash (SipHash-2-4), drawn from the stack's Rng on first use.
struct Key {
    uint64_t k0 = 0;
    uint64_t k1 = 0;
};

// The connection as the listener sees it (addresses in host order).
struct Flow {
    uint32_t local_addr = 0;
    uint32_t remote_addr = 0;
    uint16_t local_port = 0;
    uint16_t remote_port = 0;
};

// The MSS values a cookie can carry (2 bits), the most common ones on the Internet; the peer's
// MSS is rounded down to one of them (Linux's msstab has the same four).
inline constexpr uint16_t kMssTable[] = {536, 1300, 1440, 1460};
inline constexpr Duration kTick = std::chrono::seconds(64);
// A cookie is good for the tick it was made in and the next one: 64 to 128 s.
inline constexpr uint32_t kMaxAge = 2;

uint64_t siphash24(const Key& key, const uint64_t* words, int n);

// The clock a cookie records: kTick units.
uint32_t tick_at(Instant now);
// The largest table entry not above mss (the first one when mss is below them all).
uint8_t mss_index(uint16_t mss);

// Our ISN for the SYN-ACK.
uint32_t make(const Key& key, const Flow& flow, uint32_t peer_isn, uint32_t tick, uint8_t mss_index);
// The MSS the cookie carries, or nullopt if it is forged, for another flow, or too old.
std::optional<uint16_t> check(const Key& key, const Flow& flow, uint32_t peer_isn, uint32_t cookie, uint32_t tick);

// The options of the SYN that a cookie connection must remember.
struct SynOptions {
    std::optional<uint8_t> wscale;  // the peer's shift; nullopt: no window scaling
    bool sack_ok = false;
};
// Our SYN-ACK's TSval: the clock with its low 6 bits replaced by the options, never ahead of it.
uint32_t encode_ts(uint32_t ts_now, const SynOptions& o);
// The options from the TSecr of the final ACK; nullopt if the bits cannot be ours.
std::optional<SynOptions> decode_ts(uint32_t tsecr);
// Per-flow timestamp offset (RFC 7323 5.4), recomputable from the flow when the ACK comes.
uint32_t ts_offset(const Key& key, const Flow& flow);

}  // namespace ustack::tcp::syncookie

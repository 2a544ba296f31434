#include "stack/tcp/syncookie.h"

#include <algorithm>
#include <bit>
#include <iterator>

namespace ustack::tcp::syncookie {

namespace {

constexpr uint32_t kTickBits = 8;                  // the tick lives in the top 8 bits
constexpr uint32_t kDataBits = 32 - kTickBits;
constexpr uint32_t kDataMask = (1u << kDataBits) - 1;
constexpr uint32_t kTsOptionBits = 0x3f;           // TSval bits given to the options
constexpr uint32_t kNoWscale = 0xf;
constexpr uint32_t kSackBit = 1u << 4;

void sip_round(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
    v0 += v1; v1 = std::rotl(v1, 13); v1 ^= v0; v0 = std::rotl(v0, 32);
    v2 += v3; v3 = std::rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = std::rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = std::rotl(v1, 17); v1 ^= v2; v2 = std::rotl(v2, 32);
}

uint64_t flow_word(const Flow& f) { return (uint64_t{f.local_port} << 16) | f.remote_port; }
uint64_t addr_word(const Flow& f) { return (uint64_t{f.local_addr} << 32) | f.remote_addr; }

// Two independent hashes of the flow, told apart by the last word: one fixed per flow, one
// that also changes with the tick (so an old cookie does not turn valid when the tick wraps).
uint32_t flow_hash(const Key& k, const Flow& f, uint32_t peer_isn) {
    const uint64_t w[] = {addr_word(f), flow_word(f) | (uint64_t{peer_isn} << 32), 0};
    return static_cast<uint32_t>(siphash24(k, w, 3));
}
uint32_t tick_hash(const Key& k, const Flow& f, uint32_t peer_isn, uint32_t tick) {
    const uint64_t w[] = {addr_word(f), flow_word(f) | (uint64_t{peer_isn} << 32), 1 | (uint64_t{tick} << 8)};
    return static_cast<uint32_t>(siphash24(k, w, 3));
}

}  // namespace

// SipHash-2-4 (Aumasson and Bernstein, 2012) over whole 64-bit words.
uint64_t siphash24(const Key& key, const uint64_t* words, int n) {
    uint64_t v0 = key.k0 ^ 0x736f6d6570736575ull;
    uint64_t v1 = key.k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = key.k0 ^ 0x6c7967656e657261ull;
    uint64_t v3 = key.k1 ^ 0x7465646279746573ull;
    for (int i = 0; i < n; ++i) {
        v3 ^= words[i];
        sip_round(v0, v1, v2, v3);
        sip_round(v0, v1, v2, v3);
        v0 ^= words[i];
    }
    const uint64_t last = static_cast<uint64_t>(n * 8) << 56;  // the length byte, no tail bytes
    v3 ^= last;
    sip_round(v0, v1, v2, v3);
    sip_round(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    for (int i = 0; i < 4; ++i) sip_round(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t tick_at(Instant now) { return static_cast<uint32_t>(now / kTick); }

uint8_t mss_index(uint16_t mss) {
    uint8_t i = 0;
    while (size_t{i} + 1 < std::size(kMssTable) && kMssTable[i + 1] <= mss) ++i;
    return i;
}

// cookie = H1(flow, isn) + (tick << 24) + ((H2(flow, isn, tick) + mss_index) mod 2^24):
// the receiver subtracts H1, reads the tick from the top byte, then H2 of that tick leaves
// the index, which must be a valid one (so a guess succeeds about once in 4 million).
uint32_t make(const Key& key, const Flow& flow, uint32_t peer_isn, uint32_t tick, uint8_t mss_index) {
    return flow_hash(key, flow, peer_isn) + (tick << kDataBits) +
           ((tick_hash(key, flow, peer_isn, tick) + mss_index) & kDataMask);
}

std::optional<uint16_t> check(const Key& key, const Flow& flow, uint32_t peer_isn, uint32_t cookie, uint32_t tick) {
    const uint32_t rest = cookie - flow_hash(key, flow, peer_isn);
    const uint32_t age = (tick - (rest >> kDataBits)) & ((1u << kTickBits) - 1);
    if (age >= kMaxAge) return std::nullopt;
    const uint32_t made = tick - age;
    const uint32_t index = (rest - tick_hash(key, flow, peer_isn, made)) & kDataMask;
    if (index >= std::size(kMssTable)) return std::nullopt;
    return kMssTable[index];
}

uint32_t encode_ts(uint32_t ts_now, const SynOptions& o) {
    uint32_t bits = o.wscale ? std::min<uint32_t>(*o.wscale, 14) : kNoWscale;
    if (o.sack_ok) bits |= kSackBit;
    uint32_t ts = (ts_now & ~kTsOptionBits) | bits;
    // Never stamp a time ahead of our clock: the peer's RTT from it would come out negative.
    if (static_cast<int32_t>(ts - ts_now) > 0) ts -= kTsOptionBits + 1;
    return ts;
}

std::optional<SynOptions> decode_ts(uint32_t tsecr) {
    const uint32_t bits = tsecr & kTsOptionBits;
    if (bits & ~(kSackBit | kNoWscale)) return std::nullopt;  // bit 5 (Linux's ECN) is never ours
    SynOptions o;
    o.sack_ok = bits & kSackBit;
    const uint32_t wscale = bits & kNoWscale;
    if (wscale == kNoWscale) return o;
    o.wscale = static_cast<uint8_t>(wscale);
    return o;
}

uint32_t ts_offset(const Key& key, const Flow& flow) {
    const uint64_t w[] = {addr_word(flow), flow_word(flow), 2};
    return static_cast<uint32_t>(siphash24(key, w, 3) >> 32);
}

}  // namespace ustack::tcp::syncookie

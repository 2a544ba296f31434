#include "stack/tcp/syncookie.h"

#include <gtest/gtest.h>

namespace ustack::tcp::syncookie {
namespace {

const Key kKey{0x0123456789abcdefull, 0xfedcba9876543210ull};
const Flow kFlow{0x0a000002, 0x0a000001, 8080, 40000};
constexpr uint32_t kPeerIsn = 1'000'000;

TEST(SipHash, MatchesTheReferenceVectors) {
    // The paper's test key 00 01 .. 0f and messages 00 01 .. (n-1), read as little-endian words.
    const Key k{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    EXPECT_EQ(siphash24(k, nullptr, 0), 0x726fdb47dd0e0e31ull);
    const uint64_t m[] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    EXPECT_EQ(siphash24(k, m, 1), 0x93f5f5799a932462ull);
    EXPECT_EQ(siphash24(k, m, 2), 0x3f2acc7f57c29bdbull);
}

TEST(SynCookie, MssRoundsDownToTheTable) {
    EXPECT_EQ(mss_index(1460), 3);
    EXPECT_EQ(mss_index(9000), 3);
    EXPECT_EQ(mss_index(1448), 2);
    EXPECT_EQ(mss_index(1400), 1);
    EXPECT_EQ(mss_index(1299), 0);
    EXPECT_EQ(mss_index(100), 0);  // below the table: the smallest entry, as Linux
}

TEST(SynCookie, RoundTripsEveryMssIndex) {
    for (uint8_t i = 0; i < 4; ++i) {
        const uint32_t c = make(kKey, kFlow, kPeerIsn, 500, i);
        EXPECT_EQ(check(kKey, kFlow, kPeerIsn, c, 500), kMssTable[i]);
    }
}

TEST(SynCookie, GoodForTheNextTickButNotLonger) {
    const uint32_t c = make(kKey, kFlow, kPeerIsn, 500, 3);
    EXPECT_EQ(check(kKey, kFlow, kPeerIsn, c, 501), 1460);
    EXPECT_FALSE(check(kKey, kFlow, kPeerIsn, c, 502));
    EXPECT_FALSE(check(kKey, kFlow, kPeerIsn, c, 499));  // from the future
}

TEST(SynCookie, SurvivesTheTickCounterWrapping) {
    const uint32_t c = make(kKey, kFlow, kPeerIsn, 255, 2);
    EXPECT_EQ(check(kKey, kFlow, kPeerIsn, c, 256), 1440);
    EXPECT_FALSE(check(kKey, kFlow, kPeerIsn, c, 255 + 256));  // a whole lap later
}

TEST(SynCookie, BoundToFlowPeerIsnAndKey) {
    const uint32_t c = make(kKey, kFlow, kPeerIsn, 500, 3);
    Flow other_port = kFlow;
    other_port.remote_port = 40001;
    Flow other_addr = kFlow;
    other_addr.remote_addr = 0x0a000003;
    EXPECT_FALSE(check(kKey, other_port, kPeerIsn, c, 500));
    EXPECT_FALSE(check(kKey, other_addr, kPeerIsn, c, 500));
    EXPECT_FALSE(check(kKey, kFlow, kPeerIsn + 1, c, 500));
    EXPECT_FALSE(check(Key{kKey.k0, kKey.k1 + 1}, kFlow, kPeerIsn, c, 500));
}

TEST(SynCookie, GuessedCookiesAlmostNeverPass) {
    // Only 4 of the 2^24 values below the tick byte are valid for a tick: nearby numbers fail.
    const uint32_t c = make(kKey, kFlow, kPeerIsn, 500, 0);
    int passed = 0;
    for (uint32_t d = 1; d <= 100'000; ++d) passed += check(kKey, kFlow, kPeerIsn, c + d, 500).has_value();
    EXPECT_LE(passed, 3);  // at most the three higher MSS indices right above it
}

TEST(SynCookieTimestamp, CarriesWindowScaleAndSack) {
    const uint32_t now = 0x12345678;
    const uint32_t ts = encode_ts(now, {.wscale = 7, .sack_ok = true});
    EXPECT_LE(now - ts, 127u);  // never ahead of the clock, at most two option fields behind
    auto o = decode_ts(ts);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->wscale, 7);
    EXPECT_TRUE(o->sack_ok);
}

TEST(SynCookieTimestamp, NoWindowScaleIsKeptAsNone) {
    auto o = decode_ts(encode_ts(1000, {.wscale = std::nullopt, .sack_ok = false}));
    ASSERT_TRUE(o);
    EXPECT_FALSE(o->wscale);
    EXPECT_FALSE(o->sack_ok);
}

TEST(SynCookieTimestamp, NeverAheadOfTheClock) {
    // The clock's low bits are below the options': the stamp steps back one option period.
    const uint32_t now = 0x1000;  // low 6 bits 0
    const uint32_t ts = encode_ts(now, {.wscale = 14, .sack_ok = true});
    EXPECT_LE(static_cast<int32_t>(ts - now), 0);
    EXPECT_EQ(decode_ts(ts)->wscale, 14);
}

TEST(SynCookieTimestamp, BitsWeNeverSetAreRejected) {
    EXPECT_FALSE(decode_ts(0x20));  // bit 5
}

}  // namespace
}  // namespace ustack::tcp::syncookie

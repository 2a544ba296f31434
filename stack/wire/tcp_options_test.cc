#include "stack/wire/tcp.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace ustack::wire {
namespace {

std::vector<std::byte> bytes(std::initializer_list<uint8_t> l) {
    std::vector<std::byte> v;
    for (uint8_t b : l) v.push_back(std::byte{b});
    return v;
}

std::vector<std::byte> emit(const TcpOptions& o) {
    std::vector<std::byte> out(o.emitted_len());
    o.emit(out);
    return out;
}

TcpOptions with_sack_blocks(TcpOptions o, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        o.sack_blocks[i] = {SeqNum(1000 * uint32_t(i + 1)), SeqNum(1000 * uint32_t(i + 1) + 500)};
    }
    o.sack_count = static_cast<uint8_t>(n);
    return o;
}

// --- parse ---

TEST(TcpOptionsParse, EmptyAreaHasNoOptions) {
    auto o = TcpOptions::parse({});
    ASSERT_TRUE(o);
    EXPECT_EQ(*o, TcpOptions{});
}

TEST(TcpOptionsParse, EndOfListStopsParsing) {
    // RFC 9293 3.2: whatever follows EOL is padding, even if it looks malformed.
    auto o = TcpOptions::parse(bytes({2, 4, 0x05, 0xb4, 0, 2, 0, 0xff}));
    ASSERT_TRUE(o);
    EXPECT_EQ(o->mss, 1460);
}

TEST(TcpOptionsParse, NopsAreSkipped) {
    auto o = TcpOptions::parse(bytes({1, 1, 1, 3, 3, 7}));
    ASSERT_TRUE(o);
    EXPECT_EQ(o->window_scale, 7);
}

TEST(TcpOptionsParse, UnknownKindsAreSkippedByTheirLength) {
    // TFO cookie (34), an experimental option (254) and a 2-byte unknown kind.
    auto o = TcpOptions::parse(bytes({34, 6, 0xde, 0xad, 0xbe, 0xef, 254, 4, 0xf9, 0x89, 99, 2, 4, 2}));
    ASSERT_TRUE(o);
    EXPECT_TRUE(o->sack_permitted);
    EXPECT_FALSE(o->mss);
}

TEST(TcpOptionsParse, WindowScaleIsKeptAsSent) {
    // RFC 7323 2.3: the receiver clamps shifts above 14; the parser does not.
    EXPECT_EQ(TcpOptions::parse(bytes({3, 3, 15}))->window_scale, 15);
    EXPECT_EQ(TcpOptions::parse(bytes({3, 3, 255}))->window_scale, 255);
}

TEST(TcpOptionsParse, Timestamps) {
    auto o = TcpOptions::parse(bytes({1, 1, 8, 10, 0xc3, 0x51, 0xf4, 0x31, 0x73, 0xbe, 0x59, 0x67}));
    ASSERT_TRUE(o);
    EXPECT_EQ(o->timestamps, (TcpTimestamps{0xc351f431, 0x73be5967}));
}

TEST(TcpOptionsParse, SackBlockCountComesFromTheLength) {
    for (uint8_t n = 1; n <= 4; ++n) {
        auto area = bytes({5, static_cast<uint8_t>(2 + 8 * n)});
        for (uint8_t i = 0; i < n; ++i) {
            for (uint8_t b : {uint8_t{0}, uint8_t{0}, i, uint8_t{1}, uint8_t{0}, uint8_t{0}, i, uint8_t{2}}) {
                area.push_back(std::byte{b});
            }
        }
        auto o = TcpOptions::parse(area);
        ASSERT_TRUE(o) << int{n};
        ASSERT_EQ(o->sack_count, n);
        for (uint8_t i = 0; i < n; ++i) {
            EXPECT_EQ(o->sack_blocks[i], (SackBlock{SeqNum((i << 8) | 1), SeqNum((i << 8) | 2)}));
        }
    }
}

TEST(TcpOptionsParse, RejectsLengthBelowTwo) {
    EXPECT_FALSE(TcpOptions::parse(bytes({99, 0, 1, 1})));  // would loop forever if accepted
    EXPECT_FALSE(TcpOptions::parse(bytes({99, 1, 1, 1})));
}

TEST(TcpOptionsParse, RejectsOptionRunningPastTheEnd) {
    EXPECT_FALSE(TcpOptions::parse(bytes({2, 4, 0x05})));
    EXPECT_FALSE(TcpOptions::parse(bytes({99, 5, 0, 0})));
    EXPECT_FALSE(TcpOptions::parse(bytes({1, 1, 2})));  // kind with no length octet
}

TEST(TcpOptionsParse, RejectsKnownKindsWithTheWrongLength) {
    EXPECT_FALSE(TcpOptions::parse(bytes({2, 3, 5})));                // MSS
    EXPECT_FALSE(TcpOptions::parse(bytes({2, 5, 5, 0xb4, 0})));       // MSS
    EXPECT_FALSE(TcpOptions::parse(bytes({3, 2})));                   // window scale
    EXPECT_FALSE(TcpOptions::parse(bytes({3, 4, 7, 0})));             // window scale
    EXPECT_FALSE(TcpOptions::parse(bytes({4, 3, 0})));                // SACK-permitted
    EXPECT_FALSE(TcpOptions::parse(bytes({8, 6, 0, 0, 0, 1})));       // timestamps
    EXPECT_FALSE(TcpOptions::parse(bytes({5, 2})));                   // SACK with no block
    EXPECT_FALSE(TcpOptions::parse(bytes({5, 6, 0, 0, 0, 1})));       // SACK with half a block
    EXPECT_FALSE(TcpOptions::parse(bytes({5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0})));
}

TEST(TcpOptionsParse, RejectsMoreSackBlocksThanFitInAHeader) {
    auto area = bytes({5, 42});
    area.resize(42);
    EXPECT_FALSE(TcpOptions::parse(area));
}

// --- emit: Linux's layouts, byte for byte ---

TEST(TcpOptionsEmit, NothingEmitsNothing) {
    EXPECT_EQ(TcpOptions{}.emitted_len(), 0u);
}

TEST(TcpOptionsEmit, SynWithEverythingIsMssSackOkTsNopWscale) {
    TcpOptions o{.mss = 1460, .window_scale = 7, .sack_permitted = true, .timestamps = TcpTimestamps{1, 0}};
    EXPECT_EQ(o.emitted_len(), 20u);
    EXPECT_EQ(emit(o), bytes({2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}));
}

TEST(TcpOptionsEmit, SynWithoutTimestampsIsMssNopNopSackOkNopWscale) {
    TcpOptions o{.mss = 1460, .window_scale = 7, .sack_permitted = true};
    EXPECT_EQ(o.emitted_len(), 12u);
    EXPECT_EQ(emit(o), bytes({2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7}));
}

TEST(TcpOptionsEmit, TimestampsWithoutSackPermittedArePaddedWithNops) {
    TcpOptions o{.mss = 536, .timestamps = TcpTimestamps{5, 6}};
    EXPECT_EQ(emit(o), bytes({2, 4, 0x02, 0x18, 1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6}));
}

TEST(TcpOptionsEmit, DataSegmentWithTimestampsIsNopNopTs) {
    TcpOptions o{.timestamps = TcpTimestamps{0x01020304, 0x05060708}};
    EXPECT_EQ(o.emitted_len(), 12u);
    EXPECT_EQ(emit(o), bytes({1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(TcpOptionsEmit, SackBlocksFollowNopNop) {
    auto o = with_sack_blocks(TcpOptions{}, 1);
    EXPECT_EQ(emit(o), bytes({1, 1, 5, 10, 0, 0, 0x03, 0xe8, 0, 0, 0x05, 0xdc}));
}

TEST(TcpOptionsEmit, ThreeSackBlocksFitBesideTimestamps) {
    auto o = with_sack_blocks(TcpOptions{.timestamps = TcpTimestamps{1, 2}}, 4);
    EXPECT_EQ(o.emitted_len(), 40u);
    auto out = emit(o);
    EXPECT_EQ(out[12], std::byte{1});
    EXPECT_EQ(out[13], std::byte{1});
    EXPECT_EQ(out[14], std::byte{5});
    EXPECT_EQ(out[15], std::byte{2 + 3 * 8});
    auto back = TcpOptions::parse(out);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->sack_count, 3);
    EXPECT_EQ(back->sack_blocks[2], o.sack_blocks[2]);
}

TEST(TcpOptionsEmit, FourSackBlocksFitWithoutTimestamps) {
    auto o = with_sack_blocks(TcpOptions{}, 4);
    EXPECT_EQ(o.emitted_len(), 36u);
    EXPECT_EQ(TcpOptions::parse(emit(o)), o);
}

TEST(TcpOptionsEmit, SackCountBeyondTheArrayIsClamped) {
    auto o = with_sack_blocks(TcpOptions{}, 4);
    o.sack_count = 200;  // a caller bug must not read past sack_blocks
    EXPECT_EQ(o.emitted_len(), 36u);
    EXPECT_EQ(TcpOptions::parse(emit(o))->sack_count, 4);
}

TEST(TcpOptionsEmit, LengthIsAWordMultipleAndAtMostFortyForEveryCombination) {
    for (int mask = 0; mask < 16; ++mask) {
        for (uint8_t sacks = 0; sacks <= 6; ++sacks) {
            TcpOptions o;
            if (mask & 1) o.mss = 1460;
            if (mask & 2) o.window_scale = 7;
            if (mask & 4) o.sack_permitted = true;
            if (mask & 8) o.timestamps = TcpTimestamps{7, 8};
            o = with_sack_blocks(o, std::min<size_t>(sacks, 4));
            o.sack_count = sacks;
            size_t len = o.emitted_len();
            EXPECT_EQ(len % 4, 0u) << mask << " " << int{sacks};
            EXPECT_LE(len, TcpOptions::kMaxLen) << mask << " " << int{sacks};
            auto out = emit(o);
            auto back = TcpOptions::parse(out);
            ASSERT_TRUE(back) << mask << " " << int{sacks};
            // Everything except SACK blocks always fits; blocks are cut to what does.
            EXPECT_EQ(back->mss, o.mss);
            EXPECT_EQ(back->window_scale, o.window_scale);
            EXPECT_EQ(back->sack_permitted, o.sack_permitted);
            EXPECT_EQ(back->timestamps, o.timestamps);
            EXPECT_LE(back->sack_count, std::min<uint8_t>(sacks, 4));
            if (sacks > 0 && !o.mss && !o.window_scale) {
                EXPECT_EQ(back->sack_count, std::min<uint8_t>(sacks, o.timestamps ? 3 : 4));
            }
        }
    }
}

TEST(TcpOptionsEmit, ParseOfEmitIsAFixedPoint) {
    TcpOptions o{.mss = 1400, .window_scale = 14, .sack_permitted = true, .timestamps = TcpTimestamps{9, 10}};
    auto once = emit(o);
    auto parsed = TcpOptions::parse(once);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, o);
    EXPECT_EQ(emit(*parsed), once);
}

}  // namespace
}  // namespace ustack::wire

#include "stack/core/byte_ring.h"

#include <vector>

#include <gtest/gtest.h>

namespace ustack {
namespace {

std::vector<std::byte> bytes(size_t n, uint8_t first) {
    std::vector<std::byte> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = std::byte(static_cast<uint8_t>(first + i));
    return v;
}

TEST(ByteRing, PeekIntoAnEmptySpanReadsNothing) {
    // recv() with a zero-length buffer: no memcpy to a null pointer (UBSan; found by the TCP
    // input fuzzer).
    ByteRing r(8);
    r.append(bytes(3, 0));
    EXPECT_EQ(r.peek(0, std::span<std::byte>{}), 0u);
    EXPECT_EQ(r.size(), 3u);
}

TEST(ByteRing, GrowKeepsReadableAndWrittenAheadBytesAcrossTheWrap) {
    ByteRing r(8);
    r.append(bytes(6, 0));
    r.consume(5);                      // head near the end: what follows wraps
    r.append(bytes(4, 6));             // readable: 5 6 7 8 9
    ASSERT_EQ(r.write_ahead(1, bytes(2, 20)), 2u);  // ahead: _ 20 21
    r.grow(32);
    EXPECT_EQ(r.capacity(), 32u);
    EXPECT_EQ(r.size(), 5u);
    r.append(bytes(1, 10));            // fills the gap before the written-ahead bytes
    r.commit(2);
    std::vector<std::byte> out(8);
    ASSERT_EQ(r.peek(0, out), 8u);
    EXPECT_EQ(out, (std::vector<std::byte>{std::byte(5), std::byte(6), std::byte(7), std::byte(8), std::byte(9),
                                           std::byte(10), std::byte(20), std::byte(21)}));
    EXPECT_EQ(r.append(bytes(24, 0)), 24u);  // the new room is usable
}

TEST(ByteRing, GrowNeverShrinks) {
    ByteRing r(16);
    r.grow(8);
    EXPECT_EQ(r.capacity(), 16u);
}

TEST(ByteRing, ReleaseStorageOfAnEmptyRingFreesItAndTheNextWriteAllocatesAgain) {
    ByteRing r(8);
    r.append(bytes(6, 0));
    r.consume(6);  // empty, head in the middle
    EXPECT_EQ(r.storage_bytes(), 8u);
    EXPECT_TRUE(r.release_storage());
    EXPECT_EQ(r.storage_bytes(), 0u);
    EXPECT_EQ(r.capacity(), 8u);
    EXPECT_EQ(r.append(bytes(8, 30)), 8u);  // the whole capacity again
    std::vector<std::byte> out(8);
    EXPECT_EQ(r.peek(0, out), 8u);
    EXPECT_EQ(out, bytes(8, 30));
}

TEST(ByteRing, ReleaseStorageKeepsReadableBytes) {
    ByteRing r(8);
    r.append(bytes(3, 0));
    EXPECT_FALSE(r.release_storage());
    EXPECT_EQ(r.storage_bytes(), 8u);
    std::vector<std::byte> out(3);
    EXPECT_EQ(r.peek(0, out), 3u);
    EXPECT_EQ(out, bytes(3, 0));
}

}  // namespace
}  // namespace ustack

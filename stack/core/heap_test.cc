#include <cstdlib>
#include <vector>

#include <gtest/gtest.h>

#include "stack/core/byte_ring.h"
#include "stack/core/heap.h"

namespace ustack {
namespace {

TEST(Heap, StackAllocationsComeFromMimallocAndHostMallocIsUntouched) {
    ASSERT_EQ(heap::init(), "");
    void* ours = heap::allocate(128);
    void* host = std::malloc(128);
    EXPECT_TRUE(heap::owns(ours));
    EXPECT_FALSE(heap::owns(host));  // loading mimalloc privately did not replace malloc
    heap::deallocate(ours);
    std::free(host);
}

TEST(Heap, ContainersUseTheStackHeap) {
    heap::Vector<int> v(1000, 7);
    EXPECT_TRUE(heap::owns(v.data()));
}

TEST(ByteRing, WrapsAroundAndReassemblesAheadWrites) {
    ByteRing r(8);
    const std::byte abc[] = {std::byte{'a'}, std::byte{'b'}, std::byte{'c'}, std::byte{'d'}, std::byte{'e'}, std::byte{'f'}};
    EXPECT_EQ(r.append(abc), 6u);
    r.consume(5);
    EXPECT_EQ(r.append(std::span(abc).first(3)), 3u);  // wraps
    EXPECT_EQ(r.write_ahead(2, std::span(abc).subspan(4, 2)), 2u);  // out of order, past a gap
    EXPECT_EQ(r.size(), 4u);
    EXPECT_EQ(r.append(std::span(abc).subspan(1, 2)), 2u);      // fills the gap
    r.commit(2);
    std::byte out[8];
    ASSERT_EQ(r.peek(0, out), 8u);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(out), 8), "fabcbcef");
    EXPECT_EQ(r.free_space(), 0u);
    EXPECT_EQ(r.append(abc), 0u);
}

TEST(ByteRing, DrainingReadableBytesKeepsBytesWrittenAhead) {
    ByteRing r(16);
    const std::byte x[] = {std::byte{'x'}, std::byte{'y'}};
    ASSERT_EQ(r.append(std::span(x).first(1)), 1u);
    ASSERT_EQ(r.write_ahead(1, std::span(x).subspan(1)), 1u);  // 'y' one byte past a gap
    r.consume(1);                                                // readable part now empty
    ASSERT_EQ(r.append(std::span(x).first(1)), 1u);             // the gap is filled
    r.commit(1);
    std::byte out[2];
    ASSERT_EQ(r.peek(0, out), 2u);
    EXPECT_EQ(out[1], std::byte{'y'});
}

}  // namespace
}  // namespace ustack

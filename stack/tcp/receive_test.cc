#include "stack/tcp/receive.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "stack/core/rng.h"

namespace ustack::tcp {
namespace {

// Feeds a byte stream to receive_data as random segments (sizes from 1 byte to a 7300-byte
// GSO super-frame, duplicates, overlaps, reordering) while a reader drains random amounts,
// and checks that what is read is exactly the stream.
void run_model(uint64_t seed, size_t stream_len, size_t rcvbuf, uint32_t read_one_in = 3, bool cross_end = false) {
    Rng rng(seed);
    std::vector<std::byte> stream(stream_len);
    for (auto& b : stream) b = std::byte(rng.next() & 0xff);
    Tcb t(rcvbuf, 1024);
    const SeqNum irs(0xfffff000u);  // start close to the wrap so sequence arithmetic is exercised
    t.rcv_nxt = irs;
    std::vector<std::byte> got;
    std::vector<std::byte> buf(9000);
    size_t steps = 0;
    while (got.size() < stream_len) {
        ASSERT_LT(++steps, 2'000'000u) << "seed " << seed << ": no progress";
        const size_t delivered = static_cast<size_t>(t.rcv_nxt - irs);
        // A segment somewhere in [delivered - 3000, delivered + window), like a sender with
        // retransmissions and out-of-order arrivals would produce.
        const size_t window = std::min(t.recv_queue.free_space(), stream_len - delivered);
        const size_t back = std::min<size_t>(delivered, rng.below(3000));
        const size_t start = delivered - back + (window > 0 ? rng.below(static_cast<uint32_t>(window)) : 0);
        const size_t max_len = rng.below(4) == 0 ? 7300 : 1460;
        const size_t len = std::min<size_t>(1 + rng.below(static_cast<uint32_t>(max_len)), stream_len - std::min(start, stream_len));
        if (start < stream_len && len > 0 && (cross_end || start + len <= delivered + t.recv_queue.free_space())) {
            receive_data(t, irs + static_cast<uint32_t>(start), std::span(stream).subspan(start, len));
        }
        if (rng.below(read_one_in) == 0) {  // the application reads something
            const size_t want = 1 + rng.below(9000);
            const size_t n = t.recv_queue.peek(0, std::span(buf).first(want));
            t.recv_queue.consume(n);
            got.insert(got.end(), buf.begin(), buf.begin() + static_cast<long>(n));
        }
    }
    ASSERT_EQ(got.size(), stream_len);
    const auto mismatch = std::mismatch(got.begin(), got.end(), stream.begin());
    EXPECT_EQ(mismatch.first - got.begin(), static_cast<long>(stream_len)) << "seed " << seed << ": first wrong byte";
}

TEST(ReceiveData, RandomSegmentsReassembleToTheExactStream) {
    for (uint64_t seed = 1; seed <= 200; ++seed) run_model(seed, 300'000, 65536);
}

TEST(ReceiveData, LargeBufferAndSuperFrames) {
    for (uint64_t seed = 1000; seed <= 1040; ++seed) run_model(seed, 2'000'000, 262144);
}

TEST(ReceiveData, SlowReaderAndSegmentsPastTheQueueEnd) {
    for (uint64_t seed = 2000; seed <= 2200; ++seed) run_model(seed, 300'000, 65536, 40, true);
}

TEST(ReceiveData, OldBytesAreIgnoredAndNewTailIsKept) {
    Tcb t(1024, 1024);
    t.rcv_nxt = SeqNum(100);
    const std::byte a[10]{};
    auto d = receive_data(t, SeqNum(95), a);  // 5 old bytes, 5 new
    EXPECT_TRUE(d.in_order);
    EXPECT_EQ(d.advanced, 5u);
    EXPECT_EQ(t.rcv_nxt, SeqNum(105));
    d = receive_data(t, SeqNum(90), a);       // all old
    EXPECT_EQ(d.advanced, 0u);
    EXPECT_EQ(t.recv_queue.size(), 5u);
}

}  // namespace
}  // namespace ustack::tcp

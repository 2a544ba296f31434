// RFC 1071 checksum over the sizes the stack sees: a header, a small segment, a full frame,
// a GSO super-frame.
#include <benchmark/benchmark.h>

#include <vector>

#include "stack/wire/checksum.h"

namespace {

void BM_InternetChecksum(benchmark::State& state) {
    std::vector<std::byte> data(static_cast<size_t>(state.range(0)));
    for (size_t i = 0; i < data.size(); ++i) data[i] = std::byte(i * 131 + 7);
    for (auto _ : state) {
        benchmark::DoNotOptimize(ustack::wire::internet_checksum(data));
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_InternetChecksum)->Arg(20)->Arg(64)->Arg(1460)->Arg(9000)->Arg(65535);

// The per-segment cost on receive: pseudo-header plus the segment.
void BM_TcpSegmentVerify(benchmark::State& state) {
    std::vector<std::byte> seg(static_cast<size_t>(state.range(0)));
    for (size_t i = 0; i < seg.size(); ++i) seg[i] = std::byte(i * 31 + 1);
    const auto src = ustack::wire::Ipv4Addr::from_octets(10, 78, 0, 1);
    const auto dst = ustack::wire::Ipv4Addr::from_octets(10, 78, 0, 2);
    for (auto _ : state) {
        uint32_t sum = ustack::wire::pseudo_header_sum(src, dst, 6, static_cast<uint16_t>(seg.size()));
        benchmark::DoNotOptimize(ustack::wire::checksum_finish(ustack::wire::checksum_accumulate(sum, seg)));
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_TcpSegmentVerify)->Arg(1480);

}  // namespace

// Buffer allocation: the transmit frame pool (warm free list) and the stack heap (mimalloc,
// loaded privately) against the program's malloc, at the sizes the stack allocates.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <vector>

#include "stack/core/heap.h"
#include "stack/core/packet_pool.h"

namespace {

void BM_PacketPoolTakeGive(benchmark::State& state) {
    ustack::PacketPool pool(2048);
    pool.give(pool.take());  // warm
    for (auto _ : state) {
        ustack::PacketBuffer* b = pool.take();
        benchmark::DoNotOptimize(b->data);
        pool.give(b);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_PacketPoolTakeGive);

// A burst of 32 frames (one poll's batch) taken and returned together.
void BM_PacketPoolBatch32(benchmark::State& state) {
    ustack::PacketPool pool(2048);
    std::vector<ustack::PacketBuffer*> batch(32);
    for (auto& b : batch) b = pool.take();
    for (auto* b : batch) pool.give(b);
    for (auto _ : state) {
        for (auto& b : batch) b = pool.take();
        benchmark::DoNotOptimize(batch.data());
        for (auto* b : batch) pool.give(b);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 32);
}
BENCHMARK(BM_PacketPoolBatch32);

void BM_HeapAllocateFree(benchmark::State& state) {
    if (const auto& err = ustack::heap::init(); !err.empty()) {
        state.SkipWithError(err.c_str());
        return;
    }
    const auto size = static_cast<size_t>(state.range(0));
    for (auto _ : state) {
        void* p = ustack::heap::allocate(size);
        benchmark::DoNotOptimize(p);
        ustack::heap::deallocate(p);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_HeapAllocateFree)->Arg(64)->Arg(2048)->Arg(65536);

// The same sizes through the program's malloc, for comparison.
void BM_LibcMallocFree(benchmark::State& state) {
    const auto size = static_cast<size_t>(state.range(0));
    for (auto _ : state) {
        void* p = std::malloc(size);
        benchmark::DoNotOptimize(p);
        std::free(p);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_LibcMallocFree)->Arg(64)->Arg(2048)->Arg(65536);

}  // namespace

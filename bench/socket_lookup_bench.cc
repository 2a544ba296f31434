// The TCP demultiplexing lookup: the 4-tuple hash map Stack::Impl::tcp_lookup searches for
// every received segment, with the same key, hash and allocator, at 1 to 100,000 connections.
// (Includes stack_impl.h for the types only; it touches no stack.)
#include <benchmark/benchmark.h>

#include <vector>

#include "stack/stack_impl.h"

namespace {

using ustack::Endpoint;
using ustack::FourTuple;
using ustack::Ipv4Addr;

FourTuple tuple(uint32_t i) {
    // One local address and port (a server), many remote ports and addresses: the common case.
    return {{Ipv4Addr::from_octets(10, 78, 0, 2), 80},
            {Ipv4Addr::from_octets(10, 78, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8)),
             static_cast<uint16_t>(1024 + (i & 0xff) * 211)}};
}

void BM_TcpLookupHit(benchmark::State& state) {
    const auto n = static_cast<uint32_t>(state.range(0));
    ustack::HeapMap<FourTuple, int, ustack::FourTupleHash> map;
    std::vector<FourTuple> keys;
    for (uint32_t i = 0; i < n; ++i) {
        keys.push_back(tuple(i));
        map.emplace(keys.back(), static_cast<int>(i + 1));
    }
    size_t k = 0;
    for (auto _ : state) {
        auto it = map.find(keys[k]);
        benchmark::DoNotOptimize(it);
        k = (k + 7919) % keys.size();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TcpLookupHit)->Arg(1)->Arg(100)->Arg(10000)->Arg(100000);

// A segment for no connection (it then goes to the listener table or gets a RST).
void BM_TcpLookupMiss(benchmark::State& state) {
    const auto n = static_cast<uint32_t>(state.range(0));
    ustack::HeapMap<FourTuple, int, ustack::FourTupleHash> map;
    for (uint32_t i = 0; i < n; ++i) map.emplace(tuple(i), static_cast<int>(i + 1));
    FourTuple miss = tuple(0);
    miss.remote.addr = Ipv4Addr::from_octets(10, 99, 0, 1);
    for (auto _ : state) {
        miss.remote.port++;
        benchmark::DoNotOptimize(map.find(miss));
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TcpLookupMiss)->Arg(1)->Arg(10000);

}  // namespace

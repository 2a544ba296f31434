// TimerWheel: the operations TCP does per segment (re-arm the retransmission timer, which
// leaves a stale entry behind) and per poll (pop what is due, prune stale fronts).
#include <benchmark/benchmark.h>

#include <vector>

#include "stack/core/rng.h"
#include "stack/core/timer_wheel.h"

namespace {

using ustack::Instant;
using ustack::TimerWheel;

// Arm into a queue already holding n timers, then pop one: steady state for n connections.
void BM_TimerArmPop(benchmark::State& state) {
    TimerWheel q;
    ustack::Rng rng(1);
    const auto n = static_cast<uint64_t>(state.range(0));
    for (uint64_t i = 0; i < n; ++i) q.arm(Instant(1'000'000 + rng.below(1'000'000)), i);
    Instant now(0);
    uint64_t key = n;
    for (auto _ : state) {
        now += Instant(1);
        q.arm(now + Instant(1'000'000 + rng.below(1'000'000)), key++);
        auto e = q.pop_due(now + Instant(2'000'000));
        benchmark::DoNotOptimize(e);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TimerArmPop)->Arg(16)->Arg(1024)->Arg(16384);

// Re-arming the same timer over and over (RTO restarted by every ACK) and pruning the stale
// entries it leaves, as the stack does before computing next_deadline().
void BM_TimerRearmPrune(benchmark::State& state) {
    TimerWheel q;
    Instant current(0);
    Instant now(0);
    for (auto _ : state) {
        now += Instant(1000);
        current = now + Instant(200'000'000);
        q.arm(current, 7);
        q.prune([&](const ustack::TimerEntry& e) { return e.when != current; });
        benchmark::DoNotOptimize(q.earliest());
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TimerRearmPrune);

}  // namespace

namespace {

// n connections, each ACK re-arming its retransmission timer 200-264 ms ahead (the entry it
// armed before goes stale), 10 µs of time per ACK, and what the stack does per poll: prune,
// pop what is due, ask for the next deadline. Stale entries pile up to about one per ACK in the
// last RTO, which is where a heap pays log n and the wheel does not.
void BM_TimerManyConnectionsRearm(benchmark::State& state) {
    TimerWheel q;
    ustack::Rng rng(3);
    const auto n = static_cast<uint32_t>(state.range(0));
    std::vector<Instant> armed(n, Instant(0));
    Instant now(1'000'000'000);
    for (auto _ : state) {
        now += Instant(10'000);
        const uint32_t k = rng.below(n);
        armed[k] = now + Instant(200'000'000 + rng.below(64'000'000));
        q.arm(armed[k], k);
        q.prune([&](const ustack::TimerEntry& e) { return armed[e.key] != e.when; });
        while (auto e = q.pop_due(now)) benchmark::DoNotOptimize(e);
        benchmark::DoNotOptimize(q.earliest());
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TimerManyConnectionsRearm)->Arg(1024)->Arg(16384);

}  // namespace

// The TCP receive fast path: two stacks over the in-memory pair with one established
// connection. Stack A queues in-sequence full-sized data segments on the pair; only stack B's
// poll() is timed, i.e. frame receive, Ethernet/IPv4/TCP parsing and checksums, the 4-tuple
// lookup, in-order placement into the receive ring and the ACKs it sends back. Draining B's
// ring and A's processing of those ACKs happen with the clock paused.
#include <benchmark/benchmark.h>

#include <cerrno>
#include <vector>

#include "stack/testing/two_stacks.h"

namespace {

using ustack::ConstBytes;
using ustack::Endpoint;
using ustack::Ipv4Addr;
using ustack::MutableBytes;
using ustack::SocketKind;
using ustack::testing::TwoStacks;
namespace readiness = ustack::readiness;

struct Established {
    TwoStacks net;
    int client = 0;  // on A: the sender
    int server = 0;  // on B: the receiver under test

    bool open() {
        const int listener = net.b().socket(SocketKind::kTcp);
        if (net.b().bind(listener, {Ipv4Addr::any(), 80}) != 0 || net.b().listen(listener, 8) != 0) return false;
        client = net.a().socket(SocketKind::kTcp);
        if (net.a().connect(client, {ustack::testing::kAddrB, 80}, net.now()) != -EINPROGRESS) return false;
        if (!net.run_until([&] { return (net.a().poll_events(client) & readiness::kOut) != 0; })) return false;
        if (!net.run_until([&] { return (net.b().poll_events(listener) & readiness::kIn) != 0; })) return false;
        Endpoint peer;
        server = net.b().accept(listener, &peer, net.now());
        return server > 0;
    }
};

// Receives `segments` full-sized segments per timed poll.
void BM_TcpInputInSequence(benchmark::State& state) {
    Established c;
    if (!c.open()) {
        state.SkipWithError("could not establish the connection");
        return;
    }
    const size_t segments = static_cast<size_t>(state.range(0));
    std::vector<std::byte> data(segments * 1460, std::byte{0x5a});
    std::vector<std::byte> sink(1 << 20);
    int64_t received = 0;
    for (auto _ : state) {
        state.PauseTiming();
        ConstBytes part[] = {data};
        c.net.a().send(c.client, part, nullptr, 0, c.net.now());
        c.net.a().poll(c.net.now());  // the segments now wait in B's queue
        state.ResumeTiming();

        c.net.b().poll(c.net.now());

        state.PauseTiming();
        for (;;) {
            MutableBytes out[] = {sink};
            const ssize_t n = c.net.b().recv(c.server, out, nullptr, 0, c.net.now());
            if (n <= 0) break;
            received += n;
        }
        c.net.a().poll(c.net.now());  // A takes B's ACKs, freeing send buffer and cwnd
        state.ResumeTiming();
    }
    state.SetBytesProcessed(received);
    state.counters["segments"] = benchmark::Counter(static_cast<double>(received) / 1460.0, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TcpInputInSequence)->Arg(1)->Arg(32);

// The whole bulk path, nothing paused: send on A, A's output, B's input, recv on B, A's
// processing of the ACKs. Bytes per second of one connection with zero-latency links.
void BM_TcpBulkRoundTrip(benchmark::State& state) {
    Established c;
    if (!c.open()) {
        state.SkipWithError("could not establish the connection");
        return;
    }
    std::vector<std::byte> data(64 * 1024, std::byte{0x5a});
    std::vector<std::byte> sink(1 << 20);
    int64_t received = 0;
    for (auto _ : state) {
        ConstBytes part[] = {data};
        c.net.a().send(c.client, part, nullptr, 0, c.net.now());
        c.net.a().poll(c.net.now());
        c.net.b().poll(c.net.now());
        for (;;) {
            MutableBytes out[] = {sink};
            const ssize_t n = c.net.b().recv(c.server, out, nullptr, 0, c.net.now());
            if (n <= 0) break;
            received += n;
        }
    }
    state.SetBytesProcessed(received);
}
BENCHMARK(BM_TcpBulkRoundTrip);

}  // namespace

// sim_sweep: thousands of seeded runs of the exchange (stack/sim/exchange.h) at one or more
// loss rates. Every failure prints its seed and the command that replays it alone.
//
//   sim_sweep [--loss PCT]... [--runs N] [--first-seed S] [--limit SECONDS] [--budget SECONDS]
//   sim_sweep --seed S --loss PCT [--trace]      replay one run, printing its counters (and frames)
//
// --runs defaults to $USTACK_SIM_RUNS, else 2500 per loss rate; loss rates default to 0 1 5 20.
// --budget is the wall-clock limit for the whole sweep (default 60 s, times 20 under
// sanitizers); exceeding it fails the sweep, so a slowdown is noticed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "stack/sim/sweep.h"
#include "stack/sim/trace.h"

namespace {

using namespace ustack;
using namespace ustack::sim;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr double kBudgetScale = 20;
#else
constexpr double kBudgetScale = 1;
#endif

struct Options {
    std::vector<double> losses;
    uint64_t runs = 2500;
    uint64_t first_seed = 1;
    std::optional<uint64_t> seed;
    bool trace = false;
    // The progress bound per run. Linux-like RTO backoff (doubling to a 120 s cap, giving up
    // after 15 retries, about 925 s) is the slowest a correct connection may legitimately be:
    // at 20% loss both ways the last segment and its ACK can be lost several times running.
    double limit_seconds = 1800;
    double budget_seconds = 60 * kBudgetScale;
};

[[noreturn]] void usage(const char* argv0) {
    std::fprintf(stderr,
                 "usage: %s [--loss PCT]... [--runs N] [--first-seed S] [--limit SECONDS] [--budget SECONDS]\n"
                 "       %s --seed S --loss PCT [--trace]\n",
                 argv0, argv0);
    std::exit(2);
}

std::string percent(double p) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", p);
    return buf;
}

ExchangeResult run_one(uint64_t seed, double loss, const Options& o, std::ostream* trace) {
    ExchangeConfig c = sweep_config(seed, loss);
    c.limit = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.limit_seconds));
    c.close_limit = c.limit / 2;
    c.trace = trace;
    c.frame_limit = 20000;  // a run needs a few hundred; more is a storm
    return run_exchange(seed, c);
}

int replay(const Options& o) {
    const double loss = o.losses.empty() ? 0 : o.losses.front();
    const ExchangeConfig c = sweep_config(*o.seed, loss);
    std::printf("seed %llu loss %s%%: %zu bytes client->server, %zu server->client; latency %s s, %llu bit/s, queue %zu, "
                "jitter %s s, reorder delay %s s\n",
                static_cast<unsigned long long>(*o.seed), percent(loss).c_str(), c.client_bytes, c.server_bytes,
                format_time(c.client_to_server.latency).c_str(),
                static_cast<unsigned long long>(c.client_to_server.bits_per_second), c.client_to_server.queue_limit,
                format_time(c.client_to_server.impair.jitter).c_str(),
                format_time(c.client_to_server.impair.reorder_delay).c_str());
    const ExchangeResult r = run_one(*o.seed, loss, o, o.trace ? &std::cout : nullptr);
    std::printf("%s\n%s; closed at %s s\n", r.ok ? "PASS" : ("FAIL: " + r.failure).c_str(), summarize(r).c_str(),
                format_time(r.closed_at).c_str());
    return r.ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (const char* e = std::getenv("USTACK_SIM_RUNS"); e != nullptr && *e != '\0') o.runs = std::strtoull(e, nullptr, 10);
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) usage(argv[0]);
            return argv[++i];
        };
        if (a == "--loss") o.losses.push_back(std::strtod(value(), nullptr));
        else if (a == "--runs") o.runs = std::strtoull(value(), nullptr, 10);
        else if (a == "--first-seed") o.first_seed = std::strtoull(value(), nullptr, 10);
        else if (a == "--seed") o.seed = std::strtoull(value(), nullptr, 10);
        else if (a == "--limit") o.limit_seconds = std::strtod(value(), nullptr);
        else if (a == "--budget") o.budget_seconds = std::strtod(value(), nullptr);
        else if (a == "--trace") o.trace = true;
        else usage(argv[0]);
    }
    if (o.seed) return replay(o);
    if (o.losses.empty()) o.losses = {0, 1, 5, 20};

    const auto wall_start = std::chrono::steady_clock::now();
    uint64_t failures = 0;
    for (double loss : o.losses) {
        const auto t0 = std::chrono::steady_clock::now();
        Duration worst{0}, total{0};
        uint64_t worst_seed = 0, retransmits = 0, rtos = 0, bad_checksums = 0, level_failures = 0;
        for (uint64_t seed = o.first_seed; seed < o.first_seed + o.runs; ++seed) {
            const ExchangeResult r = run_one(seed, loss, o, nullptr);
            if (!r.ok) {
                ++level_failures;
                std::printf("FAIL seed=%llu loss=%s%%: %s\n  %s\n  replay: %s --seed %llu --loss %s --trace\n",
                            static_cast<unsigned long long>(seed), percent(loss).c_str(), r.failure.c_str(),
                            summarize(r).c_str(), argv[0], static_cast<unsigned long long>(seed), percent(loss).c_str());
                std::fflush(stdout);
                continue;
            }
            total += r.closed_at;
            if (r.closed_at > worst) {
                worst = r.closed_at;
                worst_seed = seed;
            }
            retransmits += r.client.tcp_retransmits + r.server.tcp_retransmits;
            rtos += r.client.tcp_rto_expirations + r.server.tcp_rto_expirations;
            bad_checksums += r.client.tcp_rx_bad_checksum + r.server.tcp_rx_bad_checksum + r.client.ip_rx_bad_checksum +
                             r.server.ip_rx_bad_checksum;
        }
        failures += level_failures;
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const uint64_t passed = o.runs - level_failures;
        std::printf("loss %s%%: %llu runs, %llu failed, %.2f s wall (%.0f runs/s); virtual time mean %s s, worst %s s "
                    "(seed %llu); retransmits %llu, RTOs %llu, bad checksums dropped %llu\n",
                    percent(loss).c_str(), static_cast<unsigned long long>(o.runs),
                    static_cast<unsigned long long>(level_failures), wall, static_cast<double>(o.runs) / wall,
                    format_time(passed > 0 ? total / static_cast<int64_t>(passed) : Duration{0}).c_str(),
                    format_time(worst).c_str(), static_cast<unsigned long long>(worst_seed),
                    static_cast<unsigned long long>(retransmits), static_cast<unsigned long long>(rtos),
                    static_cast<unsigned long long>(bad_checksums));
        std::fflush(stdout);
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (wall > o.budget_seconds) {
        std::printf("FAIL: the sweep took %.1f s of real time, over its budget of %.0f s\n", wall, o.budget_seconds);
        return 1;
    }
    return failures == 0 ? 0 : 1;
}

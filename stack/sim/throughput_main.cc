// sim_throughput: goodput versus loss over a fixed link, kept as a snapshot
// (stack/sim/throughput_snapshot.txt). Runs are deterministic, so any change in the table is a
// change in TCP's behaviour: the test fails on any difference, and regenerating the snapshot
// (`sim_throughput --update`) is a deliberate act in the commit that changes TCP.
//
//   sim_throughput [--snapshot PATH]   compare with the snapshot (exit 1 on any difference)
//   sim_throughput --update [--snapshot PATH]   rewrite it
//   sim_throughput --print             print the table only
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "stack/sim/exchange.h"
#include "stack/sim/trace.h"

#ifndef USTACK_SIM_SNAPSHOT
#define USTACK_SIM_SNAPSHOT "stack/sim/throughput_snapshot.txt"
#endif

namespace {

using namespace ustack;
using namespace ustack::sim;

constexpr size_t kBytes = 1 << 20;
constexpr double kLossPercents[] = {0, 0.5, 1, 2, 5, 10};
constexpr uint64_t kSeeds[] = {1, 2, 3};

std::string table() {
    std::ostringstream out;
    out << "# ustack goodput versus loss (stack/sim): " << kBytes << " bytes one way, client to server, over\n"
        << "# 10 Mbit/s, 10 ms one-way latency, 64-frame drop-tail queue, the loss rate in both directions.\n"
        << "# Deterministic: regenerate with `build/bin/sim_throughput --update` when TCP changes on purpose.\n"
        << "# loss%  seed  goodput_kbit/s  eof_ms  tx_segments  retransmits  rtos  queue_drops  result\n";
    for (double loss : kLossPercents) {
        for (uint64_t seed : kSeeds) {
            ExchangeConfig c;
            c.client_bytes = kBytes;
            c.server_bytes = 0;
            c.client_to_server.latency = std::chrono::milliseconds(10);
            c.client_to_server.bits_per_second = 10'000'000;
            c.client_to_server.queue_limit = 64;
            c.client_to_server.impair.loss = loss / 100;
            c.server_to_client = c.client_to_server;
            c.limit = std::chrono::seconds(600);
            const ExchangeResult r = run_exchange(seed, c);
            const int64_t eof_us = std::chrono::duration_cast<std::chrono::microseconds>(r.server_eof_at).count();
            const uint64_t kbps = eof_us > 0 ? uint64_t{kBytes} * 8 * 1000 / static_cast<uint64_t>(eof_us) : 0;
            char line[256];
            std::snprintf(line, sizeof line, "%6.1f  %4llu  %14llu  %6lld  %11llu  %11llu  %4llu  %11llu  %s\n", loss,
                          static_cast<unsigned long long>(seed), static_cast<unsigned long long>(r.ok ? kbps : 0),
                          static_cast<long long>(eof_us / 1000), static_cast<unsigned long long>(r.client.tcp_tx_segments),
                          static_cast<unsigned long long>(r.client.tcp_retransmits),
                          static_cast<unsigned long long>(r.client.tcp_rto_expirations),
                          static_cast<unsigned long long>(r.client_to_server.queue_drops), r.ok ? "ok" : "FAIL");
            out << line;
            if (!r.ok) out << "#   ^ " << r.failure << '\n';
        }
    }
    return out.str();
}

}  // namespace

int main(int argc, char** argv) {
    std::string path = USTACK_SIM_SNAPSHOT;
    bool update = false, print = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--update") update = true;
        else if (a == "--print") print = true;
        else if (a == "--snapshot" && i + 1 < argc) path = argv[++i];
        else {
            std::fprintf(stderr, "usage: %s [--update | --print] [--snapshot PATH]\n", argv[0]);
            return 2;
        }
    }
    const std::string now = table();
    std::cout << now;
    if (print) return 0;
    if (update) {
        std::ofstream f(path);
        f << now;
        if (!f) {
            std::fprintf(stderr, "sim_throughput: cannot write %s\n", path.c_str());
            return 1;
        }
        std::printf("wrote %s\n", path.c_str());
        return 0;
    }
    std::ifstream f(path);
    std::stringstream want;
    want << f.rdbuf();
    if (!f) {
        std::printf("FAIL: no snapshot at %s; create it with `%s --update`\n", path.c_str(), argv[0]);
        return 1;
    }
    if (want.str() == now) {
        std::printf("matches %s\n", path.c_str());
        return 0;
    }
    std::printf("FAIL: the table differs from %s (expected above, got below the diff):\n", path.c_str());
    std::istringstream a(want.str()), b(now);
    std::string la, lb;
    while (true) {
        const bool ga = static_cast<bool>(std::getline(a, la)), gb = static_cast<bool>(std::getline(b, lb));
        if (!ga && !gb) break;
        if (!ga) la = "(none)";
        if (!gb) lb = "(none)";
        if (la != lb) std::printf("- %s\n+ %s\n", la.c_str(), lb.c_str());
    }
    std::printf("If TCP's behaviour changed on purpose, regenerate it: %s --update (and commit the file).\n", argv[0]);
    return 1;
}

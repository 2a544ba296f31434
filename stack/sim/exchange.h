// The scenario the sweep and the throughput table run: one TCP connection between a client and
// a server joined by one cable; each side writes its bytes while reading the other's
// concurrently (a reader task beside the writer), shuts down writing, reads to end of stream
// and closes; then the FINs must be acknowledged. Every byte is checked both ways.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "stack/core/counters.h"
#include "stack/sim/link.h"

namespace ustack::sim {

struct ExchangeConfig {
    size_t client_bytes = 0;  // client -> server
    size_t server_bytes = 0;  // server -> client
    LinkConfig client_to_server;
    LinkConfig server_to_client;
    Duration limit = std::chrono::seconds(120);       // virtual time for the applications to finish
    Duration close_limit = std::chrono::seconds(60);  // then for both FINs to be acknowledged
    uint64_t frame_limit = 0;                         // World::set_frame_limit; 0: none
    std::ostream* trace = nullptr;                    // frame events, when set
};

struct ExchangeResult {
    bool ok = false;
    std::string failure;                  // why not, when !ok
    Duration client_eof_at{0};            // virtual time since the connect when each side read EOF
    Duration server_eof_at{0};
    Duration apps_done_at{0};             // both applications finished
    Duration closed_at{0};                // both FINs acknowledged
    Counters client, server;
    LinkStats client_to_server, server_to_client;
};

ExchangeResult run_exchange(uint64_t seed, const ExchangeConfig& config);

// A one-line summary of a result's link and TCP counters, for failure reports and -v output.
std::string summarize(const ExchangeResult& r);

}  // namespace ustack::sim

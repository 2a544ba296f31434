#include "stack/sim/sweep.h"

namespace ustack::sim {

ExchangeConfig sweep_config(uint64_t seed, double loss_percent) {
    // Drawn from its own stream so that the world's draws do not depend on these.
    Rng r(seed * 0x9e3779b97f4a7c15ull + 0x243f6a8885a308d3ull);
    static constexpr uint64_t kRates[] = {1'000'000, 10'000'000, 100'000'000, 1'000'000'000};
    LinkConfig link;
    link.latency = std::chrono::microseconds(500 + r.below(19'500));
    link.bits_per_second = kRates[r.below(4)];
    link.queue_limit = 16 + r.below(241);
    link.impair.loss = loss_percent / 100.0;
    link.impair.reorder = 0.02;
    link.impair.reorder_delay = std::chrono::microseconds(500 + r.below(9'500));
    link.impair.duplicate = 0.01;
    link.impair.corrupt = 0.01;
    link.impair.jitter = std::chrono::microseconds(r.below(1'001));
    ExchangeConfig c;
    c.client_bytes = 20'000 + r.below(40'001);
    c.server_bytes = 20'000 + r.below(40'001);
    c.client_to_server = link;
    c.server_to_client = link;
    return c;
}

}  // namespace ustack::sim

// The seeded sweep: what one run of `sim_sweep --seed S --loss L` is.
#pragma once

#include <cstdint>

#include "stack/sim/exchange.h"

namespace ustack::sim {

// The exchange a sweep run performs, drawn from its seed: 20-60 KB each way over a cable of
// random latency (0.5-20 ms), rate (1, 10, 100 or 1000 Mbit/s) and queue (16-256 frames), with
// loss_percent loss and 2% reordering, 1% duplication, 1% corruption and up to 1 ms jitter in
// each direction.
ExchangeConfig sweep_config(uint64_t seed, double loss_percent);

}  // namespace ustack::sim

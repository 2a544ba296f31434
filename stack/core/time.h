// Time as the stack sees it: an explicit argument, never read from a clock inside the stack,
// so that the simulator can drive it with a virtual clock.
#pragma once

#include <chrono>

namespace ustack {

using Duration = std::chrono::nanoseconds;
// Nanoseconds since an arbitrary epoch: CLOCK_MONOTONIC in the preload, virtual in the simulator.
using Instant = std::chrono::nanoseconds;

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::microseconds;

}  // namespace ustack

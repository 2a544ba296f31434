// Counters of the preload runtime itself (not of the stack), published beside the stack's
// counters on the stats page and in the USTACK_LOG=info exit summary under these names.
#pragma once

#include <cstdint>

namespace ustack::preload {

#define USTACK_RUNTIME_COUNTERS(X)                                                                \
    X(busy_poll_spins, "stack polls made by blocked calls spinning (USTACK_BUSY_POLL)")           \
    X(busy_poll_wakeups, "blocked calls that became ready while spinning, without sleeping")     \
    X(busy_poll_sleeps, "blocked calls that spun their whole budget and then slept")             \
    X(driver_device_wakeups, "blocked calls woken by the device fd itself (the driving waiter)")  \
    X(device_hand_backs, "device fd given back to the service thread after a tick nobody drove it") \
    X(device_yields, "device fd left to the program's calls: frames woke the service thread while a call held the stack")

struct RuntimeCounters {
#define USTACK_RUNTIME_COUNTER_FIELD(name, help) uint64_t name = 0;
    USTACK_RUNTIME_COUNTERS(USTACK_RUNTIME_COUNTER_FIELD)
#undef USTACK_RUNTIME_COUNTER_FIELD
};

}  // namespace ustack::preload

// Receive-buffer auto-tuning (Linux tcp_rcv_space_adjust(), "dynamic right-sizing"): once per
// RTT, look at how much the application read in that RTT. When it read more than in the last
// measured RTT, the buffer grows to twice that, plus room for the growth trend, so the window
// we advertise stays ahead of what the sender can deliver per RTT. Up to a maximum (Linux
// tcp_rmem[2], 6 MiB); never for a socket whose SO_RCVBUF the application set.
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/core/time.h"

namespace ustack::tcp {

inline constexpr size_t kDefaultRcvbufMax = 6 * 1024 * 1024;  // Linux tcp_rmem[2]

struct RcvSpace {
    Instant start{0};             // start of the current measurement (0: not started)
    uint64_t read_at_start = 0;   // the application's read total then
    uint64_t space = 0;           // bytes read in the last RTT that grew the buffer
};

// After the application read; `read_total` counts every byte it has read on the connection.
// Returns the buffer size wanted: `current` or more, never above `max`.
size_t rcv_space_adjust(RcvSpace& s, Instant now, Duration rtt, uint64_t read_total, size_t current, size_t max,
                        uint32_t mss);

}  // namespace ustack::tcp

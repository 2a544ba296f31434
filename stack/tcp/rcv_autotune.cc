#include "stack/tcp/rcv_autotune.h"

#include <algorithm>

namespace ustack::tcp {

size_t rcv_space_adjust(RcvSpace& s, Instant now, Duration rtt, uint64_t read_total, size_t current, size_t max,
                        uint32_t mss) {
    if (s.start == Instant{0}) {
        // The first read starts the clock; what it read counts in the first measurement. Linux
        // starts from the initial window (10 segments).
        s.start = now;
        s.read_at_start = 0;
        s.space = uint64_t{10} * mss;
    }
    if (rtt <= Duration{0} || now - s.start < rtt) return current;
    const uint64_t read = read_total - s.read_at_start;
    s.start = now;
    s.read_at_start = read_total;
    if (read <= s.space) return current;
    // Twice what one RTT delivered (the sender may be in slow start), 16 segments of slack,
    // and twice the relative growth since the last measurement on top.
    uint64_t window = 2 * read + 16 * uint64_t{mss};
    window += 2 * (window * (read - s.space) / std::max<uint64_t>(s.space, 1));
    s.space = read;
    return std::max(current, static_cast<size_t>(std::min<uint64_t>(window, max)));
}

}  // namespace ustack::tcp

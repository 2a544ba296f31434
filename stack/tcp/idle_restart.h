// Restarting the congestion window after an idle period (RFC 5681 4.1, as Linux's
// tcp_slow_start_after_idle=1): a window measured before the connection went quiet says
// nothing about the path now, and sending it as one burst would overrun queues. When new data
// leaves with nothing in flight and the last data segment went out more than an RTO ago, cwnd
// is halved per RTO of idleness, down to the restart window min(initial window, cwnd)
// (Linux tcp_cwnd_restart()); ssthresh keeps at least 3/4 of the old window, so slow start
// brings it back quickly.
#pragma once

#include <algorithm>
#include <cstdint>

#include "stack/core/time.h"
#include "stack/tcp/congestion.h"

namespace ustack::tcp {

inline void restart_window_after_idle(CongestionControl& cc, uint32_t initial_window, Duration idle, Duration rto) {
    cc.ssthresh = std::max(cc.ssthresh, cc.cwnd / 2 + cc.cwnd / 4);
    const uint32_t restart = std::min(initial_window, cc.cwnd);
    uint32_t cwnd = cc.cwnd;
    while ((idle -= rto) > Duration{0} && cwnd > restart) cwnd >>= 1;
    cc.cwnd = std::max(cwnd, restart);
    cc.on_idle_restart();
}

}  // namespace ustack::tcp

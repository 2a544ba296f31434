// When an epoll registration reports, as a pure function of what it asked for and what the
// socket's readiness is now (epoll(7)); epoll.cc applies it to stack sockets. Kept apart so
// the rules can be tested without a stack.
#pragma once

#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>

namespace ustack::preload::epoll {

// Readiness bits a registration may ask for.
inline constexpr uint32_t kReadinessBits = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM |
                                           EPOLLWRBAND | EPOLLMSG | EPOLLERR | EPOLLHUP | EPOLLRDHUP;

// What one registration remembers between looks.
struct ReportState {
    uint32_t reported = 0;    // EPOLLET: readiness reported and not since seen to drop
    size_t reported_rxq = 0;  // EPOLLET: receive queue bytes at the last report
    bool disarmed = false;    // EPOLLONESHOT fired; EPOLL_CTL_MOD re-arms
};

// events: as registered (EPOLLERR|EPOLLHUP included); current: epoll bits ready now; rxq:
// bytes queued to read (only compared for EPOLLET with EPOLLIN). Returns the bits to report
// (0: none). consume: epoll_wait is reporting it, so the state moves; otherwise a peek.
inline uint32_t report(uint32_t events, uint32_t current, size_t rxq, ReportState& st, bool consume) {
    if (st.disarmed) return 0;
    const uint32_t ready = current & events & kReadinessBits;
    uint32_t out = ready;
    if (events & EPOLLET) {
        // A bit reported before and no longer set re-arms; a new bit, or more data, is an edge
        // (the kernel wakes the set for every arriving segment).
        const uint32_t armed = st.reported & current;
        const bool fresh = (ready & ~armed) != 0 || ((ready & EPOLLIN) && rxq > st.reported_rxq);
        out = fresh ? ready : 0;
        if (consume) {
            st.reported = out != 0 ? ready : armed;
            if (out != 0) st.reported_rxq = rxq;
        }
    }
    if (consume && out != 0 && (events & EPOLLONESHOT)) st.disarmed = true;
    return out;
}

}  // namespace ustack::preload::epoll

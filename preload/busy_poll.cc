// Busy polling (USTACK_BUSY_POLL, `ustack run --busy-poll USEC`): before a blocked call
// sleeps, it drives the stack itself for up to the budget, as Onload's EF_POLL_USEC does.
// Off by default: an idle process must not burn a core (the complaint against libvma and VPP).
//
// Each round checks, without sleeping, the caller's waiter eventfd and its kernel fds, then
// takes the stack lock, whose acquisition polls the device and whose release writes to every
// registered waiter (this one included) if the stack's readiness moved. So data that arrives
// during the spin is seen on the next round, with no service-thread wakeup in between.
#include <cerrno>

#include "preload/real.h"
#include "preload/runtime_counters.h"
#include "preload/runtime.h"
#include "preload/thread_state.h"

namespace ustack::preload {

// Called with the lock released and this thread's waiter registered in fds[n]. Returns > 0
// (ready fds, waiter included) or -1 with *err set when the wait is over, 0 when the budget
// ran out and the caller should sleep. *spins: how many times it polled the stack.
int StackLock::spin(pollfd* fds, nfds_t n, std::optional<Instant> deadline, const sigset_t* sigmask,
                    uint32_t handlers_before, int* err, uint64_t* spins) {
    Instant end = monotonic_now() + std::chrono::microseconds(rt_.busy_poll_us_);
    if (deadline && *deadline < end) end = *deadline;
    ThreadState& t = thread_state();
    *spins = 0;
    int r = 0;
    for (;;) {
        const timespec zero{};
        r = real::ppoll(fds, n + 1, &zero, sigmask);
        if (r != 0) {
            if (r < 0) *err = errno;
            break;
        }
        if (monotonic_now() >= end) break;
        acquire();
        ++*spins;
        release();
        if (t.handlers_run != handlers_before) {  // a deferred handler ran: interrupted, as in wait()
            *err = EINTR;
            r = -1;
            break;
        }
    }
    return r;
}

}  // namespace ustack::preload

// Signals: the program's handlers run outside the stack lock, and blocking calls restart or
// fail with EINTR exactly where the kernel's would.
//
// Deferral (Onload's scheme). When the program installs a handler (sigaction, signal), the
// kernel is given our trampoline instead, with the program's flags and mask; the program's
// handler is recorded and sigaction's oldact reports it, never the trampoline. The
// trampoline runs the program's handler at once unless the thread is in a critical section
// (holding the stack lock or the epoll lock: ThreadState::critical). Then it records the
// signal and its siginfo and returns; leave_critical() runs the deferred handlers when the
// section ends, with the handler's sa_mask (and the signal, unless SA_NODEFER) blocked as the
// kernel would. So a handler that calls send() never deadlocks on a lock its own thread
// holds. A deferred handler gets a null ucontext, and several instances of one signal
// deferred together run once (as standard signals coalesce anyway).
//
// Synchronous fault signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS) are never
// wrapped: deferring one would re-execute the faulting instruction.
//
// Restart (signal(7), socket(7)): a blocking recv/send/accept/connect interrupted by a
// handler restarts when that handler has SA_RESTART and the socket has no SO_RCVTIMEO /
// SO_SNDTIMEO for that direction; otherwise it fails with EINTR. poll, select and epoll_wait
// never restart. A handler installed behind our back (before the library loaded, or by a raw
// system call) is unknown: the call fails with EINTR, unless the handler ran between the
// call's last check and its ppoll (only the trampoline ends that sleep: ThreadState::interrupt_fd).
#pragma once

#include <signal.h>

#include "preload/thread_state.h"
#include "stack/core/time.h"

namespace ustack::preload::signals {

inline void enter_critical() {
    ++thread_state().critical;
    std::atomic_signal_fence(std::memory_order_seq_cst);
}

void run_deferred();

inline void leave_critical() {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    ThreadState& t = thread_state();
    if (--t.critical == 0) {
        std::atomic_signal_fence(std::memory_order_seq_cst);
        if (t.deferred != 0) run_deferred();
    }
}

// After a wait was interrupted by a handler: restart (true) or fail with EINTR (false).
// timeout is the socket's SO_RCVTIMEO/SO_SNDTIMEO for the call (0: none).
inline bool restart(Duration timeout) { return timeout.count() == 0 && thread_state().last_restart; }

// The interposed calls (libc convention).
int sigaction(int sig, const struct sigaction* act, struct sigaction* oldact);
sighandler_t signal(int sig, sighandler_t handler);

}  // namespace ustack::preload::signals

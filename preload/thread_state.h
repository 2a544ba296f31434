// Per-thread flags of the preload, in initial-exec TLS (no allocation, signal-safe).
#pragma once

#include <atomic>
#include <cstdint>

namespace ustack::preload {

struct Waiter;

struct ThreadState {
    // The thread is running the runtime's own code (service thread, bring-up): sockets it
    // makes go to the kernel and it never takes the stack lock recursively.
    bool in_runtime = false;
    // > 0 while the thread holds (or is taking) the stack lock or the epoll lock. The signal
    // trampoline defers the program's handlers while it is set (signals.h).
    int critical = 0;
    // Signals that arrived during a critical section, bit (sig - 1); run when it ends.
    uint64_t deferred = 0;
    // Program handlers this thread has run (directly or deferred): a blocking call that sees
    // it move knows it was interrupted.
    uint32_t handlers_run = 0;
    // SA_RESTART of the handler run last: decides restart-or-EINTR after an interruption.
    bool last_restart = false;
    // The thread's waiter while it is the driver (runtime.h), from become_driver to the relock
    // after its sleep: a program handler that runs then may never return into the wait
    // (siglongjmp). Here, not in the Waiter, because a handler must not touch a thread_local
    // with a destructor (its first use registers the destructor, which allocates).
    Waiter* driving = nullptr;
    // The thread's waiter eventfd from just before a blocking wait drops the stack lock until
    // its ppoll returns (-1 otherwise). A program handler that runs meanwhile writes it, so a
    // signal that lands after the wait's last check and before ppoll sleeps still ends the
    // sleep at once (StackLock::wait), without blocking signals around ppoll.
    int interrupt_fd = -1;
};

inline ThreadState& thread_state() {
    __attribute__((tls_model("initial-exec"))) static thread_local ThreadState s;
    return s;
}

struct InRuntime {
    bool saved;
    InRuntime() : saved(thread_state().in_runtime) { thread_state().in_runtime = true; }
    ~InRuntime() { thread_state().in_runtime = saved; }
};

}  // namespace ustack::preload

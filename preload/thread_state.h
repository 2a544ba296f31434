// Per-thread flags of the preload, in initial-exec TLS (no allocation, signal-safe).
#pragma once

namespace ustack::preload {

struct ThreadState {
    // The thread is running the runtime's own code (service thread, bring-up): sockets it
    // makes go to the kernel and it never takes the stack lock recursively.
    bool in_runtime = false;
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

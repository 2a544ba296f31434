// The signal trampoline, deferred handlers, and the interposed sigaction/signal (signals.h).
#include "preload/signals.h"

#include <cerrno>
#include <cstring>

#include "preload/fault_guard.h"
#include "preload/real.h"
#include "preload/runtime.h"

namespace ustack::preload::signals {
namespace {

// What the program asked for, per signal. Written by sigaction() before the trampoline is
// installed; read by the trampoline (atomics: a handler may run on any thread).
struct Disposition {
    std::atomic<void*> handler{nullptr};  // sa_handler or sa_sigaction; null: not wrapped
    std::atomic<int> flags{0};
    sigset_t mask;
};
constinit Disposition g_disp[NSIG];

// siginfo of signals deferred on this thread (ThreadState::deferred says which are valid).
__attribute__((tls_model("initial-exec"))) thread_local siginfo_t t_deferred_info[NSIG - 1];

bool wrappable(int sig) {
    switch (sig) {
        case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP: case SIGSYS:
        case SIGKILL: case SIGSTOP:
            return false;
        default:
            return sig > 0 && sig < NSIG;
    }
}

void invoke(int sig, siginfo_t* si, void* uc) {
    Disposition& d = g_disp[sig];
    void* h = d.handler.load(std::memory_order_acquire);
    const int flags = d.flags.load(std::memory_order_acquire);
    ThreadState& t = thread_state();
    t.last_restart = (flags & SA_RESTART) != 0;
    ++t.handlers_run;
    const int wake = t.interrupt_fd;
    if (h != nullptr) {  // null: reset to default/ignore while the signal was in flight
        Runtime::instance().before_program_handler();  // the handler may never return (siglongjmp)
        if (flags & SA_SIGINFO) {
            reinterpret_cast<void (*)(int, siginfo_t*, void*)>(h)(sig, si, uc);
        } else {
            reinterpret_cast<void (*)(int)>(h)(sig);
        }
    }
    if (wake >= 0) {
        // A wait about to sleep: end its sleep (thread_state.h). After the handler, as a
        // blocking call inside the handler uses and drains the same eventfd.
        t.interrupt_fd = wake;
        const int saved = errno;
        const uint64_t one = 1;
        (void)real::write(wake, &one, sizeof one);
        errno = saved;
    }
}

void trampoline(int sig, siginfo_t* si, void* uc) {
    ThreadState& t = thread_state();
    if (t.critical > 0) {
        const uint64_t bit = uint64_t{1} << (sig - 1);
        if (!(t.deferred & bit)) {
            if (si != nullptr) t_deferred_info[sig - 1] = *si;
            else std::memset(&t_deferred_info[sig - 1], 0, sizeof(siginfo_t));
        }
        t.deferred |= bit;
        return;
    }
    invoke(sig, si, uc);
}

bool is_trampoline(const struct sigaction& sa) {
    return (sa.sa_flags & SA_SIGINFO) && sa.sa_sigaction == &trampoline;
}

bool active() {
    const Mode m = Runtime::instance().mode();
    return m != Mode::kInert;
}

}  // namespace

// Runs with critical == 0, so the trampoline never writes t.deferred concurrently: a signal
// arriving now runs its handler directly.
void run_deferred() {
    ThreadState& t = thread_state();
    const int saved_errno = errno;
    while (t.deferred != 0 && t.critical == 0) {
        const int sig = __builtin_ctzll(t.deferred) + 1;
        t.deferred &= ~(uint64_t{1} << (sig - 1));
        siginfo_t si = t_deferred_info[sig - 1];
        Disposition& d = g_disp[sig];
        sigset_t block = d.mask;
        if (!(d.flags.load(std::memory_order_acquire) & SA_NODEFER)) sigaddset(&block, sig);
        sigset_t old;
        pthread_sigmask(SIG_BLOCK, &block, &old);
        invoke(sig, &si, nullptr);
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
    errno = saved_errno;
}

int sigaction(int sig, const struct sigaction* act, struct sigaction* oldact) {
    if (fault_guard::owns(sig)) return fault_guard::sigaction(sig, act, oldact);
    if (!active() || !wrappable(sig)) return real::sigaction(sig, act, oldact);
    struct sigaction old {};
    struct sigaction* oldp = oldact != nullptr ? &old : nullptr;
    Disposition& d = g_disp[sig];
    // What the program had, in case the kernel reports the trampoline.
    void* prev_handler = d.handler.load(std::memory_order_acquire);
    const int prev_flags = d.flags.load(std::memory_order_acquire);
    const sigset_t prev_mask = d.mask;

    int r;
    if (act == nullptr) {
        r = real::sigaction(sig, nullptr, oldp);
    } else {
        const bool wrap = (act->sa_flags & SA_SIGINFO) ? act->sa_sigaction != nullptr
                                                       : (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN);
        if (!wrap) {
            r = real::sigaction(sig, act, oldp);
            if (r == 0) d.handler.store(nullptr, std::memory_order_release);
        } else {
            // Record first: the trampoline may run as soon as the kernel has it.
            d.mask = act->sa_mask;
            d.flags.store(act->sa_flags, std::memory_order_release);
            d.handler.store((act->sa_flags & SA_SIGINFO) ? reinterpret_cast<void*>(act->sa_sigaction)
                                                         : reinterpret_cast<void*>(act->sa_handler),
                            std::memory_order_release);
            struct sigaction ours = *act;
            ours.sa_flags |= SA_SIGINFO;
            ours.sa_sigaction = &trampoline;
            r = real::sigaction(sig, &ours, oldp);
            if (r != 0) {  // restore the record
                d.mask = prev_mask;
                d.flags.store(prev_flags, std::memory_order_release);
                d.handler.store(prev_handler, std::memory_order_release);
            }
        }
    }
    if (r == 0 && oldact != nullptr) {
        if (is_trampoline(old)) {
            old.sa_flags = prev_flags;
            old.sa_mask = prev_mask;
            if (prev_flags & SA_SIGINFO) {
                old.sa_sigaction = reinterpret_cast<void (*)(int, siginfo_t*, void*)>(prev_handler);
            } else {
                old.sa_handler = reinterpret_cast<sighandler_t>(prev_handler);
            }
        }
        *oldact = old;
    }
    return r;
}

// glibc's signal(): BSD semantics (SA_RESTART unless siginterrupt() said otherwise, which we
// cannot see; the signal itself blocked while its handler runs).
sighandler_t signal(int sig, sighandler_t handler) {
    if (!fault_guard::owns(sig) && (!active() || !wrappable(sig))) return real::signal(sig, handler);
    struct sigaction act {};
    struct sigaction old {};
    act.sa_handler = handler;
    sigemptyset(&act.sa_mask);
    sigaddset(&act.sa_mask, sig);
    act.sa_flags = SA_RESTART;
    if (signals::sigaction(sig, &act, &old) != 0) return SIG_ERR;
    if (old.sa_flags & SA_SIGINFO) return reinterpret_cast<sighandler_t>(reinterpret_cast<void*>(old.sa_sigaction));
    return old.sa_handler;
}

}  // namespace ustack::preload::signals

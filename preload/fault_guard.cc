// The sigsetjmp guard that turns faults on program buffers into EFAULT (fault_guard.h).
#include "preload/fault_guard.h"

#include <setjmp.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "preload/real.h"

namespace ustack::preload::fault_guard {
namespace {

constexpr uintptr_t kPage = 4096;  // the smallest page: touching one byte per 4 KiB covers any size

// The program's disposition for SIGSEGV and SIGBUS while ours is installed. Written by
// sigaction() (the program's, rare), read by the handler on any thread.
struct Chained {
    std::atomic<bool> valid{false};
    struct sigaction action {};
};
constinit Chained g_chained[2];
std::atomic<bool> g_installed{false};

Chained* chained(int sig) {
    if (sig == SIGSEGV) return &g_chained[0];
    if (sig == SIGBUS) return &g_chained[1];
    return nullptr;
}

// The armed guard of this thread, or null (initial-exec TLS: safe in a handler).
__attribute__((tls_model("initial-exec"))) thread_local sigjmp_buf* t_guard = nullptr;

void on_fault(int sig, siginfo_t* si, void* uc) {
    if (sigjmp_buf* g = t_guard) {
        t_guard = nullptr;
        siglongjmp(*g, 1);
    }
    const struct sigaction prev = chained(sig)->action;
    const bool is_handler = (prev.sa_flags & SA_SIGINFO) ? prev.sa_sigaction != nullptr
                                                          : (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN);
    if (is_handler) {
        if (prev.sa_flags & SA_RESETHAND) {
            chained(sig)->action.sa_handler = SIG_DFL;
            chained(sig)->action.sa_flags = 0;
        }
        if (prev.sa_flags & SA_SIGINFO) prev.sa_sigaction(sig, si, uc);
        else prev.sa_handler(sig);
        return;
    }
    // The default action: put it back and let the fault happen again, so the process dies of
    // it where it happened. A SIGSEGV sent with kill() does not repeat: send it again.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    real::sigaction(sig, &dfl, nullptr);
    if (si == nullptr || si->si_code <= 0) {
        if (prev.sa_handler == SIG_IGN) return;
        raise(sig);
    }
}

}  // namespace

void install() {
    if (g_installed.load(std::memory_order_acquire)) return;
    struct sigaction ours {};
    ours.sa_sigaction = &on_fault;
    ours.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&ours.sa_mask);
    for (int sig : {SIGSEGV, SIGBUS}) {
        Chained* c = chained(sig);
        if (real::sigaction(sig, &ours, &c->action) != 0) return;  // leave faults as they were
        c->valid.store(true, std::memory_order_release);
    }
    g_installed.store(true, std::memory_order_release);
}

bool owns(int sig) {
    return (sig == SIGSEGV || sig == SIGBUS) && g_installed.load(std::memory_order_acquire);
}

int sigaction(int sig, const struct sigaction* act, struct sigaction* oldact) {
    Chained* c = chained(sig);
    if (oldact != nullptr) *oldact = c->action;
    if (act != nullptr) c->action = *act;
    return 0;
}

int probe(const iovec* iov, int iovcnt, size_t limit, bool writable) {
    sigjmp_buf env;
    // savemask 0: no system call. The handler runs with SA_NODEFER, so nothing is left blocked.
    if (sigsetjmp(env, 0) != 0) return -EFAULT;
    t_guard = &env;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    for (int i = 0; i < iovcnt && limit > 0; ++i) {
        const size_t len = iov[i].iov_len < limit ? iov[i].iov_len : limit;
        limit -= len;
        if (len == 0) continue;
        auto* p = static_cast<volatile unsigned char*>(iov[i].iov_base);
        const uintptr_t start = reinterpret_cast<uintptr_t>(p);
        const uintptr_t last = start + len - 1;
        // One byte in every page the range covers.
        for (uintptr_t a = start; a <= last; a = (a | (kPage - 1)) + 1) {
            auto* b = reinterpret_cast<volatile unsigned char*>(a);
            if (writable) __atomic_fetch_add(b, 0, __ATOMIC_RELAXED);
            else (void)*b;
            if (a > UINTPTR_MAX - kPage) break;
        }
    }
    std::atomic_signal_fence(std::memory_order_seq_cst);
    t_guard = nullptr;
    return 0;
}

}  // namespace ustack::preload::fault_guard

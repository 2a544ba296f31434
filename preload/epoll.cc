// User-level epoll over stack sockets, beside the kernel's epoll for kernel fds (epoll.h).
#include "preload/epoll.h"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <climits>
#include <cstring>
#include <mutex>
#include <new>

#include "preload/calls.h"
#include "preload/calls_internal.h"
#include "preload/log.h"
#include "preload/real.h"
#include "preload/runtime.h"
#include "preload/signals.h"

namespace ustack::preload::epoll {
namespace {

// The kernel's EP_MAX_EVENTS.
constexpr int kMaxEvents = static_cast<int>(INT_MAX / sizeof(epoll_event));
// The kernel's EP_MAX_NESTS: how deep a nested set is looked into.
constexpr int kMaxNests = 4;
// Bits epoll_ctl may carry with EPOLLEXCLUSIVE (the kernel's EPOLLEXCLUSIVE_OK_BITS).
constexpr uint32_t kExclusiveOk = EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND |
                                  EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

// epoll fd number -> EpollSet. Lock-free loads; stores under Registry::mu.
class EpollTable {
public:
    bool ready() const { return capacity_.load(std::memory_order_acquire) != 0; }
    bool init() {
        if (ready()) return true;
        rlimit rl{};
        getrlimit(RLIMIT_NOFILE, &rl);
        const size_t cap = FdTable::capacity_for(rl.rlim_cur, rl.rlim_max);
        void* p = mmap(nullptr, cap * sizeof(std::atomic<EpollSet*>), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) return false;
        slots_.store(static_cast<std::atomic<EpollSet*>*>(p), std::memory_order_release);
        capacity_.store(cap, std::memory_order_release);
        return true;
    }
    EpollSet* get(int fd) const {
        if (static_cast<unsigned>(fd) >= capacity_.load(std::memory_order_acquire)) return nullptr;
        return slots_.load(std::memory_order_acquire)[fd].load(std::memory_order_acquire);
    }
    bool fits(int fd) const { return fd >= 0 && static_cast<size_t>(fd) < capacity_.load(std::memory_order_acquire); }
    EpollSet* exchange(int fd, EpollSet* s) { return slots_.load(std::memory_order_acquire)[fd].exchange(s); }
    template <class F>
    void for_each(F&& f) const {
        const size_t n = capacity_.load(std::memory_order_acquire);
        for (size_t i = 0; i < n; ++i) {
            if (EpollSet* s = slots_.load(std::memory_order_acquire)[i].load(std::memory_order_relaxed)) f(static_cast<int>(i), s);
        }
    }

private:
    std::atomic<std::atomic<EpollSet*>*> slots_{nullptr};
    std::atomic<size_t> capacity_{0};
};

struct Registry {
    std::mutex mu;  // guards every EpollSet and EpollEntry; inside the stack lock
    EpollTable table;
};
constinit Registry g_reg;

// The doorbell (epoll.h): an eventfd made readable once and never drained. -1 until the stack
// is up and a stack socket is first registered.
std::atomic<int> g_doorbell{-1};
std::atomic<bool> g_doorbell_made{false};  // stays true in fork children (shared sets)
constexpr uint64_t kDoorbellCookie = 0x7573746b646f6f72;  // "ustkdoor"

// Under the stack lock and the epoll lock.
void ensure_doorbell() {
    if (g_doorbell.load(std::memory_order_relaxed) >= 0) return;
    int fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) return;  // no doorbell: the cross-thread first-add case stays unwoken
    fd = Runtime::instance().adopt_internal(fd);
    g_doorbell.store(fd, std::memory_order_release);
    g_doorbell_made.store(true, std::memory_order_release);
}

// Wakes the threads asleep in the kernel's epoll_wait on s (under the epoll lock): the
// doorbell, always readable, is armed one-shot in s's kernel set.
void ring_doorbell(EpollSet* s) {
    const int fd = g_doorbell.load(std::memory_order_acquire);
    if (fd < 0 || s->kernel_sleepers == 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = kDoorbellCookie;
    if (real::epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 && errno == EEXIST) {
        (void)real::epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev);
    }
}

// A listener's kernel half (kernel_listener.h) is registered in the kernel set of every epoll
// set holding the listener, edge-triggered, with this cookie: it only wakes the sleepers.
constexpr uint64_t kKernelListenerCookie = 0x7573746b6c697374;  // "ustklist"
std::atomic<bool> g_kernel_listener_registered{false};

// Under the epoll lock.
void register_kernel_half(EpollSet* s, const SocketFile* f) {
    const int k = f->kernel_listener;
    if (k < 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = kKernelListenerCookie;
    g_kernel_listener_registered.store(true, std::memory_order_release);
    if (real::epoll_ctl(s->epfd, EPOLL_CTL_ADD, k, &ev) != 0 && errno != EEXIST) {
        USTACK_LOG_DEBUG("epoll fd %d cannot watch the kernel half of a listener (%s)", s->epfd, strerrordesc_np(errno));
    }
}

// Removes our internal events (doorbell, kernel halves) from a kernel result; returns the new count.
int strip_doorbell(epoll_event* evs, int n) {
    if (!g_doorbell_made.load(std::memory_order_acquire) && !g_kernel_listener_registered.load(std::memory_order_acquire)) {
        return n;
    }
    int out = 0;
    for (int i = 0; i < n; ++i) {
        if (evs[i].data.u64 != kDoorbellCookie && evs[i].data.u64 != kKernelListenerCookie) evs[out++] = evs[i];
    }
    return out;
}

// The epoll lock, with signal deferral (a handler may call epoll_ctl).
class EpollLock {
public:
    EpollLock() {
        signals::enter_critical();
        g_reg.mu.lock();
    }
    ~EpollLock() {
        g_reg.mu.unlock();
        signals::leave_critical();
    }
    EpollLock(const EpollLock&) = delete;
    EpollLock& operator=(const EpollLock&) = delete;
};

// ---- lists ------------------------------------------------------------------------------

EpollEntry*& watchers_of(EpollEntry* e) { return e->file != nullptr ? e->file->watchers : e->child->watchers; }

void link(EpollSet* s, EpollEntry* e) {
    e->set = s;
    e->set_prev = s->tail;
    e->set_next = nullptr;
    if (s->tail) s->tail->set_next = e; else s->head = e;
    s->tail = e;
    EpollEntry*& w = watchers_of(e);
    e->target_prev = nullptr;
    e->target_next = w;
    if (w) w->target_prev = e;
    w = e;
    s->entries.fetch_add(1, std::memory_order_release);
}

void unlink_from_set(EpollEntry* e) {
    EpollSet* s = e->set;
    if (e->set_prev) e->set_prev->set_next = e->set_next; else s->head = e->set_next;
    if (e->set_next) e->set_next->set_prev = e->set_prev; else s->tail = e->set_prev;
    e->set_prev = e->set_next = nullptr;
}

void unlink(EpollEntry* e) {
    unlink_from_set(e);
    EpollEntry*& w = watchers_of(e);
    if (e->target_prev) e->target_prev->target_next = e->target_next; else w = e->target_next;
    if (e->target_next) e->target_next->target_prev = e->target_prev;
    e->set->entries.fetch_sub(1, std::memory_order_release);
    delete e;
}

void move_to_tail(EpollEntry* e) {
    EpollSet* s = e->set;
    if (s->tail == e) return;
    unlink_from_set(e);
    e->set_prev = s->tail;
    s->tail->set_next = e;
    s->tail = e;
}

EpollEntry* find(EpollEntry* watchers, const EpollSet* s, int fd) {
    for (EpollEntry* e = watchers; e != nullptr; e = e->target_next) {
        if (e->set == s && e->fd == fd) return e;
    }
    return nullptr;
}

// Frees a set nothing refers to any more (no fd, no sleeping caller).
void maybe_free(EpollSet* s) {
    if (s->fd_refs > 0 || s->pins > 0) return;
    while (s->head) unlink(s->head);
    while (s->watchers) unlink(s->watchers);  // the kernel drops a closed epoll from its parents
    delete s;
}

EpollSet* set_for(int epfd) {
    EpollSet* s = g_reg.table.get(epfd);
    if (s != nullptr || !g_reg.table.fits(epfd)) return s;
    // An epoll fd we did not see created (made before we loaded, or by a raw system call).
    s = new EpollSet;
    s->epfd = epfd;
    s->fd_refs = 1;
    g_reg.table.exchange(epfd, s);
    return s;
}

// ---- readiness --------------------------------------------------------------------------

// The stack's readiness bits as epoll bits.
uint32_t epoll_bits(uint32_t r) {
    uint32_t out = r & (readiness::kErr | readiness::kHup | readiness::kRdHup | readiness::kPri);
    if (r & readiness::kIn) out |= EPOLLIN | EPOLLRDNORM;
    if (r & readiness::kOut) out |= EPOLLOUT | EPOLLWRNORM;
    return out;
}

bool set_ready(Stack& stack, EpollSet* s, int depth);

// What e would report now. consume: this is epoll_wait reporting it (update ET/ONESHOT state).
uint32_t entry_events(Stack& stack, EpollEntry* e, bool consume, int depth) {
    if (e->state.disarmed) return 0;
    uint32_t current = 0;
    size_t rxq = 0;
    if (e->file != nullptr) {
        if (e->file->sock == 0) return 0;
        current = epoll_bits(calls::socket_readiness(stack, e->file));
        if ((e->events & EPOLLET) && (current & EPOLLIN) && !e->file->listening) rxq = stack.recv_queue_bytes(e->file->sock);
    } else if (depth < kMaxNests && set_ready(stack, e->child, depth + 1)) {
        current = EPOLLIN | EPOLLRDNORM;
    }
    return report(e->events, current, rxq, e->state, consume);
}

bool set_ready(Stack& stack, EpollSet* s, int depth) {
    for (EpollEntry* e = s->head; e != nullptr; e = e->set_next) {
        if (entry_events(stack, e, false, depth) != 0) return true;
    }
    return false;
}

// Fills out[0..max) with ready user-level entries; reported ones move to the tail so a
// short array still serves every entry in turn.
int collect(Stack& stack, EpollSet* s, epoll_event* out, int max) {
    int n = 0;
    int left = s->entries.load(std::memory_order_relaxed);
    EpollEntry* e = s->head;
    while (e != nullptr && left-- > 0 && n < max) {
        EpollEntry* next = e->set_next;
        if (const uint32_t ev = entry_events(stack, e, true, 0); ev != 0) {
            out[n].events = ev;
            out[n].data = e->data;
            ++n;
            move_to_tail(e);
        }
        e = next;
    }
    return n;
}

// The kernel reports a nested epoll fd itself when its kernel part is ready; if we reported
// the same registration from its stack part, merge the two (same data: same registration).
// evs[ubeg, ubeg + un) are ours, the rest the kernel's. Returns the new count.
int merge_nested_duplicates(EpollSet* s, epoll_event* evs, int ubeg, int un, int n) {
    bool any_child = false;
    for (EpollEntry* e = s->head; e != nullptr && !any_child; e = e->set_next) any_child = e->child != nullptr;
    if (!any_child || un == 0) return n;
    int out = 0;
    for (int k = 0; k < n; ++k) {
        bool merged = false;
        if (k < ubeg || k >= ubeg + un) {
            for (int u = ubeg; u < ubeg + un && !merged; ++u) {
                if (evs[u].data.u64 != evs[k].data.u64) continue;
                for (EpollEntry* e = s->head; e != nullptr; e = e->set_next) {
                    if (e->child != nullptr && e->data.u64 == evs[u].data.u64) {
                        evs[u].events |= evs[k].events;
                        merged = true;
                        break;
                    }
                }
            }
        }
        if (!merged) evs[out++] = evs[k];
    }
    return out;
}

uint32_t with_always(uint32_t events) { return events | EPOLLERR | EPOLLHUP; }

}  // namespace

void track(int epfd) {
    if (Runtime::instance().mode() == Mode::kInert) return;
    EpollLock lock;
    if (!g_reg.table.init() || !g_reg.table.fits(epfd)) return;
    auto* s = new EpollSet;
    s->epfd = epfd;
    s->fd_refs = 1;
    if (EpollSet* stale = g_reg.table.exchange(epfd, s)) {  // closed behind our back
        if (--stale->fd_refs == 0) maybe_free(stale);
    }
}

bool known(int fd) { return g_reg.table.get(fd) != nullptr; }

bool has_entries(int fd) {
    EpollSet* s = g_reg.table.get(fd);
    return s != nullptr && s->entries.load(std::memory_order_acquire) > 0;
}

long ctl_stack(int epfd, int op, int fd, epoll_event* ev) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) return calls::forked_child_error(fd);
    const bool has_event = op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD;
    if (has_event && ev == nullptr) return -EFAULT;
    // The kernel checks epfd and fd: a DEL of the idle kernel socket (never registered
    // anywhere) fails with ENOENT exactly when both are fine, else with EBADF or EINVAL.
    if (real::epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr) == 0) return -EINVAL;  // cannot happen
    if (errno != ENOENT) return -errno;
    const uint32_t events = has_event ? ev->events : 0;
    if (has_event && (events & EPOLLEXCLUSIVE)) {
        if (op == EPOLL_CTL_MOD || (events & ~kExclusiveOk)) return -EINVAL;
    }
    if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL) return -EINVAL;

    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return calls::kPassToKernel;  // handed over or closed meanwhile
    EpollLock lock;
    if (!g_reg.table.init()) return -ENOMEM;
    ensure_doorbell();
    EpollSet* s = set_for(epfd);
    if (s == nullptr) return -ENOMEM;
    EpollEntry* e = find(f->watchers, s, fd);
    switch (op) {
        case EPOLL_CTL_ADD:
            if (e != nullptr) return -EEXIST;
            e = new EpollEntry;
            e->fd = fd;
            e->file = f;
            e->events = with_always(events);
            e->data = ev->data;
            link(s, e);
            register_kernel_half(s, f);
            // A thread asleep on this set in the kernel (it had no stack entry) must look again.
            if (s->entries.load(std::memory_order_relaxed) == 1) ring_doorbell(s);
            break;
        case EPOLL_CTL_MOD:
            if (e == nullptr) return -ENOENT;
            if (e->events & EPOLLEXCLUSIVE) return -EINVAL;
            // ep_modify looks at the file again: a ready fd is reported again, even with ET.
            e->events = with_always(events);
            e->data = ev->data;
            e->state = ReportState{};
            break;
        default:
            if (e == nullptr) return -ENOENT;
            unlink(e);
            if (const int k = f->kernel_listener; k >= 0) {
                bool still_here = false;  // the same listener under another fd number
                for (EpollEntry* o = f->watchers; o != nullptr; o = o->target_next) still_here |= o->set == s;
                if (!still_here) (void)real::epoll_ctl(s->epfd, EPOLL_CTL_DEL, k, nullptr);
            }
            break;
    }
    rt.wake_waiters();  // a sleeping epoll_wait on this set must look again
    return 0;
}

void ctl_kernel(int epfd, int op, int fd, const epoll_event* ev) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() == Mode::kInert || !g_reg.table.ready()) return;
    if (g_reg.table.get(fd) == nullptr) return;  // not an epoll fd: the kernel has it all
    std::optional<StackLock> l;
    if (rt.mode() == Mode::kActive) l.emplace(rt);
    EpollLock lock;
    EpollSet* child = g_reg.table.get(fd);
    EpollSet* s = set_for(epfd);
    if (child == nullptr || s == nullptr) return;
    EpollEntry* e = find(child->watchers, s, fd);
    if (op == EPOLL_CTL_ADD && e == nullptr) {
        e = new EpollEntry;
        e->fd = fd;
        e->child = child;
        e->events = with_always(ev->events);
        e->data = ev->data;
        link(s, e);
        if (s->entries.load(std::memory_order_relaxed) == 1) ring_doorbell(s);
    } else if (op == EPOLL_CTL_MOD && e != nullptr) {
        e->events = with_always(ev->events);
        e->data = ev->data;
        e->state = ReportState{};
    } else if (op == EPOLL_CTL_DEL && e != nullptr) {
        unlink(e);
    }
    if (l) rt.wake_waiters();
}

long wait(int epfd, epoll_event* events, int maxevents, std::optional<Duration> timeout, const sigset_t* sigmask) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) return calls::kPassToKernel;
    if (maxevents <= 0 || maxevents > kMaxEvents) return -EINVAL;
    if (events == nullptr) return -EFAULT;

    StackLock l(rt);
    EpollSet* s;
    {
        EpollLock lock;
        s = g_reg.table.get(epfd);
        if (s == nullptr) return calls::kPassToKernel;
        ++s->pins;
    }
    struct Unpin {
        EpollSet* s;
        ~Unpin() {
            EpollLock lock;
            --s->pins;
            maybe_free(s);
        }
    } unpin{s};

    const std::optional<Instant> deadline = timeout ? std::optional<Instant>(l.now() + *timeout) : std::nullopt;
    bool last_look = timeout && timeout->count() <= 0;
    for (;;) {
        // Who fills the array first alternates, so neither side can starve the other.
        int n = 0;
        int ubeg = 0;
        int un = 0;
        bool kernel_first;
        {
            EpollLock lock;
            kernel_first = s->kernel_first;
            s->kernel_first = !s->kernel_first;
        }
        for (int pass = 0; pass < 2 && n < maxevents; ++pass) {
            if ((pass == 0) == kernel_first) {
                const int k = real::epoll_wait(epfd, events + n, maxevents - n, 0);
                if (k < 0 && n == 0) return -errno;
                if (k > 0) n += strip_doorbell(events + n, k);
            } else {
                EpollLock lock;
                ubeg = n;
                un = collect(l.stack(), s, events + n, maxevents - n);
                n += un;
            }
        }
        {
            EpollLock lock;
            n = merge_nested_duplicates(s, events, ubeg, un, n);
        }
        if (n > 0 || last_look) return n;

        pollfd p[2];
        p[0] = pollfd{epfd, POLLIN, 0};
        const int w = l.wait(p, 1, deadline, sigmask);
        if (w == -ETIMEDOUT) {
            last_look = true;
        } else if (w < 0) {
            return w;  // EINTR: epoll_wait never restarts (signal(7))
        }
    }
}

int wait_kernel(int epfd, epoll_event* events, int maxevents, std::optional<Duration> timeout, const sigset_t* sigmask) {
    const Instant deadline = timeout ? monotonic_now() + *timeout : Instant::max();
    for (;;) {
        EpollSet* s = nullptr;
        bool slow = false;
        {
            EpollLock lock;
            s = g_reg.table.get(epfd);
            if (s != nullptr) {
                slow = s->entries.load(std::memory_order_relaxed) > 0;
                if (!slow) {
                    ++s->pins;
                    ++s->kernel_sleepers;
                }
            }
        }
        std::optional<Duration> left;
        if (timeout) left = std::max(Duration(0), deadline - monotonic_now());
        if (slow) {
            const int saved = errno;
            const long w = wait(epfd, events, maxevents, left, sigmask);
            if (w != calls::kPassToKernel) {
                if (w < 0) {
                    errno = static_cast<int>(-w);
                    return -1;
                }
                errno = saved;
                return static_cast<int>(w);
            }
        }
        timespec ts{};
        if (left) {
            ts.tv_sec = left->count() / 1'000'000'000;
            ts.tv_nsec = left->count() % 1'000'000'000;
        }
        int r = real::epoll_pwait2(epfd, events, maxevents, left ? &ts : nullptr, sigmask);
        if (r < 0 && errno == ENOSYS) {  // before Linux 5.11: millisecond timeouts, rounded up
            const int ms = left ? static_cast<int>((left->count() + 999'999) / 1'000'000) : -1;
            r = real::epoll_pwait(epfd, events, maxevents, ms, sigmask);
        }
        if (s != nullptr && !slow) {
            const int saved = errno;
            EpollLock lock;
            --s->kernel_sleepers;
            --s->pins;
            maybe_free(s);
            errno = saved;
        }
        if (r <= 0) return r;
        const int n = strip_doorbell(events, r);
        if (n > 0) return n;
        if (timeout && monotonic_now() >= deadline) return 0;
        // Only the doorbell: the set gained a stack socket; look again (on the slow path).
    }
}

void forget(int fd) {
    if (!g_reg.table.ready()) return;
    Runtime& rt = Runtime::instance();
    std::optional<StackLock> l;  // entries of stack sockets are unlinked from their files
    if (rt.mode() == Mode::kActive) l.emplace(rt);
    EpollLock lock;
    EpollSet* s = g_reg.table.exchange(fd, nullptr);
    if (s == nullptr) return;
    if (--s->fd_refs == 0) {
        maybe_free(s);
        return;
    }
    if (s->epfd == fd) {
        g_reg.table.for_each([&](int other, EpollSet* x) {
            if (x == s) s->epfd = other;
        });
    }
}

void after_dup(int oldfd, int newfd) {
    if (!g_reg.table.ready() || oldfd == newfd || !g_reg.table.fits(newfd)) return;
    Runtime& rt = Runtime::instance();
    std::optional<StackLock> l;
    if (rt.mode() == Mode::kActive) l.emplace(rt);
    EpollLock lock;
    EpollSet* s = g_reg.table.get(oldfd);
    if (s != nullptr) ++s->fd_refs;
    if (EpollSet* prev = g_reg.table.exchange(newfd, s)) {  // dup2 onto an epoll fd closes it
        if (--prev->fd_refs == 0) maybe_free(prev);
    }
}

void file_released(SocketFile* f) {
    EpollLock lock;
    while (f->watchers != nullptr) unlink(f->watchers);
}

void file_handed_over(SocketFile* f) {
    EpollLock lock;
    while (EpollEntry* e = f->watchers) {
        epoll_event ev{};
        ev.events = e->state.disarmed ? (e->events & (EPOLLONESHOT | EPOLLET)) : e->events;
        ev.data = e->data;
        if (real::epoll_ctl(e->set->epfd, EPOLL_CTL_ADD, e->fd, &ev) != 0) {
            USTACK_LOG_WARN("fd %d moved to the kernel but could not follow it into epoll fd %d (%s)", e->fd,
                            e->set->epfd, strerrordesc_np(errno));
        }
        unlink(e);
    }
}

void kernel_listener_started(SocketFile* f) {
    EpollLock lock;
    for (EpollEntry* e = f->watchers; e != nullptr; e = e->target_next) register_kernel_half(e->set, f);
}

bool readable(StackLock& l, int epfd) {
    EpollLock lock;
    EpollSet* s = g_reg.table.get(epfd);
    return s != nullptr && set_ready(l.stack(), s, 0);
}

void on_fork_child() {
    new (&g_reg.mu) std::mutex();
    // The runtime closed its internal fds here, the doorbell among them; the sets it is
    // registered in may be shared with the parent, so its events are still filtered.
    if (Runtime::instance().mode() == Mode::kForkedChild) g_doorbell.store(-1, std::memory_order_release);
    // The child's epoll fds still hold the kernel registrations; the stack entries are the
    // parent's (its sockets are dead ends here), so the sets forget them. Leaked, not freed:
    // the child must not trust the parent's heap state mid-update.
    if (Runtime::instance().mode() != Mode::kForkedChild || !g_reg.table.ready()) return;
    g_reg.table.for_each([](int fd, EpollSet*) { g_reg.table.exchange(fd, nullptr); });
}

}  // namespace ustack::preload::epoll

#include "preload/runtime.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "netdev/pcap_recorder.h"
#include "preload/config.h"
#include "preload/epoll.h"
#include "preload/impair_env.h"
#include "preload/fault_guard.h"
#include "preload/kernel_listener.h"
#include "preload/log.h"
#include "preload/real.h"
#include "preload/stats_export.h"
#include "preload/signals.h"
#include "preload/thread_state.h"
#include "stack/core/heap.h"

namespace ustack::preload {
namespace {

constinit Runtime g_runtime;

// Internal fds live just below this (or below the soft RLIMIT_NOFILE if smaller), far from
// the small numbers programs dup2 onto, but low enough that the kernel's per-process fd
// array stays small.
constexpr int kHighFdCeiling = 4096;
constexpr int kHighFdBand = 64;

// The driving waiter copies its poll set onto its stack with the device fd added; a poll() over
// more kernel fds than this leaves the device to the service thread.
constexpr nfds_t kDriverSetMax = 64;

// A driver that wakes leaves the device unwatched for this long at most before the service
// thread takes it back (Runtime::stop_driving): the hand-back tick's period.
constexpr long kHandBackTickNs = 1'000'000;

// The waiter of the calling thread. initial-exec TLS: no allocation, usable in any context.
__attribute__((tls_model("initial-exec"))) thread_local Waiter t_waiter;

uint64_t random_u64() {
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != sizeof v) v = static_cast<uint64_t>(monotonic_now().count()) ^ static_cast<uint64_t>(getpid());
    return v;
}

void drain(int fd) {
    uint64_t v;
    while (real::read(fd, &v, sizeof v) > 0) {
    }
}

void notify(int fd) {
    uint64_t one = 1;
    (void)real::write(fd, &one, sizeof one);
}

// Linux sk_send_sigurg(): a new urgent pointer from the peer signals the socket's owner, set
// with F_SETOWN(_EX) on the kernel socket at the same fd. A scan of the fd table, as urgent
// data is rare. Under the stack lock: a handler that lands on a thread inside the library
// runs once the lock is released (signals.h).
void send_sigurg(const FdTable& fds, int sock) {
    int fd = -1;
    fds.for_each([&](int i, SocketFile* f) {
        if (fd < 0 && f != kInternalFd && f->sock == sock) fd = i;
    });
    f_owner_ex owner{};
    if (fd < 0 || real::fcntl(fd, F_GETOWN_EX, &owner) != 0 || owner.pid <= 0) return;
    switch (owner.type) {
        case F_OWNER_TID: syscall(SYS_tgkill, getpid(), owner.pid, SIGURG); break;
        case F_OWNER_PGRP: kill(-owner.pid, SIGURG); break;
        default: kill(owner.pid, SIGURG); break;
    }
}

// ppoll's timeout for an absolute deadline (nullptr: none), written into ts.
const timespec* time_left(std::optional<Instant> deadline, timespec* ts) {
    if (!deadline) return nullptr;
    Instant left = *deadline - monotonic_now();
    if (left.count() < 0) left = Instant(0);
    ts->tv_sec = left.count() / 1'000'000'000;
    ts->tv_nsec = left.count() % 1'000'000'000;
    return ts;
}

}  // namespace

Instant monotonic_now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return Instant(int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec);
}

Runtime& Runtime::instance() { return g_runtime; }

Waiter::~Waiter() {
    if (linked) {
        // The thread left the library without unregistering (a longjmp out of a signal
        // handler while it slept); unlink before the TLS goes away.
        StackLock lock(g_runtime);
        if (thread_state().driving == this) thread_state().driving = nullptr;
        g_runtime.stop_driving(this);
        if (linked) {
            if (prev) prev->next = next; else g_runtime.waiters_ = next;
            if (next) next->prev = prev;
            linked = false;
        }
    }
    if (efd >= 0) {
        thread_state().interrupt_fd = -1;  // left set if a handler jumped out of a wait
        g_runtime.fds().exchange(efd, nullptr);
        real::close(efd);
    }
}

void Runtime::on_load() {
    real::resolve_all();
    if (auto level = parse_log_level(getenv("USTACK_LOG"))) set_log_level(*level);
    // Opened here, before anything can log, so that every line of the run goes to the file.
    if (const char* path = getenv("USTACK_LOG_FILE"); path != nullptr && *path != '\0' && !set_log_file(path)) {
        USTACK_LOG_ERROR("cannot open USTACK_LOG_FILE=\"%s\" (%s); logging to stderr", path, strerrordesc_np(errno));
    }
    if (getenv("USTACK_DEVICE") == nullptr) {
        Mode expected = Mode::kUnset;
        mode_.compare_exchange_strong(expected, Mode::kInert);
    }
    pthread_atfork(nullptr, nullptr, [] { g_runtime.on_fork_child(); });
}

void Runtime::drain_at_exit() {
    if (mode() != Mode::kActive || thread_state().in_runtime) return;
    StackLock lock(*this);
    const Instant deadline = lock.now() + kExitDrain;
    while (lock.stack().has_pending_output() && monotonic_now() < deadline) {
        const int r = lock.wait(deadline);
        if (r < 0 && r != -EINTR && r != -ETIMEDOUT) break;
    }
    if (log_enabled(LogLevel::kInfo)) {
        // The run's counters, nonzero ones only, in the names `ustack stat` uses.
        const Counters& c = lock.stack().counters();
#define USTACK_LOG_COUNTER(name, help) \
        if (c.name != 0) USTACK_LOG_INFO("counter %s %llu", #name, static_cast<unsigned long long>(c.name));
        USTACK_COUNTERS(USTACK_LOG_COUNTER)
        const RuntimeCounters& rc = counters_;
#define USTACK_LOG_RUNTIME_COUNTER(name, help) \
        if (rc.name != 0) USTACK_LOG_INFO("counter %s %llu", #name, static_cast<unsigned long long>(rc.name));
        USTACK_RUNTIME_COUNTERS(USTACK_LOG_RUNTIME_COUNTER)
#undef USTACK_LOG_RUNTIME_COUNTER
#undef USTACK_LOG_COUNTER
    }
}

bool Runtime::stack_available() {
    Mode m = mode();
    if (m == Mode::kActive) return !thread_state().in_runtime;
    if (m != Mode::kUnset || thread_state().in_runtime) return false;
    if (getenv("USTACK_DEVICE") == nullptr) {  // a socket() before our constructor ran
        Mode expected = Mode::kUnset;
        mode_.compare_exchange_strong(expected, Mode::kInert);
        return false;
    }
    signals::enter_critical();  // a handler that makes a socket must not wait for us
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (mode() == Mode::kUnset) {
            InRuntime guard;  // the device's own sockets (ioctl helpers) go to the kernel
            if (!bring_up()) fall_back();
        }
    }
    signals::leave_critical();
    return mode() == Mode::kActive;
}

void Runtime::fall_back() {
    mode_.store(Mode::kFallback, std::memory_order_release);
}

int Runtime::move_high(int fd) {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t ceiling = rl.rlim_cur == RLIM_INFINITY ? kHighFdCeiling : std::min<rlim_t>(rl.rlim_cur, kHighFdCeiling);
    int floor = static_cast<int>(ceiling) - kHighFdBand;
    int moved = fd;
    if (floor > fd) {
        int n = real::fcntl(fd, F_DUPFD_CLOEXEC, floor);
        if (n >= 0) {
            real::close(fd);
            moved = n;
        }
    }
    if (fds_.fits(moved)) fds_.exchange(moved, kInternalFd);
    return moved;
}

int Runtime::shared_idle_socket(bool nonblocking) {
    int& s = shared_idle_[nonblocking ? 1 : 0];
    if (s < 0) {
        const int fd = real::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
        if (fd < 0) return -errno;
        s = move_high(fd);
    }
    return s;
}

bool Runtime::bring_up() {
    ConfigResult cr = parse_config([](const char* name) -> const char* { return getenv(name); });
    if (!cr.ok()) {
        for (const std::string& e : cr.errors) USTACK_LOG_ERROR("%s", e.c_str());
        return false;
    }
    const Config& cfg = cr.config;
    set_log_level(cfg.log_level);

    if (const std::string& err = heap::init(); !err.empty()) {
        // heap::init's line already starts with "ustack: ".
        USTACK_LOG_ERROR("%s", err.c_str() + (err.rfind("ustack: ", 0) == 0 ? 8 : 0));
        return false;
    }
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (!fds_.init(FdTable::capacity_for(rl.rlim_cur, rl.rlim_max))) {
        USTACK_LOG_ERROR("cannot map the fd table (%zu slots); lower RLIMIT_NOFILE (ulimit -n)",
                         FdTable::capacity_for(rl.rlim_cur, rl.rlim_max));
        return false;
    }
    // The log file's fd is ours: a program's close() or dup2() onto it must not take it away.
    if (log_fd() != 2 && fds_.fits(log_fd())) fds_.exchange(log_fd(), kInternalFd);
    busy_poll_us_ = cfg.busy_poll_us;

    // Fault injection works frame by frame: with TSO/GRO one dropped frame would be up to 45
    // packets lost at once, not the per-packet loss asked for. So impairment turns offloads off.
    const char* impair = getenv("USTACK_IMPAIR");
    const bool offloads = cfg.offloads && (impair == nullptr || *impair == '\0');
    netdev::OpenResult opened = netdev::open_device(cfg.device, offloads, cfg.packet_rings);
    if (!opened.device) {
        USTACK_LOG_ERROR("%s", opened.error.c_str());
        return false;
    }
    std::unique_ptr<netdev::Device> device = std::move(opened.device);
    // Fault injection for interop tests, next to the wire so the pcap shows what the stack saw.
    if (ImpairWrap w = wrap_with_impairment(std::move(device), impair); w.device) {
        device = std::move(w.device);
    } else {
        USTACK_LOG_ERROR("%s", w.error.c_str());
        return false;
    }
    if (!cfg.pcap.empty()) {
        netdev::PcapResult rec = netdev::record_to_pcap(std::move(device), cfg.pcap);
        if (!rec.device) {
            USTACK_LOG_ERROR("%s", rec.error.c_str());
            return false;
        }
        device = std::move(rec.device);
    }

    // The stats page and live capture for `ustack ss|stat|capture` (stats_export.h).
    device = stats_export::start(std::move(device));

    StackConfig sc;
    sc.address = cfg.address;
    sc.gateway = cfg.gateway;
    sc.mac = choose_mac(cfg.mac, device->hw_addr(), cfg.address.address);
    sc.seed = random_u64();

    int epfd = epoll_create1(EPOLL_CLOEXEC);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    int cfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int kfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (epfd < 0 || tfd < 0 || cfd < 0 || kfd < 0) {
        USTACK_LOG_ERROR("cannot create the service thread's epoll/timerfds/eventfd (%s); raise RLIMIT_NOFILE", strerrordesc_np(errno));
        for (int fd : {epfd, tfd, cfd, kfd}) if (fd >= 0) real::close(fd);
        return false;
    }
    epoll_fd_ = move_high(epfd);
    timer_fd_ = move_high(tfd);
    control_fd_ = move_high(cfd);
    tick_fd_ = move_high(kfd);
    const int dev_fd = device->wait_fd();
    // The device opened its fd at the lowest free number; we cannot renumber an fd the
    // device object holds, so it is only protected (README: residual risk).
    if (dev_fd >= 0 && fds_.fits(dev_fd)) fds_.exchange(dev_fd, kInternalFd);

    epoll_event ev{};
    ev.events = EPOLLIN;
    for (int fd : {dev_fd, timer_fd_, control_fd_, tick_fd_}) {
        if (fd < 0) continue;
        ev.data.fd = fd;
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
            USTACK_LOG_ERROR("cannot watch fd %d of device %s (%s)", fd, device->name().c_str(), strerrordesc_np(errno));
            return false;
        }
    }

    const Instant now = monotonic_now();
    try {
        void* mem = heap::allocate(sizeof(Stack), alignof(Stack));
        stack_ = new (mem) Stack(sc, *device, now);
    } catch (const std::exception& e) {
        USTACK_LOG_ERROR("cannot create the stack: %s", e.what());
        return false;
    }
    device_ = device.release();
    arm_timer(stack_->next_deadline());

    // The service thread must not take the program's signals: block them all while it is
    // created so it inherits a full mask.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t tid;
    int rc = pthread_create(&tid, nullptr, service_main, nullptr);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (rc != 0) {
        USTACK_LOG_ERROR("cannot start the service thread (%s)", strerrordesc_np(rc));
        return false;  // the stack object is leaked; nothing uses it
    }
    pthread_detach(tid);
    fault_guard::install();  // bad buffers give EFAULT from here on (fault_guard.h)
    mode_.store(Mode::kActive, std::memory_order_release);
    USTACK_LOG_INFO("stack up on %s, address %s/%u, mac %s%s%s", device_->name().c_str(),
                    sc.address.address.to_string().c_str(), sc.address.prefix_len, sc.mac.to_string().c_str(),
                    sc.gateway ? ", gateway " : "", sc.gateway ? sc.gateway->to_string().c_str() : "");
    return true;
}

void* service_main(void*) {
    thread_state().in_runtime = true;
    pthread_setname_np(pthread_self(), "ustack-service");
    g_runtime.service_loop();
    return nullptr;
}

void Runtime::service_loop() {
    epoll_event evs[4];
    for (;;) {
        int n = epoll_wait(epoll_fd_, evs, 4, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            USTACK_LOG_ERROR("service thread: epoll_wait failed (%s); timers now only run during calls", strerrordesc_np(errno));
            return;
        }
        bool ticked = false;
        bool timer_fired = false;
        bool device_only = true;
        for (int i = 0; i < n; ++i) {
            const int fd = evs[i].data.fd;
            if (fd == timer_fd_ || fd == control_fd_ || fd == tick_fd_) {
                drain(fd);
                device_only = false;
            }
            if (fd == tick_fd_) ticked = true;
            if (fd == timer_fd_) timer_fired = true;
        }
        // Polls the stack; on release, rearms the timer to the exact next deadline if it fired
        // (or the deadline came earlier).
        StackLock lock(*this, timer_fired ? StackLock::Role::kServiceTimer : StackLock::Role::kService);
        // A handler ran on the driver's thread and may have jumped out of its wait: the device
        // is ours again (the driver, if it returns, finds driver_ changed and leaves it).
        if (Waiter* w = interrupted_driver_.exchange(nullptr)) {
            stop_driving(w);
            if (driver_ == nullptr && !service_watches_device_) watch_device();
        }
        if (ticked) hand_back_tick();
        if (device_only && lock.contended_) yield_device();
    }
}

// A call held the lock when frames woke us: the program is in the library and calls again
// soon (a busy server never blocks, so nobody drives). Waking for every frame only to queue
// for the lock cost a context switch and a futex handoff per frame (about six futex calls per
// connection for nginx with Connection: close); every call polls the device inline anyway. So
// leave the device unwatched and start the hand-back tick, as after a driver wakes: a tick in
// which no call ran gives it back, so a frame waits at most a tick.
void Runtime::yield_device() {
    if (driver_ != nullptr || !service_watches_device_ || tick_on_) return;
    itimerspec tick{};
    tick.it_value.tv_nsec = kHandBackTickNs;
    tick.it_interval.tv_nsec = kHandBackTickNs;
    if (timerfd_settime(tick_fd_, 0, &tick, nullptr) != 0) return;
    tick_on_ = true;
    epoll_event ev{};
    ev.events = 0;  // EPOLLERR/EPOLLHUP only
    ev.data.fd = device_->wait_fd();
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, ev.data.fd, &ev) == 0) service_watches_device_ = false;
    driven_since_tick_ = false;  // the first tick gives it back unless a call runs meanwhile
    ++counters_.device_yields;
}

// Under the lock, on the service thread. The lock's acquisition has just polled the device, so
// nothing waited more than a tick. A driver asleep on the device now restarts the tick when it
// wakes; a device nobody drove for a whole tick goes back to the service thread.
void Runtime::hand_back_tick() {
    if (driver_ == nullptr && !service_watches_device_ && driven_since_tick_) {
        driven_since_tick_ = false;
        return;  // still in use: look again next tick
    }
    if (driver_ == nullptr && !service_watches_device_) {
        watch_device();
        ++counters_.device_hand_backs;
    }
    if (!tick_on_) return;
    const itimerspec off{};
    if (timerfd_settime(tick_fd_, 0, &off, nullptr) == 0) tick_on_ = false;
}

void Runtime::arm_timer(std::optional<Instant> deadline) {
    Instant want = deadline ? *deadline : Instant::max();
    if (want == armed_) return;
    itimerspec its{};
    if (deadline) {
        int64_t ns = std::max<int64_t>(deadline->count(), 1);  // zero would disarm
        its.it_value.tv_sec = ns / 1'000'000'000;
        its.it_value.tv_nsec = ns % 1'000'000'000;
    }
    if (timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr) == 0) armed_ = want;
}

void Runtime::become_driver(Waiter* w) {
    driver_ = w;
    driven_since_tick_ = true;
    if (!service_watches_device_) return;
    epoll_event ev{};
    ev.events = 0;  // EPOLLERR/EPOLLHUP only
    ev.data.fd = device_->wait_fd();
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, ev.data.fd, &ev) == 0) service_watches_device_ = false;
}

void Runtime::stop_driving(Waiter* w) {
    if (driver_ != w) return;
    driver_ = nullptr;
    // A handler's request to depose w is done by this (a later driving wait of w must not be
    // deposed for it).
    Waiter* expected = w;
    interrupted_driver_.compare_exchange_strong(expected, nullptr);
    if (service_watches_device_ || tick_on_) return;
    // The device stays unwatched: a thread that has just woken from a blocking call usually
    // blocks again within microseconds (a request-response loop sleeps once per message), and
    // handing the device to the service thread and taking it back cost two epoll_ctl calls
    // per sleep, besides waking the service thread for frames that arrive in between. Until
    // someone drives again, every call still polls the device inline, and the tick (at most
    // kHandBackTickNs away) has the service thread poll it and, if nobody drove for a whole
    // tick, take it back.
    itimerspec tick{};
    tick.it_value.tv_nsec = kHandBackTickNs;
    tick.it_interval.tv_nsec = kHandBackTickNs;
    if (timerfd_settime(tick_fd_, 0, &tick, nullptr) == 0) {
        tick_on_ = true;
        return;
    }
    watch_device();
}

void Runtime::watch_device() {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = device_->wait_fd();
    // Level-triggered: frames already queued wake the service thread at once.
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, ev.data.fd, &ev) == 0) {
        service_watches_device_ = true;
    } else {
        USTACK_LOG_ERROR("cannot give the device fd back to the service thread (%s)", strerrordesc_np(errno));
    }
}

void Runtime::before_program_handler() {
    ThreadState& t = thread_state();
    Waiter* w = t.driving;
    if (w == nullptr) return;
    t.driving = nullptr;  // once is enough for this wait
    interrupted_driver_.store(w);
    const int saved = errno;
    notify(control_fd_);
    errno = saved;
}

void Runtime::wake_waiters() {
    for (Waiter* w = waiters_; w != nullptr; w = w->next) {
        w->notified = true;
        notify(w->efd);
    }
}

void Runtime::release_file(SocketFile* file, Instant now) {
    if (--file->fd_refs > 0) return;
    if (file->watchers != nullptr) epoll::file_released(file);
    kernel_listener::release(file);
    if (file->sock > 0) stack_->close(file->sock, now);
    file->sock = 0;
    if (file->pins == 0) delete file;
}

void Runtime::unpin(SocketFile* file) {
    if (--file->pins == 0 && file->fd_refs == 0) delete file;
}

// fork(): the child has only the forking thread. The parent's stack (its service thread, its
// lock, possibly mid-update) cannot be trusted there, so:
//  * stack up in the parent: the child never touches the lock or the stack again. Stack fds
//    it inherited fail with ENETDOWN ("the network is down" is true: this process has no
//    stack); closing or dup'ing them works. New sockets go to the kernel. Internal fds are
//    closed so they do not leak into the child's children.
//  * stack never created (a daemon forking before its first socket): the child starts
//    fresh and brings up its own stack lazily. The lock is re-made in case the fork caught
//    another thread inside bring_up().
void Runtime::on_fork_child() {
    Mode m = mode();
    if (m == Mode::kActive) {
        mode_.store(Mode::kForkedChild, std::memory_order_release);
        fds_.for_each([&](int fd, SocketFile* f) {
            if (f == kInternalFd) {
                fds_.exchange(fd, nullptr);
                // The log file stays open: the child logs too.
                if (fd != device_->wait_fd() && fd != log_fd()) real::close(fd);
            }
        });
        // The device fd is closed too: the child's copy only keeps the parent's device busy.
        if (device_->wait_fd() >= 0) real::close(device_->wait_fd());
        t_waiter.efd = -1;  // closed above with the other internal fds
        thread_state().interrupt_fd = -1;
        shared_idle_[0] = shared_idle_[1] = -1;
        t_waiter.linked = false;
    }
    epoll::on_fork_child();
    if (m == Mode::kUnset) {
        new (&mu_) std::mutex();
    }
}

// ---- StackLock ---------------------------------------------------------------------------

StackLock::StackLock(Runtime& rt) : rt_(rt) { acquire(); }
StackLock::StackLock(Runtime& rt, Role role) : rt_(rt), role_(role) { acquire(); }
StackLock::~StackLock() { release(); }

// The critical section starts before the lock is taken: a handler that runs while this thread
// waits for (or holds) the lock and calls into the stack would deadlock (signals.h).
void StackLock::acquire() {
    signals::enter_critical();
    if (role_ == Role::kCaller) {
        rt_.mu_.lock();
        rt_.driven_since_tick_ = true;  // the calls poll the device (Runtime::yield_device)
    } else if (!rt_.mu_.try_lock()) {
        contended_ = true;
        rt_.mu_.lock();
    }
    generation_ = rt_.stack_->generation();
    now_ = monotonic_now();
    rt_.stack_->poll(now_);
}

void StackLock::release() {
    Stack& s = *rt_.stack_;
    while (const int sock = s.take_urgent_signal()) send_sigurg(rt_.fds_, sock);
    if (s.generation() != generation_) rt_.wake_waiters();
    std::optional<Instant> d = s.next_deadline();
    // The timer is only ever moved earlier, except by the service thread after it fired: a
    // deadline that went away (an RTO cancelled by its ACK, which a busy server sees for every
    // connection) costs at most one early wakeup, which rearms exactly, instead of a
    // timerfd_settime each time the deadline moves later and again when it moves back.
    if (role_ == Role::kServiceTimer) {
        rt_.arm_timer(d);
    } else if (d && *d < rt_.armed_) {
        rt_.arm_timer(d);
    }
    rt_.mu_.unlock();
    signals::leave_critical();  // runs handlers deferred meanwhile
}

int StackLock::wait(std::optional<Instant> deadline) {
    pollfd slot[1];
    int r = wait(slot, 0, deadline);
    return r < 0 ? r : 0;
}

int StackLock::wait(pollfd* fds, nfds_t n, std::optional<Instant> deadline, const sigset_t* sigmask) {
    Waiter& w = t_waiter;
    if (w.efd < 0) {
        int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (efd < 0) return -errno;
        w.efd = rt_.move_high(efd);
    }
    if (w.linked) {  // left linked by an earlier longjmp; relink cleanly
        thread_state().driving = nullptr;  // a handler installed behind our back jumped
        rt_.stop_driving(&w);
        if (w.prev) w.prev->next = w.next; else rt_.waiters_ = w.next;
        if (w.next) w.next->prev = w.prev;
    }
    w.prev = nullptr;
    w.next = rt_.waiters_;
    if (w.next) w.next->prev = &w;
    rt_.waiters_ = &w;
    w.linked = true;

    fds[n].fd = w.efd;
    fds[n].events = POLLIN;
    fds[n].revents = 0;

    ThreadState& t = thread_state();
    const uint32_t handlers_before = t.handlers_run;
    t.last_restart = false;
    // Not for a poll that only looks (timeout 0): spinning is for calls that would sleep.
    const bool would_sleep = !(deadline && *deadline <= now_);
    const bool busy_poll = rt_.busy_poll_us_ > 0 && would_sleep;

    // The driver (runtime.h) also sleeps on the device fd, in a copy of the set one slot longer.
    const int dev_fd = rt_.device_->wait_fd();
    const bool drive = would_sleep && rt_.driver_ == nullptr && dev_fd >= 0 && n + 2 <= kDriverSetMax;
    pollfd driver_set[kDriverSetMax];
    pollfd* set = fds;
    nfds_t extra = 0;
    if (drive) {
        rt_.become_driver(&w);
        t.driving = &w;
        std::copy(fds, fds + n + 1, driver_set);
        driver_set[n + 1] = pollfd{dev_fd, POLLIN, 0};
        set = driver_set;
        extra = 1;
    }
    uint64_t spins = 0;
    bool slept = false;
    t.interrupt_fd = w.efd;  // from here a handler ends the sleep (thread_state.h)
    release();
    int r;
    int saved = 0;
    timespec ts{};
    if (t.handlers_run != handlers_before) {
        // A handler deferred while we held the lock has just run: the signal arrived during
        // this call, before it could sleep; as the kernel, the call is interrupted.
        r = -1;
        saved = EINTR;
    } else {
        r = 0;
        if (busy_poll) r = spin(set, n + extra, deadline, sigmask, handlers_before, &saved, &spins);
        if (r == 0 && sigmask == nullptr) {
            // A signal between the check above and the sleep would run its handler and leave
            // ppoll to sleep the whole timeout: a lost EINTR (seen under ASan's slower timing:
            // accept with SO_RCVTIMEO 2 s returned EAGAIN, not EINTR, after a 100 ms SIGALRM).
            // The handler writes our eventfd (t.interrupt_fd), so ppoll returns at once and the
            // check below reports the interruption. No signal mask changes: two system calls
            // fewer on every sleep, one of them between the wakeup and the caller's data.
            slept = true;
            r = real::ppoll(set, n + 1 + extra, time_left(deadline, &ts), nullptr);
            saved = errno;
        } else if (r == 0) {
            // The caller's own mask (ppoll, pselect, epoll_pwait) must be swapped in atomically
            // with the sleep, so here signals stay blocked from the last check until ppoll
            // installs that mask. Synchronous faults are never blocked.
            sigset_t blocked, old;
            sigfillset(&blocked);
            for (int sync : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP}) sigdelset(&blocked, sync);
            pthread_sigmask(SIG_BLOCK, &blocked, &old);
            if (t.handlers_run != handlers_before) {
                r = -1;
                saved = EINTR;
            } else {
                slept = true;
                r = real::ppoll(set, n + 1 + extra, time_left(deadline, &ts), sigmask);
                saved = errno;
            }
            pthread_sigmask(SIG_SETMASK, &old, nullptr);
        }
    }
    t.interrupt_fd = -1;
    acquire();  // polls the stack: what woke the driver is processed here
    if (drive) {
        t.driving = nullptr;
        rt_.stop_driving(&w);
        std::copy(driver_set, driver_set + n + 1, fds);
        if (driver_set[n + 1].revents != 0) {
            if (r > 0) --r;  // the device is none of the caller's fds
            ++rt_.counters_.driver_device_wakeups;
        }
    }
    if (busy_poll && (slept || spins > 0)) {
        rt_.counters_.busy_poll_spins += spins;
        ++(slept ? rt_.counters_.busy_poll_sleeps : rt_.counters_.busy_poll_wakeups);
    }

    if (w.prev) w.prev->next = w.next; else rt_.waiters_ = w.next;
    if (w.next) w.next->prev = w.prev;
    w.prev = w.next = nullptr;
    w.linked = false;
    // Written since the last drain only by a releaser's wake (notified) or by a handler (which
    // moved handlers_run); a stale count would only cost a spurious wakeup later.
    if (w.notified || fds[n].revents != 0 || t.handlers_run != handlers_before) {
        w.notified = false;
        drain(w.efd);
    }

    if (r < 0) return -saved;
    int kernel_ready = r - (fds[n].revents != 0 ? 1 : 0);
    // A signal that arrived after ppoll returned (a wakeup and the signal together: it stays
    // blocked until the mask is restored above, and its handler runs there) interrupted this
    // wait as surely as one that woke ppoll. Reporting only the wakeup would send the caller
    // back to sleep with the handler already counted, and no later check could see it: a
    // blocked recv slept its whole timeout after SIGALRM (conform sig_recv_eintr_without_restart
    // under ASan). Ready kernel fds still win, as the kernel's poll returns them.
    if (kernel_ready == 0 && t.handlers_run != handlers_before) return -EINTR;
    if (kernel_ready == 0 && fds[n].revents == 0 && deadline && now_ >= *deadline) return -ETIMEDOUT;
    return kernel_ready;
}

}  // namespace ustack::preload

// The per-process runtime: one ustack::Stack behind one lock, the device under it, a
// service thread, and the waiting machinery blocking calls use.
//
// Threading model
// ---------------
// * One Stack per process, created lazily by the first socket() the stack may carry
//   (AF_INET, SOCK_STREAM/SOCK_DGRAM). Programs that never make one never open the device.
// * The stack lock (Runtime::mu_) serialises every Stack call. It is only ever taken through
//   StackLock, whose acquisition drives the device inline (stack.poll(now)) so that a busy
//   program never waits for the service thread.
// * The service thread sleeps in epoll_wait on the device's wait_fd, a timerfd armed to
//   stack.next_deadline() and a control eventfd. Woken, it takes the lock (which polls the
//   stack). It never spins: an idle process uses no CPU.
// * The timerfd is never armed later than the earliest live deadline: a release moves it
//   earlier when a deadline comes earlier, and only the service thread, woken by the timer
//   itself, moves it later (to the exact next deadline). A deadline that went away meanwhile
//   costs one early wakeup, not a timerfd_settime each time it moves.
// * Blocking calls: a thread whose operation would block registers its thread-local waiter
//   eventfd (an intrusive list under the lock), unlocks, sleeps in poll() on that eventfd
//   (plus the kernel fds, for poll/select) with the SO_RCVTIMEO/SO_SNDTIMEO or poll timeout,
//   relocks, unregisters, drains the eventfd and looks again. With USTACK_BUSY_POLL it first
//   drives the stack itself for up to that many microseconds (busy_poll.cc).
// * The driver: the first blocked caller to find no other one (Runtime::driver_) also sleeps
//   on the device's wait_fd, and the service thread stops watching it (EPOLL_CTL_MOD to no
//   events) until the driver wakes. Frames that arrive then wake the driver directly; it
//   relocks, which polls the stack inline, and finds its data with one wakeup instead of two
//   (device -> service thread -> waiter eventfd), as Onload's "the blocked thread drives the
//   stack". Other waiters keep only their eventfd (no herd); the lock's release wakes them as
//   before. The service thread keeps the timerfd and the control eventfd, and gets the device
//   back (level-triggered, so nothing already queued is lost) once nobody drives it: a driver
//   that wakes leaves the device unwatched, as it usually sleeps again within microseconds
//   (two epoll_ctl calls per sleep saved, and no service-thread wakeup for frames that arrive
//   in between); a periodic timerfd (the hand-back tick, 1 ms) then has the service thread
//   poll the device, and take it back after a tick in which nobody became the driver. So a
//   frame waits at most a tick while the program is outside the library. The same holds for a
//   program that never blocks (a busy server): when frames wake the service thread while a
//   call holds the lock, it leaves the device to the calls (each polls it inline) and starts
//   the tick, instead of waking and queueing for the lock for every frame; a tick in which no
//   call ran gives the device back.
//   A program handler that runs on the driver's thread may never return into the wait (a
//   siglongjmp): so before it runs, the trampoline has the service thread take the device back
//   (before_program_handler), and the driver, if it does return, just finds it taken.
// * Wakeups: StackLock remembers stack.generation() at acquisition. On release, if the
//   generation moved, it writes to every registered waiter's eventfd; if next_deadline()
//   became earlier than the timerfd's, it rearms the timerfd (see above). Waiters register under the lock
//   before they unlock, so no wakeup is lost.
// * Nothing calls back into the program while the lock is held (SIGPIPE is raised after the
//   lock is released).
// * Time is CLOCK_MONOTONIC in nanoseconds.
//
// Failure model: with USTACK_DEVICE unset the library is inert. If the configuration is
// invalid or the device cannot be opened, one line per problem goes to stderr (once) and every
// socket goes to the kernel, as Onload does; the program neither hangs nor crashes.
//
// Fork: see on_fork_child() in runtime.cc and README.md.
#pragma once

#include <poll.h>
#include <signal.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "netdev/device.h"
#include "preload/fd_table.h"
#include "preload/runtime_counters.h"
#include "preload/socket_file.h"
#include "stack/stack.h"

namespace ustack::preload {

enum class Mode : int {
    kUnset,        // the stack has not been asked for yet
    kInert,        // USTACK_DEVICE unset: everything is the kernel's
    kFallback,     // configuration or device failed (reported once): everything is the kernel's
    kActive,       // the stack is up
    kForkedChild,  // a fork child of a process whose stack was up: that stack is unusable here
};

Instant monotonic_now();

// A thread's wakeup: an eventfd the stack lock's releaser writes to. Lives in TLS.
struct Waiter {
    int efd = -1;
    Waiter* prev = nullptr;
    Waiter* next = nullptr;
    bool linked = false;
    // Something may have written efd since it was last drained (a releaser's wake, under the
    // lock): the wait drains it only then, not with a read that fails EAGAIN every time.
    bool notified = false;
    ~Waiter();
};

void* service_main(void*);

class Runtime {
public:
    static Runtime& instance();

    // From the library constructor: log level, real functions, pthread_atfork.
    void on_load();

    // From the library destructor (exit()): no kernel will finish sending what the stack
    // still holds, so keep driving it until every connection's data and FIN are acknowledged,
    // for at most kExitDrain. A program that calls _exit() skips this, as it skips stdio.
    void drain_at_exit();
    static constexpr Duration kExitDrain = std::chrono::seconds(2);

    Mode mode() const { return mode_.load(std::memory_order_acquire); }

    // True when a new AF_INET socket should go to the stack; brings the stack up on the first
    // call. False means "use the kernel" (inert, fallback, fork child, or a call from inside
    // the runtime itself).
    bool stack_available();

    FdTable& fds() { return fds_; }

    // The fd's SocketFile when it is a stack socket (lock-free peek; re-check under the lock).
    SocketFile* peek(int fd) const {
        SocketFile* f = fds_.get(fd);
        return f == kInternalFd ? nullptr : f;
    }
    bool is_internal(int fd) const { return fds_.get(fd) == kInternalFd; }

    // Makes fd one of the runtime's internal fds (moved high, close-on-exec, refused to the
    // program). Returns its new number.
    int adopt_internal(int fd) { return move_high(fd); }

    // The shared idle TCP socket (blocking or O_NONBLOCK) that accepted connections' fds
    // duplicate (idle_socket.h), made on first use as an internal fd; -errno if it cannot be
    // made. Under the lock.
    int shared_idle_socket(bool nonblocking);

    // Writes every blocked thread's waiter (under the lock): something they wait for may have
    // changed that the stack's generation does not show (an epoll_ctl).
    void wake_waiters();

    // Drops one fd's reference to file (under the lock): the last one closes the stack socket.
    void release_file(SocketFile* file, Instant now);
    // Drops a pin taken by a blocked caller; frees the SocketFile if nothing else holds it.
    void unpin(SocketFile* file);

    void on_fork_child();

    // Async-signal-safe; called by the signal trampoline before a program handler runs. If
    // the thread is the driver, the service thread takes the device back at once: the handler
    // may siglongjmp out of the wait, and nothing would then read the device until this
    // thread waits again.
    void before_program_handler();

    // Under the lock.
    const RuntimeCounters& counters() const { return counters_; }

private:
    friend class StackLock;
    friend struct Waiter;
    friend void* service_main(void*);

    bool bring_up();  // under mu_
    void fall_back();
    int move_high(int fd);  // returns the new (or, on failure, the old) fd, marked internal
    void service_loop();
    void arm_timer(std::optional<Instant> deadline);
    // Under mu_: w starts or stops sleeping on the device fd in the service thread's place.
    void become_driver(Waiter* w);
    void stop_driving(Waiter* w);
    void watch_device();     // under mu_: the service thread sleeps on the device fd again
    void hand_back_tick();   // under mu_, service thread: tick_fd_ fired
    void yield_device();     // under mu_, service thread: frames woke it while a call held the lock

    std::mutex mu_;  // the stack lock: guards everything below and every SocketFile
    std::atomic<Mode> mode_{Mode::kUnset};
    FdTable fds_;                              // stores under mu_, loads lock-free
    Stack* stack_ = nullptr;                   // on the stack heap; never destroyed
    netdev::Device* device_ = nullptr;         // owned; never destroyed (the stack points to it)
    int epoll_fd_ = -1;                        // the service thread's wait set
    int timer_fd_ = -1;                        // CLOCK_MONOTONIC timerfd, absolute
    int control_fd_ = -1;                      // eventfd: wakes the service thread
    int tick_fd_ = -1;                         // periodic timerfd while the device is nobody's
    bool tick_on_ = false;                     // tick_fd_ is armed
    bool driven_since_tick_ = false;           // become_driver or a call ran since the last tick
    Instant armed_{Instant::max()};            // what timer_fd_ is armed for; max: disarmed
    int shared_idle_[2] = {-1, -1};            // shared_idle_socket(): [0] blocking, [1] O_NONBLOCK
    Waiter* waiters_ = nullptr;                // threads blocked on stack readiness
    Waiter* driver_ = nullptr;                 // the waiter sleeping on the device fd, if any
    std::atomic<Waiter*> interrupted_driver_{nullptr};  // set by a handler on the driver's thread
    bool service_watches_device_ = true;       // the device fd is in epoll_fd_ with EPOLLIN
    uint32_t busy_poll_us_ = 0;                // USTACK_BUSY_POLL; set once before kActive
    RuntimeCounters counters_;
};

// The only way to use the stack. Holding one means holding the stack lock.
class StackLock {
public:
    explicit StackLock(Runtime& rt);
    ~StackLock();
    StackLock(const StackLock&) = delete;
    StackLock& operator=(const StackLock&) = delete;

    Stack& stack() { return *rt_.stack_; }
    Runtime& runtime() { return rt_; }
    Instant now() const { return now_; }

    // The fd's SocketFile, looked up again under the lock; nullptr if it is not (or no
    // longer) a stack socket.
    SocketFile* file(int fd) const { return rt_.peek(fd); }

    // Sleeps with the lock released until the stack's readiness may have changed, deadline
    // (if any) passes, or a signal arrives. fds[0..n-1] are kernel fds polled too (their
    // revents are filled); one more slot, fds[n], must exist for the waiter. Returns the
    // number of kernel fds ready (>= 0), -ETIMEDOUT, -EINTR or another -errno.
    int wait(pollfd* fds, nfds_t n, std::optional<Instant> deadline, const sigset_t* sigmask = nullptr);
    // The common case: nothing but the stack to wait for.
    int wait(std::optional<Instant> deadline);

private:
    friend class Runtime;
    // kServiceTimer: the service thread woken by its timerfd (release rearms it exactly).
    enum class Role { kCaller, kService, kServiceTimer };
    StackLock(Runtime& rt, Role role);
    void acquire();
    void release();
    int spin(pollfd* fds, nfds_t n, std::optional<Instant> deadline, const sigset_t* sigmask,
             uint32_t handlers_before, int* err, uint64_t* spins);  // busy_poll.cc

    Runtime& rt_;
    Role role_ = Role::kCaller;
    bool contended_ = false;  // the service thread found the lock held (by a call)
    uint64_t generation_ = 0;
    Instant now_{0};
};

// Returns the deadline for a timeout, nullopt for "forever".
inline std::optional<Instant> deadline_after(Instant now, Duration timeout) {
    if (timeout.count() <= 0) return std::nullopt;
    return now + timeout;
}

}  // namespace ustack::preload

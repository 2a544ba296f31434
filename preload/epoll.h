// User-level epoll for stack sockets, the Onload way.
//
// Every epoll fd is a real kernel epoll fd: its number, close, dup, fork, nesting and every
// error code are the kernel's, and kernel fds are registered in it directly. A stack socket's
// fd is a kernel socket too, but an idle placeholder that never becomes ready, so it is never
// registered there; instead the EpollSet of that epoll fd keeps an EpollEntry for it, keyed as
// the kernel keys a registration: (fd number, open file description = SocketFile).
//
// epoll_wait looks at the stack entries under the stack lock, then at the kernel set with a
// zero timeout; if neither has anything it sleeps in ppoll() on the kernel epoll fd (a kernel
// epoll fd is pollable: readable when its ready list is not empty) and on the thread's waiter
// eventfd, which the stack lock's releaser writes when stack readiness may have changed.
//
// Readiness rules (epoll(7)):
//  * level-triggered: an entry is reported while (readiness & events) is not empty;
//  * EPOLLET: reported when a readiness bit appears that was not reported before, or more
//    data arrived since the last look (the kernel wakes the set for every arriving segment).
//    The stack gives no per-socket wakeups, so the edges are found from what the program's
//    own calls observe: a recv/accept that leaves nothing readable re-arms EPOLLIN, a send
//    that could not queue everything re-arms EPOLLOUT (the kernel's SOCK_NOSPACE rule), and a
//    partial recv lowers the "data seen" mark so that any later arrival is a new edge;
//  * EPOLLONESHOT: disarmed after one report until EPOLL_CTL_MOD;
//  * EPOLLERR and EPOLLHUP are always reported; EPOLLEXCLUSIVE is validated as the kernel
//    does and otherwise has no effect (every waiter looks).
//
// Nesting: an epoll fd created through us always has an EpollSet. When such a set is added to
// another epoll set, the kernel registration is made (so the kernel part, loops (ELOOP) and
// depth limits are the kernel's) and an entry for the child set is recorded as well: the
// child is readable for the parent when one of its stack entries is ready. poll()/select()
// of an epoll fd use the same test (epoll_readable).
//
// The doorbell: a thread sleeps in the kernel's epoll_wait directly while its set holds no
// stack socket (the fast path), so a stack socket added to that set by another thread (tokio,
// for one, registers from any thread) could not wake it. Such sleepers are counted per set;
// when a set with sleepers gets its first user-level entry, an internal eventfd that is
// always readable is armed one-shot in that set's kernel half (data: a cookie), which wakes
// them. Cookie events are removed from every result before the program sees them; a sleeper
// woken only by the doorbell looks again, on the slow path now that its set has entries.
// Nothing is armed when nobody sleeps, so single-threaded programs never see a trace of it.
//
// Locking: EpollSet and EpollEntry fields are guarded by Epoll::mu_, which is taken after the
// stack lock when both are needed and never the other way round. SocketFile::watchers is
// written only with both held, so either one suffices to read it.
#pragma once

#include <signal.h>
#include <sys/epoll.h>

#include <atomic>
#include <optional>

#include "preload/epoll_rules.h"
#include "preload/socket_file.h"
#include "stack/core/heap.h"
#include "stack/core/time.h"

namespace ustack::preload {

class StackLock;
struct EpollSet;

// One registration of a stack socket (or of a nested epoll set) in one epoll set.
struct EpollEntry : heap::HeapObject {
    EpollSet* set = nullptr;      // where it is registered
    int fd = -1;                  // the fd number it was registered under
    SocketFile* file = nullptr;   // the target: a stack socket ...
    EpollSet* child = nullptr;    // ... or a nested epoll set (exactly one is non-null)
    uint32_t events = 0;          // as registered, plus EPOLLERR | EPOLLHUP
    epoll_data_t data{};          // the program's, returned untouched
    epoll::ReportState state;     // EPOLLET / EPOLLONESHOT memory (epoll_rules.h)
    EpollEntry* set_prev = nullptr;
    EpollEntry* set_next = nullptr;
    EpollEntry* target_prev = nullptr;  // in the target's watchers list
    EpollEntry* target_next = nullptr;
};

// The user-level half of one kernel epoll instance (shared by its dup'ed fds).
struct EpollSet : heap::HeapObject {
    int epfd = -1;                   // one kernel fd of this instance (handover registers there)
    int fd_refs = 0;                 // epoll table slots that point here
    int pins = 0;                    // epoll_wait callers holding it across an unlock
    std::atomic<int> entries{0};     // entries in the list: 0 means the kernel alone serves it
    EpollEntry* head = nullptr;      // reported entries move to the tail (fairness)
    EpollEntry* tail = nullptr;
    EpollEntry* watchers = nullptr;  // entries of parent sets that nest this one
    bool kernel_first = false;       // who fills epoll_wait's array first, alternating
    int kernel_sleepers = 0;         // threads in the kernel's epoll_wait on it (fast path)
};

namespace epoll {

// ---- the entry points (calls:: convention: result or -errno; kPassToKernel) ----------
// After a successful real epoll_create/epoll_create1: start tracking epfd.
void track(int epfd);
// True when fd is an epoll fd we track (one lock-free load).
bool known(int fd);
// True when fd is an epoll fd with user-level entries (poll/select/epoll must look at it).
bool has_entries(int fd);

long ctl_stack(int epfd, int op, int fd, epoll_event* ev);
// After a successful real epoll_ctl on a kernel fd: mirror it if fd is a tracked epoll fd.
void ctl_kernel(int epfd, int op, int fd, const epoll_event* ev);
// timeout nullopt: forever.
long wait(int epfd, epoll_event* events, int maxevents, std::optional<Duration> timeout, const sigset_t* sigmask);
// epoll_wait on a tracked set: the kernel's epoll_wait while the set has no user-level
// entries (counted as a sleeper, doorbell events removed), else wait(). libc convention.
int wait_kernel(int epfd, epoll_event* events, int maxevents, std::optional<Duration> timeout, const sigset_t* sigmask);

// The program closes an epoll fd (before the real close).
void forget(int fd);
// A real dup made newfd from oldfd (newfd's previous file, if any, is gone).
void after_dup(int oldfd, int newfd);

// ---- hooks for the rest of the preload (all under the stack lock) ----------------------
// The last fd of a stack socket is gone: drop its registrations, as the kernel does when the
// last reference to a file goes.
void file_released(SocketFile* f);
// The socket moves to the kernel: its registrations move to the kernel epoll sets.
void file_handed_over(SocketFile* f);
// The program received from (or accepted on) f: rxq is what is still queued, readable
// whether the socket is still readable.
inline void received(SocketFile* f, size_t rxq, bool readable) {
    for (EpollEntry* e = f->watchers; e != nullptr; e = e->target_next) {
        if (!readable) e->state.reported &= ~(EPOLLIN | EPOLLRDNORM);
        if (rxq < e->state.reported_rxq) e->state.reported_rxq = rxq;
    }
}
// A send on f could not queue everything: the next writable state is an edge.
inline void send_blocked(SocketFile* f) {
    for (EpollEntry* e = f->watchers; e != nullptr; e = e->target_next) e->state.reported &= ~(EPOLLOUT | EPOLLWRNORM);
}
// For poll/select of an epoll fd: does the set have a stack entry ready?
// The listener f started listening on its kernel half too (kernel_listener.h): the epoll sets
// that hold it watch the half as well (under the stack lock).
void kernel_listener_started(SocketFile* f);

bool readable(StackLock& l, int epfd);
// fork child: the parent's sets are dead ends; forget them and re-make the lock.
void on_fork_child();

}  // namespace epoll
}  // namespace ustack::preload

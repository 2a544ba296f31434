// poll/ppoll/select/pselect over a mix of stack and kernel fds.
//
// Stack readiness comes from stack.poll_events(); kernel fds go to the real poll() together
// with this thread's waiter eventfd, so one sleep covers both. A stack socket's kernel fd is
// never given to the real poll (it is an idle placeholder and would never be ready), except
// the duplicate of a listener's kernel half (kernel_listener.h), in its place. An epoll
// fd with stack registrations goes to the real poll (its kernel half) and is also readable
// when one of its stack entries is ready (epoll.h).
#include <sys/resource.h>

#include <algorithm>
#include <vector>

#include "preload/calls.h"
#include "preload/calls_internal.h"
#include "preload/epoll.h"
#include "preload/real.h"
#include "preload/runtime.h"

namespace ustack::preload::calls {
namespace {

// What poll(2) reports for a stack socket, given what the caller asked for. POLLERR and
// POLLHUP are always reported; POLLRDHUP, POLLIN and POLLOUT (and their *NORM twins) only
// when requested.
short stack_revents(uint32_t ev, short events) {
    uint32_t out = ev & (readiness::kErr | readiness::kHup);
    if (ev & readiness::kIn) out |= events & (POLLIN | POLLRDNORM);
    if (ev & readiness::kOut) out |= events & (POLLOUT | POLLWRNORM);
    if (ev & readiness::kPri) out |= events & POLLPRI;
    if (ev & readiness::kRdHup) out |= events & POLLRDHUP;
    return static_cast<short>(out);
}

// A buffer of pollfds: on the stack when small, else on the stack heap.
class PollBuffer {
public:
    explicit PollBuffer(size_t n) : n_(n) {
        if (n > kInline) heap_.resize(n);
    }
    pollfd* data() { return n_ > kInline ? heap_.data() : inline_; }

private:
    static constexpr size_t kInline = 64;
    size_t n_;
    pollfd inline_[kInline];
    std::vector<pollfd, heap::Allocator<pollfd>> heap_;
};

}  // namespace

bool any_stack_fd(const pollfd* fds, nfds_t n) {
    Runtime& rt = Runtime::instance();
    if (rt.fds().capacity() == 0) return false;
    for (nfds_t i = 0; i < n; ++i) {
        if (rt.peek(fds[i].fd) != nullptr || epoll::has_entries(fds[i].fd)) return true;
    }
    return false;
}

long poll(pollfd* fds, nfds_t n, std::optional<Duration> timeout, const sigset_t* sigmask) {
    Runtime& rt = Runtime::instance();
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (n > rl.rlim_cur) return -EINVAL;

    // kfds[0..n-1]: the kernel fds (stack entries set to -1, which poll ignores); kfds[n]:
    // the waiter.
    PollBuffer buf(n + 1);
    pollfd* kfds = buf.data();
    bool any_epoll = false;
    for (nfds_t i = 0; i < n; ++i) {
        kfds[i] = fds[i];
        kfds[i].revents = 0;
        fds[i].revents = 0;
        if (rt.peek(fds[i].fd) != nullptr) kfds[i].fd = -1;
        else if (epoll::has_entries(fds[i].fd)) any_epoll = true;
    }
    auto finish = [&](int stack_ready) -> long {
        // One look at the kernel fds, without waiting. An epoll fd may be ready on both sides:
        // count it once. With none among them (select over stack sockets only, as iperf3's
        // loop) there is nothing to look at: no system call.
        const bool any_kernel = std::any_of(kfds, kfds + n, [](const pollfd& p) { return p.fd >= 0; });
        int k = any_kernel ? real::poll(kfds, n, 0) : 0;
        if (k < 0) return -errno;
        for (nfds_t i = 0; i < n; ++i) {
            if (kfds[i].fd < 0) continue;
            const short kr = kfds[i].revents;
            if (kfds[i].fd != fds[i].fd) {  // a listener's kernel half: readable if asked for
                const short asked = static_cast<short>(kr & fds[i].events & (POLLIN | POLLRDNORM));
                if (kr != 0) --k;                             // not an fd of its own
                if (asked != 0 && fds[i].revents == 0) ++k;  // ready through its kernel half only
                fds[i].revents = static_cast<short>(fds[i].revents | asked);
                continue;
            }
            if (fds[i].revents != 0 && kr != 0) --k;
            fds[i].revents = static_cast<short>(fds[i].revents | kr);
        }
        return stack_ready + k;
    };

    if (rt.mode() != Mode::kActive) {
        // Fork child: the parent's stack sockets are dead ends; say so at once.
        int ready = 0;
        for (nfds_t i = 0; i < n; ++i) {
            if (kfds[i].fd < 0 && fds[i].fd >= 0) {
                fds[i].revents = POLLERR | POLLHUP;
                ++ready;
            }
        }
        return finish(ready);
    }

    StackLock l(rt);
    // A stack socket's kernel fd is idle, except a listener's kernel half: its duplicate is
    // waited on and looked at with the kernel fds, in the socket's place.
    for (nfds_t i = 0; i < n; ++i) {
        if (kfds[i].fd >= 0 || fds[i].fd < 0) continue;
        if (SocketFile* f = l.file(fds[i].fd); f != nullptr && f->kernel_listener >= 0) {
            kfds[i].fd = f->kernel_listener;
            kfds[i].events = POLLIN;
        }
    }
    const std::optional<Instant> deadline = timeout ? std::optional<Instant>(l.now() + *timeout) : std::nullopt;
    bool last_look = timeout && timeout->count() <= 0;
    for (;;) {
        int ready = 0;
        for (nfds_t i = 0; i < n; ++i) {
            if (fds[i].fd < 0) continue;
            if (kfds[i].fd == fds[i].fd) {  // a kernel fd
                if (any_epoll && epoll::has_entries(fds[i].fd)) {
                    fds[i].revents = epoll::readable(l, fds[i].fd) ? static_cast<short>(fds[i].events & (POLLIN | POLLRDNORM)) : 0;
                    if (fds[i].revents != 0) ++ready;
                }
                continue;
            }
            SocketFile* f = l.file(fds[i].fd);
            // Closed by another thread since we looked: as the kernel does for a closed fd.
            fds[i].revents = f == nullptr || f->sock == 0 ? POLLNVAL : stack_revents(socket_readiness(l.stack(), f), fds[i].events);
            if (fds[i].revents != 0) ++ready;
        }
        if (ready > 0 || last_look) return finish(ready);
        const int w = l.wait(kfds, n, deadline, sigmask);
        if (w == -ETIMEDOUT || w > 0) {
            last_look = true;  // collect everything that is ready now, then return
        } else if (w < 0) {
            return w;
        }
    }
}

bool any_stack_fd(int nfds, const fd_set* rd, const fd_set* wr, const fd_set* ex) {
    Runtime& rt = Runtime::instance();
    if (rt.fds().capacity() == 0) return false;
    for (int fd = 0; fd < nfds; ++fd) {
        const bool in = (rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)) || (ex && FD_ISSET(fd, ex));
        if (in && (rt.peek(fd) != nullptr || epoll::has_entries(fd))) return true;
    }
    return false;
}

long select(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, std::optional<Duration> timeout, const sigset_t* sigmask) {
    if (nfds < 0) return -EINVAL;
    if (nfds > FD_SETSIZE) nfds = FD_SETSIZE;  // glibc's fd_set holds FD_SETSIZE bits
    PollBuffer buf(static_cast<size_t>(nfds) + 1);
    pollfd* pfds = buf.data();
    nfds_t n = 0;
    for (int fd = 0; fd < nfds; ++fd) {
        short events = 0;
        if (rd && FD_ISSET(fd, rd)) events |= POLLIN | POLLRDNORM;
        if (wr && FD_ISSET(fd, wr)) events |= POLLOUT | POLLWRNORM;
        if (ex && FD_ISSET(fd, ex)) events |= POLLPRI;
        if (events != 0) pfds[n++] = pollfd{fd, events, 0};
    }
    const long r = poll(pfds, n, timeout, sigmask);
    if (r < 0) return r;
    for (nfds_t i = 0; i < n; ++i) {
        if (pfds[i].revents & POLLNVAL) return -EBADF;
    }
    if (rd) FD_ZERO(rd);
    if (wr) FD_ZERO(wr);
    if (ex) FD_ZERO(ex);
    long count = 0;
    for (nfds_t i = 0; i < n; ++i) {
        const short rev = pfds[i].revents;
        const short ev = pfds[i].events;
        // The kernel's POLLIN_SET / POLLOUT_SET / POLLEX_SET.
        if ((ev & POLLIN) && (rev & (POLLIN | POLLRDNORM | POLLHUP | POLLERR))) { FD_SET(pfds[i].fd, rd); ++count; }
        if ((ev & POLLOUT) && (rev & (POLLOUT | POLLWRNORM | POLLERR))) { FD_SET(pfds[i].fd, wr); ++count; }
        if ((ev & POLLPRI) && (rev & POLLPRI)) { FD_SET(pfds[i].fd, ex); ++count; }
    }
    return count;
}

}  // namespace ustack::preload::calls

// The interposed libc symbols (the only ones exports.map exports). Each is a dispatch: a
// kernel fd (the table slot is null) goes straight to libc; a stack fd goes to calls::.
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include <cerrno>

#include "preload/calls.h"
#include "preload/epoll.h"
#include "preload/log.h"
#include "preload/real.h"
#include "preload/runtime.h"
#include "preload/signals.h"

using namespace ustack::preload;
using ustack::Duration;

namespace {

Runtime& rt() { return Runtime::instance(); }

// Is this fd a stack socket? The fast path: one table load.
inline bool stack_fd(int fd) { return rt().peek(fd) != nullptr; }

// Converts a calls:: result to the libc convention, leaving errno untouched on success.
template <class T>
inline T finish(long r, int saved_errno) {
    if (r < 0) {
        errno = static_cast<int>(-r);
        return -1;
    }
    errno = saved_errno;
    return static_cast<T>(r);
}

#define USTACK_DISPATCH(T, call, kernel_call)                \
    do {                                                     \
        const int saved_errno_ = errno;                      \
        const long r_ = (call);                              \
        if (r_ == calls::kPassToKernel) {                    \
            errno = saved_errno_;                            \
            return kernel_call;                              \
        }                                                    \
        return finish<T>(r_, saved_errno_);                  \
    } while (0)

std::optional<Duration> ms_timeout(int ms) {
    if (ms < 0) return std::nullopt;
    return std::chrono::milliseconds(ms);
}

// Returns false (EINVAL) for a timespec the kernel would refuse.
bool ts_timeout(const timespec* ts, std::optional<Duration>* out) {
    if (ts == nullptr) {
        *out = std::nullopt;
        return true;
    }
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1'000'000'000) return false;
    *out = std::chrono::seconds(ts->tv_sec) + std::chrono::nanoseconds(ts->tv_nsec);
    return true;
}

__attribute__((constructor(101))) void ustack_preload_init() { rt().on_load(); }
__attribute__((destructor(101))) void ustack_preload_fini() { rt().drain_at_exit(); }

}  // namespace

extern "C" {

#define USTACK_EXPORT __attribute__((visibility("default")))

USTACK_EXPORT int socket(int domain, int type, int protocol) {
    USTACK_DISPATCH(int, calls::socket(domain, type, protocol), real::socket(domain, type, protocol));
}

USTACK_EXPORT int connect(int fd, const struct sockaddr* addr, socklen_t len) {
    if (!stack_fd(fd)) return real::connect(fd, addr, len);
    USTACK_DISPATCH(int, calls::connect(fd, addr, len), real::connect(fd, addr, len));
}

USTACK_EXPORT int bind(int fd, const struct sockaddr* addr, socklen_t len) {
    if (!stack_fd(fd)) return real::bind(fd, addr, len);
    USTACK_DISPATCH(int, calls::bind(fd, addr, len), real::bind(fd, addr, len));
}

USTACK_EXPORT int listen(int fd, int backlog) {
    if (!stack_fd(fd)) return real::listen(fd, backlog);
    USTACK_DISPATCH(int, calls::listen(fd, backlog), real::listen(fd, backlog));
}

USTACK_EXPORT int accept(int fd, struct sockaddr* addr, socklen_t* len) {
    if (!stack_fd(fd)) return real::accept(fd, addr, len);
    USTACK_DISPATCH(int, calls::accept(fd, addr, len, 0), real::accept(fd, addr, len));
}

USTACK_EXPORT int accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags) {
    if (!stack_fd(fd)) return real::accept4(fd, addr, len, flags);
    USTACK_DISPATCH(int, calls::accept(fd, addr, len, flags), real::accept4(fd, addr, len, flags));
}

USTACK_EXPORT ssize_t send(int fd, const void* buf, size_t n, int flags) {
    if (!stack_fd(fd)) return real::send(fd, buf, n, flags);
    iovec iov{const_cast<void*>(buf), n};
    USTACK_DISPATCH(ssize_t, calls::sendv(fd, &iov, 1, nullptr, 0, flags), real::send(fd, buf, n, flags));
}

USTACK_EXPORT ssize_t sendto(int fd, const void* buf, size_t n, int flags, const struct sockaddr* addr, socklen_t len) {
    if (!stack_fd(fd)) return real::sendto(fd, buf, n, flags, addr, len);
    iovec iov{const_cast<void*>(buf), n};
    USTACK_DISPATCH(ssize_t, calls::sendv(fd, &iov, 1, addr, len, flags), real::sendto(fd, buf, n, flags, addr, len));
}

USTACK_EXPORT ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
    if (!stack_fd(fd)) return real::sendmsg(fd, msg, flags);
    if (msg == nullptr) {
        errno = EFAULT;
        return -1;
    }
    // Control messages (IP_PKTINFO, ...) are not carried yet: they are ignored.
    USTACK_DISPATCH(ssize_t,
                    calls::sendv(fd, msg->msg_iov, static_cast<int>(msg->msg_iovlen),
                                 static_cast<const sockaddr*>(msg->msg_name), msg->msg_namelen, flags),
                    real::sendmsg(fd, msg, flags));
}

USTACK_EXPORT ssize_t recv(int fd, void* buf, size_t n, int flags) {
    if (!stack_fd(fd)) return real::recv(fd, buf, n, flags);
    iovec iov{buf, n};
    USTACK_DISPATCH(ssize_t, calls::recvv(fd, &iov, 1, nullptr, nullptr, flags, nullptr), real::recv(fd, buf, n, flags));
}

USTACK_EXPORT ssize_t recvfrom(int fd, void* buf, size_t n, int flags, struct sockaddr* addr, socklen_t* len) {
    if (!stack_fd(fd)) return real::recvfrom(fd, buf, n, flags, addr, len);
    iovec iov{buf, n};
    USTACK_DISPATCH(ssize_t, calls::recvv(fd, &iov, 1, addr, len, flags, nullptr),
                    real::recvfrom(fd, buf, n, flags, addr, len));
}

USTACK_EXPORT ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
    if (!stack_fd(fd)) return real::recvmsg(fd, msg, flags);
    if (msg == nullptr) {
        errno = EFAULT;
        return -1;
    }
    int out_flags = 0;
    socklen_t namelen = msg->msg_namelen;
    const int saved = errno;
    calls::RecvControl control{msg->msg_control, msg->msg_control != nullptr ? msg->msg_controllen : 0};
    const long r = calls::recvv(fd, msg->msg_iov, static_cast<int>(msg->msg_iovlen), static_cast<sockaddr*>(msg->msg_name),
                                msg->msg_name ? &namelen : nullptr, flags, &out_flags, &control);
    if (r == calls::kPassToKernel) {
        errno = saved;
        return real::recvmsg(fd, msg, flags);
    }
    if (r >= 0) {
        msg->msg_namelen = msg->msg_name ? namelen : 0;
        msg->msg_controllen = control.used;
        msg->msg_flags = out_flags;
    }
    return finish<ssize_t>(r, saved);
}

// sendmmsg/recvmmsg on a stack socket: one sendmsg/recvmsg per message, as the kernel's
// loop does. An error after some messages ends the batch and is not reported (the kernel
// keeps it for the next call; we drop it, as a later call will meet it again).
USTACK_EXPORT int sendmmsg(int fd, struct mmsghdr* vec, unsigned int vlen, int flags) {
    if (!stack_fd(fd)) return real::sendmmsg(fd, vec, vlen, flags);
    if (vlen > UIO_MAXIOV) vlen = UIO_MAXIOV;
    const int saved = errno;
    unsigned int i = 0;
    for (; i < vlen; ++i) {
        const ssize_t r = sendmsg(fd, &vec[i].msg_hdr, flags);
        if (r < 0) {
            if (i == 0) return -1;
            errno = saved;
            break;
        }
        vec[i].msg_len = static_cast<unsigned int>(r);
    }
    return static_cast<int>(i);
}

USTACK_EXPORT int recvmmsg(int fd, struct mmsghdr* vec, unsigned int vlen, int flags, struct timespec* ts) {
    if (!stack_fd(fd)) return real::recvmmsg(fd, vec, vlen, flags, ts);
    std::optional<Duration> timeout;
    if (!ts_timeout(ts, &timeout)) {
        errno = EINVAL;
        return -1;
    }
    if (vlen > UIO_MAXIOV) vlen = UIO_MAXIOV;
    const ustack::Instant start = monotonic_now();
    const int saved = errno;
    unsigned int i = 0;
    for (; i < vlen; ++i) {
        int f = flags & ~MSG_WAITFORONE;
        if ((flags & MSG_WAITFORONE) && i > 0) f |= MSG_DONTWAIT;
        const ssize_t r = recvmsg(fd, &vec[i].msg_hdr, f);
        if (r < 0) {
            if (i == 0) return -1;
            errno = saved;
            break;
        }
        vec[i].msg_len = static_cast<unsigned int>(r);
        // As the kernel: the timeout is only looked at after each datagram.
        if (timeout && monotonic_now() - start >= *timeout) {
            ++i;
            break;
        }
    }
    return static_cast<int>(i);
}

USTACK_EXPORT ssize_t read(int fd, void* buf, size_t n) {
    if (!stack_fd(fd)) return real::read(fd, buf, n);
    iovec iov{buf, n};
    USTACK_DISPATCH(ssize_t, calls::recvv(fd, &iov, 1, nullptr, nullptr, 0, nullptr), real::read(fd, buf, n));
}

USTACK_EXPORT ssize_t write(int fd, const void* buf, size_t n) {
    if (!stack_fd(fd)) return real::write(fd, buf, n);
    iovec iov{const_cast<void*>(buf), n};
    USTACK_DISPATCH(ssize_t, calls::sendv(fd, &iov, 1, nullptr, 0, 0), real::write(fd, buf, n));
}

USTACK_EXPORT ssize_t readv(int fd, const struct iovec* iov, int n) {
    if (!stack_fd(fd)) return real::readv(fd, iov, n);
    USTACK_DISPATCH(ssize_t, calls::recvv(fd, iov, n, nullptr, nullptr, 0, nullptr), real::readv(fd, iov, n));
}

USTACK_EXPORT ssize_t writev(int fd, const struct iovec* iov, int n) {
    if (!stack_fd(fd)) return real::writev(fd, iov, n);
    USTACK_DISPATCH(ssize_t, calls::sendv(fd, iov, n, nullptr, 0, 0), real::writev(fd, iov, n));
}

USTACK_EXPORT ssize_t sendfile(int out_fd, int in_fd, off_t* offset, size_t count) {
    if (!stack_fd(out_fd)) return real::sendfile(out_fd, in_fd, offset, count);
    USTACK_DISPATCH(ssize_t, calls::sendfile(out_fd, in_fd, offset, count), real::sendfile(out_fd, in_fd, offset, count));
}

// off_t is 64 bits on every ABI we build for, so sendfile64 is sendfile.
static_assert(sizeof(off_t) == sizeof(off64_t));
USTACK_EXPORT ssize_t sendfile64(int out_fd, int in_fd, off64_t* offset, size_t count) {
    if (!stack_fd(out_fd)) return real::sendfile64(out_fd, in_fd, offset, count);
    USTACK_DISPATCH(ssize_t, calls::sendfile(out_fd, in_fd, reinterpret_cast<off_t*>(offset), count),
                    real::sendfile64(out_fd, in_fd, offset, count));
}

USTACK_EXPORT int close(int fd) {
    SocketFile* f = rt().fds().get(fd);
    if (f == nullptr) {
        if (epoll::known(fd)) epoll::forget(fd);
        return real::close(fd);
    }
    if (f == kInternalFd) {
        // One of ours (device, timer, eventfd): to the program it was never open.
        errno = EBADF;
        return -1;
    }
    USTACK_DISPATCH(int, calls::close(fd), real::close(fd));
}

USTACK_EXPORT int shutdown(int fd, int how) {
    if (!stack_fd(fd)) return real::shutdown(fd, how);
    USTACK_DISPATCH(int, calls::shutdown(fd, how), real::shutdown(fd, how));
}

USTACK_EXPORT int getsockopt(int fd, int level, int name, void* val, socklen_t* len) {
    if (!stack_fd(fd)) return real::getsockopt(fd, level, name, val, len);
    USTACK_DISPATCH(int, calls::getsockopt(fd, level, name, val, len), real::getsockopt(fd, level, name, val, len));
}

USTACK_EXPORT int setsockopt(int fd, int level, int name, const void* val, socklen_t len) {
    if (!stack_fd(fd)) return real::setsockopt(fd, level, name, val, len);
    USTACK_DISPATCH(int, calls::setsockopt(fd, level, name, val, len), real::setsockopt(fd, level, name, val, len));
}

USTACK_EXPORT int getsockname(int fd, struct sockaddr* addr, socklen_t* len) {
    if (!stack_fd(fd)) return real::getsockname(fd, addr, len);
    USTACK_DISPATCH(int, calls::getsockname(fd, addr, len), real::getsockname(fd, addr, len));
}

USTACK_EXPORT int getpeername(int fd, struct sockaddr* addr, socklen_t* len) {
    if (!stack_fd(fd)) return real::getpeername(fd, addr, len);
    USTACK_DISPATCH(int, calls::getpeername(fd, addr, len), real::getpeername(fd, addr, len));
}

// fcntl's third argument, whatever its type, fits in an unsigned long on the ABIs we build
// for (an int or a pointer); reading it when the command takes none is harmless there.
USTACK_EXPORT int fcntl(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    unsigned long arg = va_arg(ap, unsigned long);
    va_end(ap);
    if (!stack_fd(fd)) {
        const int r = real::fcntl(fd, cmd, arg);
        if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && epoll::known(fd)) epoll::after_dup(fd, r);
        return r;
    }
    USTACK_DISPATCH(int, calls::fcntl(fd, cmd, arg, false), real::fcntl(fd, cmd, arg));
}

USTACK_EXPORT int fcntl64(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    unsigned long arg = va_arg(ap, unsigned long);
    va_end(ap);
    if (!stack_fd(fd)) {
        const int r = real::fcntl64(fd, cmd, arg);
        if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && epoll::known(fd)) epoll::after_dup(fd, r);
        return r;
    }
    USTACK_DISPATCH(int, calls::fcntl(fd, cmd, arg, true), real::fcntl64(fd, cmd, arg));
}

USTACK_EXPORT int ioctl(int fd, unsigned long request, ...) {
    va_list ap;
    va_start(ap, request);
    void* arg = va_arg(ap, void*);
    va_end(ap);
    if (!stack_fd(fd)) return real::ioctl(fd, request, arg);
    USTACK_DISPATCH(int, calls::ioctl(fd, request, arg), real::ioctl(fd, request, arg));
}

static int do_dup(int fd) {
    if (!stack_fd(fd)) return real::dup(fd);
    USTACK_DISPATCH(int, calls::dup(fd), real::dup(fd));
}

static int do_dup3(int oldfd, int newfd, int flags, bool is_dup2) {
    auto real_dup = [&] { return is_dup2 ? real::dup2(oldfd, newfd) : real::dup3(oldfd, newfd, flags); };
    if (rt().fds().get(oldfd) == nullptr && rt().fds().get(newfd) == nullptr) return real_dup();
    USTACK_DISPATCH(int, calls::dup3(oldfd, newfd, flags, is_dup2), real_dup());
}

// An epoll fd's copies share its set (and dup2 onto one drops that one's): epoll.h.
USTACK_EXPORT int dup(int fd) {
    const int r = do_dup(fd);
    if (r >= 0 && epoll::known(fd)) epoll::after_dup(fd, r);
    return r;
}

USTACK_EXPORT int dup2(int oldfd, int newfd) {
    const int r = do_dup3(oldfd, newfd, 0, true);
    if (r >= 0 && (epoll::known(oldfd) || epoll::known(newfd))) epoll::after_dup(oldfd, r);
    return r;
}

USTACK_EXPORT int dup3(int oldfd, int newfd, int flags) {
    const int r = do_dup3(oldfd, newfd, flags, false);
    if (r >= 0 && (epoll::known(oldfd) || epoll::known(newfd))) epoll::after_dup(oldfd, r);
    return r;
}

static int do_poll(struct pollfd* fds, nfds_t n, int timeout) {
    if (!calls::any_stack_fd(fds, n)) return real::poll(fds, n, timeout);
    USTACK_DISPATCH(int, calls::poll(fds, n, ms_timeout(timeout), nullptr), real::poll(fds, n, timeout));
}

static int do_ppoll(struct pollfd* fds, nfds_t n, const struct timespec* ts, const sigset_t* mask) {
    if (!calls::any_stack_fd(fds, n)) return real::ppoll(fds, n, ts, mask);
    std::optional<Duration> timeout;
    if (!ts_timeout(ts, &timeout)) {
        errno = EINVAL;
        return -1;
    }
    USTACK_DISPATCH(int, calls::poll(fds, n, timeout, mask), real::ppoll(fds, n, ts, mask));
}

USTACK_EXPORT int poll(struct pollfd* fds, nfds_t n, int timeout) { return do_poll(fds, n, timeout); }

USTACK_EXPORT int ppoll(struct pollfd* fds, nfds_t n, const struct timespec* ts, const sigset_t* mask) {
    return do_ppoll(fds, n, ts, mask);
}

USTACK_EXPORT int select(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, struct timeval* tv) {
    if (!calls::any_stack_fd(nfds, rd, wr, ex)) return real::select(nfds, rd, wr, ex, tv);
    std::optional<Duration> timeout;
    if (tv != nullptr) {
        if (tv->tv_sec < 0 || tv->tv_usec < 0) {
            errno = EINVAL;
            return -1;
        }
        timeout = std::chrono::seconds(tv->tv_sec) + std::chrono::microseconds(tv->tv_usec);
    }
    const ustack::Instant start = monotonic_now();
    const int saved = errno;
    const long r = calls::select(nfds, rd, wr, ex, timeout, nullptr);
    if (tv != nullptr) {  // Linux's select reports the time left
        Duration left = std::max(Duration(0), *timeout - (monotonic_now() - start));
        tv->tv_sec = std::chrono::duration_cast<std::chrono::seconds>(left).count();
        tv->tv_usec = std::chrono::duration_cast<std::chrono::microseconds>(left % std::chrono::seconds(1)).count();
    }
    return finish<int>(r, saved);
}

USTACK_EXPORT int pselect(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, const struct timespec* ts, const sigset_t* mask) {
    if (!calls::any_stack_fd(nfds, rd, wr, ex)) return real::pselect(nfds, rd, wr, ex, ts, mask);
    std::optional<Duration> timeout;
    if (!ts_timeout(ts, &timeout)) {
        errno = EINVAL;
        return -1;
    }
    const int saved = errno;
    return finish<int>(calls::select(nfds, rd, wr, ex, timeout, mask), saved);
}

USTACK_EXPORT int epoll_create(int size) {
    const int fd = real::epoll_create(size);
    if (fd >= 0) epoll::track(fd);
    return fd;
}

USTACK_EXPORT int epoll_create1(int flags) {
    const int fd = real::epoll_create1(flags);
    if (fd >= 0) epoll::track(fd);
    return fd;
}

USTACK_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event* ev) {
    if (!stack_fd(fd)) {
        const int r = real::epoll_ctl(epfd, op, fd, ev);
        if (r == 0 && epoll::known(fd)) epoll::ctl_kernel(epfd, op, fd, ev);  // a nested epoll fd
        return r;
    }
    USTACK_DISPATCH(int, epoll::ctl_stack(epfd, op, fd, ev), real::epoll_ctl(epfd, op, fd, ev));
}

USTACK_EXPORT int epoll_wait(int epfd, struct epoll_event* events, int maxevents, int timeout) {
    if (!epoll::has_entries(epfd)) {
        if (!epoll::known(epfd)) return real::epoll_wait(epfd, events, maxevents, timeout);
        return epoll::wait_kernel(epfd, events, maxevents, ms_timeout(timeout), nullptr);
    }
    USTACK_DISPATCH(int, epoll::wait(epfd, events, maxevents, ms_timeout(timeout), nullptr),
                    real::epoll_wait(epfd, events, maxevents, timeout));
}

USTACK_EXPORT int epoll_pwait(int epfd, struct epoll_event* events, int maxevents, int timeout, const sigset_t* mask) {
    if (!epoll::has_entries(epfd)) {
        if (!epoll::known(epfd)) return real::epoll_pwait(epfd, events, maxevents, timeout, mask);
        return epoll::wait_kernel(epfd, events, maxevents, ms_timeout(timeout), mask);
    }
    USTACK_DISPATCH(int, epoll::wait(epfd, events, maxevents, ms_timeout(timeout), mask),
                    real::epoll_pwait(epfd, events, maxevents, timeout, mask));
}

USTACK_EXPORT int epoll_pwait2(int epfd, struct epoll_event* events, int maxevents, const struct timespec* ts,
                               const sigset_t* mask) {
    if (!epoll::known(epfd)) return real::epoll_pwait2(epfd, events, maxevents, ts, mask);
    std::optional<Duration> timeout;
    if (!ts_timeout(ts, &timeout)) {
        errno = EINVAL;
        return -1;
    }
    if (!epoll::has_entries(epfd)) return epoll::wait_kernel(epfd, events, maxevents, timeout, mask);
    USTACK_DISPATCH(int, epoll::wait(epfd, events, maxevents, timeout, mask),
                    real::epoll_pwait2(epfd, events, maxevents, ts, mask));
}

USTACK_EXPORT int sigaction(int sig, const struct sigaction* act, struct sigaction* oldact) {
    return signals::sigaction(sig, act, oldact);
}

USTACK_EXPORT sighandler_t signal(int sig, sighandler_t handler) { return signals::signal(sig, handler); }

// _FORTIFY_SOURCE variants: programs built with it call these instead of read/recv/poll.
USTACK_EXPORT ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
    if (n > buflen || !stack_fd(fd)) return real::__read_chk(fd, buf, n, buflen);  // libc aborts on overflow
    return read(fd, buf, n);
}

USTACK_EXPORT ssize_t __recv_chk(int fd, void* buf, size_t n, size_t buflen, int flags) {
    if (n > buflen || !stack_fd(fd)) return real::__recv_chk(fd, buf, n, buflen, flags);
    return recv(fd, buf, n, flags);
}

USTACK_EXPORT ssize_t __recvfrom_chk(int fd, void* buf, size_t n, size_t buflen, int flags, struct sockaddr* addr,
                                     socklen_t* len) {
    if (n > buflen || !stack_fd(fd)) return real::__recvfrom_chk(fd, buf, n, buflen, flags, addr, len);
    return recvfrom(fd, buf, n, flags, addr, len);
}

USTACK_EXPORT int __poll_chk(struct pollfd* fds, nfds_t n, int timeout, size_t fdslen) {
    if (fdslen / sizeof(*fds) < n) return real::__poll_chk(fds, n, timeout, fdslen);
    return do_poll(fds, n, timeout);
}

USTACK_EXPORT int __ppoll_chk(struct pollfd* fds, nfds_t n, const struct timespec* ts, const sigset_t* mask, size_t fdslen) {
    if (fdslen / sizeof(*fds) < n) return real::__ppoll_chk(fds, n, ts, mask, fdslen);
    return do_ppoll(fds, n, ts, mask);
}

}  // extern "C"

// The libc definitions our interposed symbols hide, found with dlsym(RTLD_NEXT, ...).
//
// Resolution is lazy and lock-free: the first call of real::NAME() looks the symbol up and
// caches it in an atomic. That makes it safe before our constructor has run (other
// libraries' constructors call read/write/socket). The constructor resolves every entry, so
// that afterwards no path (in particular none inside a signal handler) calls dlsym.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <type_traits>
#include <cerrno>

namespace ustack::preload::real {

// X(name, return type, parameter types)
#define USTACK_REAL_FUNCTIONS(X)                                                                   \
    X(socket, int, (int, int, int))                                                                \
    X(connect, int, (int, const struct sockaddr*, socklen_t))                                      \
    X(bind, int, (int, const struct sockaddr*, socklen_t))                                         \
    X(listen, int, (int, int))                                                                     \
    X(accept, int, (int, struct sockaddr*, socklen_t*))                                            \
    X(accept4, int, (int, struct sockaddr*, socklen_t*, int))                                      \
    X(send, ssize_t, (int, const void*, size_t, int))                                              \
    X(sendto, ssize_t, (int, const void*, size_t, int, const struct sockaddr*, socklen_t))         \
    X(sendmsg, ssize_t, (int, const struct msghdr*, int))                                          \
    X(recv, ssize_t, (int, void*, size_t, int))                                                    \
    X(recvfrom, ssize_t, (int, void*, size_t, int, struct sockaddr*, socklen_t*))                  \
    X(recvmsg, ssize_t, (int, struct msghdr*, int))                                                \
    X(sendmmsg, int, (int, struct mmsghdr*, unsigned int, int))                                    \
    X(recvmmsg, int, (int, struct mmsghdr*, unsigned int, int, struct timespec*))                  \
    X(read, ssize_t, (int, void*, size_t))                                                         \
    X(write, ssize_t, (int, const void*, size_t))                                                  \
    X(readv, ssize_t, (int, const struct iovec*, int))                                             \
    X(writev, ssize_t, (int, const struct iovec*, int))                                            \
    X(close, int, (int))                                                                           \
    X(shutdown, int, (int, int))                                                                   \
    X(getsockopt, int, (int, int, int, void*, socklen_t*))                                         \
    X(setsockopt, int, (int, int, int, const void*, socklen_t))                                    \
    X(getsockname, int, (int, struct sockaddr*, socklen_t*))                                       \
    X(getpeername, int, (int, struct sockaddr*, socklen_t*))                                       \
    X(fcntl, int, (int, int, ...))                                                                 \
    X(fcntl64, int, (int, int, ...))                                                               \
    X(ioctl, int, (int, unsigned long, ...))                                                       \
    X(dup, int, (int))                                                                             \
    X(dup2, int, (int, int))                                                                       \
    X(dup3, int, (int, int, int))                                                                  \
    X(poll, int, (struct pollfd*, nfds_t, int))                                                    \
    X(ppoll, int, (struct pollfd*, nfds_t, const struct timespec*, const sigset_t*))               \
    X(select, int, (int, fd_set*, fd_set*, fd_set*, struct timeval*))                              \
    X(pselect, int, (int, fd_set*, fd_set*, fd_set*, const struct timespec*, const sigset_t*))     \
    X(epoll_ctl, int, (int, int, int, struct epoll_event*))                                        \
    X(epoll_create, int, (int))                                                                    \
    X(epoll_create1, int, (int))                                                                   \
    X(epoll_wait, int, (int, struct epoll_event*, int, int))                                       \
    X(epoll_pwait, int, (int, struct epoll_event*, int, int, const sigset_t*))                     \
    X(epoll_pwait2, int, (int, struct epoll_event*, int, const struct timespec*, const sigset_t*)) \
    X(sendfile, ssize_t, (int, int, off_t*, size_t))                                               \
    X(sendfile64, ssize_t, (int, int, off64_t*, size_t))                                           \
    X(sigaction, int, (int, const struct sigaction*, struct sigaction*))                           \
    X(signal, sighandler_t, (int, sighandler_t))                                                   \
    X(__read_chk, ssize_t, (int, void*, size_t, size_t))                                           \
    X(__recv_chk, ssize_t, (int, void*, size_t, size_t, int))                                      \
    X(__recvfrom_chk, ssize_t, (int, void*, size_t, size_t, int, struct sockaddr*, socklen_t*))    \
    X(__poll_chk, int, (struct pollfd*, nfds_t, int, size_t))                                      \
    X(__ppoll_chk, int, (struct pollfd*, nfds_t, const struct timespec*, const sigset_t*, size_t))

namespace detail {
// What a missing function returns: -1, or SIG_ERR for signal().
template <class R>
inline R failure() {
    if constexpr (std::is_pointer_v<R>) {
        return reinterpret_cast<R>(intptr_t{-1});
    } else {
        return R(-1);
    }
}
// Looks name up with dlsym(RTLD_NEXT); nullptr (after one log line) when libc lacks it.
void* resolve(const char* name);
}  // namespace detail

#define USTACK_REAL_DECLARE(name, ret, params)                                                     \
    using name##_fn = ret(*) params;                                                               \
    extern std::atomic<name##_fn> name##_ptr;                                                      \
    inline name##_fn name##_get() {                                                                \
        name##_fn f = name##_ptr.load(std::memory_order_acquire);                                  \
        if (f == nullptr) {                                                                        \
            f = reinterpret_cast<name##_fn>(detail::resolve(#name));                               \
            name##_ptr.store(f, std::memory_order_release);                                        \
        }                                                                                          \
        return f;                                                                                  \
    }                                                                                              \
    template <class... A>                                                                          \
    inline ret name(A... a) {                                                                      \
        name##_fn f = name##_get();                                                                \
        if (f == nullptr) {                                                                        \
            errno = ENOSYS;                                                                        \
            return detail::failure<ret>();                                                         \
        }                                                                                          \
        return f(a...);                                                                            \
    }
USTACK_REAL_FUNCTIONS(USTACK_REAL_DECLARE)
#undef USTACK_REAL_DECLARE

// Resolves every entry now (called from the library constructor).
void resolve_all();

}  // namespace ustack::preload::real

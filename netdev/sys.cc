#include "netdev/sys.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace ustack::netdev::sys {
namespace {

// syscall() reports failure through errno; turn that into -errno and restore the caller's.
template <typename... Args>
long raw(long number, Args... args) {
    const int saved = errno;
    long r = ::syscall(number, args...);
    if (r < 0) r = -errno;
    errno = saved;
    return r;
}

}  // namespace

long open(const char* path, int flags, unsigned mode) { return raw(SYS_openat, AT_FDCWD, path, flags, mode); }
long close(int fd) { return raw(SYS_close, fd); }
long read(int fd, void* buf, size_t len) { return raw(SYS_read, fd, buf, len); }
long write(int fd, const void* buf, size_t len) { return raw(SYS_write, fd, buf, len); }
long readv(int fd, const iovec* iov, int iovcnt) { return raw(SYS_readv, fd, iov, iovcnt); }
long writev(int fd, const iovec* iov, int iovcnt) { return raw(SYS_writev, fd, iov, iovcnt); }
long ioctl(int fd, unsigned long request, void* arg) { return raw(SYS_ioctl, fd, request, arg); }
long fcntl(int fd, int cmd, long arg) { return raw(SYS_fcntl, fd, cmd, arg); }
long socket(int domain, int type, int protocol) { return raw(SYS_socket, domain, type, protocol); }
long bind(int fd, const void* addr, unsigned addrlen) { return raw(SYS_bind, fd, addr, addrlen); }
long setsockopt(int fd, int level, int name, const void* value, unsigned len) {
    return raw(SYS_setsockopt, fd, level, name, value, len);
}
long recvmmsg(int fd, mmsghdr* msgs, unsigned n, int flags) {
    return raw(SYS_recvmmsg, fd, msgs, n, flags, nullptr);
}
long sendmmsg(int fd, mmsghdr* msgs, unsigned n, int flags) {
    return raw(SYS_sendmmsg, fd, msgs, n, flags);
}
long eventfd(unsigned initval, int flags) { return raw(SYS_eventfd2, initval, flags); }
long poll(pollfd* fds, unsigned long n, int timeout_ms) {
    // x86-64 and arm64 differ (poll vs ppoll only); ppoll exists on both.
    if (timeout_ms < 0) return raw(SYS_ppoll, fds, n, nullptr, nullptr, 0);
    struct timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    return raw(SYS_ppoll, fds, n, &ts, nullptr, 0);
}

long epoll_create(int flags) { return raw(SYS_epoll_create1, flags); }
long epoll_ctl(int epfd, int op, int fd, epoll_event* event) { return raw(SYS_epoll_ctl, epfd, op, fd, event); }
long timerfd_create(int clockid, int flags) { return raw(SYS_timerfd_create, clockid, flags); }
long timerfd_settime(int fd, int flags, const itimerspec* value) {
    return raw(SYS_timerfd_settime, fd, flags, value, nullptr);
}

std::string error_text(int err) {
    const char* desc = ::strerrordesc_np(err);
    return desc != nullptr ? desc : "error " + std::to_string(err);
}

}  // namespace ustack::netdev::sys

// Raw system calls for the device layer.
//
// Why not libc's read/write/socket/ioctl: this code runs inside programs whose socket and I/O
// calls are interposed by our own LD_PRELOAD library (preload/). If the device called read()
// on its TAP fd, the interposer would look the fd up, decide it is not a stack socket and pass
// it on: a wasted lookup at best, and at worst a re-entry into the stack while the stack lock
// is held. syscall(2) goes straight to the kernel, so the interposer never sees device I/O.
//
// Every wrapper returns the result or -errno and leaves the caller's errno untouched: device
// calls happen inside interposed calls such as send(), whose errno the program reads.
#pragma once

#include <cstddef>
#include <string>

struct epoll_event;
struct iovec;
struct itimerspec;
struct mmsghdr;
struct pollfd;

namespace ustack::netdev::sys {

long open(const char* path, int flags, unsigned mode = 0);
long close(int fd);
long read(int fd, void* buf, size_t len);
long write(int fd, const void* buf, size_t len);
long readv(int fd, const iovec* iov, int iovcnt);
long writev(int fd, const iovec* iov, int iovcnt);
long ioctl(int fd, unsigned long request, void* arg);
long fcntl(int fd, int cmd, long arg);
long socket(int domain, int type, int protocol);
long bind(int fd, const void* addr, unsigned addrlen);
long setsockopt(int fd, int level, int name, const void* value, unsigned len);
long recvmmsg(int fd, mmsghdr* msgs, unsigned n, int flags);
long sendmmsg(int fd, mmsghdr* msgs, unsigned n, int flags);
long eventfd(unsigned initval, int flags);
long poll(pollfd* fds, unsigned long n, int timeout_ms);
long epoll_create(int flags);
long epoll_ctl(int epfd, int op, int fd, epoll_event* event);
long timerfd_create(int clockid, int flags);
long timerfd_settime(int fd, int flags, const itimerspec* value);

// "Permission denied" for EACCES; does not use the non-thread-safe strerror().
std::string error_text(int err);

}  // namespace ustack::netdev::sys

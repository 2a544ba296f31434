// The stack side of every interposed call. Each function is entered only for an fd whose
// table entry is a stack socket (or, for socket/poll/select, when the stack may be
// involved) and returns what a raw system call would: the result, or -errno. kPassToKernel
// means "this is (now) the kernel's: make the real call" (the fd was closed or handed over
// concurrently, or the socket moved to the kernel during this call).
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <climits>
#include <optional>

#include "stack/core/time.h"

namespace ustack::preload::calls {

inline constexpr long kPassToKernel = LONG_MIN;

long socket(int domain, int type, int protocol);
long connect(int fd, const sockaddr* addr, socklen_t len);
long bind(int fd, const sockaddr* addr, socklen_t len);
long listen(int fd, int backlog);
long accept(int fd, sockaddr* addr, socklen_t* len, int flags);
long shutdown(int fd, int how);
long close(int fd);
long dup(int fd);
long dup3(int oldfd, int newfd, int flags, bool is_dup2);
long fcntl(int fd, int cmd, unsigned long arg, bool is64);
long ioctl(int fd, unsigned long request, void* arg);
long getsockopt(int fd, int level, int name, void* val, socklen_t* len);
long setsockopt(int fd, int level, int name, const void* val, socklen_t len);
long getsockname(int fd, sockaddr* addr, socklen_t* len);
long getpeername(int fd, sockaddr* addr, socklen_t* len);

long sendv(int fd, const iovec* iov, int iovcnt, const sockaddr* dest, socklen_t destlen, int flags);
// sendfile(2) to a stack socket: the file is read with pread into a bounded buffer and sent
// (one copy more than the kernel's; see io_calls.cc). offset null: the file position moves.
long sendfile(int out_fd, int in_fd, off_t* offset, size_t count);

// recvmsg's control buffer: recvv writes the control messages the socket asked for (UDP:
// IP_PKTINFO, IP_TTL, IP_TOS) and sets used; MSG_CTRUNC goes to *msg_flags if one did not fit.
struct RecvControl {
    void* buf = nullptr;
    size_t cap = 0;
    size_t used = 0;
};
// *msg_flags (if non-null) receives MSG_TRUNC when a datagram was cut.
long recvv(int fd, const iovec* iov, int iovcnt, sockaddr* from, socklen_t* fromlen, int flags, int* msg_flags,
           RecvControl* control = nullptr);

// poll over mixed stack and kernel fds. timeout: nullopt waits forever.
long poll(pollfd* fds, nfds_t n, std::optional<Duration> timeout, const sigset_t* sigmask);
// select over mixed fds, implemented with poll(). Does not update a timeout (the caller does).
long select(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, std::optional<Duration> timeout, const sigset_t* sigmask);

// True when any of these fds is a stack socket (the poll/select fast path test).
bool any_stack_fd(const pollfd* fds, nfds_t n);
bool any_stack_fd(int nfds, const fd_set* rd, const fd_set* wr, const fd_set* ex);

}  // namespace ustack::preload::calls

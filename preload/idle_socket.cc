// The idle kernel socket behind an accepted stack connection's fd (idle_socket.h).
#include "preload/idle_socket.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>

#include "preload/real.h"

namespace ustack::preload::idle_socket {

namespace {
// Makes every fd of f (fd itself when it is the only one; otherwise a scan of the table, as
// hand_over does: dup'ed accepted sockets are rare) refer to socket s, keeping each fd's
// close-on-exec flag. 0 or the first -errno.
int point_fds_at(Runtime& rt, int fd, SocketFile* f, int s) {
    int err = 0;
    auto repoint = [&](int target) {
        const int fd_flags = real::fcntl(target, F_GETFD);
        const int cloexec = fd_flags >= 0 && (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0;
        if (real::dup3(s, target, cloexec) < 0 && err == 0) err = -errno;
    };
    if (f->fd_refs <= 1) {
        repoint(fd);
    } else {
        rt.fds().for_each([&](int other, SocketFile* e) {
            if (e == f) repoint(other);
        });
    }
    return err;
}
}  // namespace

int attach_shared(StackLock& l, bool nonblocking, bool cloexec) {
    const int shared = l.runtime().shared_idle_socket(nonblocking);
    if (shared < 0) return shared;
    // F_DUPFD from 0: the lowest free number, the one socket() or accept() would have given.
    const int fd = real::fcntl(shared, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
    return fd < 0 ? -errno : fd;
}

int own(StackLock& l, int fd, SocketFile* f) {
    if (!f->shares_idle_socket) return 0;
    const int type = SOCK_STREAM | SOCK_CLOEXEC | (f->nonblocking ? SOCK_NONBLOCK : 0);
    const int s = real::socket(AF_INET, type, 0);
    if (s < 0) return -errno;
    const int err = point_fds_at(l.runtime(), fd, f, s);
    real::close(s);  // the fds hold it now
    if (err == 0) f->shares_idle_socket = false;
    return err;
}

bool set_nonblocking_shared(StackLock& l, int fd, SocketFile* f, bool nonblocking) {
    if (!f->shares_idle_socket) return false;
    if (f->nonblocking == nonblocking) return true;
    const int shared = l.runtime().shared_idle_socket(nonblocking);
    if (shared < 0 || point_fds_at(l.runtime(), fd, f, shared) != 0) return false;
    f->nonblocking = nonblocking;
    return true;
}

}  // namespace ustack::preload::idle_socket

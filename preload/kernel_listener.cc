// The kernel half of a stack listener (kernel_listener.h).
#include "preload/kernel_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "preload/epoll.h"
#include "preload/log.h"
#include "preload/real.h"
#include "preload/sockaddr.h"

namespace ustack::preload::kernel_listener {

void start(StackLock& l, int fd, SocketFile* f, int backlog) {
    if (f->kind != SocketKind::kTcp || f->kernel_listener >= 0) return;
    Endpoint local;
    if (l.stack().local_endpoint(f->sock, &local) != 0 || !local.addr.is_unspecified()) return;
    // The kernel socket is unbound unless a shutdown listener left it bound (EINVAL then).
    sockaddr_in any = to_sockaddr_in(Endpoint{wire::Ipv4Addr::any(), local.port});
    if (real::bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 && errno != EINVAL) {
        USTACK_LOG_DEBUG("fd %d: the kernel refused port %u (%s); the listener is the stack's only", fd, local.port,
                         strerrordesc_np(errno));
        return;
    }
    if (real::listen(fd, backlog) != 0) return;
    const int dup = real::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return;
    f->kernel_listener = l.runtime().adopt_internal(dup);
    if (f->watchers != nullptr) epoll::kernel_listener_started(f);
}

void stop(int fd, SocketFile* f) {
    if (f->kernel_listener < 0) return;
    real::shutdown(fd, SHUT_RD);  // inet_shutdown on a listener: stops listening, stays bound
    release(f);
}

void release(SocketFile* f) {
    const int dup = f->kernel_listener;
    if (dup < 0) return;
    f->kernel_listener = -1;
    Runtime::instance().fds().exchange(dup, nullptr);
    real::close(dup);
}

bool pending(const SocketFile* f) {
    const int k = f->kernel_listener;
    if (k < 0) return false;
    pollfd p{k, POLLIN, 0};
    return real::poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

long accept(const SocketFile* f, sockaddr* addr, socklen_t* len, int flags) {
    // The poll first: the kernel socket's own O_NONBLOCK is the program's and may be clear.
    // Every caller holds the stack lock, so nobody takes the connection in between.
    if (!pending(f)) return -EAGAIN;
    const int n = real::accept4(f->kernel_listener, addr, len, flags);
    return n >= 0 ? n : -errno;
}

}  // namespace ustack::preload::kernel_listener

// The kernel half of a stack listener, as Onload does it: a TCP socket listening on the
// wildcard address also listens on its kernel socket (same port), so clients on this host
// reach it over the kernel's loopback (127.0.0.1:port, or any of the host's addresses), which
// the stack never sees. A connection accepted there is simply a kernel fd handed to the
// program; it never touches the stack.
//
// The listening kernel socket is watched through a private duplicate (SocketFile::
// kernel_listener, an internal fd), so it stays usable whichever of the program's dup'ed fds
// survives. Readiness merges both sources: socket_readiness() adds POLLIN when the kernel
// queue has a connection; blocking accept/poll also sleep on the duplicate; an epoll set
// holding the listener also holds the duplicate (edge-triggered, with a cookie that is
// removed from every result) only to be woken. accept() takes the stack's connections first.
//
// If the kernel refuses the port (another program of the host holds it), the listener stays
// stack-only, as before (one debug line).
#pragma once

#include <sys/socket.h>

#include "preload/runtime.h"
#include "preload/socket_file.h"

namespace ustack::preload::kernel_listener {

// After a successful stack listen() of fd: bind (if needed) and listen the kernel socket.
void start(StackLock& l, int fd, SocketFile* f, int backlog);
// The listener stops listening (shutdown(SHUT_RD), connect(AF_UNSPEC)): the kernel's too.
void stop(int fd, SocketFile* f);
// The last fd of f is closing: drop the duplicate.
void release(SocketFile* f);
// A connection waiting in the kernel's accept queue (no system call unless f has a kernel half).
bool pending(const SocketFile* f);
// Accepts one connection from the kernel's queue without blocking: the new fd, -EAGAIN, or -errno.
long accept(const SocketFile* f, sockaddr* addr, socklen_t* len, int flags);

}  // namespace ustack::preload::kernel_listener

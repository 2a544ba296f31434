// The idle kernel socket behind an accepted stack connection's fd.
//
// Every stack socket keeps a real kernel fd (fd numbers, dup2, close-on-exec, handover). For
// a socket the program made, that fd is a private kernel socket of the same type: it may be
// handed to the kernel later and it answers getsockopt for the options the program set. An
// accepted connection can never move to the kernel (the kernel has no TCP state for it), so
// a private socket is only an option store, and one costs the kernel about 4.5 KB of slab
// (tcp_sock, inode, dentry, file) per connection, more than the stack spends on the
// connection itself. So an accepted connection's fd starts as a duplicate of one of two
// shared idle TCP sockets the runtime keeps (one blocking, one O_NONBLOCK, since F_GETFL
// reads the shared open file description), as Onload's fds point at a cheap file of its own.
//
// The shared socket is never changed: before anything would change the kernel side of such
// an fd (setsockopt, an fcntl or ioctl that sets something, connect(AF_UNSPEC) and what may
// follow it), own() gives the description a private socket at the same fd numbers. O_NONBLOCK
// alone moves the fds to the other shared socket. Differences left: fstat and /proc show the
// same inode for all such fds, and flock/POSIX locks on them (which no socket program uses)
// would be shared.
#pragma once

#include "preload/runtime.h"
#include "preload/socket_file.h"

namespace ustack::preload::idle_socket {

// A new fd (the lowest free number, as socket() would give) duplicating the shared idle
// socket with the given O_NONBLOCK; with cloexec, FD_CLOEXEC. -errno on failure. Under the lock.
int attach_shared(StackLock& l, bool nonblocking, bool cloexec);

// If f's fds share an idle socket, gives them one of their own (same fd numbers, same fd
// flags, f's O_NONBLOCK). fd is one of f's fds. 0 or -errno (f unchanged). Under the lock.
int own(StackLock& l, int fd, SocketFile* f);

// F_SETFL / FIONBIO on f: when its fds share an idle socket and only O_NONBLOCK is asked
// for, moves them to the shared socket with that flag and returns true; otherwise false (the
// caller gives f its own socket first). Under the lock.
bool set_nonblocking_shared(StackLock& l, int fd, SocketFile* f, bool nonblocking);

}  // namespace ustack::preload::idle_socket

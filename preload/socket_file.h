// What the preload knows about one stack socket: the open file description that every fd
// dup'ed from it shares (as the kernel shares a struct file), so O_NONBLOCK and the stored
// options are per description, not per fd.
#pragma once

#include <cstdint>

#include "stack/core/heap.h"
#include "stack/core/time.h"
#include "stack/stack.h"

namespace ustack::preload {

struct EpollEntry;

// Every field is guarded by the runtime's stack lock.
struct SocketFile : heap::HeapObject {
    int sock = 0;                  // the stack's socket id; 0 once released
    SocketKind kind = SocketKind::kTcp;
    int type = 0;                  // SOCK_STREAM or SOCK_DGRAM, for SO_TYPE
    int fd_refs = 0;               // fds in the table that point here
    int pins = 0;                  // callers that hold the pointer across an unlock (blocked waits)
    bool nonblocking = false;      // O_NONBLOCK of this open file description
    bool listening = false;
    bool bound = false;            // bind() went to the stack (address below)
    Endpoint bound_to;
    SocketOptions options;         // what we last gave set_options()
    Duration rcvtimeo{0};          // SO_RCVTIMEO; 0: wait forever
    Duration sndtimeo{0};          // SO_SNDTIMEO; 0: wait forever
    int rcvlowat = 1;              // SO_RCVLOWAT (TCP): readable from this many bytes
    // connect() left the handshake running (EINPROGRESS): the next connect() after it completes
    // returns 0 once, as the kernel's socket stays SS_CONNECTING until connect() looks again.
    bool connect_pending = false;
    // The internal duplicate of the kernel socket while it listens beside the stack
    // (kernel_listener.h), else -1.
    int kernel_listener = -1;
    // Its fds duplicate one of the runtime's shared idle sockets, not a kernel socket of its
    // own (an accepted connection nothing has changed the kernel side of; idle_socket.h).
    bool shares_idle_socket = false;
    uint32_t inheritable_set = 0;  // bits of options::kInherited the program set (accept copies them)
    EpollEntry* watchers = nullptr;  // its registrations in epoll sets (epoll.h; also under Epoll::mu_)
};

// fd table entry for fds the runtime uses itself (device, timerfd, eventfds): calls from the
// program on them are refused, calls from inside the library pass to libc.
inline SocketFile* const kInternalFd = reinterpret_cast<SocketFile*>(uintptr_t{1});

}  // namespace ustack::preload

// Helpers shared by the calls_*.cc files.
#pragma once

#include "preload/kernel_listener.h"
#include "preload/runtime.h"
#include "preload/socket_file.h"

namespace ustack::preload::calls {

// Keeps a SocketFile alive while its caller sleeps with the lock released. Constructed and
// destroyed under the stack lock.
class Pin {
public:
    explicit Pin(SocketFile* f) : f_(f) { ++f_->pins; }
    ~Pin() { Runtime::instance().unpin(f_); }
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;

private:
    SocketFile* f_;
};

// The socket's readiness as poll and epoll report it: the stack's, except that a TCP socket
// with SO_RCVLOWAT is readable only from that many bytes, or at end of stream or error
// (tcp_stream_is_readable), and a listener is also readable for its kernel half's queue.
inline uint32_t socket_readiness(Stack& s, const SocketFile* f) {
    uint32_t ev = s.poll_events(f->sock);
    if (f->rcvlowat > 1 && (ev & readiness::kIn) && !(ev & (readiness::kHup | readiness::kRdHup | readiness::kErr)) &&
        !f->listening && s.recv_queue_bytes(f->sock) < static_cast<size_t>(f->rcvlowat)) {
        ev &= ~readiness::kIn;
    }
    // A listener's connections may also wait in its kernel half (kernel_listener.h).
    if (f->listening && !(ev & readiness::kIn) && kernel_listener::pending(f)) ev |= readiness::kIn;
    return ev;
}

// The result of any call on a stack fd in a fork child (and the one-time warning).
long forked_child_error(int fd);

// Moves a stack socket to the kernel: the stack socket is closed and every fd that shared it
// becomes a plain kernel fd (its kernel socket already carries every option we were given).
// A thread blocked on the socket wakes, finds it gone and fails with EBADF.
void hand_over(StackLock& l, int fd, SocketFile* f);

}  // namespace ustack::preload::calls

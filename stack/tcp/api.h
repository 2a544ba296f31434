// TCP socket operations behind the Stack API (RFC 9293 3.10.1 - 3.10.6: the user calls).
#pragma once

#include "stack/stack_impl.h"

namespace ustack::tcp {

int connect(Stack::Impl& s, SocketEntry& e, Endpoint remote);
int listen(Stack::Impl& s, SocketEntry& e, int backlog);
int accept(Stack::Impl& s, SocketEntry& e, Endpoint* peer);
ssize_t send(Stack::Impl& s, SocketEntry& e, std::span<const ConstBytes> data, int flags);
ssize_t recv(Stack::Impl& s, SocketEntry& e, std::span<const MutableBytes> data, int flags);
int shutdown(Stack::Impl& s, SocketEntry& e, int how);
void close(Stack::Impl& s, SocketEntry& e);
uint32_t poll_events(const SocketEntry& e);

}  // namespace ustack::tcp

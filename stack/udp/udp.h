// UDP socket operations behind the Stack API (RFC 768, RFC 1122 4.1).
#pragma once

#include "stack/stack_impl.h"

namespace ustack::udp {

int connect(Stack::Impl& s, SocketEntry& e, Endpoint remote);
ssize_t send(Stack::Impl& s, SocketEntry& e, std::span<const ConstBytes> data, const Endpoint* dest);
ssize_t recv(Stack::Impl& s, SocketEntry& e, std::span<const MutableBytes> data, Endpoint* from, int flags,
             DatagramMeta* meta = nullptr);
uint32_t poll_events(const SocketEntry& e);
size_t recv_queue_bytes(const SocketEntry& e);

}  // namespace ustack::udp

// A UDP socket's state: its binding, its optional connected peer and its queue of datagrams.
#pragma once

#include <deque>
#include <optional>

#include "stack/core/heap.h"
#include "stack/stack.h"

namespace ustack::udp {

inline constexpr size_t kDefaultRcvbuf = 212992;  // Linux net.core.rmem_default
inline constexpr size_t kDatagramOverhead = 768;  // charged per datagram, like an skb's truesize
inline constexpr size_t kMaxPayload = 65507;      // 65535 - 20 (IPv4) - 8 (UDP)

struct Datagram {
    Endpoint from;
    DatagramMeta meta;
    size_t len;
    std::byte* data() { return reinterpret_cast<std::byte*>(this + 1); }
};

struct UdpSocket : heap::HeapObject {
    ~UdpSocket();
    std::optional<Endpoint> remote;  // set by connect()
    std::deque<Datagram*, heap::Allocator<Datagram*>> queue;
    size_t queued_charge = 0;        // bytes charged against rcvbuf
    int error = 0;                   // pending SO_ERROR (ECONNREFUSED after port unreachable)
    bool read_shut = false;          // shutdown(SHUT_RD): recv returns 0 once the queue is empty
    bool write_shut = false;         // shutdown(SHUT_WR): only reported by poll (Linux's UDP still sends)
};

}  // namespace ustack::udp

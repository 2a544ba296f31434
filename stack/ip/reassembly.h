// IPv4 fragment reassembly (RFC 791 3.2, RFC 815), with Linux's limits and policies
// (net/ipv4/ip_fragment.c, net/ipv4/inet_fragment.c):
// - one queue per (source, destination, identification, protocol);
// - fragments kept in offset order as an interval list: a fragment that overlaps another is
//   an attack or a broken sender, so the whole queue is dropped (Linux since 4.19, RFC 5722's
//   rule carried over to IPv4); one that only repeats bytes already held is ignored;
// - a non-final fragment is trimmed to a multiple of 8 bytes, the final fragment fixes the
//   length, and a fragment that contradicts it drops the queue;
// - a time limit per queue from its first fragment (ipfrag_time, 30 s); the caller sends ICMP
//   time exceeded if the first fragment had arrived;
// - a memory limit over all queues (ipfrag_high_thresh, 4 MiB): the oldest queues go first;
// - a reassembled datagram longer than 65535 bytes is dropped.
// Pure: no I/O, no clock; memory from the stack heap only; counts into Counters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/core/counters.h"
#include "stack/core/function_ref.h"
#include "stack/core/heap.h"
#include "stack/core/time.h"
#include "stack/wire/ipv4.h"

namespace ustack::ip {

using wire::ConstBytes;

struct ReassemblyLimits {
    size_t high_thresh = 4 * 1024 * 1024;         // Linux net.ipv4.ipfrag_high_thresh
    Duration timeout = std::chrono::seconds(30);  // Linux net.ipv4.ipfrag_time
};

class Reassembler {
public:
    explicit Reassembler(Counters& counters, ReassemblyLimits limits = {});
    ~Reassembler();
    Reassembler(const Reassembler&) = delete;
    Reassembler& operator=(const Reassembler&) = delete;

    // Takes one fragment (frag.is_fragment(); header checksum already verified). When it fills
    // the last hole, returns the whole datagram: the first fragment's header with the length,
    // flags and checksum rewritten, then the payload. The span stays valid until the next call.
    std::optional<ConstBytes> add(const wire::Ipv4View& frag, Instant now);

    // Drops every queue whose time is up. For each one that held the first fragment, calls
    // on_timeout with that fragment (header and the data held from offset 0), so the caller
    // can quote it in ICMP time exceeded (RFC 792; Linux ip_expire).
    void expire(Instant now, FunctionRef<void(const wire::Ipv4View& first)> on_timeout);
    std::optional<Instant> next_deadline() const;

    size_t memory() const { return memory_; }   // bytes charged against high_thresh
    size_t queues() const { return count_; }

    // What one fragment is charged beyond its data (Linux charges the skb's truesize).
    static constexpr size_t kFragmentOverhead = 64;

private:
    struct Fragment;
    struct Queue;
    struct Key {
        uint32_t src, dst;
        uint16_t ident;
        uint8_t protocol;
        friend bool operator==(const Key&, const Key&) = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const;
    };
    Queue* find_or_create(const wire::Ipv4View& frag, Instant now);
    void kill(Queue* q);                 // unlinks and frees the queue and its fragments
    ConstBytes assemble(Queue& q);       // into out_; q must be complete

    Counters& counters_;
    ReassemblyLimits limits_;
    Queue* oldest_ = nullptr;   // queues in creation order: oldest_ ... newest_
    Queue* newest_ = nullptr;
    size_t count_ = 0;
    size_t memory_ = 0;
    heap::HashMap<Key, Queue*, KeyHash> table_;
    heap::Vector<std::byte> out_;
};

}  // namespace ustack::ip

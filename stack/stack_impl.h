// The stack's internal state, shared by the layers (link/, ip/, udp/, tcp/). Only this
// directory includes it; users see stack.h.
#pragma once

#include <array>

#include <memory>
#include <unordered_map>
#include <vector>

#include "stack/core/function_ref.h"
#include "stack/core/heap.h"
#include "stack/core/packet_pool.h"
#include "stack/core/rng.h"
#include "stack/core/timer_wheel.h"
#include "stack/ip/path_mtu.h"
#include "stack/ip/reassembly.h"
#include "stack/link/arp_cache.h"
#include "stack/stack.h"
#include "stack/tcp/syncookie.h"
#include "stack/tcp/tcb.h"
#include "stack/udp/udp_socket.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace ustack {

// One socket id's state. Exactly one of udp/tcp is set.
struct SocketEntry : heap::HeapObject {
    int id = 0;
    SocketKind kind = SocketKind::kUdp;
    bool user_open = true;       // the API user still holds the id
    bool bound = false;
    Endpoint local;
    SocketOptions options;
    std::unique_ptr<udp::UdpSocket> udp;
    std::unique_ptr<tcp::Tcb> tcp;
};

struct FourTuple {
    Endpoint local, remote;
    friend bool operator==(const FourTuple&, const FourTuple&) = default;
};
struct FourTupleHash {
    size_t operator()(const FourTuple& t) const {
        uint64_t a = (uint64_t{t.local.addr.value} << 32) | t.remote.addr.value;
        uint64_t b = (uint64_t{t.local.port} << 16) | t.remote.port;
        a ^= b * 0x9e3779b97f4a7c15ull;
        a ^= a >> 29;
        return static_cast<size_t>(a * 0xbf58476d1ce4e5b9ull);
    }
};

template <class K, class V, class H = std::hash<K>>
using HeapMap = heap::HashMap<K, V, H>;
template <class T>
using HeapVector = heap::Vector<T>;

// Parameters of one outgoing IPv4 packet.
struct IpSend {
    Ipv4Addr src;
    Ipv4Addr dst;
    uint8_t protocol = 0;
    uint8_t ttl = 64;
    uint8_t tos = 0;
    bool dont_fragment = true;
    bool use_path_mtu = true;  // false: fragment to the device MTU (IP_PMTUDISC_OMIT)
};

struct Stack::Impl : heap::HeapObject {
    Impl(const StackConfig& config, netdev::Device& device, Instant now);
    ~Impl();

    StackConfig config;
    netdev::Device& device;
    Counters counters;
    uint64_t generation = 0;
    // Sockets whose peer sent a new urgent pointer, for take_urgent_signal() (SIGURG); a few
    // at most, newest dropped when full: a user that never takes them costs nothing.
    std::array<int, 8> urgent_signals{};
    uint8_t urgent_signal_count = 0;
    Instant now{0};
    Rng rng;
    size_t mtu;                  // IP MTU of the device
    netdev::Offloads offloads;   // what the device does for us, fixed when the stack starts
    uint64_t isn_secret;
    std::optional<tcp::syncookie::Key> syncookie_key;  // drawn from rng at the first cookie
    uint16_t ip_ident = 0;

    PacketPool pool;
    HeapVector<PacketBuffer*> tx_batch;   // frames built, flushed once per poll or call
    HeapVector<std::byte> rx_buffers;     // receive slots' backing store
    HeapVector<netdev::RxSlot> rx_slots;
    size_t rx_batch = 32;                 // slots the next receive offers (Stack::poll sizes it)

    link::ArpCache arp;
    TimerWheel timers;

    int next_socket_id = 1;
    HeapMap<int, SocketEntry*> sockets;
    // bound UDP port -> its sockets, oldest first (several with SO_REUSEADDR/SO_REUSEPORT)
    HeapMap<uint16_t, HeapVector<int>> udp_ports;
    HeapMap<FourTuple, int, FourTupleHash> tcp_connections;
    // port -> its listening sockets, oldest first (several only if all set SO_REUSEPORT: a
    // Linux reuseport group, SYNs spread over it by a hash of the 4-tuple)
    HeapMap<uint16_t, HeapVector<int>> tcp_listeners;
    HeapMap<uint16_t, int> tcp_port_users;          // port -> number of bound TCP sockets
    uint16_t next_ephemeral = 0;

    // ICMP error rate limit: a token bucket like Linux's icmp_msgs_per_sec/burst.
    double icmp_tokens = 50;
    Instant icmp_refill{0};

    void wake() { ++generation; }

    // ---- sockets (stack.cc) ----
    SocketEntry* find(int id) const;
    int add_socket(SocketEntry* s);
    void destroy_socket(int id);   // frees the entry and every index pointing at it
    int allocate_ephemeral_port(SocketKind kind);
    bool port_in_use(SocketKind kind, uint16_t port) const;
    // UDP bind(): whether e may share local's port with the sockets already on it (Linux:
    // every pair of overlapping addresses needs SO_REUSEADDR on both, or SO_REUSEPORT on both).
    bool udp_port_shareable(const SocketEntry& e, Endpoint local) const;
    // TCP bind(): whether e may take local's port beside the bound TCP sockets on it, by
    // Linux's inet_bind_conflict: each other one needs SO_REUSEADDR on both while it is not
    // listening, or SO_REUSEPORT on both (one process: always the same uid). TIME-WAIT
    // sockets count with the options they had.
    bool tcp_port_bindable(const SocketEntry& e, Endpoint local) const;
    // The listener a SYN to `to` from `from` goes to: one bound to `to`'s address before a
    // wildcard one; within a reuseport group, picked by a keyed hash of the 4-tuple (as
    // reuseport_select_sock), so every segment of one handshake reaches the same one.
    SocketEntry* tcp_listener_for(Endpoint to, Endpoint from) const;
    void tcp_unlisten(int id, uint16_t port);
    // The UDP socket a datagram from `from` to `to` goes to: the best match (connected to
    // the sender, bound to the address), the newest among equals, as udp4_lib_lookup2. Null if none.
    SocketEntry* udp_lookup(Endpoint to, Endpoint from) const;
    // Binds an unbound socket to addr and an ephemeral port (connect, or send before bind).
    int autobind(SocketEntry& e, Ipv4Addr addr);

    // ---- link (link/ethernet.cc, link/arp.cc) ----
    void handle_frame(std::span<const std::byte> frame, bool checksum_partial);
    void handle_arp(std::span<const std::byte> packet);
    void send_arp_request(Ipv4Addr target);
    // Prepends Ethernet to an IP packet in buf (which has 14 bytes of headroom) and queues
    // it, or parks it on ARP resolution.
    void send_ip_frame(PacketBuffer* buf, Ipv4Addr next_hop);
    void queue_frame(PacketBuffer* buf);
    void flush();
    void run_arp_timers();

    // ---- ip (ip/ipv4.cc, ip/icmp.cc) ----
    std::optional<Ipv4Addr> next_hop(Ipv4Addr dst) const;
    bool routes(Ipv4Addr dst) const;
    // Builds and sends one IPv4 packet whose payload is l4_len bytes written by fill.
    // Returns false (and counts) when there is no route.
    bool send_ipv4(const IpSend& p, size_t l4_len, FunctionRef<void(std::span<std::byte>)> fill);
    // A packet larger than the MTU (limit) without DF goes as fragments (RFC 791 3.2).
    bool send_fragments(const IpSend& p, Ipv4Addr hop, size_t limit, size_t l4_len,
                        FunctionRef<void(std::span<std::byte>)> fill);
    HeapVector<std::byte> frag_scratch;
    void handle_ipv4(std::span<const std::byte> packet, bool checksum_partial);
    // A whole datagram (arrived whole or reassembled) to its protocol.
    void deliver_ipv4(const wire::Ipv4View& ip, bool checksum_partial, bool for_us);
    ip::Reassembler reassembler{counters};
    void run_reassembly_timers();
    void handle_icmp(const wire::Ipv4View& ip, bool checksum_partial);
    // ICMP destination unreachable about the packet `offending` (RFC 792, RFC 1122 3.2.2).
    void send_dest_unreachable(const wire::Ipv4View& offending, uint8_t code);
    // ICMP error of any type about `offending`, with RFC 1122's exclusions and the rate limit.
    void send_icmp_error(const wire::Ipv4View& offending, uint8_t type, uint8_t code);
    // Path MTU discovery (RFC 1191): what ICMP fragmentation needed taught us per destination.
    ip::PathMtuCache pmtu;
    size_t path_mtu(Ipv4Addr dst) const { return pmtu.mtu(dst, mtu, now); }
    void handle_frag_needed(const wire::IcmpView& icmp, wire::ConstBytes quote);
    size_t max_l4_payload() const { return mtu - wire::Ipv4Repr::kHeaderLen; }

    // ---- udp (udp/udp.cc) ----
    void handle_udp(const wire::Ipv4View& ip, bool checksum_partial);
    void udp_icmp_error(Endpoint local, Endpoint remote, int err);

    // ---- tcp (tcp/*.cc) ----
    void handle_tcp(const wire::Ipv4View& ip, bool checksum_partial);
    void run_tcp_timer(const TimerEntry& e);
    bool tcp_timer_stale(const TimerEntry& e) const;
    void tcp_arm(tcp::Tcb& t, tcp::TimerKind kind, Instant when);
    void tcp_output(tcp::Tcb& t);
    void tcp_send_syn(tcp::Tcb& t);
    // The path to t's peer now carries at most path_mtu bytes (tcp/pmtu.cc).
    void tcp_mtu_reduced(tcp::Tcb& t, size_t path_mtu);
    uint32_t tcp_ts_now(const tcp::Tcb& t) const;
    void tcp_arm_keepalive(tcp::Tcb& t);
    void run_keepalive(tcp::Tcb& t);
    void tcp_arm_loss_probe(tcp::Tcb& t);
    void run_loss_probe(tcp::Tcb& t);
    void tcp_arm_persist(tcp::Tcb& t);  // zero window, data waiting, nothing in flight: probe later
    void run_persist(tcp::Tcb& t);
    // RFC 8985 6.2 step 5 and 6.3: RACK marks what is lost, arms the reordering timer, and
    // starts SACK recovery when something is; recovery (tcp_output) resends it.
    void tcp_rack_detect_loss(tcp::Tcb& t);
    // Undo of spurious window reductions (tcp/undo.cc): before fast retransmit or a timeout
    // reduces the window; taking the reduction back; a D-SACK block [left, right) in an ACK
    // for `ack` (RFC 2883), which may show every retransmission of the episode needless.
    void tcp_begin_undo_episode(tcp::Tcb& t, bool rto);
    void tcp_undo_reduction(tcp::Tcb& t);
    void tcp_dsack_undo(tcp::Tcb& t, wire::SeqNum left, wire::SeqNum right, wire::SeqNum ack);
    const SocketOptions& tcp_options(const tcp::Tcb& t) const;
    // RFC 5961 challenge ACK, rate-limited like Linux's tcp_challenge_ack_limit.
    void tcp_challenge_ack(tcp::Tcb& t);
    double challenge_tokens = 1000;
    Instant challenge_refill{0};  // SYN, or SYN-ACK in SYN-RECEIVED; (re)arms the RTO
    void tcp_send_segment(tcp::Tcb& t, wire::SeqNum seq, uint8_t flags, uint32_t payload_len);
    // The most payload one segment of t may carry: snd_mss, or with TSO a multiple of it up to
    // a 64 KiB IP packet, which the device cuts into snd_mss-sized segments.
    uint32_t tcp_max_segment(const tcp::Tcb& t) const;
    void tcp_send_reset_for(const wire::Ipv4View& ip, const wire::TcpView& seg);
    void tcp_enter_time_wait(tcp::Tcb& t);
    void tcp_close_connection(tcp::Tcb& t, int error);  // to CLOSED; frees it if the user is gone
    void tcp_maybe_free(tcp::Tcb& t);
    wire::SeqNum tcp_isn(const FourTuple& ft) const;
    uint16_t tcp_window_to_advertise(tcp::Tcb& t);
    tcp::Tcb* tcp_lookup(const FourTuple& ft) const;
    // A segment for a listener. Returns the connection a valid SYN cookie ACK just created (the
    // caller goes on to process the segment in it), otherwise nullptr.
    tcp::Tcb* tcp_listen_input(SocketEntry& listener, const wire::Ipv4View& ip, const wire::TcpView& seg);
    tcp::Tcb& tcp_new_child(SocketEntry& listener, const wire::Ipv4View& ip, const wire::TcpView& seg);
    const tcp::syncookie::Key& tcp_syncookie_key();
    void tcp_send_cookie_synack(SocketEntry& listener, const wire::Ipv4View& ip, const wire::TcpView& seg,
                                const wire::TcpOptions& syn);
    tcp::Tcb* tcp_cookie_ack(SocketEntry& listener, const wire::Ipv4View& ip, const wire::TcpView& seg);
};

}  // namespace ustack

// The stack's own socket-level API. This is the whole contract between the protocol stack and
// its users (the preload layer, the simulator, tests). It knows nothing of libc interposition,
// file descriptors or blocking: every call is non-blocking, takes the current time explicitly,
// and reports failure as a negative errno value chosen to match what the Linux kernel returns
// for the same socket call.
//
// Not thread-safe. The caller serialises every call (the preload holds its stack lock).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <sys/types.h>

#include "netdev/device.h"
#include "stack/core/counters.h"
#include "stack/core/function_ref.h"
#include "stack/core/time.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4_addr.h"

namespace ustack {

using wire::Ipv4Addr;
using ConstBytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

struct Endpoint {
    Ipv4Addr addr;
    uint16_t port = 0;
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct StackConfig {
    wire::Ipv4Cidr address;            // USTACK_ADDRESS
    std::optional<Ipv4Addr> gateway;   // USTACK_GATEWAY
    wire::MacAddr mac;                 // USTACK_MAC, else the device's, else random
    uint64_t seed = 0;                 // initial sequence numbers and ephemeral ports
    size_t tcp_rcvbuf_max = 6 * 1024 * 1024;  // receive-buffer auto-tuning limit (Linux tcp_rmem[2])
};

enum class SocketKind { kTcp, kUdp };

// Readiness bits, with the values of poll(2)'s POLLIN etc. so callers can pass them through.
namespace readiness {
inline constexpr uint32_t kIn = 0x001;
inline constexpr uint32_t kPri = 0x002;
inline constexpr uint32_t kOut = 0x004;
inline constexpr uint32_t kErr = 0x008;
inline constexpr uint32_t kHup = 0x010;
inline constexpr uint32_t kRdHup = 0x2000;
}  // namespace readiness

// Flags for send() and recv(); the preload maps MSG_* onto these.
namespace msgflags {
inline constexpr int kPeek = 1;     // recv: leave the data queued
inline constexpr int kTrunc = 2;    // recv (UDP): return the datagram's real length
inline constexpr int kMore = 4;     // send: more data follows (TCP: hold a partial segment)
inline constexpr int kNoSignal = 8; // informational: the stack never raises signals itself
inline constexpr int kOob = 16;     // TCP: send: the last byte is urgent; recv: the urgent byte
}  // namespace msgflags

// What a received UDP datagram's IP header said (for control messages).
struct DatagramMeta {
    Ipv4Addr dst;      // the header's destination (our address, or a broadcast)
    uint8_t ttl = 0;
    uint8_t tos = 0;
};

// IP_MTU_DISCOVER, in Linux's order (ip(7)): whether datagrams carry DF, and which MTU
// limits them. UDP follows every mode; TCP always sets DF (the stack does path MTU discovery).
enum class PmtuDiscovery : uint8_t {
    kDont,       // no DF; fragments to the path MTU
    kWant,       // DF when the datagram fits the path MTU, fragments otherwise (the default)
    kDo,         // DF; a datagram over the path MTU fails with EMSGSIZE
    kProbe,      // DF; the device MTU is the limit (EMSGSIZE above it), the path MTU is ignored
    kInterface,  // no DF; the device MTU is the limit (EMSGSIZE above it)
    kOmit,       // no DF; fragments to the device MTU, ignoring the path MTU
};

// What a socket's options hold. The preload reads and writes these through
// get_options()/set_options(); unknown options never reach the stack.
struct SocketOptions {
    bool reuse_addr = false;
    bool reuse_port = false;     // SO_REUSEPORT (UDP: shares the port with others that set it)
    bool broadcast = false;      // SO_BROADCAST: UDP may send to a broadcast address
    bool keepalive = false;      // SO_KEEPALIVE
    bool tcp_nodelay = false;    // TCP_NODELAY
    bool tcp_cork = false;       // TCP_CORK: hold partial segments until uncorked
    bool oob_inline = false;     // SO_OOBINLINE: the urgent byte stays in the stream
    int rcvbuf = 0;  // bytes the receive queue may hold; 0 means the stack's default
    int sndbuf = 0;  // bytes the send queue may hold; 0 means the stack's default
    uint8_t ttl = 64;
    uint8_t tos = 0;
    PmtuDiscovery pmtu_discovery = PmtuDiscovery::kWant;  // IP_MTU_DISCOVER
    int keepidle_s = 7200;       // TCP_KEEPIDLE, Linux's default
    int keepintvl_s = 75;        // TCP_KEEPINTVL
    int keepcnt = 9;             // TCP_KEEPCNT
    uint32_t user_timeout_ms = 0;  // TCP_USER_TIMEOUT: 0 means the retry count decides
    bool linger = false;         // SO_LINGER l_onoff
    int linger_s = 0;            // SO_LINGER l_linger; with linger on and 0, close() resets
    uint16_t maxseg = 0;         // TCP_MAXSEG: clamps the MSS (0: from the MTU)
    char congestion[16] = "cubic";  // TCP_CONGESTION: "cubic" or "reno"
};

// A read-only snapshot of one socket for introspection (`ustack ss`); see for_each_socket().
struct SocketInfo {
    int id = 0;
    SocketKind kind = SocketKind::kTcp;
    const char* state = "";      // TCP: RFC 9293 name ("ESTABLISHED"); UDP: "UNCONN" or "ESTAB"
    bool user_open = true;       // false: closed by the user, still closing (FIN, TIME-WAIT)
    Endpoint local;
    Endpoint remote;             // addr 0, port 0 when there is none
    size_t recv_q = 0;           // bytes queued to read; LISTEN: connections waiting in accept
    size_t send_q = 0;           // bytes not yet acknowledged; LISTEN: the backlog
    // TCP internals (zero for UDP and before the first RTT sample).
    Duration srtt{0};
    Duration rttvar{0};
    Duration rto{0};
    uint32_t cwnd = 0;
    uint32_t ssthresh = 0;       // UINT32_MAX until the first loss
    uint32_t snd_mss = 0;
    uint32_t snd_wnd = 0;
    int backoff = 0;             // consecutive retransmission timeouts not yet recovered
    uint32_t retransmits = 0;    // segments retransmitted over the connection's life
    bool ts_ok = false;          // options agreed in the handshake (TCP_INFO tcpi_options)
    bool sack_ok = false;
    bool wscale_ok = false;
    uint8_t snd_wscale = 0;      // the peer's window shift
    uint8_t rcv_wscale = 0;      // ours
    const char* cc = "";         // congestion control name, e.g. "reno"
    // Bytes of storage held for data: the send and receive rings and the RACK records. Each is
    // allocated on first use, so a connection that never carried data holds none.
    size_t data_storage = 0;
};

class Stack {
public:
    // device must outlive the stack.
    Stack(const StackConfig& config, netdev::Device& device, Instant now);
    ~Stack();
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;

    // Receives every waiting frame, runs due timers and flushes what is queued to send.
    // Cheap when there is nothing to do. Returns true if any socket's readiness may have
    // changed, i.e. waiters should look again.
    bool poll(Instant now);

    // When poll() next needs to run even if no frame arrives; nullopt if no timer is armed.
    std::optional<Instant> next_deadline() const;

    // Incremented whenever any socket's readiness may have changed, whether by poll() or by
    // a socket call. Waiters remember it and sleep until it moves.
    uint64_t generation() const;

    // True while some TCP connection still has data or a FIN the peer has not acknowledged.
    // A process about to exit drives the stack until this is false (bounded), since no kernel
    // will finish the job for it.
    bool has_pending_output() const;

    // True when the stack has a route to dst. The preload hands a socket to the kernel at
    // connect() when this is false (loopback, other subnets without a gateway).
    bool routes(Ipv4Addr dst) const;
    // The MTU of the path to dst: the device's, or less where ICMP said so (IP_MTU).
    size_t path_mtu(Ipv4Addr dst) const;
    bool is_local_address(Ipv4Addr a) const;

    // ---- sockets --------------------------------------------------------------------------
    // Every call returns >= 0 on success and -errno on failure.

    int socket(SocketKind kind);                           // a socket id > 0
    int bind(int sock, Endpoint local);                    // port 0: pick an ephemeral port
    int listen(int sock, int backlog);
    int accept(int sock, Endpoint* peer, Instant now);     // a new socket id, or -EAGAIN
    // TCP: -EINPROGRESS once the SYN is out; then -EALREADY while connecting, -EISCONN once
    // connected (the preload learns the outcome from poll_events()/take_error()).
    // UDP: sets the default destination and filters what recv() returns; 0.
    int connect(int sock, Endpoint remote, Instant now);
    // Gathers data from the spans in order. TCP: returns bytes queued (partial when the send
    // buffer fills), -EAGAIN when none fit, -EPIPE after shutdown(SHUT_WR) or reset.
    // UDP: one datagram, to *dest or the connected peer; -EMSGSIZE if larger than 65507.
    ssize_t send(int sock, std::span<const ConstBytes> data, const Endpoint* dest, int flags, Instant now);
    // Scatters into the spans in order. Returns bytes read; 0 at end of stream; -EAGAIN when
    // nothing is queued. UDP: one datagram, truncated to fit (full length with kTrunc).
    // *from receives the sender when non-null; *meta (UDP) what IP_PKTINFO, IP_RECVTTL and
    // IP_RECVTOS report about the datagram.
    ssize_t recv(int sock, std::span<const MutableBytes> data, Endpoint* from, int flags, Instant now,
                 DatagramMeta* meta = nullptr);
    int shutdown(int sock, int how, Instant now);          // how: SHUT_RD, SHUT_WR, SHUT_RDWR
    // Releases the id. A TCP connection goes on closing (FIN, TIME_WAIT) in the background.
    void close(int sock, Instant now);

    uint32_t poll_events(int sock) const;                  // readiness:: bits
    int take_error(int sock);                              // SO_ERROR: the pending error (positive), cleared
    int pending_error(int sock) const;                     // the same, left pending
    int local_endpoint(int sock, Endpoint* out) const;     // getsockname
    int remote_endpoint(int sock, Endpoint* out) const;    // getpeername: -ENOTCONN if none
    size_t recv_queue_bytes(int sock) const;               // Recv-Q: every byte queued to read
    // FIONREAD: as recv_queue_bytes, but a TCP read stops at the urgent mark, so while an
    // urgent byte waits out of line only the bytes before it count (Linux tcp_inq).
    size_t readable_bytes(int sock) const;
    // SIOCATMARK: the next byte a TCP read would return is at the urgent mark.
    bool at_urgent_mark(int sock) const;
    // The next socket whose peer sent a new urgent pointer (its owner gets SIGURG, as
    // Linux's sk_send_sigurg), or 0 when none is left. Each socket is reported once per
    // pointer; a handful wait at most.
    int take_urgent_signal();
    size_t send_queue_bytes(int sock) const;               // SIOCOUTQ / Send-Q
    SocketOptions get_options(int sock) const;
    // -ENOENT for an unknown congestion control name (as Linux's TCP_CONGESTION), -EINVAL
    // for out-of-range values; nothing changes on failure.
    int set_options(int sock, const SocketOptions& options);
    // One socket's snapshot (TCP_INFO, SIOCOUTQ); -EBADF if there is no such socket.
    int socket_info(int sock, SocketInfo* out) const;

    const Counters& counters() const;
    const StackConfig& config() const;
    netdev::Device& device();

    // Introspection: calls visit once per socket, including connections the user has closed
    // that are still closing. Read-only; the caller holds the stack lock.
    void for_each_socket(FunctionRef<void(const SocketInfo&)> visit) const;
    // The same for at most `limit` sockets (in no particular order); returns how many sockets
    // there are in all. A periodic snapshot with a bounded page (the stats exporter) then costs
    // O(limit), not a description of every TIME-WAIT connection of a busy server.
    size_t for_each_socket(size_t limit, FunctionRef<void(const SocketInfo&)> visit) const;

    struct Impl;  // defined in stack/stack_impl.h; public so the layers can name it

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace ustack

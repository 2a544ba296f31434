// Segment-level scripted TCP tests in the packetdrill style: the test plays the remote peer,
// one segment at a time, against one ustack::Stack over an in-memory pair, under a virtual
// clock that moves only when the test says so.
//
//   auto c = ScriptedPeer::passive({.mss = 1000});   // handshake done, connection accepted
//   c.app_send(4000);                                // the stack's application writes
//   c.expect_segment({.seq = 1, .flags = ".", .len = 1000});
//   c.inject({.ack = 1001, .sack = {{2001, 3001}}});  // the peer acknowledges
//   c.advance(std::chrono::milliseconds(200));        // fires the stack's timers
//
// Fields go in one order in Inject and Expect (seq, ack, flags, win, sack, ts, length), as
// designated initializers require.
// Sequence numbers are relative to the sender's ISN (the SYN is 0, the first data byte 1):
// .seq of what the stack sends and .ack/.sack of what the peer sends count from the stack's
// ISN; the other way round for the peer. `.absolute = true` takes raw numbers instead.
// Every data byte carries a known pattern, so each payload the stack sends is checked against
// what the application wrote, and everything the application reads against what the peer sent.
// Any failure prints the whole trace: both directions, with virtual timestamps.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <utility>
#include <vector>

#include "stack/stack.h"
#include "stack/tcp/testing/segment.h"

namespace ustack::tcp::testing {

// A test that shows a bug in the stack stays, skipped so CI stays green, until the bug is
// fixed. USTACK_RUN_KNOWN_BUGS=1 runs them anyway (to see the trace, or to check a fix).
bool run_known_bugs();
#define USTACK_KNOWN_BUG(why) \
    if (!::ustack::tcp::testing::run_known_bugs()) GTEST_SKIP() << "BUG: " << why

// SACK blocks as [left, right) pairs. Unset unless written: `.sack = {{1001, 2001}}`.
struct Blocks {
    bool set = false;
    std::vector<std::pair<uint32_t, uint32_t>> blocks;
    Blocks() = default;
    Blocks(std::initializer_list<std::pair<uint32_t, uint32_t>> l) : set(true), blocks(l) {}
    static Blocks none() {
        Blocks b;
        b.set = true;
        return b;
    }
};

// A timestamp option, unset unless written: `.ts = {tsval, tsecr}`.
struct Ts {
    bool set = false;
    uint32_t val = 0, ecr = 0;
    Ts() = default;
    Ts(uint32_t v, uint32_t e) : set(true), val(v), ecr(e) {}
};

// A segment the peer sends.
struct Inject {
    std::optional<uint32_t> seq;    // default: the peer's next sequence number
    uint32_t ack = 0;               // relative to the stack's ISN; ignored without '.'
    const char* flags = ".";
    std::optional<uint16_t> win;    // the wire field; default PeerOptions::window
    Blocks sack;                    // relative to the stack's ISN
    Ts ts;                          // default (when negotiated): the peer's clock, last TSval seen
    bool no_ts = false;             // leave timestamps out even though negotiated
    uint32_t payload_len = 0;
    uint16_t urp = 0;               // the urgent pointer field (set 'U' in flags for it to count)
    // Options for a SYN.
    std::optional<uint16_t> mss;
    std::optional<uint8_t> wscale;
    bool sack_permitted = false;
    bool absolute = false;          // seq, ack and sack are raw numbers
};

// What the stack's next segment must look like; unset fields are not checked.
struct Expect {
    std::optional<uint32_t> seq;    // relative to the stack's ISN
    std::optional<uint32_t> ack;    // relative to the peer's ISN
    const char* flags = nullptr;    // the exact set, tcpdump letters: "S.", ".", "P.", "F.", "R."
    std::optional<uint16_t> win;    // the wire field
    Blocks sack;                    // exactly these blocks, in this order (relative to the peer's ISN)
    std::optional<uint32_t> len;    // payload bytes
    std::optional<uint16_t> urp;    // the urgent pointer field
    bool absolute = false;
};

struct PeerOptions {
    // What the peer offers in its SYN (passive) or SYN-ACK (active).
    std::optional<uint16_t> mss = 1460;
    std::optional<uint8_t> wscale = 7;
    bool sack = true;
    bool timestamps = true;
    uint16_t syn_window = 65535;          // window field of the peer's SYN / SYN-ACK
    uint16_t window = 2048;               // window field of the peer's later segments (x 2^wscale)
    uint32_t peer_iss = 1'000'000;
    uint32_t peer_ts_base = 50'000;       // the peer's timestamp clock at the start (ms ticks)
    Duration handshake_rtt{0};            // virtual time the peer takes to answer in the handshake
    // The stack's side.
    bool nodelay = false;
    int rcvbuf = 0;
    int sndbuf = 0;
    const char* congestion = "reno";      // predictable windows for the scripts
    size_t mtu = 1500;
    uint64_t seed = 7;
    // Virtual time at the start. The stack's ISN is a hash plus a 4 us clock (RFC 6528), so
    // moving the start moves the ISN: that is how a test makes the stack's sequence numbers wrap.
    Duration start = std::chrono::seconds(100);
};

class ScriptedPeer {
public:
    static constexpr uint16_t kListenPort = 8080;   // the stack's port when passive, the peer's when active
    static constexpr uint16_t kPeerPort = 40000;    // the peer's port when the stack is passive

    // The stack is up and knows the peer's MAC; no socket yet.
    static ScriptedPeer bare(const PeerOptions& o = {});
    // The stack listens on kListenPort; the peer connects; the connection is accepted.
    static ScriptedPeer passive(const PeerOptions& o = {});
    // The stack connects to the peer's kListenPort; the peer answers; the stack ACKs.
    static ScriptedPeer active(const PeerOptions& o = {});

    ScriptedPeer(ScriptedPeer&&) noexcept;
    ScriptedPeer& operator=(ScriptedPeer&&) noexcept;
    ~ScriptedPeer();

    // ---- the stack's application ----------------------------------------------------------
    int app_listen(uint16_t port = kListenPort, int backlog = 16);  // the listening socket id
    int app_accept();                                    // adopts the accepted socket; its id or -errno
    int app_connect(uint16_t peer_port = kListenPort);  // -EINPROGRESS expected
    size_t app_send(size_t n, int flags = 0);            // bytes the stack accepted; flags: msgflags::
    size_t app_recv(size_t max = SIZE_MAX);              // bytes read (checked against what the peer sent)
    // One stack recv with msgflags:: (kOob, kPeek) into out, unchecked: for reads that do not
    // follow the stream in order (urgent data). Compare against peer_byte().
    ssize_t app_recv_raw(std::span<std::byte> out, int flags = 0);
    static std::byte peer_byte(uint32_t offset);         // what the peer sends at stream offset (0 = first byte)
    void app_shutdown_write();
    void app_close();
    void set_nodelay(bool on);
    int socket() const;

    // ---- the wire -------------------------------------------------------------------------
    void inject(const Inject& seg, std::source_location loc = std::source_location::current());
    // Shorthand: a pure ACK at the peer's next sequence number.
    // A router on the path says a segment the stack sent (seq relative to the stack's ISN, as
    // quoted in the ICMP) needs fragmentation and the next hop carries mtu bytes (RFC 1191).
    void inject_frag_needed(uint32_t quoted_seq, uint16_t mtu);
    void inject_ack(uint32_t ack, Blocks sack = {}, std::source_location loc = std::source_location::current());
    // Takes the stack's next segment (already sent by now) and checks it.
    Segment expect_segment(const Expect& e, std::source_location loc = std::source_location::current());
    // Takes the next n segments, checking only that they exist.
    std::vector<Segment> expect_segments(size_t n, std::source_location loc = std::source_location::current());
    // Nothing is waiting now, and nothing leaves during the next d of virtual time.
    void expect_nothing_for(Duration d, std::source_location loc = std::source_location::current());
    size_t pending() const;                              // segments sent but not yet expected

    // ---- time -----------------------------------------------------------------------------
    // Moves virtual time forward by d, stopping at every deadline the stack has on the way.
    void advance(Duration d);
    Instant now() const;
    Duration elapsed(const Segment& s) const;            // since the start of the test

    // ---- looking in -----------------------------------------------------------------------
    Stack& stack();
    const Counters& counters() const;
    std::string state() const;                           // RFC 9293 name, or "" once gone
    SocketInfo info() const;
    wire::SeqNum stack_iss() const;
    wire::SeqNum peer_iss() const;
    uint32_t seq_of(const Segment& seg) const;          // relative to its sender's ISN
    uint32_t end_of(const Segment& seg) const;          // seq_of + sequence space it occupies
    uint32_t last_stack_tsval() const;                   // TSval of the stack's latest segment
    uint32_t peer_tsval() const;                         // what the peer stamps now
    // The stack's next SYN defines its ISN again; the peer starts over from new_peer_iss.
    void new_incarnation(uint32_t new_peer_iss);
    // The peer opens another connection to the listener, from another port: as new_incarnation,
    // and later segments go from that port. Taking the stack's segments does not look at ports.
    void new_peer_port(uint16_t port, uint32_t new_peer_iss);
    std::string trace() const;

    struct State;

private:
    explicit ScriptedPeer(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

}  // namespace ustack::tcp::testing

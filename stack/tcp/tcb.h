// The transmission control block: everything one TCP connection knows (RFC 9293 3.3.1),
// named as the RFC names it. Behaviour lives in input.cc, output.cc, timers.cc, listen.cc.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <optional>

#include "stack/core/byte_ring.h"
#include "stack/core/heap.h"
#include "stack/stack.h"
#include "stack/tcp/assembler.h"
#include "stack/tcp/congestion.h"
#include "stack/tcp/rack.h"
#include "stack/tcp/rcv_autotune.h"
#include "stack/tcp/rtt.h"
#include "stack/tcp/sack.h"
#include "stack/tcp/undo.h"
#include "stack/tcp/urgent.h"
#include "stack/wire/seq.h"

namespace ustack::tcp {

using wire::SeqNum;

enum class State : uint8_t {
    kClosed, kListen, kSynSent, kSynReceived, kEstablished,
    kFinWait1, kFinWait2, kCloseWait, kClosing, kLastAck, kTimeWait,
};
const char* state_name(State s);

// Timers one connection can have armed; 0 in a deadline field means off.
enum class TimerKind : uint8_t {
    kRetransmit = 1, kDelayedAck = 2, kTimeWait = 3, kKeepalive = 4, kLossProbe = 5,
    kPersist = 6,  // zero-window probes (RFC 9293 3.8.6.1), Linux ICSK_TIME_PROBE0
    kReorder = 7,  // RACK reordering timer (RFC 8985 6.3), Linux ICSK_TIME_REO_TIMEOUT
};

inline constexpr size_t kDefaultBufferBytes = 256 * 1024;
inline constexpr uint8_t kOurWindowScale = 7;  // lets a 256 KiB..16 MiB buffer be advertised
inline constexpr int kMaxSynRetries = 6;        // Linux tcp_syn_retries
inline constexpr int kMaxRetries = 15;          // Linux tcp_retries2
inline constexpr Duration kTimeWaitDuration = std::chrono::seconds(60);  // Linux TCP_TIMEWAIT_LEN
inline constexpr Duration kDelayedAckTimeout = std::chrono::milliseconds(40);  // Linux TCP_DELACK_MIN
// RFC 8985 7.2 WCDelAckT: how long a peer may hold an ACK (Linux TCP_DELACK_MAX, 200 ms).
inline constexpr Duration kWorstCaseDelayedAck = std::chrono::milliseconds(200);

struct Listener {
    int backlog = 0;
    int syn_received = 0;                           // children still in SYN-RECEIVED
    std::deque<int, heap::Allocator<int>> accept_queue;  // established children, oldest first
    Instant last_cookie{0};                         // when the SYN queue last overflowed into cookies

    // As Linux (6.18, the kernel the conformance suite runs on): both queues are full only
    // past `backlog`, so listen(fd, n) keeps n + 1 requests before cookies take over and
    // completes n + 1 connections; listen(fd, 0) still accepts one without a cookie.
    bool syn_queue_full() const { return syn_received > backlog; }
    bool accept_queue_full() const { return static_cast<int>(accept_queue.size()) > backlog; }
};

struct Tcb : heap::HeapObject {
    Tcb(size_t rcvbuf, size_t sndbuf) : recv_queue(rcvbuf), send_queue(sndbuf) {}

    int id = 0;                  // the socket id this connection lives under
    State state = State::kClosed;
    Endpoint local;
    Endpoint remote;

    // Send sequence variables (RFC 9293 3.3.1).
    SeqNum iss;
    SeqNum snd_una;
    SeqNum snd_nxt;              // next new sequence number; never rewinds (see rtx_nxt)
    SeqNum snd_max;              // highest sequence sent so far (differs from snd_nxt only
                                 // while a zero-window probe byte is outstanding)
    SeqNum snd_wl1;
    SeqNum snd_wl2;
    uint32_t snd_wnd = 0;        // already scaled
    uint8_t snd_wscale = 0;      // the peer's shift, applied to windows it sends us
    uint16_t snd_mss = 536;      // RFC 9293 3.7.1 default when the peer sends no MSS

    // Receive sequence variables.
    SeqNum irs;
    SeqNum rcv_nxt;
    SeqNum rcv_adv;              // right edge of the window we last advertised
    uint8_t rcv_wscale = 0;      // our shift, applied to windows we send
    bool wscale_ok = false;

    // Queues. send_queue holds unacknowledged and unsent bytes; byte 0 has sequence send_seq.
    ByteRing recv_queue;
    Assembler reassembly;
    ByteRing send_queue;
    SeqNum send_seq;

    // Closing.
    bool fin_queued = false;     // the user shut down writing; FIN follows the queued data
    bool fin_sent = false;
    SeqNum fin_seq;
    bool fin_received = false;   // reads see end of stream (the peer's FIN, or the connection closed)
    bool peer_fin = false;       // the peer's FIN itself arrived: a later reset cannot take the end of stream away
    bool read_shutdown = false;
    bool user_closed = false;

    // Retransmission (RFC 6298) and congestion control (RFC 5681).
    RttEstimator rtt;
    bool rtt_timing = false;     // Karn: one segment timed at a time, never a retransmitted one
    SeqNum rtt_seq;
    Instant rtt_start{0};
    int backoff = 0;             // consecutive retransmission timeouts: the RTO doubles
    int probes_out = 0;          // zero-window probes since the peer last ACKed anything (Linux
                                 // icsk_probes_out): the give-up count while the window is zero
    std::unique_ptr<CongestionControl> cc;
    int dupacks = 0;
    bool in_recovery = false;    // fast recovery (RFC 6582)
    SeqNum recover;
    // After a retransmission timeout every outstanding segment counts as lost and is resent
    // from rtx_nxt, while snd_nxt keeps naming the next new byte, so ACKs we send meanwhile
    // carry a sequence number the peer accepts (as Linux's Loss state does).
    bool rto_recovery = false;
    SeqNum rtx_nxt;
    Undo undo;                   // RFC 3522: the reduction to take back if it proves spurious

    // Acknowledgement policy.
    bool ack_pending = false;    // send an ACK at the next output
    int unacked_segments = 0;    // in-order segments received since our last ACK
    bool quickack = true;        // ACK every segment at the start, as Linux does
    // Linux's pingpong (interactive) mode: we sent data within a delayed-ACK timeout of the
    // last data we received, so the ACK of the next request is likely to ride on its reply;
    // quick ACKs stop (Linux tcp_in_quickack_mode). Left when the delayed ACK timer fires.
    bool pingpong = false;
    Instant last_data_received{0};  // Linux icsk_ack.lrcvtime

    // Timers (0 = off).
    Instant rto_deadline{0};
    Instant delack_deadline{0};
    Instant timewait_deadline{0};
    // The persist timer has its own slot and backoff (Linux ICSK_TIME_PROBE0): probing a zero
    // window neither inflates the next RTO nor is shortened by an RTO backoff reset.
    Instant persist_deadline{0};
    int persist_backoff = 0;     // zero-window probes sent since the window last opened

    // Listening.
    std::unique_ptr<Listener> listener;  // set in LISTEN
    int parent = 0;              // for passive children: the listener's id until accepted

    // Timestamps (RFC 7323): negotiated in the handshake, then on every segment.
    bool ts_ok = false;
    uint32_t ts_offset = 0;      // random per connection (RFC 7323 5.4)
    uint32_t ts_recent = 0;      // TS.Recent
    Instant ts_recent_at{0};
    SeqNum last_ack_sent;        // Last.ACK.sent

    // SACK (RFC 2018): the blocks we report as a receiver, the scoreboard as a sender.
    bool sack_ok = false;
    // Where recent out-of-order arrivals began, most recent first, at most one per reassembly
    // range: the order in which we report SACK blocks (RFC 2018 4).
    std::array<SeqNum, 4> sack_recent{};
    uint8_t sack_recent_count = 0;
    Scoreboard scoreboard;
    Rack rack;                   // RFC 8985: which outstanding segments are lost (with SACK)
    Instant reo_deadline{0};     // RFC 8985 6.3: reordering timer
    bool rack_force_rtx = false; // recovery just began: resend the first lost segment at once
    Instant tlp_deadline{0};     // RFC 8985 7: tail loss probe timer
    // D-SACK (RFC 2883): a duplicate segment we received, reported as the first SACK block of
    // the next ACK, once.
    bool dsack_pending = false;
    SeqNum dsack_left, dsack_right;

    Urgent urgent;               // MSG_OOB both ways (urgent.h)

    int error = 0;               // pending SO_ERROR (positive errno)
    bool nodelay = false;
    bool cork = false;           // TCP_CORK
    uint32_t total_retransmits = 0;
    uint32_t dsack_segments = 0;  // segments the peer reported receiving twice (Linux dsack_dups)

    // Keepalive (RFC 1122 4.2.3.6) and the user timeout (RFC 5482, TCP_USER_TIMEOUT).
    Instant last_rx{0};          // when the peer was last heard from
    int keepalive_probes = 0;    // unanswered probes
    Instant keepalive_deadline{0};
    Instant retrans_start{0};    // when the oldest unacknowledged data was sent (approximately)
    RcvSpace rcv_space;          // receive-buffer auto-tuning (rcv_autotune.h)
    uint64_t bytes_read = 0;     // by the application, over the connection's life
    Instant last_data_sent{0};   // Linux lsndtime: when a segment with data last left (idle_restart.h)

    uint32_t flight_size() const { return static_cast<uint32_t>(snd_nxt - snd_una); }
    // Bytes believed to be in the network: after an RTO only what was resent since; in SACK
    // recovery RFC 6675's estimate; otherwise everything outstanding.
    uint32_t pipe() const;
    // Bytes queued but never sent.
    uint32_t unsent_bytes() const {
        return static_cast<uint32_t>(send_queue.size()) - static_cast<uint32_t>(snd_nxt - send_seq);
    }
    bool synchronized() const { return state >= State::kEstablished; }
};

inline constexpr uint16_t kMinSndMss = 48;  // Linux TCP_MIN_SND_MSS

// The payload size to send with (RFC 9293 3.7.1, RFC 6691): the peer's MSS option (536 without
// one; a zero option is ignored, as Linux does), clamped by our MTU and TCP_MAXSEG, less the
// 12 bytes of timestamps every segment then carries. Never below kMinSndMss: a tiny advertised
// MSS must not leave header-only segments, or wrap below the timestamp bytes.
uint16_t send_mss(std::optional<uint16_t> peer_mss, size_t mtu, uint16_t maxseg, bool timestamps);

// The first broken internal invariant of t, or nullptr. Built into the stack only for the
// fuzz targets (USTACK_TCP_CHECK_INVARIANTS, checked after every poll); see tcp/fuzz/.
const char* broken_invariant(const Tcb& t);

}  // namespace ustack::tcp

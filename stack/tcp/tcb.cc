#include "stack/tcp/tcb.h"

#include <algorithm>

#include "stack/stack_impl.h"

namespace ustack {
namespace tcp {

const char* state_name(State s) {
    switch (s) {
        case State::kClosed: return "CLOSED";
        case State::kListen: return "LISTEN";
        case State::kSynSent: return "SYN-SENT";
        case State::kSynReceived: return "SYN-RECEIVED";
        case State::kEstablished: return "ESTABLISHED";
        case State::kFinWait1: return "FIN-WAIT-1";
        case State::kFinWait2: return "FIN-WAIT-2";
        case State::kCloseWait: return "CLOSE-WAIT";
        case State::kClosing: return "CLOSING";
        case State::kLastAck: return "LAST-ACK";
        case State::kTimeWait: return "TIME-WAIT";
    }
    return "?";
}

uint32_t Tcb::pipe() const {
    if (rto_recovery) return static_cast<uint32_t>(rtx_nxt - snd_una);
    if (!in_recovery || !sack_ok || scoreboard.empty()) return flight_size();
    // RFC 6675 SetPipe(), approximated by ranges: every unSACKed byte is in flight unless it
    // is lost (3 segments SACKed above it) and not yet retransmitted (above HighRxt).
    uint32_t pipe = flight_size() - scoreboard.sacked_bytes();
    SeqNum from = seq_max(high_rxt, snd_una);
    for (;;) {
        SeqNum start;
        const uint32_t hole = scoreboard.hole_at(from, &start);
        if (hole == 0 || !scoreboard.is_lost(start, snd_mss)) break;
        pipe -= std::min(pipe, hole);
        from = start + hole;
    }
    return pipe;
}

}  // namespace tcp

// RFC 6528: ISN = M + F(4-tuple, secret), M a timer ticking every 4 microseconds, so that
// numbers are unpredictable off-path yet increase for a reused 4-tuple.
wire::SeqNum Stack::Impl::tcp_isn(const FourTuple& ft) const {
    uint64_t h = isn_secret ^ FourTupleHash{}(ft);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    const auto ticks = static_cast<uint64_t>(now.count() / 4000);
    return wire::SeqNum(static_cast<uint32_t>(h + ticks));
}

tcp::Tcb* Stack::Impl::tcp_lookup(const FourTuple& ft) const {
    auto it = tcp_connections.find(ft);
    if (it == tcp_connections.end()) return nullptr;
    SocketEntry* e = find(it->second);
    return e == nullptr ? nullptr : e->tcp.get();
}

}  // namespace ustack

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

uint16_t send_mss(std::optional<uint16_t> peer_mss, size_t mtu, uint16_t maxseg, bool timestamps) {
    uint32_t mss = peer_mss && *peer_mss != 0 ? *peer_mss : 536;
    mss = std::min<uint32_t>(mss, static_cast<uint32_t>(mtu - 40));
    if (maxseg != 0) mss = std::min<uint32_t>(mss, maxseg);
    if (timestamps) mss = mss > 12 ? mss - 12 : 0;
    return static_cast<uint16_t>(std::max<uint32_t>(mss, kMinSndMss));
}

const char* broken_invariant(const Tcb& t) {
    if (t.state == State::kListen || t.state == State::kClosed) return nullptr;
    const bool sent_syn = t.snd_nxt != t.iss || t.snd_max != t.iss;
    if (sent_syn) {
        if (!(t.snd_una <= t.snd_nxt)) return "snd_una > snd_nxt";
        if (!(t.snd_nxt <= t.snd_max)) return "snd_nxt > snd_max";
        if (!(t.iss <= t.snd_una)) return "snd_una < iss";
    }
    if (t.synchronized()) {
        if (!(t.send_seq <= t.snd_una) || t.snd_una - t.send_seq > 1) return "send_seq does not sit at snd_una";
        const SeqNum data_end = t.send_seq + static_cast<uint32_t>(t.send_queue.size());
        const SeqNum limit = t.fin_sent ? data_end + 1 : data_end;
        if (!(t.snd_max <= limit)) return "snd_max beyond the data queued (and FIN)";
        if (t.fin_sent && t.fin_seq != data_end) return "fin_seq is not the end of the queued data";
        if (t.rto_recovery && !(t.snd_una <= t.rtx_nxt && t.rtx_nxt <= t.snd_max)) return "rtx_nxt outside [snd_una, snd_max]";
        if (t.cc->cwnd == 0) return "cwnd is zero";
        for (const Scoreboard::Range& r : t.scoreboard.ranges()) {
            if (!(t.snd_una <= r.left && r.left < r.right && r.right <= t.snd_max)) return "SACK scoreboard range outside (snd_una, snd_max]";
        }
        if (t.urgent.sending && !(t.snd_una < t.urgent.snd_up)) return "urgent mode with the urgent pointer acknowledged";
        if (t.urgent.rcv != Urgent::Rcv::kNone && t.urgent.rcv_seq < read_seq(t)) return "urgent mark behind the read position";
        SeqNum prev = t.snd_una;
        for (const Rack::Segment& s : t.rack.segments()) {
            if (!(prev <= s.start && s.start < s.end && s.end <= t.snd_max)) return "RACK records unsorted or outside [snd_una, snd_max]";
            prev = s.end;
        }
    }
    if (t.recv_queue.size() > t.recv_queue.capacity()) return "receive queue over capacity";
    uint32_t prev_end = 0;
    for (const Assembler::Range& r : t.reassembly.ranges()) {
        if (!(r.start < r.end) || r.start <= prev_end) return "reassembly ranges unsorted, empty or touching";
        if (r.end > t.recv_queue.free_space()) return "out-of-order data beyond the receive buffer";
        prev_end = r.end;
    }
    return nullptr;
}

uint32_t Tcb::pipe() const {
    if (rto_recovery) return static_cast<uint32_t>(rtx_nxt - snd_una);
    if (!in_recovery || !sack_ok) return flight_size();
    // RFC 6675 SetPipe() with RACK's losses (Linux tcp_packets_in_flight()): every unSACKed
    // byte is in flight unless it is marked lost and not resent since.
    const uint32_t out = flight_size() - std::min(flight_size(), scoreboard.sacked_bytes());
    const uint32_t pipe = out - std::min(out, rack.lost_bytes());
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

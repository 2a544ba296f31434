#include "stack/tcp/urgent.h"

#include <cerrno>

#include "stack/tcp/tcb.h"

namespace ustack::tcp {

using Rcv = Urgent::Rcv;

void urgent_queued(Tcb& t) {
    t.urgent.sending = true;
    t.urgent.snd_up = t.send_seq + static_cast<uint32_t>(t.send_queue.size());
}

void urgent_acked(Tcb& t) {
    if (t.urgent.sending && t.urgent.snd_up <= t.snd_una) t.urgent.sending = false;
}

std::optional<uint16_t> urgent_pointer_for(const Tcb& t, SeqNum seq) {
    const Urgent& u = t.urgent;
    if (!u.sending || !(seq < u.snd_up)) return std::nullopt;
    const uint32_t distance = static_cast<uint32_t>(u.snd_up - seq);
    if (distance <= 0xFFFF) return static_cast<uint16_t>(distance);
    if (seq + 0xFFFF > t.snd_nxt) return 0xFFFF;
    return std::nullopt;
}

SeqNum read_seq(const Tcb& t) {
    // The receive queue holds every in-order byte not yet read; the peer's FIN follows them.
    return t.rcv_nxt - static_cast<uint32_t>(t.recv_queue.size()) - (t.peer_fin ? 1u : 0u);
}

UrgentArrival urgent_segment(Tcb& t, SeqNum seq, std::optional<uint16_t> urg_ptr,
                             std::span<const std::byte> payload, bool oob_inline) {
    Urgent& u = t.urgent;
    UrgentArrival a;
    if (urg_ptr) {
        // Linux tcp_check_urg(): the pointer names the byte after the urgent one.
        const SeqNum ptr = seq + (*urg_ptr != 0 ? *urg_ptr - 1u : 0u);
        const SeqNum copied = read_seq(t);
        const bool stale = copied > ptr || ptr < t.rcv_nxt;    // read already, or received already
        const bool known = u.rcv != Rcv::kNone && ptr <= u.rcv_seq;  // an older or the same pointer
        if (!stale && !known) {
            a.new_pointer = true;
            // The old urgent byte is the next to read and out of line: it would come back as
            // ordinary data once the mark moves, so it goes (Linux copied_seq++).
            if (u.rcv != Rcv::kNone && u.rcv_seq == copied && !oob_inline && !t.recv_queue.empty()) {
                t.recv_queue.consume(1);
            }
            u.rcv = Rcv::kNotYet;
            u.rcv_seq = ptr;
        }
    }
    if (u.rcv == Rcv::kNotYet) {
        const uint32_t offset = static_cast<uint32_t>(u.rcv_seq - seq);
        if (offset < payload.size()) {
            u.rcv_byte = payload[offset];
            u.rcv = Rcv::kValid;
            a.byte_arrived = true;
        }
    }
    return a;
}

ssize_t urgent_recv(Tcb& t, std::span<const std::span<std::byte>> out, bool peek, bool oob_inline) {
    Urgent& u = t.urgent;
    if (oob_inline || u.rcv == Rcv::kNone || u.rcv == Rcv::kRead) return -EINVAL;
    if (t.state == State::kClosed && !t.peer_fin) return -ENOTCONN;
    if (u.rcv == Rcv::kValid) {
        if (!peek) u.rcv = Rcv::kRead;
        for (const auto& o : out) {
            if (o.empty()) continue;
            o[0] = u.rcv_byte;
            return 1;
        }
        return 0;  // no room: Linux says MSG_TRUNC and keeps nothing back
    }
    if (t.state == State::kClosed || t.fin_received || t.read_shutdown) return 0;
    return -EAGAIN;  // the byte is on its way; recv(MSG_OOB) never waits for it
}

ReadPlan urgent_read_plan(const Tcb& t, bool oob_inline) {
    const size_t queued = t.recv_queue.size();
    ReadPlan p{0, queued};
    const Urgent& u = t.urgent;
    if (u.rcv == Rcv::kNone || queued == 0) return p;
    const SeqNum head = read_seq(t);
    if (u.rcv_seq < head) return p;
    const uint32_t offset = static_cast<uint32_t>(u.rcv_seq - head);
    if (offset == 0) {
        // At the mark: the urgent byte is read in line, or skipped (Linux urg_hole).
        if (!oob_inline) p = {1, queued - 1};
    } else if (offset < queued) {
        p.limit = offset;  // a read stops before the mark
    }
    return p;
}

void urgent_consumed(Tcb& t) {
    if (t.urgent.rcv != Rcv::kNone && read_seq(t) > t.urgent.rcv_seq) t.urgent.rcv = Rcv::kNone;
}

bool at_urgent_mark(const Tcb& t) { return t.urgent.rcv != Rcv::kNone && t.urgent.rcv_seq == read_seq(t); }

size_t urgent_readable_bytes(const Tcb& t, bool oob_inline) {
    const size_t queued = t.recv_queue.size();
    if (oob_inline || t.urgent.rcv == Rcv::kNone) return queued;
    const SeqNum head = read_seq(t);
    if (t.urgent.rcv_seq < head || !(t.urgent.rcv_seq < head + static_cast<uint32_t>(queued))) return queued;
    return static_cast<uint32_t>(t.urgent.rcv_seq - head);
}

bool urgent_readable(const Tcb& t, bool oob_inline) {
    const size_t need = !oob_inline && at_urgent_mark(t) ? 2 : 1;
    return t.recv_queue.size() >= need;
}

}  // namespace ustack::tcp

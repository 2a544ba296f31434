// TCP timers: retransmission with exponential backoff (RFC 6298 5), the persist probe
// (RFC 9293 3.8.6.1), delayed ACK (RFC 9293 3.8.6.3) and TIME-WAIT (RFC 9293 3.6).
#include <cerrno>

#include "stack/stack_impl.h"
#include "stack/wire/tcp.h"

namespace ustack {

using tcp::State;
using tcp::Tcb;
using tcp::TimerKind;
using wire::SeqNum;

namespace {
uint64_t timer_key(int id, TimerKind kind) { return (static_cast<uint64_t>(id) << 8) | static_cast<uint8_t>(kind); }
int key_id(uint64_t key) { return static_cast<int>(key >> 8); }
TimerKind key_kind(uint64_t key) { return static_cast<TimerKind>(key & 0xff); }

Instant& deadline_of(Tcb& t, TimerKind kind) {
    switch (kind) {
        case TimerKind::kRetransmit: return t.rto_deadline;
        case TimerKind::kDelayedAck: return t.delack_deadline;
        case TimerKind::kTimeWait: break;
    }
    return t.timewait_deadline;
}
}  // namespace

void Stack::Impl::tcp_arm(Tcb& t, TimerKind kind, Instant when) {
    if (when == Instant{0}) when = Instant{1};  // 0 means "off"
    deadline_of(t, kind) = when;
    timers.arm(when, timer_key(t.id, kind));
}

bool Stack::Impl::tcp_timer_stale(const TimerEntry& e) const {
    SocketEntry* s = find(key_id(e.key));
    if (s == nullptr || !s->tcp) return true;
    return deadline_of(*s->tcp, key_kind(e.key)) != e.when;
}

void Stack::Impl::tcp_enter_time_wait(Tcb& t) {
    t.state = State::kTimeWait;
    t.rto_deadline = Instant{0};
    t.delack_deadline = Instant{0};
    tcp_arm(t, TimerKind::kTimeWait, now + tcp::kTimeWaitDuration);
    wake();
}

void Stack::Impl::run_tcp_timer(const TimerEntry& e) {
    if (tcp_timer_stale(e)) return;
    Tcb& t = *find(key_id(e.key))->tcp;
    const TimerKind kind = key_kind(e.key);
    deadline_of(t, kind) = Instant{0};
    switch (kind) {
        case TimerKind::kDelayedAck:
            t.ack_pending = true;
            tcp_output(t);
            return;
        case TimerKind::kTimeWait:
            tcp_close_connection(t, 0);  // TIME-WAIT over, or an orphan stuck in FIN-WAIT-2
            return;
        case TimerKind::kRetransmit:
            break;
    }
    const SeqNum data_end = t.send_seq + static_cast<uint32_t>(t.send_queue.size());
    const bool probing = t.synchronized() && t.flight_size() == 0 && t.snd_wnd == 0 && t.snd_nxt < data_end;
    if (t.flight_size() == 0 && !probing) return;
    const int limit = t.synchronized() ? tcp::kMaxRetries : tcp::kMaxSynRetries;
    if (++t.backoff > limit) {
        ++counters.tcp_timeouts;
        tcp_close_connection(t, ETIMEDOUT);
        return;
    }
    const Duration backed_off = std::min<Duration>(t.rtt.rto() * (int64_t{1} << std::min(t.backoff, 16)), tcp::RttEstimator::kMaxRto);
    if (probing) {
        // Zero-window probe: one byte of new data, so the peer's answer carries its window.
        tcp_send_segment(t, t.snd_nxt, wire::TcpFlags::kAck, 1);
        t.snd_nxt += 1;
        t.snd_max = seq_max(t.snd_max, t.snd_nxt);
        tcp_arm(t, TimerKind::kRetransmit, now + backed_off);
        return;
    }
    ++counters.tcp_rto_expirations;
    t.cc->on_rto(t.flight_size(), t.snd_mss);
    t.in_recovery = false;
    t.dupacks = 0;
    t.rtt_timing = false;  // Karn's rule
    tcp_arm(t, TimerKind::kRetransmit, now + backed_off);
    if (!t.synchronized()) {
        tcp_send_syn(t);
        return;
    }
    // Everything outstanding is presumed lost: resend from snd_una (snd_nxt stays put).
    t.rto_recovery = true;
    t.rtx_nxt = t.snd_una;
    t.scoreboard.clear();  // RFC 2018 8: after a timeout, do not trust the receiver kept SACKed data
    t.recover = t.snd_max;
    tcp_output(t);
}

}  // namespace ustack

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
        case TimerKind::kKeepalive: return t.keepalive_deadline;
        case TimerKind::kLossProbe: return t.tlp_deadline;
        case TimerKind::kPersist: return t.persist_deadline;
        case TimerKind::kReorder: return t.reo_deadline;
        case TimerKind::kTimeWait: break;
    }
    return t.timewait_deadline;
}
// A zero window with data waiting (RFC 9293 3.8.6.1): nothing in flight, or only the one-byte
// probe. Its answer says whether the window opened: a new byte, or the earlier probe's again.
bool zero_window_probing(const Tcb& t) {
    const SeqNum data_end = t.send_seq + static_cast<uint32_t>(t.send_queue.size());
    const uint32_t flight = t.flight_size();
    return t.synchronized() && t.snd_wnd == 0 &&
           ((flight == 0 && t.snd_nxt < data_end) || (flight == 1 && t.snd_una < data_end));
}

// RTO << shift, capped at the maximum RTO and (Linux tcp_clamp_rto_to_user_timeout) at what is
// left of TCP_USER_TIMEOUT.
Duration backed_off_interval(const Tcb& t, int shift, Duration user_timeout, Instant now) {
    Duration d = std::min<Duration>(t.rtt.rto() * (int64_t{1} << std::min(shift, 16)), tcp::RttEstimator::kMaxRto);
    if (user_timeout.count() != 0) {
        d = std::max<Duration>(std::min(d, t.retrans_start + user_timeout - now), std::chrono::milliseconds(1));
    }
    return d;
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
    t.persist_deadline = Instant{0};
    // No more data either way: our FIN is acknowledged (the send ring is empty) and the peer's
    // has arrived (nothing is written ahead). The rings (256 KiB each by default) and the RACK
    // records go back to the heap now, not when the 60 s end: as Linux's timewait sock, which
    // has no buffers. A server that closes first (HTTP with Connection: close) otherwise holds
    // half a megabyte per recent connection and the allocator keeps mapping fresh memory
    // (page faults and madvise per connection). Unread bytes stay readable.
    if (t.send_queue.empty()) t.send_queue.release_storage();
    if (t.reassembly.empty()) t.recv_queue.release_storage();
    t.rack.release_storage();
    tcp_arm(t, TimerKind::kTimeWait, now + tcp::kTimeWaitDuration);
    wake();
}

void Stack::Impl::tcp_arm_keepalive(Tcb& t) {
    const SocketOptions& o = tcp_options(t);
    if (!o.keepalive || !t.synchronized() || t.state == State::kTimeWait) {
        t.keepalive_deadline = Instant{0};
        return;
    }
    const Duration wait = t.keepalive_probes == 0 ? Duration(std::chrono::seconds(o.keepidle_s))
                                                  : Duration(std::chrono::seconds(o.keepintvl_s));
    const Instant from = t.keepalive_probes == 0 ? t.last_rx : now;
    tcp_arm(t, TimerKind::kKeepalive, std::max(from + wait, now + Duration(1)));
}

// RFC 1122 4.2.3.6, as Linux does it: after TCP_KEEPIDLE of silence from the peer, with
// nothing of ours outstanding, send a probe (an ACK for snd_una - 1, which any live peer
// answers) every TCP_KEEPINTVL; after TCP_KEEPCNT unanswered probes, reset and report ETIMEDOUT.
void Stack::Impl::run_keepalive(Tcb& t) {
    const SocketOptions& o = tcp_options(t);
    if (!o.keepalive || !t.synchronized() || t.state == State::kTimeWait) return;
    if (t.flight_size() > 0 || !t.send_queue.empty()) {  // the retransmission timer watches
        t.keepalive_probes = 0;
        tcp_arm_keepalive(t);
        return;
    }
    if (t.keepalive_probes == 0 && now - t.last_rx < std::chrono::seconds(o.keepidle_s)) {
        tcp_arm_keepalive(t);  // heard from the peer since this was armed
        return;
    }
    if (t.keepalive_probes >= o.keepcnt) {
        tcp_send_segment(t, t.snd_nxt, wire::TcpFlags::kRst | wire::TcpFlags::kAck, 0);
        ++counters.tcp_resets_sent;
        ++counters.tcp_keepalive_timeouts;
        tcp_close_connection(t, ETIMEDOUT);
        return;
    }
    ++t.keepalive_probes;
    ++counters.tcp_keepalive_probes;
    tcp_send_segment(t, t.snd_una - 1, wire::TcpFlags::kAck, 0);
    tcp_arm_keepalive(t);
}

void Stack::Impl::tcp_arm_loss_probe(Tcb& t) {
    // RFC 8985 7.2: PTO = 2 SRTT, plus a delayed-ACK allowance when one segment is in flight,
    // never later than the RTO. Only with an RTT sample, outside recovery.
    // Not while backed off: after a timeout the RTO (with its backoff) alone decides, until an
    // ACK shows the path works again (RFC 8985 7.2: TLP is armed from the ACK clock).
    if (!t.rtt.have_sample() || t.flight_size() == 0 || t.in_recovery || t.rto_recovery || t.backoff > 0 ||
        !t.synchronized()) {
        t.tlp_deadline = Instant{0};
        return;
    }
    Duration pto = 2 * t.rtt.srtt();
    if (t.flight_size() <= t.snd_mss) pto += tcp::kWorstCaseDelayedAck;  // the peer's delayed ACK, not ours
    pto = std::max<Duration>(pto, std::chrono::milliseconds(2));
    pto = std::min(pto, t.rtt.rto());
    tcp_arm(t, TimerKind::kLossProbe, now + pto);
}

// RFC 8985 7.3: when the ACK clock stops, send one segment that will draw a SACK and let fast
// recovery find a lost tail, instead of waiting for the RTO: new data if the window allows,
// otherwise the highest segment sent again.
void Stack::Impl::run_loss_probe(Tcb& t) {
    if (t.flight_size() == 0 || t.in_recovery || t.rto_recovery || t.backoff > 0 || !t.synchronized()) return;
    ++counters.tcp_loss_probes;
    const SeqNum data_end = t.send_seq + static_cast<uint32_t>(t.send_queue.size());
    const uint32_t wnd = std::min(t.snd_wnd, t.cc->cwnd + t.snd_mss);  // the probe may exceed cwnd by one
    if (t.snd_nxt < data_end && t.flight_size() + t.snd_mss <= wnd) {
        const uint32_t len = std::min<uint32_t>(t.snd_mss, static_cast<uint32_t>(data_end - t.snd_nxt));
        tcp_send_segment(t, t.snd_nxt, wire::TcpFlags::kAck | wire::TcpFlags::kPsh, len);
        t.snd_nxt += len;
        t.snd_max = seq_max(t.snd_max, t.snd_nxt);
    } else {
        const SeqNum end = t.fin_sent && t.snd_max > t.fin_seq ? t.fin_seq : t.snd_max;
        const uint32_t len = std::min<uint32_t>(t.snd_mss, static_cast<uint32_t>(end - t.snd_una));
        const bool fin = t.fin_sent && t.snd_max > t.fin_seq;
        tcp_send_segment(t, end - len, wire::TcpFlags::kAck | (fin ? wire::TcpFlags::kFin : 0), len);
    }
    tcp_arm(t, TimerKind::kRetransmit, now + t.rtt.rto());
}

void Stack::Impl::tcp_arm_persist(Tcb& t) {
    if (t.persist_deadline != Instant{0} || !zero_window_probing(t) || t.flight_size() != 0) return;
    // Linux tcp_check_probe_timer(): the first probe one RTO after the window closed.
    tcp_arm(t, TimerKind::kPersist, now + t.rtt.rto());
}

// The persist timer (RFC 9293 3.8.6.1, Linux tcp_probe_timer()): one byte of data into the zero
// window, then again at doubling intervals. RFC 1122 4.2.2.17: give up only on a peer that stops
// answering (probes_out restarts at any ACK, as Linux's icsk_probes_out).
void Stack::Impl::run_persist(Tcb& t) {
    t.persist_deadline = Instant{0};
    if (!zero_window_probing(t)) return;  // the window opened, or the data is gone
    const Duration user_timeout = std::chrono::milliseconds(tcp_options(t).user_timeout_ms);
    const bool user_timed_out = user_timeout.count() != 0 && now - t.retrans_start >= user_timeout;
    if (++t.probes_out > tcp::kMaxRetries || user_timed_out) {
        ++counters.tcp_timeouts;
        tcp_close_connection(t, ETIMEDOUT);
        return;
    }
    const bool fresh = t.flight_size() == 0;
    const SeqNum probe = fresh ? t.snd_nxt : t.snd_una;
    tcp_send_segment(t, probe, wire::TcpFlags::kAck, 1);
    if (fresh) {
        t.snd_nxt += 1;
        t.snd_max = seq_max(t.snd_max, t.snd_nxt);
    }
    ++counters.tcp_persist_probes;
    ++t.persist_backoff;
    tcp_arm(t, TimerKind::kPersist, now + backed_off_interval(t, t.persist_backoff, user_timeout, now));
}

void Stack::Impl::tcp_rack_detect_loss(Tcb& t) {
    const Duration reo_wnd = t.rack.reo_wnd(t.rtt.srtt(), t.in_recovery, t.scoreboard.sacked_bytes(), t.snd_mss);
    const tcp::Rack::Detection d = t.rack.detect_loss(now, reo_wnd);
    counters.tcp_rack_lost += d.lost_segments;
    counters.tcp_lost_retransmits += d.lost_retransmits;
    if (d.timeout > Duration{0}) tcp_arm(t, TimerKind::kReorder, now + d.timeout);
    else t.reo_deadline = Instant{0};
    if (t.in_recovery || t.rto_recovery || !t.rack.has_lost()) return;
    // Something is lost: fast recovery (RFC 6675 5), resending from the first lost segment.
    tcp_begin_undo_episode(t, /*rto=*/false);
    t.cc->on_fast_retransmit(t.flight_size(), t.snd_mss, now);
    t.in_recovery = true;
    t.recover = t.snd_max;
    t.rack_force_rtx = true;
    ++counters.tcp_fast_retransmits;
    ++counters.tcp_sack_recoveries;
    t.tlp_deadline = Instant{0};
    t.rtt_timing = false;
}

void Stack::Impl::run_tcp_timer(const TimerEntry& e) {
    if (tcp_timer_stale(e)) return;
    Tcb& t = *find(key_id(e.key))->tcp;
    const TimerKind kind = key_kind(e.key);
    deadline_of(t, kind) = Instant{0};
    switch (kind) {
        case TimerKind::kDelayedAck:
            t.pingpong = false;  // no reply carried the ACK: not interactive after all (Linux tcp_delack_timer_handler)
            t.ack_pending = true;
            tcp_output(t);
            return;
        case TimerKind::kTimeWait:
            tcp_close_connection(t, 0);  // TIME-WAIT over, or an orphan stuck in FIN-WAIT-2
            return;
        case TimerKind::kKeepalive:
            run_keepalive(t);
            return;
        case TimerKind::kLossProbe:
            run_loss_probe(t);
            return;
        case TimerKind::kPersist:
            run_persist(t);
            return;
        case TimerKind::kReorder:
            ++counters.tcp_rack_reorder_timeouts;
            if (t.sack_ok && !t.rto_recovery && t.flight_size() > 0) tcp_rack_detect_loss(t);
            tcp_output(t);
            return;
        case TimerKind::kRetransmit:
            break;
    }
    const uint32_t flight = t.flight_size();
    if (flight == 0) return;
    if (zero_window_probing(t)) {  // only the probe byte is out: the persist timer's business
        run_persist(t);
        return;
    }
    const int limit = t.synchronized() ? tcp::kMaxRetries : tcp::kMaxSynRetries;
    // RFC 5482 / Linux TCP_USER_TIMEOUT: give up once the oldest unacknowledged data has waited
    // this long, whatever the retry count says.
    const Duration user_timeout = std::chrono::milliseconds(tcp_options(t).user_timeout_ms);
    const bool user_timed_out = user_timeout.count() != 0 && now - t.retrans_start >= user_timeout;
    ++t.backoff;
    if (t.backoff > limit || user_timed_out) {
        ++counters.tcp_timeouts;
        tcp_close_connection(t, ETIMEDOUT);
        return;
    }
    const Duration backed_off = backed_off_interval(t, t.backoff, user_timeout, now);
    ++counters.tcp_rto_expirations;
    if (t.synchronized()) tcp_begin_undo_episode(t, /*rto=*/true);
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
    t.rack.forget_sacks();
    t.reo_deadline = Instant{0};
    t.recover = t.snd_max;
    tcp_output(t);
}

}  // namespace ustack

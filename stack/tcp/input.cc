// TCP input: RFC 9293 3.10.7.4 "SEGMENT ARRIVES", in the RFC's order of checks, with the
// RFC 5961 blind-attack rules for RST and SYN.
#include <algorithm>
#include <cerrno>

#include "stack/stack_impl.h"
#include "stack/tcp/receive.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace ustack {

using tcp::State;
using tcp::Tcb;
using wire::SeqNum;
using wire::TcpFlags;
using wire::TcpView;

namespace {

// The window a peer's segment carries, scaled (RFC 7323 2.3: never in a SYN).
uint32_t peer_window(const Tcb& t, const TcpView& seg) {
    if (seg.flags().syn()) return seg.window();
    return uint32_t{seg.window()} << t.snd_wscale;
}

// RFC 9293 3.10.7.4, first check: is any of the segment inside the receive window?
bool acceptable(const Tcb& t, SeqNum seq, uint32_t seg_len) {
    const uint32_t rcv_wnd = t.rcv_adv > t.rcv_nxt ? static_cast<uint32_t>(t.rcv_adv - t.rcv_nxt) : 0;
    if (seg_len == 0) {
        if (rcv_wnd == 0) return seq == t.rcv_nxt;
        return wire::seq_in_window(seq, t.rcv_nxt, t.rcv_nxt + rcv_wnd);
    }
    if (rcv_wnd == 0) return false;
    return wire::seq_in_window(seq, t.rcv_nxt, t.rcv_nxt + rcv_wnd) ||
           wire::seq_in_window(seq + seg_len - 1, t.rcv_nxt, t.rcv_nxt + rcv_wnd);
}

}  // namespace

void Stack::Impl::handle_tcp(const wire::Ipv4View& ip, bool checksum_partial) {
    ++counters.tcp_rx_segments;
    auto seg = TcpView::parse(ip.payload());
    if (!seg) {
        ++counters.tcp_rx_malformed;
        return;
    }
    if (!checksum_partial && !seg->checksum_valid(ip.src(), ip.dst())) {
        ++counters.tcp_rx_bad_checksum;
        return;
    }
    auto opts = wire::TcpOptions::parse(seg->options());
    if (!opts) {
        ++counters.tcp_rx_malformed;
        return;
    }
    const FourTuple ft{{ip.dst(), seg->dst_port()}, {ip.src(), seg->src_port()}};
    Tcb* t = tcp_lookup(ft);
    // A new SYN for a 4-tuple in TIME-WAIT with a higher sequence number reopens it, as
    // Linux does (RFC 9293 3.6.1 allows it).
    if (t != nullptr && t->state == State::kTimeWait && seg->flags().syn() && !seg->flags().ack() && seg->seq() > t->rcv_nxt) {
        tcp_close_connection(*t, 0);
        t = nullptr;
    }
    if (t == nullptr) {
        SocketEntry* listener = tcp_listener_for(ft.local, ft.remote);
        if (listener == nullptr) {
            ++counters.tcp_rx_no_socket;
            tcp_send_reset_for(ip, *seg);
            return;
        }
        t = tcp_listen_input(*listener, ip, *seg);
        if (t == nullptr) return;  // unless a SYN cookie ACK made a connection to take the segment
    }
    Tcb& c = *t;
    c.last_rx = now;  // keepalive measures silence from the peer
    c.keepalive_probes = 0;
    const TcpFlags flags = seg->flags();
    const SeqNum seq = seg->seq();
    const uint32_t seg_len = seg->seg_len();

    if (c.state == State::kSynSent) {
        // RFC 9293 3.10.7.3.
        if (flags.ack() && (seg->ack() <= c.iss || seg->ack() > c.snd_max)) {
            tcp_send_reset_for(ip, *seg);
            return;
        }
        if (flags.rst()) {
            if (flags.ack()) {
                ++counters.tcp_resets_received;
                tcp_close_connection(c, ECONNREFUSED);
            }
            return;
        }
        if (!flags.syn()) return;
        c.irs = seq;
        c.rcv_nxt = seq + 1;
        c.rcv_adv = c.rcv_nxt;
        c.snd_mss = tcp::send_mss(opts->mss, path_mtu(c.remote.addr), tcp_options(c).maxseg, opts->timestamps.has_value());
        if (opts->window_scale) {
            c.wscale_ok = true;
            c.snd_wscale = std::min<uint8_t>(*opts->window_scale, 14);  // RFC 7323 2.3
        } else {
            c.rcv_wscale = 0;
        }
        c.sack_ok = opts->sack_permitted;
        if (opts->timestamps) {
            c.ts_ok = true;
            c.ts_recent = opts->timestamps->tsval;
            c.ts_recent_at = now;
        }
        c.snd_wnd = seg->window();
        c.snd_wl1 = seq;
        c.snd_wl2 = seg->ack();
        if (flags.ack()) {
            c.snd_una = seg->ack();
            c.send_seq = c.snd_una;
            if (c.backoff == 0) c.rtt.sample(now - c.rtt_start);  // Karn: not after a retransmitted SYN
            c.rtt_timing = false;
            c.backoff = 0;
            c.rto_deadline = Instant{0};
            c.cc->cwnd = 10 * c.snd_mss;  // RFC 6928 initial window
            c.state = State::kEstablished;
            c.ack_pending = true;
            tcp_arm_keepalive(c);
            wake();
        } else {
            // Simultaneous open (RFC 9293 3.5 figure 8): answer with SYN-ACK.
            c.state = State::kSynReceived;
            tcp_send_syn(c);
            return;
        }
        tcp_output(c);
        return;
    }

    // RFC 7323 5.3 PAWS: a segment whose timestamp is older than TS.Recent is a duplicate
    // from an earlier incarnation of the sequence space (unless TS.Recent is over 24 days old).
    // Like Linux (TCP_PAWS_WINDOW), a timestamp one tick older passes: with 1 ms ticks, a
    // reordered original can trail the retransmission that updated TS.Recent by that much.
    constexpr int32_t kPawsWindow = 1;
    if (c.ts_ok && opts->timestamps && !flags.rst() &&
        static_cast<int32_t>(c.ts_recent - opts->timestamps->tsval) > kPawsWindow &&
        now - c.ts_recent_at < std::chrono::hours(24 * 24)) {
        ++counters.tcp_paws_rejected;
        c.ack_pending = true;
        tcp_output(c);
        return;
    }
    // Simultaneous open (RFC 9293 3.5 figure 8, line 6): in SYN-RECEIVED the peer's SYN-ACK
    // repeats its SYN (seq = IRS) and acknowledges ours; it completes the open like an ACK.
    // Its SYN lies just left of the window, so it passes before the checks below (as Linux's
    // tcp_validate_incoming lets it through).
    const bool crossed_syn_ack = c.state == State::kSynReceived && c.parent == 0 && flags.syn() && flags.ack() &&
                                 !flags.rst() && seq == c.irs && seg_len == 1 && seg->ack() == c.snd_max;
    // First: sequence number acceptability.
    if (!crossed_syn_ack && !acceptable(c, seq, seg_len)) {
        ++counters.tcp_rx_out_of_window;
        if (!flags.rst() && c.sack_ok && c.synchronized() && !seg->payload().empty() && seq < c.rcv_nxt) {
            // RFC 2883 4 (Linux tcp_send_dupack()): report the duplicate as a D-SACK block.
            c.dsack_pending = true;
            c.dsack_left = seq;
            c.dsack_right = seq_min(seq + static_cast<uint32_t>(seg->payload().size()), c.rcv_nxt);
        }
        if (!flags.rst()) {
            // RFC 9293 3.10.7.4 (TIME-WAIT): a retransmitted FIN restarts the 2 MSL timeout;
            // like Linux, so does any segment with ACK (a SYN without one may be a new connection).
            if (c.state == State::kTimeWait && flags.ack()) tcp_enter_time_wait(c);
            c.ack_pending = true;  // RFC 9293 3.10.7.4: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
            tcp_output(c);
        }
        return;
    }
    // RFC 7323 4.3: remember the timestamp of the segment that our next ACK acknowledges.
    if (c.ts_ok && opts->timestamps && seq <= c.last_ack_sent &&
        static_cast<int32_t>(opts->timestamps->tsval - c.ts_recent) >= 0) {
        c.ts_recent = opts->timestamps->tsval;
        c.ts_recent_at = now;
    }
    // Second: RST (RFC 5961 3.2: only an exact match resets; in-window gets a challenge ACK).
    if (flags.rst()) {
        if (seq != c.rcv_nxt) {
            tcp_challenge_ack(c);
            return;
        }
        ++counters.tcp_resets_received;
        if (c.state == State::kEstablished || c.state == State::kCloseWait) ++counters.tcp_established_resets;
        const bool refused = c.state == State::kSynReceived && c.parent != 0;
        // As Linux tcp_reset(): EPIPE in CLOSE-WAIT; none in TIME-WAIT, where Linux's timewait
        // socket dies without touching the application's (already closed) socket. A reader
        // whose peer had sent its FIN still reads what is queued and then end of stream.
        int error = ECONNRESET;
        if (refused || c.state == State::kTimeWait) error = 0;
        if (c.state == State::kCloseWait) error = EPIPE;
        tcp_close_connection(c, error);
        return;
    }
    // Fourth: SYN in a synchronized state gets a challenge ACK (RFC 5961 4.2).
    if (flags.syn() && !crossed_syn_ack) {
        if (c.state == State::kSynReceived && seq == c.irs) {  // a retransmitted SYN: resend SYN-ACK
            tcp_send_syn(c);
            return;
        }
        tcp_challenge_ack(c);
        return;
    }
    // Fifth: ACK.
    if (!flags.ack()) return;
    const SeqNum ack = seg->ack();
    if (c.state == State::kSynReceived) {
        if (!(c.snd_una < ack && ack <= c.snd_max)) {
            tcp_send_reset_for(ip, *seg);
            return;
        }
        if (SocketEntry* parent = c.parent != 0 ? find(c.parent) : nullptr;
            parent != nullptr && parent->tcp && parent->tcp->listener && parent->tcp->listener->accept_queue_full()) {
            // Linux (tcp_abort_on_overflow = 0): no room to queue it, so drop the ACK and stay
            // in SYN-RECEIVED; the SYN-ACK timer and the peer's next segment try again.
            ++counters.tcp_listen_overflows;
            return;
        }
        c.snd_una = c.iss + 1;
        c.send_seq = c.snd_una;
        c.snd_wnd = peer_window(c, *seg);
        c.snd_wl1 = seq;
        c.snd_wl2 = ack;
        if (c.backoff == 0) c.rtt.sample(now - c.rtt_start);
        c.backoff = 0;
        c.rto_deadline = Instant{0};
        c.cc->cwnd = 10 * c.snd_mss;
        c.state = c.fin_queued ? State::kFinWait1 : State::kEstablished;  // shut down meanwhile: the FIN goes now
        tcp_arm_keepalive(c);
        if (c.parent != 0) {
            SocketEntry* parent = find(c.parent);
            if (parent != nullptr && parent->tcp && parent->tcp->listener) {
                parent->tcp->listener->syn_received--;
                parent->tcp->listener->accept_queue.push_back(c.id);
            }
        }
        wake();
    }
    if (ack > c.snd_max) {  // acks something not yet sent
        c.ack_pending = true;
        tcp_output(c);
        return;
    }
    const uint32_t wnd = peer_window(c, *seg);
    if (ack >= c.snd_una) c.probes_out = 0;  // the peer is alive: keep probing a zero window (RFC 1122 4.2.2.17)
    if (ack > c.snd_una) {
        uint32_t acked = static_cast<uint32_t>(ack - c.snd_una);
        uint32_t data_acked = acked;
        if (c.fin_sent && ack > c.fin_seq) data_acked -= 1;  // the FIN's sequence number
        data_acked = std::min<uint32_t>(data_acked, static_cast<uint32_t>(c.send_queue.size()));
        c.send_queue.consume(data_acked);
        c.send_seq += data_acked;
        c.snd_una = ack;
        tcp::urgent_acked(c);
        if (c.snd_nxt < c.snd_una) c.snd_nxt = c.snd_una;
        if (c.rto_recovery) {
            if (c.rtx_nxt < c.snd_una) c.rtx_nxt = c.snd_una;  // the peer had it already
            if (c.snd_una >= c.recover) c.rto_recovery = false;
        }
        if (c.ts_ok && opts->timestamps && opts->timestamps->tsecr != 0) {
            // RFC 7323 4.1: the echoed timestamp times every ACK, retransmissions included.
            const uint32_t ms = tcp_ts_now(c) - opts->timestamps->tsecr;
            if (ms < 60'000) c.rtt.sample(std::chrono::milliseconds(std::max<uint32_t>(ms, 1)));
            c.rtt_timing = false;
        } else if (c.rtt_timing && ack >= c.rtt_seq) {
            c.rtt.sample(now - c.rtt_start);
            c.rtt_timing = false;
        }
        c.backoff = 0;
        c.retrans_start = now;  // the oldest unacknowledged data is newer now (approximately)
        // RFC 3522: the first ACK for retransmitted data may show the original arrived.
        if (c.undo.first_ack_shows_delay(c.ts_ok && opts->timestamps ? opts->timestamps->tsecr : 0)) {
            ++(c.undo.after_rto() ? counters.tcp_spurious_rto_undos : counters.tcp_full_undos);
            tcp_undo_reduction(c);
        }
        if (c.in_recovery) {
            if (ack >= c.recover) {
                c.in_recovery = false;  // full acknowledgement: recovery ends (RFC 6582 3.2 step 3)
                c.cc->cwnd = c.cc->ssthresh;
                c.rack.on_recovery_exit();
            } else if (!c.sack_ok) {
                // RFC 6582 3.2 step 5: a partial ACK retransmits the next unacknowledged segment.
                tcp_send_segment(c, c.snd_una, TcpFlags::kAck, std::min<uint32_t>(c.snd_mss, static_cast<uint32_t>(c.send_queue.size())));
            }
        } else {
            c.cc->on_ack(acked, c.snd_mss, now, c.rtt.srtt());
        }
        c.dupacks = 0;
        if (c.flight_size() > 0) tcp_arm(c, tcp::TimerKind::kRetransmit, now + c.rtt.rto());
        else c.rto_deadline = Instant{0};
        tcp_arm_loss_probe(c);  // the ACK clock is running: push the probe back
        wake();
    } else if (ack == c.snd_una && seg->payload().empty() && wnd == c.snd_wnd && wnd != 0 && c.flight_size() > 0) {
        // RFC 5681 2: a duplicate ACK. Not with a zero window: that is a full receiver answering
        // (a probe, say), not a sign of loss; Linux does not count it either.
        ++c.dupacks;
    }
    if (c.sack_ok) {
        // RFC 2883 4: the first block is a D-SACK when it lies below the cumulative ACK or
        // inside the second block: the peer got something twice.
        const bool dsack = opts->sack_count > 0 &&
                           (opts->sack_blocks[0].right <= ack ||
                            (opts->sack_count > 1 && opts->sack_blocks[1].left <= opts->sack_blocks[0].left &&
                             opts->sack_blocks[0].right <= opts->sack_blocks[1].right));
        c.scoreboard.advance(c.snd_una);
        for (uint8_t i = dsack ? 1 : 0; i < opts->sack_count; ++i) {
            c.scoreboard.add(opts->sack_blocks[i].left, opts->sack_blocks[i].right, c.snd_una, c.snd_max);
        }
        const bool reordering_before = c.rack.reordering_seen();
        const uint32_t tsecr = c.ts_ok && opts->timestamps ? opts->timestamps->tsecr : 0;
        c.rack.on_ack(c.snd_una, c.scoreboard, tsecr, now);
        if (!reordering_before && c.rack.reordering_seen()) ++counters.tcp_reordering_seen;
        if (dsack) {
            ++counters.tcp_dsacks_received;
            c.rack.on_dsack(c.snd_nxt);
            tcp_dsack_undo(c, opts->sack_blocks[0].left, opts->sack_blocks[0].right, ack);
        }
        if (!c.rto_recovery && c.flight_size() > 0) tcp_rack_detect_loss(c);
    }
    // Loss detection without SACK information: three duplicate ACKs (RFC 5681 3.2). With SACK,
    // RACK above decides (as Linux, which uses the duplicate-ACK count only without SACK).
    if (!c.in_recovery && !c.rto_recovery && c.flight_size() > 0 && c.dupacks >= 3 &&
        (!c.sack_ok || c.scoreboard.empty())) {
        tcp_begin_undo_episode(c, /*rto=*/false);
        c.cc->on_fast_retransmit(c.flight_size(), c.snd_mss, now);
        c.in_recovery = true;
        c.recover = c.snd_max;
        ++counters.tcp_fast_retransmits;
        const uint32_t len = std::min<uint32_t>(c.snd_mss, static_cast<uint32_t>(c.send_queue.size()));
        tcp_send_segment(c, c.snd_una, TcpFlags::kAck, len);
        c.tlp_deadline = Instant{0};
        c.rtt_timing = false;
    }
    // RFC 9293 3.10.7.4: update the send window from the newest segment.
    if (c.snd_wl1 < seq || (c.snd_wl1 == seq && c.snd_wl2 <= ack)) {
        if (wnd > c.snd_wnd) wake();
        if (wnd != 0) {  // the window opened: probing is over (Linux tcp_ack_probe())
            c.persist_backoff = 0;
            c.persist_deadline = Instant{0};
        }
        c.snd_wnd = wnd;
        c.snd_wl1 = seq;
        c.snd_wl2 = ack;
    }
    const bool fin_acked = c.fin_sent && ack > c.fin_seq;
    switch (c.state) {
        case State::kFinWait1:
            if (fin_acked) {
                c.state = State::kFinWait2;
                if (c.user_closed) tcp_arm(c, tcp::TimerKind::kTimeWait, now + tcp::kTimeWaitDuration);  // Linux tcp_fin_timeout
                wake();
            }
            break;
        case State::kClosing:
            if (fin_acked) tcp_enter_time_wait(c);
            break;
        case State::kLastAck:
            if (fin_acked) {
                tcp_close_connection(c, 0);
                return;
            }
            break;
        case State::kTimeWait:
            if (flags.fin()) {  // a retransmitted FIN: ACK it and restart 2 MSL
                c.ack_pending = true;
                tcp_enter_time_wait(c);
                tcp_output(c);
            }
            return;
        default:
            break;
    }

    // Sixth: the URG bit, before the text is queued (Linux tcp_urg()).
    if (c.synchronized() && (flags.urg() || c.urgent.rcv == tcp::Urgent::Rcv::kNotYet)) {
        const auto urg_ptr = flags.urg() ? std::optional<uint16_t>(seg->urgent_pointer()) : std::nullopt;
        const tcp::UrgentArrival a = tcp::urgent_segment(c, seq, urg_ptr, seg->payload(), tcp_options(c).oob_inline);
        if (a.new_pointer || a.byte_arrived) wake();
        // SIGURG goes to the owner of an open socket only: a child not yet accepted has none.
        if (a.new_pointer && c.parent == 0 && urgent_signal_count < urgent_signals.size()) {
            urgent_signals[urgent_signal_count++] = c.id;
        }
    }
    // Seventh: segment text.
    auto payload = seg->payload();
    if (!payload.empty() && c.read_shutdown && (c.state == State::kFinWait1 || c.state == State::kFinWait2) &&
        seq + static_cast<uint32_t>(payload.size()) > c.rcv_nxt) {
        // New data for a socket that will never read it again: reset, as Linux does.
        tcp_send_segment(c, c.snd_nxt, TcpFlags::kRst | TcpFlags::kAck, 0);
        ++counters.tcp_resets_sent;
        tcp_close_connection(c, 0);
        return;
    }
    if (!payload.empty() && (c.state == State::kEstablished || c.state == State::kFinWait1 || c.state == State::kFinWait2)) {
        if (c.sack_ok && seq < c.rcv_nxt) {  // partly a duplicate: D-SACK the old part (RFC 2883 4.1.2)
            c.dsack_pending = true;
            c.dsack_left = seq;
            c.dsack_right = c.rcv_nxt;
        }
        const tcp::Delivery d = tcp::receive_data(c, seq, payload);
        if (d.advanced > 0) wake();
        if (d.in_order) {
            // RFC 5681 4.2: ACK at least every second full segment; immediately when filling
            // a hole; Linux also ACKs every segment in quick-ack mode at the start, unless the
            // connection is interactive (pingpong: the ACK will ride on the reply).
            // A segment longer than the MSS is several the device merged (GRO, TSO on a
            // local sender): it counts as (at least) two, so it is ACKed at once.
            // A reader that falls behind is ACKed on its reads instead (window_advances_enough).
            c.unacked_segments += payload.size() > c.snd_mss ? 2 : 1;
            c.last_data_received = now;
            if (d.filled_hole || (c.quickack && !c.pingpong) || d.clipped || (c.unacked_segments >= 2 && tcp::window_advances_enough(c))) {
                c.ack_pending = true;
            } else if (c.delack_deadline == Instant{0}) {
                tcp_arm(c, tcp::TimerKind::kDelayedAck, now + tcp::kDelayedAckTimeout);
            }
            if (c.quickack && (c.rcv_nxt - c.irs) > 16 * 1460) c.quickack = false;
        } else {
            tcp::note_out_of_order(c, seq);  // reported first in our SACK blocks (RFC 2018 4)
            c.ack_pending = true;  // out of order: a duplicate ACK at once (RFC 5681 4.2)
        }
    }
    // Eighth: FIN, only once everything before it has arrived.
    if (flags.fin() && !c.fin_received && seq + static_cast<uint32_t>(seg->payload().size()) == c.rcv_nxt) {
        c.rcv_nxt += 1;
        c.fin_received = true;
        c.peer_fin = true;
        c.ack_pending = true;
        switch (c.state) {
            case State::kSynReceived:
            case State::kEstablished:
                c.state = State::kCloseWait;
                break;
            case State::kFinWait1:
                if (fin_acked) tcp_enter_time_wait(c);
                else c.state = State::kClosing;
                break;
            case State::kFinWait2:
                tcp_enter_time_wait(c);
                break;
            default:
                break;
        }
        wake();
    }
    tcp_output(c);
}

}  // namespace ustack

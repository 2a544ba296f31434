// TCP output: what to send now (RFC 9293 3.8.6 flow control, RFC 896 Nagle, RFC 5681
// congestion window) and how a segment is built.
#include <algorithm>
#include <bitset>

#include "stack/stack_impl.h"
#include "stack/tcp/idle_restart.h"
#include "stack/tcp/receive.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace ustack {

using tcp::State;
using tcp::Tcb;
using wire::SeqNum;
using wire::TcpFlags;
using wire::TcpRepr;
using wire::TcpView;

namespace {
constexpr uint32_t kMaxUnscaledWindow = 65535;
}

uint16_t Stack::Impl::tcp_window_to_advertise(Tcb& t) {
    const uint32_t capacity = static_cast<uint32_t>(t.recv_queue.capacity());
    const uint32_t free_space = static_cast<uint32_t>(t.recv_queue.free_space());
    SeqNum right = t.rcv_nxt + free_space;
    // RFC 9293 3.8.6.2.2 receiver SWS avoidance: move the right edge only by a useful amount.
    const uint32_t threshold = std::min<uint32_t>(capacity / 2, t.snd_mss);
    if (right > t.rcv_adv && static_cast<uint32_t>(right - t.rcv_adv) < threshold && t.rcv_adv >= t.rcv_nxt) {
        right = t.rcv_adv;
    }
    // RFC 9293 3.8.6: never shrink the window we offered.
    if (right < t.rcv_adv) right = t.rcv_adv;
    uint32_t wnd = static_cast<uint32_t>(right - t.rcv_nxt);
    uint32_t field = std::min(wnd >> t.rcv_wscale, kMaxUnscaledWindow);
    t.rcv_adv = seq_max(t.rcv_adv, t.rcv_nxt + (field << t.rcv_wscale));
    return static_cast<uint16_t>(field);
}

const SocketOptions& Stack::Impl::tcp_options(const Tcb& t) const {
    static const SocketOptions defaults;
    const SocketEntry* e = find(t.id);
    return e == nullptr ? defaults : e->options;
}

uint32_t Stack::Impl::tcp_ts_now(const Tcb& t) const {
    // Linux's timestamp clock ticks every millisecond (RFC 7323 5.4: between 1 ms and 1 s).
    return static_cast<uint32_t>(now.count() / 1'000'000) + t.ts_offset;
}

namespace {

// The SACK blocks to report (RFC 2018 4): the block holding the latest out-of-order arrival
// first, then the most recently reported ones, then any others in sequence order, as many as fit.
uint8_t fill_sack_blocks(const Tcb& t, wire::TcpOptions& o, size_t max_blocks) {
    const auto& ranges = t.reassembly.ranges();
    std::bitset<tcp::Assembler::kMaxRanges> reported;
    uint8_t n = 0;
    auto push = [&](size_t i) {
        if (n >= max_blocks || i >= ranges.size() || reported[i]) return;
        reported[i] = true;
        o.sack_blocks[n++] = {t.rcv_nxt + ranges[i].start, t.rcv_nxt + ranges[i].end};
    };
    if (t.dsack_pending && n < max_blocks) o.sack_blocks[n++] = {t.dsack_left, t.dsack_right};  // RFC 2883 4: first
    for (uint8_t i = 0; i < t.sack_recent_count; ++i) push(tcp::reassembly_range_of(t, t.sack_recent[i]));
    for (size_t i = 0; i < ranges.size(); ++i) push(i);
    return n;
}

}  // namespace

void Stack::Impl::tcp_send_segment(Tcb& t, SeqNum seq, uint8_t flags, uint32_t payload_len) {
    TcpRepr r;
    r.src_port = t.local.port;
    r.dst_port = t.remote.port;
    r.seq = seq;
    r.flags.bits = flags;
    if (flags & TcpFlags::kAck) r.ack = t.rcv_nxt;
    const bool rst = flags & TcpFlags::kRst;
    if (flags & TcpFlags::kSyn) {
        // RFC 9293 3.7.1: MSS from the interface MTU. Offer SACK and timestamps in our SYN;
        // in a SYN-ACK, only what the peer offered. TcpOptions::emit lays them out as Linux.
        const bool active = t.state == State::kSynSent;
        r.options.mss = static_cast<uint16_t>(mtu - 40);
        if (const uint16_t clamp = tcp_options(t).maxseg; clamp != 0 && clamp < *r.options.mss) r.options.mss = clamp;
        if (active || t.wscale_ok) r.options.window_scale = t.rcv_wscale;
        r.options.sack_permitted = active || t.sack_ok;
        if (active || t.ts_ok) r.options.timestamps = wire::TcpTimestamps{tcp_ts_now(t), active ? 0u : t.ts_recent};
        // RFC 7323 2.2: the window in a SYN is never scaled.
        r.window = static_cast<uint16_t>(std::min<size_t>(t.recv_queue.free_space(), kMaxUnscaledWindow));
        t.rcv_adv = t.rcv_nxt + r.window;
    } else {
        r.window = rst ? 0 : tcp_window_to_advertise(t);
        if (t.ts_ok && !rst) r.options.timestamps = wire::TcpTimestamps{tcp_ts_now(t), t.ts_recent};
        if (const auto up = tcp::urgent_pointer_for(t, seq)) {
            r.flags.bits |= TcpFlags::kUrg;
            r.urgent_pointer = *up;
        }
        if (t.sack_ok && !rst && (flags & TcpFlags::kAck) && (!t.reassembly.empty() || t.dsack_pending)) {
            // Blocks must not push a data segment past the MTU: send only what fits.
            // A TSO frame's every segment carries the options: count one segment's payload.
            const uint32_t segment_len = std::min<uint32_t>(payload_len, t.snd_mss);
            const size_t room = mtu - wire::Ipv4Repr::kHeaderLen - TcpView::kMinHeaderLen - segment_len;
            const size_t used = r.options.timestamps ? 12 : 0;
            const size_t fit = room > used + 4 ? (room - used - 4) / 8 : 0;
            r.options.sack_count = fill_sack_blocks(t, r.options, std::min<size_t>(fit, r.options.timestamps ? 3 : 4));
            if (t.dsack_pending && r.options.sack_count > 0) ++counters.tcp_dsacks_sent;
            t.dsack_pending = false;
        }
    }
    r.checksum_partial = offloads.tx_checksum;
    const size_t header_len = r.header_len();
    const size_t offset = static_cast<size_t>(seq - t.send_seq);
    IpSend p{t.local.addr, t.remote.addr, wire::ipproto::kTcp, 64, 0, true};
    if (SocketEntry* e = find(t.id)) {
        p.ttl = e->options.ttl;
        p.tos = e->options.tos;
    }
    send_ipv4(p, header_len + payload_len, [&](std::span<std::byte> out) {
        if (payload_len > 0) t.send_queue.peek(offset, out.subspan(header_len, payload_len));
        r.emit(out, t.local.addr, t.remote.addr, payload_len);
    });
    ++counters.tcp_tx_segments;
    if (payload_len > 0) {
        t.last_data_sent = now;
        // Linux tcp_event_data_sent: a reply within the delayed-ACK timeout of the request.
        if (t.last_data_received != Instant{0} && now - t.last_data_received < tcp::kDelayedAckTimeout) t.pingpong = true;
    }
    if (seq < t.snd_max && (payload_len > 0 || (flags & (TcpFlags::kSyn | TcpFlags::kFin)))) {
        ++counters.tcp_retransmits;
        ++t.total_retransmits;
        t.undo.note_retransmit(t.snd_una, seq + payload_len, t.ts_ok ? tcp_ts_now(t) : 0,
                               std::max<uint32_t>(1, (payload_len + t.snd_mss - 1) / t.snd_mss));
    }
    if (t.sack_ok && t.synchronized() && !(flags & (TcpFlags::kSyn | TcpFlags::kRst))) {
        const uint32_t space = payload_len + ((flags & TcpFlags::kFin) ? 1 : 0);
        if (space > 0) t.rack.on_send(seq, seq + space, now, tcp_ts_now(t), seq < t.snd_max);  // RFC 8985 6.1
    }
    if (flags & TcpFlags::kAck) {
        t.ack_pending = false;
        t.unacked_segments = 0;
        t.delack_deadline = Instant{0};
        t.last_ack_sent = t.rcv_nxt;
    }
}

void Stack::Impl::tcp_send_reset_for(const wire::Ipv4View& ip, const wire::TcpView& seg) {
    // RFC 9293 3.10.7.1: if the segment has ACK, <SEQ=SEG.ACK><CTL=RST>; otherwise
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Never answer a RST.
    if (seg.flags().rst()) return;
    TcpRepr r;
    r.src_port = seg.dst_port();
    r.dst_port = seg.src_port();
    if (seg.flags().ack()) {
        r.seq = seg.ack();
        r.flags.bits = TcpFlags::kRst;
    } else {
        r.seq = SeqNum(0);
        r.ack = seg.seq() + seg.seg_len();
        r.flags.bits = TcpFlags::kRst | TcpFlags::kAck;
    }
    r.checksum_partial = offloads.tx_checksum;
    IpSend p{ip.dst(), ip.src(), wire::ipproto::kTcp, 64, 0, true};
    send_ipv4(p, r.header_len(), [&](std::span<std::byte> out) { r.emit(out, ip.dst(), ip.src(), 0); });
    ++counters.tcp_tx_segments;
    ++counters.tcp_resets_sent;
}

void Stack::Impl::tcp_challenge_ack(Tcb& t) {
    const double elapsed = std::chrono::duration<double>(now - challenge_refill).count();
    challenge_refill = now;
    challenge_tokens = std::min(1000.0, challenge_tokens + elapsed * 1000.0);
    if (challenge_tokens < 1) {
        ++counters.tcp_challenge_acks_suppressed;
        return;
    }
    challenge_tokens -= 1;
    ++counters.tcp_challenge_acks;
    tcp_send_segment(t, t.snd_nxt, TcpFlags::kAck, 0);
}

uint32_t Stack::Impl::tcp_max_segment(const Tcb& t) const {
    // The device cuts a TSO frame into segments of MTU - IP header - TCP header payload bytes
    // (netdev::Offloads::tso4), so TSO is used only when that is exactly snd_mss: the peer's
    // MSS and TCP_MAXSEG do not shrink it below what the MTU holds.
    const size_t headers = wire::Ipv4Repr::kHeaderLen + TcpView::kMinHeaderLen + (t.ts_ok ? 12 : 0);
    if (!offloads.tso4 || !offloads.tx_checksum || headers + t.snd_mss != mtu) return t.snd_mss;
    // Leave room for the largest TCP header, so that SACK blocks never push the IP packet
    // past 64 KiB.
    constexpr size_t kMaxIpPacket = 65535;
    const size_t room = kMaxIpPacket - wire::Ipv4Repr::kHeaderLen - TcpView::kMaxHeaderLen;
    return static_cast<uint32_t>(room / t.snd_mss * t.snd_mss);
}

void Stack::Impl::tcp_send_syn(Tcb& t) {
    const uint8_t flags = t.state == State::kSynSent ? TcpFlags::kSyn : (TcpFlags::kSyn | TcpFlags::kAck);
    if (t.backoff == 0) t.rtt_start = now;
    tcp_send_segment(t, t.iss, flags, 0);
    t.snd_nxt = t.iss + 1;
    t.snd_max = seq_max(t.snd_max, t.snd_nxt);
    if (t.rto_deadline == Instant{0}) tcp_arm(t, tcp::TimerKind::kRetransmit, now + t.rtt.rto());
}

void Stack::Impl::tcp_output(Tcb& t) {
    switch (t.state) {
        case State::kClosed:
        case State::kListen:
            return;
        case State::kSynSent:
        case State::kSynReceived:
            if (t.snd_nxt == t.iss) tcp_send_syn(t);
            else if (t.ack_pending) tcp_send_segment(t, t.snd_nxt, TcpFlags::kAck, 0);
            return;
        case State::kTimeWait:
            if (t.ack_pending) tcp_send_segment(t, t.snd_nxt, TcpFlags::kAck, 0);
            return;
        default:
            break;
    }

    const SeqNum data_end = t.send_seq + static_cast<uint32_t>(t.send_queue.size());
    // In urgent mode every segment carries its own urgent pointer: no TSO frames.
    const uint32_t max_segment = t.urgent.sending ? t.snd_mss : tcp_max_segment(t);
    bool sent_any = false;
    if (t.rto_recovery) {
        // Resend what the timeout declared lost, one cwnd at a time, before anything new.
        while (t.rtx_nxt < t.snd_max && t.pipe() < t.cc->cwnd) {
            const bool fin_here = t.fin_sent && t.rtx_nxt == t.fin_seq;
            const uint32_t len = fin_here ? 0
                : std::min<uint32_t>(t.snd_mss, static_cast<uint32_t>(seq_min(t.snd_max, data_end) - t.rtx_nxt));
            const bool with_fin = t.fin_sent && t.rtx_nxt + len == t.fin_seq;
            if (len == 0 && !fin_here && !with_fin) break;
            tcp_send_segment(t, t.rtx_nxt, TcpFlags::kAck | (with_fin || fin_here ? TcpFlags::kFin : 0), len);
            t.rtx_nxt += len + ((with_fin || fin_here) ? 1 : 0);
            sent_any = true;
        }
        if (t.rtx_nxt >= t.snd_max) t.rto_recovery = false;  // all resent: back to normal sending
        else {
            if (!sent_any && t.ack_pending) tcp_send_segment(t, t.snd_nxt, TcpFlags::kAck, 0);
            return;
        }
    }
    if (t.in_recovery && t.sack_ok) {
        // RFC 6675 NextSeg() rule 1 with RACK's verdicts (RFC 8985 6, as Linux): while the pipe
        // has room, resend what RACK marked lost, lowest first; then (rule 2) new data below.
        // Entering recovery resends the first lost segment whatever the pipe says (RFC 6675 5 step 4.3).
        bool force = t.rack_force_rtx;
        t.rack_force_rtx = false;
        while (force || t.pipe() < t.cc->cwnd) {
            SeqNum start;
            const uint32_t lost = t.rack.next_lost(t.snd_una, &start);
            if (lost == 0) break;
            const bool fin_here = t.fin_sent && start == t.fin_seq;
            const uint32_t len = fin_here ? 0 : std::min<uint32_t>({lost, t.snd_mss, static_cast<uint32_t>(data_end - start)});
            const bool with_fin = t.fin_sent && !fin_here && start + len == t.fin_seq && start + lost > t.fin_seq;
            if (len == 0 && !fin_here) break;
            tcp_send_segment(t, start, TcpFlags::kAck | (fin_here || with_fin ? TcpFlags::kFin : 0), len);
            force = false;
            sent_any = true;
        }
    }
    if (t.flight_size() == 0 && t.snd_nxt < data_end && t.last_data_sent != Instant{0} &&
        now - t.last_data_sent > t.rtt.rto()) {
        tcp::restart_window_after_idle(*t.cc, 10 * t.snd_mss, now - t.last_data_sent, t.rtt.rto());
        t.last_data_sent = now;  // once per idle period, even if nothing can leave yet
        ++counters.tcp_idle_restarts;
    }
    for (;;) {
        const uint32_t unsent = t.snd_nxt < data_end ? static_cast<uint32_t>(data_end - t.snd_nxt) : 0;
        const bool fin_due = t.fin_queued && !t.fin_sent;
        // RFC 3042 limited transmit: each of the first two duplicate ACKs lets one new segment
        // past cwnd (never past the peer's window), so a small window still yields the three
        // duplicates fast retransmit needs.
        const bool limited_transmit = !t.in_recovery && !t.rto_recovery && t.dupacks > 0 && t.dupacks < 3;
        const uint32_t allowance = limited_transmit ? static_cast<uint32_t>(t.dupacks) * t.snd_mss : 0;
        const uint32_t wnd = std::min(t.snd_wnd, t.cc->cwnd + allowance);
        const uint32_t in_flight = t.pipe();
        const uint32_t usable = wnd > in_flight ? wnd - in_flight : 0;
        uint32_t len = std::min({unsent, max_segment, usable});
        if (len > t.snd_mss) {
            // TSO: whole segments only, unless the tail could go out on its own anyway: a
            // sub-MSS piece in the middle of the stream would be silly-window sending, and the
            // tail must wait for the Nagle and cork rules below as it would without TSO.
            const bool tail_may_go = len == unsent && (t.fin_queued || (t.nodelay && !t.cork));
            if (!tail_may_go) len -= len % t.snd_mss;
        }
        if (len == 0 && !(fin_due && unsent == 0)) break;
        if (len > 0 && len < t.snd_mss && !t.urgent.sending) {
            // A partial segment waits (RFC 896 Nagle; RFC 9293 3.8.6.2.1 sender SWS avoidance)
            // while data is unacknowledged, unless TCP_NODELAY or nothing more is coming.
            // TCP_CORK holds every partial segment until the cork is pulled or FIN is queued.
            // Urgent data goes at once (Linux tcp_nagle_test).
            const bool last_data = len == unsent;
            if (t.cork && !t.fin_queued) break;
            if (in_flight > 0 && (!last_data || (!t.nodelay && !t.fin_queued))) break;
        }
        uint8_t flags = TcpFlags::kAck;
        const bool with_fin = fin_due && len == unsent;
        if (len > 0 && len == unsent) flags |= TcpFlags::kPsh;
        if (t.flight_size() == 0) t.retrans_start = now;  // the oldest unacknowledged data leaves now
        if (with_fin) flags |= TcpFlags::kFin;
        tcp_send_segment(t, t.snd_nxt, flags, len);
        if (!t.rtt_timing && len > 0 && t.snd_nxt >= t.snd_max) {  // Karn: never time a retransmission
            t.rtt_timing = true;
            t.rtt_seq = t.snd_nxt + len;
            t.rtt_start = now;
        }
        t.snd_nxt += len;
        if (with_fin) {
            t.fin_seq = t.snd_nxt;
            t.fin_sent = true;
            t.snd_nxt += 1;
        }
        t.snd_max = seq_max(t.snd_max, t.snd_nxt);
        if (t.rto_deadline == Instant{0}) tcp_arm(t, tcp::TimerKind::kRetransmit, now + t.rtt.rto());
        sent_any = true;
        if (with_fin) break;
    }
    if (sent_any && t.tlp_deadline == Instant{0}) tcp_arm_loss_probe(t);
    // Zero window with data waiting and nothing in flight: the persist timer (RFC 9293 3.8.6.1).
    tcp_arm_persist(t);
    if (!sent_any && t.ack_pending) tcp_send_segment(t, t.snd_nxt, TcpFlags::kAck, 0);
}

}  // namespace ustack

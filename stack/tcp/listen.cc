// Passive open: a SYN arriving at a listener (RFC 9293 3.10.7.2) becomes a child connection in
// SYN-RECEIVED; once the handshake completes it waits in the listener's accept queue. When the
// SYN queue is full the listener answers with a SYN cookie instead (syncookie.h) and creates
// the connection only when the final ACK brings the cookie back.
#include <algorithm>

#include "stack/stack_impl.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace ustack {

using tcp::State;
using tcp::Tcb;

namespace {

tcp::syncookie::Flow flow_of(const wire::Ipv4View& ip, const wire::TcpView& seg) {
    return {ip.dst().value, ip.src().value, seg.dst_port(), seg.src_port()};
}

}  // namespace

Tcb* Stack::Impl::tcp_listen_input(SocketEntry& listener, const wire::Ipv4View& ip, const wire::TcpView& seg) {
    const wire::TcpFlags flags = seg.flags();
    if (flags.rst()) return nullptr;
    tcp::Listener& l = *listener.tcp->listener;
    if (flags.ack()) {
        // An ACK may bring back a cookie, worth checking only while cookies are recent.
        if (!flags.syn() && l.last_cookie != Instant{0} && now - l.last_cookie < tcp::syncookie::kMaxAge * tcp::syncookie::kTick) {
            return tcp_cookie_ack(listener, ip, seg);
        }
        tcp_send_reset_for(ip, seg);
        return nullptr;
    }
    if (!flags.syn()) return nullptr;
    // Linux drops the SYN while the accept queue is full (the peer retransmits), cookies or not.
    if (l.accept_queue_full()) {
        ++counters.tcp_listen_overflows;
        return nullptr;
    }
    auto opts = wire::TcpOptions::parse(seg.options());
    if (!opts) return nullptr;
    if (l.syn_queue_full()) {
        tcp_send_cookie_synack(listener, ip, seg, *opts);
        l.last_cookie = now;
        return nullptr;
    }

    Tcb& c = tcp_new_child(listener, ip, seg);
    c.irs = seg.seq();
    c.rcv_nxt = c.irs + 1;
    c.rcv_adv = c.rcv_nxt;
    c.iss = tcp_isn(FourTuple{c.local, c.remote});
    c.snd_una = c.iss;
    c.snd_nxt = c.iss;
    c.snd_max = c.iss;
    c.send_seq = c.iss + 1;
    c.snd_mss = tcp::send_mss(opts->mss, path_mtu(c.remote.addr), tcp_options(c).maxseg, opts->timestamps.has_value());
    if (opts->window_scale) {  // RFC 7323 2.2: only when the SYN carried it
        c.wscale_ok = true;
        c.snd_wscale = std::min<uint8_t>(*opts->window_scale, 14);
        c.rcv_wscale = tcp::kOurWindowScale;
    }
    c.sack_ok = opts->sack_permitted;  // RFC 2018 2: only if the SYN offered it
    if (opts->timestamps) {           // RFC 7323 3.2: only if the SYN carried them
        c.ts_ok = true;
        c.ts_recent = opts->timestamps->tsval;
        c.ts_recent_at = now;
        c.ts_offset = rng.next_u32();
    }
    c.snd_wnd = seg.window();
    c.state = State::kSynReceived;
    ++l.syn_received;
    tcp_send_syn(c);
    return nullptr;
}

Tcb& Stack::Impl::tcp_new_child(SocketEntry& listener, const wire::Ipv4View& ip, const wire::TcpView& seg) {
    auto* child = new SocketEntry;
    child->kind = SocketKind::kTcp;
    child->user_open = false;  // becomes the user's at accept()
    child->options = listener.options;
    child->local = {ip.dst(), seg.dst_port()};
    // The child occupies its listener's port for bind conflicts, as Linux puts it in the
    // port's bind bucket (__inet_inherit_port); destroy_socket gives the port back.
    child->bound = true;
    ++tcp_port_users[child->local.port];
    const size_t rcvbuf = child->options.rcvbuf > 0 ? static_cast<size_t>(child->options.rcvbuf) : tcp::kDefaultBufferBytes;
    const size_t sndbuf = child->options.sndbuf > 0 ? static_cast<size_t>(child->options.sndbuf) : tcp::kDefaultBufferBytes;
    child->tcp.reset(new Tcb(rcvbuf, sndbuf));
    Tcb& c = *child->tcp;
    c.id = add_socket(child);
    c.cc = tcp::make_congestion_control(child->options.congestion);
    c.nodelay = child->options.tcp_nodelay;
    c.parent = listener.id;
    c.local = child->local;
    c.remote = {ip.src(), seg.src_port()};
    c.last_rx = now;
    tcp_connections[FourTuple{c.local, c.remote}] = c.id;
    ++counters.tcp_passive_opens;
    return c;
}

const tcp::syncookie::Key& Stack::Impl::tcp_syncookie_key() {
    // Drawn on first use, so stacks that never send a cookie consume the same random numbers
    // as before (simulator runs replay unchanged).
    if (!syncookie_key) syncookie_key = tcp::syncookie::Key{rng.next(), rng.next()};
    return *syncookie_key;
}

// The SYN-ACK a child would send (tcp_send_segment with a SYN), built from the SYN alone.
void Stack::Impl::tcp_send_cookie_synack(SocketEntry& listener, const wire::Ipv4View& ip, const wire::TcpView& seg,
                                         const wire::TcpOptions& syn) {
    namespace sc = tcp::syncookie;
    const sc::Key& key = tcp_syncookie_key();
    const sc::Flow flow = flow_of(ip, seg);
    uint16_t our_mss = static_cast<uint16_t>(mtu - 40);
    if (listener.options.maxseg != 0) our_mss = std::min(our_mss, listener.options.maxseg);
    // The MSS we will use towards the peer, rounded down to what a cookie can carry.
    const uint16_t peer_mss = std::min<uint16_t>(syn.mss.value_or(536), our_mss);
    wire::TcpRepr r;
    r.src_port = seg.dst_port();
    r.dst_port = seg.src_port();
    r.seq = wire::SeqNum(sc::make(key, flow, seg.seq().raw(), sc::tick_at(now), sc::mss_index(peer_mss)));
    r.ack = seg.seq() + 1;
    r.flags.bits = wire::TcpFlags::kSyn | wire::TcpFlags::kAck;
    const size_t rcvbuf = listener.options.rcvbuf > 0 ? static_cast<size_t>(listener.options.rcvbuf) : tcp::kDefaultBufferBytes;
    r.window = static_cast<uint16_t>(std::min<size_t>(rcvbuf, 65535));  // RFC 7323 2.2: unscaled
    r.options.mss = our_mss;
    // Linux: without timestamps there is nowhere to keep window scale and SACK-permitted, so
    // the SYN-ACK does not offer them.
    if (syn.timestamps) {
        sc::SynOptions o;
        if (syn.window_scale) o.wscale = std::min<uint8_t>(*syn.window_scale, 14);
        o.sack_ok = syn.sack_permitted;
        const uint32_t ts_now = static_cast<uint32_t>(now.count() / 1'000'000) + sc::ts_offset(key, flow);
        r.options.timestamps = wire::TcpTimestamps{sc::encode_ts(ts_now, o), syn.timestamps->tsval};
        if (syn.window_scale) r.options.window_scale = tcp::kOurWindowScale;
        r.options.sack_permitted = syn.sack_permitted;
    }
    IpSend p{ip.dst(), ip.src(), wire::ipproto::kTcp, listener.options.ttl, listener.options.tos, true};
    send_ipv4(p, r.header_len(), [&](std::span<std::byte> out) { r.emit(out, ip.dst(), ip.src(), 0); });
    ++counters.tcp_tx_segments;
    ++counters.tcp_syncookies_sent;
}

// RFC 4987 3.6: an ACK whose ACK - 1 is a cookie we made recently completes the handshake
// without any state kept since the SYN. The connection starts ESTABLISHED in the accept queue;
// the caller then processes the segment (it may carry data) as the new connection's.
Tcb* Stack::Impl::tcp_cookie_ack(SocketEntry& listener, const wire::Ipv4View& ip, const wire::TcpView& seg) {
    namespace sc = tcp::syncookie;
    const sc::Key& key = tcp_syncookie_key();
    const sc::Flow flow = flow_of(ip, seg);
    const wire::SeqNum iss = seg.ack() - 1;
    const wire::SeqNum irs = seg.seq() - 1;
    const std::optional<uint16_t> mss = sc::check(key, flow, irs.raw(), iss.raw(), sc::tick_at(now));
    auto opts = wire::TcpOptions::parse(seg.options());
    std::optional<sc::SynOptions> syn;
    if (mss && opts) syn = opts->timestamps ? sc::decode_ts(opts->timestamps->tsecr) : sc::SynOptions{};
    if (!syn) {
        ++counters.tcp_syncookies_failed;
        tcp_send_reset_for(ip, seg);
        return nullptr;
    }
    tcp::Listener& l = *listener.tcp->listener;
    if (l.accept_queue_full()) {
        // Linux (tcp_abort_on_overflow = 0): drop the ACK; the peer's retransmissions bring the
        // cookie back while it is still good.
        ++counters.tcp_listen_overflows;
        return nullptr;
    }
    ++counters.tcp_syncookies_recv;
    Tcb& c = tcp_new_child(listener, ip, seg);
    c.irs = irs;
    c.rcv_nxt = irs + 1;
    c.iss = iss;
    c.snd_una = c.snd_nxt = c.snd_max = iss + 1;
    c.send_seq = iss + 1;
    c.snd_mss = *mss;
    if (syn->wscale) {
        c.wscale_ok = true;
        c.snd_wscale = *syn->wscale;
        c.rcv_wscale = tcp::kOurWindowScale;
    }
    c.sack_ok = syn->sack_ok;
    if (opts->timestamps) {
        c.ts_ok = true;
        c.ts_recent = opts->timestamps->tsval;
        c.ts_recent_at = now;
        c.ts_offset = sc::ts_offset(key, flow);
        c.snd_mss = static_cast<uint16_t>(c.snd_mss - 12);
    }
    // What our SYN-ACK advertised (unscaled), and the window this ACK carries.
    c.rcv_adv = c.rcv_nxt + static_cast<uint32_t>(std::min<size_t>(c.recv_queue.free_space(), 65535));
    c.last_ack_sent = c.rcv_nxt;
    c.snd_wnd = uint32_t{seg.window()} << c.snd_wscale;
    c.snd_wl1 = irs;  // older than this segment, so it updates the window again
    c.snd_wl2 = c.snd_una;
    c.cc->cwnd = 10 * c.snd_mss;  // RFC 6928 initial window
    c.state = State::kEstablished;
    tcp_arm_keepalive(c);
    l.accept_queue.push_back(c.id);
    wake();
    return &c;
}

}  // namespace ustack

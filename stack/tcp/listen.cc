// Passive open: a SYN arriving at a listener (RFC 9293 3.10.7.2) becomes a child connection in
// SYN-RECEIVED; once the handshake completes it waits in the listener's accept queue.
#include <algorithm>

#include "stack/stack_impl.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace ustack {

using tcp::State;
using tcp::Tcb;

void Stack::Impl::tcp_listen_input(SocketEntry& listener, const wire::Ipv4View& ip, const wire::TcpView& seg) {
    const wire::TcpFlags flags = seg.flags();
    if (flags.rst()) return;
    if (flags.ack()) {
        tcp_send_reset_for(ip, seg);
        return;
    }
    if (!flags.syn()) return;
    tcp::Listener& l = *listener.tcp->listener;
    // Linux drops the SYN while the accept queue is full (the peer retransmits); the SYN
    // queue is bounded by the backlog too until SYN cookies exist.
    if (static_cast<int>(l.accept_queue.size()) >= l.backlog || l.syn_received >= std::max(l.backlog, 16)) {
        ++counters.tcp_listen_overflows;
        return;
    }
    auto opts = wire::TcpOptions::parse(seg.options());
    if (!opts) return;

    auto* child = new SocketEntry;
    child->kind = SocketKind::kTcp;
    child->user_open = false;  // becomes the user's at accept()
    child->options = listener.options;
    child->local = {ip.dst(), seg.dst_port()};
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
    const FourTuple ft{c.local, c.remote};
    c.irs = seg.seq();
    c.rcv_nxt = c.irs + 1;
    c.rcv_adv = c.rcv_nxt;
    c.iss = tcp_isn(ft);
    c.snd_una = c.iss;
    c.snd_nxt = c.iss;
    c.snd_max = c.iss;
    c.send_seq = c.iss + 1;
    if (opts->mss) c.snd_mss = std::min<uint16_t>(*opts->mss, static_cast<uint16_t>(mtu - 40));
    if (child->options.maxseg != 0) c.snd_mss = std::min(c.snd_mss, child->options.maxseg);
    c.last_rx = now;
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
        c.snd_mss = static_cast<uint16_t>(c.snd_mss - 12);  // every segment carries 12 bytes of TS
    }
    c.snd_wnd = seg.window();
    c.state = State::kSynReceived;
    tcp_connections[ft] = c.id;
    ++l.syn_received;
    ++counters.tcp_passive_opens;
    tcp_send_syn(c);
}

}  // namespace ustack

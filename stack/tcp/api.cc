#include "stack/tcp/api.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "stack/tcp/receive.h"
#include "stack/wire/tcp.h"

namespace ustack {

using tcp::State;
using tcp::Tcb;

void Stack::Impl::tcp_close_connection(Tcb& t, int error) {
    const bool was_open = t.state != State::kClosed;
    if (t.parent != 0) {  // a child that never reached accept()
        if (SocketEntry* parent = find(t.parent); parent != nullptr && parent->tcp && parent->tcp->listener) {
            auto& l = *parent->tcp->listener;
            if (t.state == State::kSynReceived) {
                l.syn_received--;
            } else if (error == 0) {
                // A reset one stays queued (below): Linux's accept() still returns it.
                auto it = std::find(l.accept_queue.begin(), l.accept_queue.end(), t.id);
                if (it != l.accept_queue.end()) l.accept_queue.erase(it);
            }
        }
    }
    tcp_connections.erase(FourTuple{t.local, t.remote});
    t.state = State::kClosed;
    t.rto_deadline = t.delack_deadline = t.timewait_deadline = t.persist_deadline = Instant{0};
    if (error != 0) t.error = error;
    t.fin_received = true;  // reads see end of stream; writes fail
    t.fin_queued = true;
    if (was_open) wake();
    tcp_maybe_free(t);
}

void Stack::Impl::tcp_maybe_free(Tcb& t) {
    SocketEntry* e = find(t.id);
    if (e == nullptr) return;
    bool orphan = !e->user_open;
    // A connection reset while it waited in the accept queue is kept for accept(), which
    // returns it with its error pending, as Linux does (its listener frees it otherwise).
    if (t.parent != 0) {
        if (SocketEntry* p = find(t.parent); p != nullptr && p->tcp && p->tcp->listener) {
            const auto& q = p->tcp->listener->accept_queue;
            if (std::find(q.begin(), q.end(), t.id) != q.end()) orphan = false;
        }
    }
    if (orphan && t.state == State::kClosed) destroy_socket(t.id);
}

namespace tcp {
namespace {

uint8_t window_scale_for(size_t rcvbuf) {
    // The smallest shift that lets the whole buffer be advertised (RFC 7323 2.3), at least
    // our default so auto-tuning can grow into it later.
    uint8_t shift = 0;
    while (shift < 14 && (size_t{65535} << shift) < rcvbuf) ++shift;
    return std::max(shift, kOurWindowScale);
}

void autotune_receive_buffer(Stack::Impl& s, SocketEntry& e) {
    Tcb& t = *e.tcp;
    if (e.options.rcvbuf > 0 || !t.synchronized() || !t.rtt.have_sample()) return;  // SO_RCVBUF locks it
    // Never more than the window field can announce with our shift.
    const size_t max = std::min(s.config.tcp_rcvbuf_max, size_t{65535} << t.rcv_wscale);
    const size_t want = rcv_space_adjust(t.rcv_space, s.now, t.rtt.srtt(), t.bytes_read, t.recv_queue.capacity(), max, t.snd_mss);
    if (want > t.recv_queue.capacity()) {
        t.recv_queue.grow(want);
        ++s.counters.tcp_rcvbuf_autotuned;
    }
}

}  // namespace

int connect(Stack::Impl& s, SocketEntry& e, Endpoint remote) {
    Tcb& t = *e.tcp;
    switch (t.state) {
        case State::kClosed:
            break;
        case State::kSynSent:
        case State::kSynReceived:
            return -EALREADY;
        case State::kListen:
            return -EISCONN;  // Linux: connect on a listener
        default:
            return -EISCONN;
    }
    if (t.fin_queued || t.fin_received) {
        // A socket whose earlier connection failed or ended may connect again, as on Linux:
        // start from a fresh control block under the same id.
        const int id = t.id;
        e.tcp.reset(new Tcb(t.recv_queue.capacity(), t.send_queue.capacity()));
        e.tcp->id = id;
        e.tcp->cc = make_congestion_control(e.options.congestion);
        return connect(s, e, remote);
    }
    if (remote.port == 0 || remote.addr.is_unspecified()) return -ECONNREFUSED;
    if (!s.routes(remote.addr)) return -ENETUNREACH;
    if (!e.bound) {
        const int r = s.autobind(e, s.config.address.address);
        if (r < 0) return r;
    }
    t.local = {e.local.addr.is_unspecified() ? s.config.address.address : e.local.addr, e.local.port};
    t.remote = remote;
    const FourTuple ft{t.local, t.remote};
    t.iss = s.tcp_isn(ft);
    if (s.tcp_connections.count(ft) != 0) {
        // Linux (tcp_twsk_unique) lets a connect() take over the 4-tuple of its own TIME-WAIT
        // connection when that one used timestamps: the peer's PAWS check then tells old
        // duplicates apart, and the new ISS starts a window past anything the old one sent.
        Tcb* old = s.tcp_lookup(ft);
        if (old == nullptr || old->state != State::kTimeWait || !old->ts_ok) return -EADDRNOTAVAIL;
        t.iss = old->snd_nxt + 65535 + 2;
        s.tcp_close_connection(*old, 0);
    }
    t.snd_una = t.snd_nxt = t.snd_max = t.iss;
    t.send_seq = t.iss + 1;
    t.rcv_wscale = window_scale_for(t.recv_queue.capacity());
    t.ts_offset = s.rng.next_u32();
    t.nodelay = e.options.tcp_nodelay;
    t.state = State::kSynSent;
    s.tcp_connections[ft] = t.id;
    ++s.counters.tcp_active_opens;
    s.tcp_output(t);
    s.wake();
    return -EINPROGRESS;
}

int listen(Stack::Impl& s, SocketEntry& e, int backlog) {
    Tcb& t = *e.tcp;
    // Linux clamps the backlog to somaxconn (4096) and treats negatives as that too.
    backlog = backlog < 0 ? 4096 : std::min(backlog, 4096);
    if (t.state == State::kListen) {
        t.listener->backlog = backlog;
        return 0;
    }
    if (t.state != State::kClosed || t.error != 0) return -EINVAL;
    if (!e.bound) {
        const int r = s.autobind(e, Ipv4Addr::any());
        if (r < 0) return r;
    }
    // Another listener on the port: only a reuseport group (both set SO_REUSEPORT) shares it.
    if (auto it = s.tcp_listeners.find(e.local.port); it != s.tcp_listeners.end()) {
        for (int id : it->second) {
            const SocketEntry* o = s.find(id);
            if (o != nullptr && !(e.options.reuse_port && o->options.reuse_port)) return -EADDRINUSE;
        }
    }
    t.listener = std::make_unique<Listener>();
    t.listener->backlog = backlog;
    t.local = e.local;
    t.state = State::kListen;
    s.tcp_listeners[e.local.port].push_back(e.id);
    return 0;
}

int accept(Stack::Impl& s, SocketEntry& e, Endpoint* peer) {
    Tcb& t = *e.tcp;
    if (t.state != State::kListen) return -EINVAL;
    auto& q = t.listener->accept_queue;
    while (!q.empty()) {
        const int id = q.front();
        q.pop_front();
        SocketEntry* child = s.find(id);
        if (child == nullptr) continue;
        child->user_open = true;
        child->tcp->parent = 0;
        if (peer != nullptr) *peer = child->tcp->remote;
        s.wake();
        return id;
    }
    return -EAGAIN;
}

ssize_t send(Stack::Impl& s, SocketEntry& e, std::span<const ConstBytes> data, int flags) {
    Tcb& t = *e.tcp;
    if (t.error != 0) {  // reported once, as Linux does; later writes get EPIPE
        const int err = t.error;
        t.error = 0;
        return -err;
    }
    switch (t.state) {
        case State::kEstablished:
        case State::kCloseWait:
            break;
        case State::kSynSent:
        case State::kSynReceived:
            return -EAGAIN;
        default:
            // Linux sk_stream_wait_connect(): any state but SYN-SENT/SYN-RECEIVED gives EPIPE,
            // even a socket that never connected or a listener.
            return -EPIPE;
    }
    if (t.fin_queued) return -EPIPE;
    size_t total = 0;
    for (const auto& d : data) {
        const size_t n = t.send_queue.append(d);
        total += n;
        if (n < d.size()) break;
    }
    if (total == 0) {
        size_t wanted = 0;
        for (const auto& d : data) wanted += d.size();
        if (wanted == 0) return 0;
        return -EAGAIN;
    }
    if (flags & msgflags::kOob) urgent_queued(t);  // its last byte is urgent
    // MSG_MORE: like TCP_CORK for this call, hold a partial segment back.
    const bool saved_nodelay = t.nodelay;
    if (flags & msgflags::kMore) t.nodelay = false;
    s.tcp_output(t);
    t.nodelay = saved_nodelay;
    return static_cast<ssize_t>(total);
}

ssize_t recv(Stack::Impl& s, SocketEntry& e, std::span<const MutableBytes> data, int flags) {
    Tcb& t = *e.tcp;
    if (t.state == State::kListen) return -ENOTCONN;
    if (flags & msgflags::kOob) return urgent_recv(t, data, flags & msgflags::kPeek, e.options.oob_inline);
    // Urgent data (urgent.h): a read stops before the mark; at the mark an out-of-line urgent
    // byte is passed over.
    const ReadPlan plan = urgent_read_plan(t, e.options.oob_inline);
    if (plan.skip + plan.limit > 0) {
        size_t copied = 0;
        for (const auto& out : data) {
            const size_t want = std::min(out.size(), plan.limit - copied);
            const size_t n = t.recv_queue.peek(plan.skip + copied, out.first(want));
            copied += n;
            if (n < out.size()) break;
        }
        if (!(flags & msgflags::kPeek)) {
            const uint32_t old_wnd = t.rcv_adv > t.rcv_nxt ? static_cast<uint32_t>(t.rcv_adv - t.rcv_nxt) : 0;
            t.recv_queue.consume(plan.skip + copied);
            urgent_consumed(t);
            t.bytes_read += copied;
            autotune_receive_buffer(s, e);
            // RFC 9293 3.8.6.2.2 / RFC 1122 4.2.3.3: tell the peer when the window has opened
            // by a useful amount, so a sender stalled on it resumes. A reader that fell behind
            // also owes the ACK its data did not get on arrival (receive.h).
            const uint32_t capacity = static_cast<uint32_t>(t.recv_queue.capacity());
            const uint32_t new_wnd = static_cast<uint32_t>(t.recv_queue.free_space());
            const bool window_opened = old_wnd < capacity / 2 && new_wnd - old_wnd >= std::min<uint32_t>(capacity / 2, 2u * t.snd_mss);
            if (t.synchronized() && !t.fin_received && (window_opened || read_owes_ack(t))) {
                t.ack_pending = true;
                s.tcp_output(t);
            }
        }
        // Only the skipped urgent byte was queued: nothing to read, as if the queue were empty.
        if (copied > 0 || plan.limit > 0) return static_cast<ssize_t>(copied);
    }
    // Linux tcp_recvmsg: after the peer's FIN (SOCK_DONE) a read returns 0, even if a reset
    // came later; the error is left for SO_ERROR and writes.
    if (t.error != 0 && t.state == State::kClosed && !t.peer_fin) {
        const int err = t.error;
        t.error = 0;
        return -err;
    }
    if (t.fin_received || t.read_shutdown) return 0;
    if (t.state == State::kClosed) return -ENOTCONN;
    return -EAGAIN;
}

int shutdown(Stack::Impl& s, SocketEntry& e, int how) {
    Tcb& t = *e.tcp;
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return -EINVAL;
    if (t.state == State::kListen) {
        if (how == SHUT_WR) return -ENOTCONN;  // Linux: SHUT_RD on a listener closes it
        return 0;
    }
    if (t.state == State::kClosed || t.state == State::kSynSent) return -ENOTCONN;
    if (how == SHUT_RD || how == SHUT_RDWR) {
        t.read_shutdown = true;
        s.wake();
    }
    if ((how == SHUT_WR || how == SHUT_RDWR) && !t.fin_queued) {
        t.fin_queued = true;
        // In SYN-RECEIVED the FIN waits for ESTABLISHED (RFC 9293 3.10.4 CLOSE); input.cc then
        // moves on to FIN-WAIT-1, so the ACK of our SYN is still taken as such.
        if (t.state == State::kEstablished) t.state = State::kFinWait1;
        else if (t.state == State::kCloseWait) t.state = State::kLastAck;
        s.tcp_output(t);
        s.wake();
    }
    return 0;
}

void close(Stack::Impl& s, SocketEntry& e) {
    Tcb& t = *e.tcp;
    e.user_open = false;
    t.user_closed = true;
    switch (t.state) {
        case State::kListen: {
            // Children that were never accepted are reset (Linux inet_csk_listen_stop).
            HeapVector<int> children;
            for (const auto& [ft, id] : s.tcp_connections) {
                SocketEntry* c = s.find(id);
                if (c != nullptr && c->tcp && c->tcp->parent == e.id) children.push_back(id);
            }
            for (int id : children) {
                SocketEntry* c = s.find(id);
                s.tcp_send_segment(*c->tcp, c->tcp->snd_nxt, wire::TcpFlags::kRst | wire::TcpFlags::kAck, 0);
                ++s.counters.tcp_resets_sent;
                s.tcp_close_connection(*c->tcp, 0);
            }
            // Connections reset in the queue (kept for accept) go with it.
            const auto kept = t.listener->accept_queue;
            t.listener->accept_queue.clear();
            for (int id : kept) {
                if (SocketEntry* c = s.find(id); c != nullptr && c->tcp && c->tcp->state == State::kClosed) s.destroy_socket(id);
            }
            s.tcp_unlisten(e.id, e.local.port);
            t.state = State::kClosed;
            s.destroy_socket(e.id);
            return;
        }
        case State::kClosed:
        case State::kSynSent:
            s.tcp_close_connection(t, 0);
            return;
        case State::kTimeWait:
            return;  // stays until 2 MSL pass; freed then
        default:
            break;
    }
    if (e.options.linger && e.options.linger_s == 0) {
        // SO_LINGER with a zero timeout: abort, discarding queued data (RFC 9293 3.10.5 ABORT).
        s.tcp_send_segment(t, t.snd_nxt, wire::TcpFlags::kRst | wire::TcpFlags::kAck, 0);
        ++s.counters.tcp_resets_sent;
        ++s.counters.tcp_linger_resets;
        s.tcp_close_connection(t, 0);
        return;
    }
    if (!t.recv_queue.empty() && !t.fin_queued) {
        // RFC 2525 2.17: closing with unread data resets the connection, as Linux does.
        s.tcp_send_segment(t, t.snd_nxt, wire::TcpFlags::kRst | wire::TcpFlags::kAck, 0);
        ++s.counters.tcp_resets_sent;
        s.tcp_close_connection(t, 0);
        return;
    }
    shutdown(s, e, SHUT_RDWR);
    // An orphan in FIN-WAIT-2 waits at most this long for the peer's FIN (Linux tcp_fin_timeout).
    if (t.state == State::kFinWait2) s.tcp_arm(t, TimerKind::kTimeWait, s.now + kTimeWaitDuration);
}

uint32_t poll_events(const SocketEntry& e) {
    // Mirrors Linux tcp_poll().
    const Tcb& t = *e.tcp;
    if (t.state == State::kListen) return t.listener->accept_queue.empty() ? 0 : readiness::kIn;
    uint32_t ev = 0;
    const bool rcv_shutdown = t.fin_received || t.read_shutdown;
    const bool snd_shutdown = t.fin_queued;
    if ((rcv_shutdown && snd_shutdown) || t.state == State::kClosed) ev |= readiness::kHup;
    if (rcv_shutdown) ev |= readiness::kIn | readiness::kRdHup;
    if (t.state != State::kSynSent && t.state != State::kSynReceived) {
        if (urgent_readable(t, e.options.oob_inline)) ev |= readiness::kIn;
        if (urgent_pending(t.urgent)) ev |= readiness::kPri;
        if (snd_shutdown) {
            ev |= readiness::kOut;
        } else if (t.send_queue.free_space() >= t.send_queue.size() / 2 && t.send_queue.free_space() > 0) {
            ev |= readiness::kOut;
        }
    }
    if (t.error != 0) ev |= readiness::kErr;
    return ev;
}

}  // namespace tcp
}  // namespace ustack

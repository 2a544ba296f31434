// The Stack API: socket bookkeeping and dispatch to the UDP and TCP layers, and poll(), the
// one place frames come in and timers run.
#include "stack/stack.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "stack/stack_impl.h"
#include "stack/tcp/api.h"
#include "stack/udp/udp.h"
#include "stack/wire/ethernet.h"

namespace ustack {

namespace {
constexpr uint16_t kEphemeralLow = 32768;   // Linux net.ipv4.ip_local_port_range
constexpr uint16_t kEphemeralHigh = 60999;
constexpr size_t kRxBatch = 32;
// A receive batch holds about this many bytes: all 32 slots for MTU-sized frames, four for
// 64 KiB GRO/GSO super-frames, so the frames the device has just written are likelier to be
// in the core's cache (L2 is typically 0.5-2 MiB) when the stack copies them into the receive
// queues, instead of 2 MiB written before the first is read back. Alternated iperf3 -R -P 4
// runs on packet:pkt0 (a loaded machine, noisy): the smaller batch won 10 of 13 pairs.
constexpr size_t kRxBatchBytes = 256 * 1024;
constexpr size_t kRxBatchMin = 4;
}  // namespace

Stack::Impl::Impl(const StackConfig& cfg, netdev::Device& dev, Instant start)
    : config(cfg),
      device(dev),
      now(start),
      rng(cfg.seed),
      mtu(dev.mtu()),
      offloads(dev.offloads()),
      isn_secret(rng.next()),
      // With TSO a frame holds a whole 64 KiB IP packet. Few buffers are out at once (one
      // flush's batch), so the free list stays small either way.
      pool(wire::EthernetRepr::kHeaderLen + (offloads.tso4 ? std::max<size_t>(mtu, 65535) : mtu)) {
    // Slots hold a maximal IPv4 packet, not just an MTU's worth: a veth peer with TSO hands
    // AF_PACKET whole GSO super-frames (e.g. a 7300-byte TCP segment), which are valid packets
    // the stack accepts as they are. PACKET_VNET_HDR/TPACKET_V3 rings replace this later.
    const size_t slot_size = wire::EthernetRepr::kHeaderLen + std::max<size_t>(mtu, 65535) + 4;
    rx_buffers.resize(slot_size * kRxBatch);
    rx_slots.resize(kRxBatch);
    for (size_t i = 0; i < kRxBatch; ++i) rx_slots[i].buffer = {rx_buffers.data() + i * slot_size, slot_size};
    next_ephemeral = static_cast<uint16_t>(kEphemeralLow + rng.below(kEphemeralHigh - kEphemeralLow + 1));
    ip_ident = static_cast<uint16_t>(rng.next_u32());
    // Announce ourselves (RFC 5227 2.3 ARP announcement), so a neighbour that cached another
    // MAC for our address from an earlier run updates at once instead of after its timeout.
    send_arp_request(config.address.address);
}

Stack::Impl::~Impl() {
    flush();
    for (auto& [id, e] : sockets) delete e;
    for (PacketBuffer* b : tx_batch) pool.give(b);
}

SocketEntry* Stack::Impl::find(int id) const {
    auto it = sockets.find(id);
    return it == sockets.end() ? nullptr : it->second;
}

int Stack::Impl::add_socket(SocketEntry* s) {
    while (sockets.count(next_socket_id) != 0 || next_socket_id <= 0) {
        next_socket_id = next_socket_id <= 0 ? 1 : next_socket_id + 1;
    }
    s->id = next_socket_id++;
    if (s->tcp) s->tcp->id = s->id;
    sockets[s->id] = s;
    return s->id;
}

void Stack::Impl::destroy_socket(int id) {
    SocketEntry* e = find(id);
    if (e == nullptr) return;
    if (e->bound) {
        if (e->kind == SocketKind::kUdp) {
            if (auto it = udp_ports.find(e->local.port); it != udp_ports.end()) {
                std::erase(it->second, id);
                if (it->second.empty()) udp_ports.erase(it);
            }
        } else if (auto it = tcp_port_users.find(e->local.port); it != tcp_port_users.end() && --it->second == 0) {
            tcp_port_users.erase(it);
        }
    }
    if (e->tcp) {
        tcp_connections.erase(FourTuple{e->tcp->local, e->tcp->remote});
        tcp_unlisten(id, e->local.port);
    }
    sockets.erase(id);
    delete e;
}

bool Stack::Impl::port_in_use(SocketKind kind, uint16_t port) const {
    if (kind == SocketKind::kUdp) return udp_ports.count(port) != 0;
    return tcp_port_users.count(port) != 0 || tcp_listeners.count(port) != 0;
}

bool Stack::Impl::udp_port_shareable(const SocketEntry& e, Endpoint local) const {
    auto it = udp_ports.find(local.port);
    if (it == udp_ports.end()) return true;
    for (int id : it->second) {
        const SocketEntry* o = find(id);
        if (o == nullptr) continue;
        const bool overlap = local.addr.is_unspecified() || o->local.addr.is_unspecified() || o->local.addr == local.addr;
        const bool both_reuse = (e.options.reuse_addr && o->options.reuse_addr) || (e.options.reuse_port && o->options.reuse_port);
        if (overlap && !both_reuse) return false;
    }
    return true;
}

bool Stack::Impl::tcp_port_bindable(const SocketEntry& e, Endpoint local) const {
    if (!port_in_use(SocketKind::kTcp, local.port)) return true;
    for (const auto& [id, o] : sockets) {
        if (o == &e || o->kind != SocketKind::kTcp || !o->bound || o->local.port != local.port) continue;
        const bool overlap = local.addr.is_unspecified() || o->local.addr.is_unspecified() || o->local.addr == local.addr;
        if (!overlap) continue;
        const bool listening = o->tcp && o->tcp->state == tcp::State::kListen;
        if (e.options.reuse_addr && o->options.reuse_addr && !listening) continue;
        if (e.options.reuse_port && o->options.reuse_port) continue;
        return false;
    }
    return true;
}

void Stack::Impl::tcp_unlisten(int id, uint16_t port) {
    auto it = tcp_listeners.find(port);
    if (it == tcp_listeners.end()) return;
    std::erase(it->second, id);
    if (it->second.empty()) tcp_listeners.erase(it);
}

SocketEntry* Stack::Impl::tcp_listener_for(Endpoint to, Endpoint from) const {
    auto it = tcp_listeners.find(to.port);
    if (it == tcp_listeners.end()) return nullptr;
    // Linux scores a listener bound to the address above a wildcard one.
    size_t exact = 0, wildcard = 0;
    for (int id : it->second) {
        const SocketEntry* l = find(id);
        if (l == nullptr) continue;
        if (l->local.addr == to.addr) ++exact;
        else if (l->local.addr.is_unspecified()) ++wildcard;
    }
    const size_t n = exact != 0 ? exact : wildcard;
    if (n == 0) return nullptr;
    size_t pick = 0;
    if (n > 1) {
        // Keyed like the ISN so a remote cannot aim its connections at one listener.
        uint64_t h = FourTupleHash{}(FourTuple{to, from}) ^ isn_secret;
        h = (h ^ (h >> 31)) * 0x94d049bb133111ebull;
        pick = static_cast<size_t>(((h >> 32) * n) >> 32);
    }
    for (int id : it->second) {
        SocketEntry* l = find(id);
        if (l == nullptr) continue;
        const bool match = exact != 0 ? l->local.addr == to.addr : l->local.addr.is_unspecified();
        if (match && pick-- == 0) return l;
    }
    return nullptr;
}

int Stack::Impl::allocate_ephemeral_port(SocketKind kind) {
    constexpr uint32_t range = kEphemeralHigh - kEphemeralLow + 1;
    for (uint32_t i = 0; i < range; ++i) {
        const uint16_t port = next_ephemeral;
        next_ephemeral = next_ephemeral == kEphemeralHigh ? kEphemeralLow : static_cast<uint16_t>(next_ephemeral + 1);
        if (!port_in_use(kind, port)) return port;
    }
    return -EADDRNOTAVAIL;  // Linux's answer when the ephemeral range is exhausted
}

int Stack::Impl::autobind(SocketEntry& e, Ipv4Addr addr) {
    const int port = allocate_ephemeral_port(e.kind);
    if (port < 0) return port;
    e.local = {addr, static_cast<uint16_t>(port)};
    e.bound = true;
    if (e.kind == SocketKind::kUdp) udp_ports[e.local.port].push_back(e.id);
    else ++tcp_port_users[e.local.port];
    return 0;
}

// ---- Stack ---------------------------------------------------------------------------------

Stack::Stack(const StackConfig& config, netdev::Device& device, Instant now)
    : impl_(new Impl(config, device, now)) {}

Stack::~Stack() = default;

bool Stack::poll(Instant now) {
    Impl& s = *impl_;
    s.now = now;
    const uint64_t before = s.generation;
    bool worked = false;
    // Take every frame waiting, in batches, then run due timers, then flush once.
    for (int round = 0; round < 64; ++round) {
        const std::span<netdev::RxSlot> batch = std::span(s.rx_slots).first(s.rx_batch);
        const int n = s.device.receive(batch);
        if (n <= 0) break;
        worked = true;
        size_t bytes = 0;
        for (int i = 0; i < n; ++i) {
            netdev::RxSlot& slot = batch[static_cast<size_t>(i)];
            bytes += slot.len;
            s.handle_frame(slot.buffer.first(slot.len), slot.checksum_partial);
        }
        // The next batch is sized by this one's frames (kRxBatchBytes).
        const size_t average = std::max<size_t>(bytes / static_cast<size_t>(n), 1);
        s.rx_batch = std::clamp(kRxBatchBytes / average, kRxBatchMin, kRxBatch);
        if (static_cast<size_t>(n) < batch.size()) break;
    }
    s.timers.prune([&](const TimerEntry& e) { return s.tcp_timer_stale(e); });
    while (auto e = s.timers.pop_due(now)) {
        worked = true;
        s.run_tcp_timer(*e);
    }
    if (auto arp_due = s.arp.next_deadline(); arp_due && *arp_due <= now) {
        s.run_arp_timers();
        worked = true;
    }
    if (auto due = s.reassembler.next_deadline(); due && *due <= now) {
        s.run_reassembly_timers();
        worked = true;
    }
    s.flush();
#ifdef USTACK_TCP_CHECK_INVARIANTS
    for (const auto& [id, e] : s.sockets) {
        if (!e->tcp) continue;
        if (const char* why = tcp::broken_invariant(*e->tcp)) {
            std::fprintf(stderr, "TCP invariant broken on socket %d (%s): %s\n", id, tcp::state_name(e->tcp->state), why);
            std::abort();
        }
    }
#endif
    return worked && s.generation != before;
}

std::optional<Instant> Stack::next_deadline() const {
    Impl& s = *impl_;
    s.timers.prune([&](const TimerEntry& e) { return s.tcp_timer_stale(e); });
    std::optional<Instant> d = s.timers.earliest();
    if (auto a = s.arp.next_deadline(); a && (!d || *a < *d)) d = a;
    if (auto r = s.reassembler.next_deadline(); r && (!d || *r < *d)) d = r;
    return d;
}

uint64_t Stack::generation() const { return impl_->generation; }

bool Stack::has_pending_output() const {
    for (const auto& [id, e] : impl_->sockets) {
        if (!e->tcp) continue;
        const tcp::Tcb& t = *e->tcp;
        if (!t.synchronized() || t.state == tcp::State::kTimeWait) continue;
        if (!t.send_queue.empty() || (t.fin_queued && !(t.fin_sent && t.snd_una > t.fin_seq))) return true;
    }
    return !impl_->tx_batch.empty();
}
bool Stack::routes(Ipv4Addr dst) const { return impl_->routes(dst); }
size_t Stack::path_mtu(Ipv4Addr dst) const { return impl_->path_mtu(dst); }
bool Stack::is_local_address(Ipv4Addr a) const { return a == impl_->config.address.address; }
const Counters& Stack::counters() const { return impl_->counters; }
const StackConfig& Stack::config() const { return impl_->config; }
netdev::Device& Stack::device() { return impl_->device; }

int Stack::socket(SocketKind kind) {
    auto* e = new SocketEntry;
    e->kind = kind;
    if (kind == SocketKind::kUdp) {
        e->udp.reset(new udp::UdpSocket);
    } else {
        e->tcp.reset(new tcp::Tcb(tcp::kDefaultBufferBytes, tcp::kDefaultBufferBytes));
        e->tcp->cc = tcp::make_congestion_control(e->options.congestion);
    }
    return impl_->add_socket(e);
}

int Stack::bind(int sock, Endpoint local) {
    Impl& s = *impl_;
    SocketEntry* e = s.find(sock);
    if (e == nullptr || !e->user_open) return -EBADF;
    if (e->bound) return -EINVAL;
    if (!local.addr.is_unspecified() && local.addr != s.config.address.address) return -EADDRNOTAVAIL;
    if (local.port == 0) return s.autobind(*e, local.addr);
    if (e->kind == SocketKind::kUdp) {
        if (!s.udp_port_shareable(*e, local)) return -EADDRINUSE;
    } else if (!s.tcp_port_bindable(*e, local)) {
        return -EADDRINUSE;
    }
    e->local = local;
    e->bound = true;
    if (e->kind == SocketKind::kUdp) s.udp_ports[local.port].push_back(sock);
    else ++s.tcp_port_users[local.port];
    return 0;
}

int Stack::listen(int sock, int backlog) {
    SocketEntry* e = impl_->find(sock);
    if (e == nullptr || !e->user_open) return -EBADF;
    if (e->kind != SocketKind::kTcp) return -EOPNOTSUPP;
    return tcp::listen(*impl_, *e, backlog);
}

int Stack::accept(int sock, Endpoint* peer, Instant now) {
    impl_->now = now;
    SocketEntry* e = impl_->find(sock);
    if (e == nullptr || !e->user_open) return -EBADF;
    if (e->kind != SocketKind::kTcp) return -EOPNOTSUPP;
    return tcp::accept(*impl_, *e, peer);
}

int Stack::connect(int sock, Endpoint remote, Instant now) {
    Impl& s = *impl_;
    s.now = now;
    SocketEntry* e = s.find(sock);
    if (e == nullptr || !e->user_open) return -EBADF;
    const int r = e->kind == SocketKind::kUdp ? udp::connect(s, *e, remote) : tcp::connect(s, *e, remote);
    s.flush();
    return r;
}

ssize_t Stack::send(int sock, std::span<const ConstBytes> data, const Endpoint* dest, int flags, Instant now) {
    Impl& s = *impl_;
    s.now = now;
    SocketEntry* e = s.find(sock);
    if (e == nullptr || !e->user_open) return -EBADF;
    const ssize_t r = e->kind == SocketKind::kUdp ? udp::send(s, *e, data, dest) : tcp::send(s, *e, data, flags);
    s.flush();
    return r;
}

ssize_t Stack::recv(int sock, std::span<const MutableBytes> data, Endpoint* from, int flags, Instant now,
                    DatagramMeta* meta) {
    Impl& s = *impl_;
    s.now = now;
    SocketEntry* e = s.find(sock);
    if (e == nullptr || !e->user_open) return -EBADF;
    ssize_t r;
    if (e->kind == SocketKind::kUdp) {
        r = udp::recv(s, *e, data, from, flags, meta);
    } else {
        r = tcp::recv(s, *e, data, flags);
        if (r > 0 && from != nullptr) *from = e->tcp->remote;
    }
    s.flush();
    return r;
}

int Stack::shutdown(int sock, int how, Instant now) {
    Impl& s = *impl_;
    s.now = now;
    SocketEntry* e = s.find(sock);
    if (e == nullptr || !e->user_open) return -EBADF;
    if (e->kind == SocketKind::kUdp) {
        if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return -EINVAL;
        // inet_shutdown marks the socket even when it answers ENOTCONN (to wake pollers).
        if (how != SHUT_WR) e->udp->read_shut = true;
        if (how != SHUT_RD) e->udp->write_shut = true;
        s.wake();
        return e->udp->remote ? 0 : -ENOTCONN;
    }
    const int r = tcp::shutdown(s, *e, how);
    s.flush();
    return r;
}

void Stack::close(int sock, Instant now) {
    Impl& s = *impl_;
    s.now = now;
    SocketEntry* e = s.find(sock);
    if (e == nullptr || !e->user_open) return;
    if (e->kind == SocketKind::kUdp) {
        s.destroy_socket(sock);
    } else {
        tcp::close(s, *e);
    }
    s.wake();
    s.flush();
}

uint32_t Stack::poll_events(int sock) const {
    SocketEntry* e = impl_->find(sock);
    if (e == nullptr || !e->user_open) return readiness::kErr | readiness::kHup;
    return e->kind == SocketKind::kUdp ? udp::poll_events(*e) : tcp::poll_events(*e);
}

int Stack::take_error(int sock) {
    SocketEntry* e = impl_->find(sock);
    if (e == nullptr) return 0;
    int& err = e->kind == SocketKind::kUdp ? e->udp->error : e->tcp->error;
    const int r = err;
    err = 0;
    return r;
}

int Stack::pending_error(int sock) const {
    const SocketEntry* e = impl_->find(sock);
    if (e == nullptr) return 0;
    return e->kind == SocketKind::kUdp ? e->udp->error : e->tcp->error;
}

int Stack::local_endpoint(int sock, Endpoint* out) const {
    SocketEntry* e = impl_->find(sock);
    if (e == nullptr) return -EBADF;
    *out = e->local;
    if (e->tcp && e->tcp->state != tcp::State::kClosed && e->tcp->state != tcp::State::kListen) *out = e->tcp->local;
    return 0;
}

int Stack::remote_endpoint(int sock, Endpoint* out) const {
    SocketEntry* e = impl_->find(sock);
    if (e == nullptr) return -EBADF;
    if (e->kind == SocketKind::kUdp) {
        if (!e->udp->remote) return -ENOTCONN;
        *out = *e->udp->remote;
        return 0;
    }
    const auto st = e->tcp->state;
    if (st == tcp::State::kClosed || st == tcp::State::kListen || st == tcp::State::kSynSent) return -ENOTCONN;
    *out = e->tcp->remote;
    return 0;
}

size_t Stack::recv_queue_bytes(int sock) const {
    SocketEntry* e = impl_->find(sock);
    if (e == nullptr) return 0;
    return e->kind == SocketKind::kUdp ? udp::recv_queue_bytes(*e) : e->tcp->recv_queue.size();
}

size_t Stack::readable_bytes(int sock) const {
    SocketEntry* e = impl_->find(sock);
    if (e == nullptr) return 0;
    return e->kind == SocketKind::kUdp ? udp::recv_queue_bytes(*e) : tcp::urgent_readable_bytes(*e->tcp, e->options.oob_inline);
}

bool Stack::at_urgent_mark(int sock) const {
    SocketEntry* e = impl_->find(sock);
    return e != nullptr && e->tcp && tcp::at_urgent_mark(*e->tcp);
}

int Stack::take_urgent_signal() {
    if (impl_->urgent_signal_count == 0) return 0;
    const int sock = impl_->urgent_signals[0];
    std::copy(impl_->urgent_signals.begin() + 1, impl_->urgent_signals.end(), impl_->urgent_signals.begin());
    --impl_->urgent_signal_count;
    return sock;
}

size_t Stack::send_queue_bytes(int sock) const {
    SocketEntry* e = impl_->find(sock);
    if (e == nullptr || !e->tcp) return 0;
    return e->tcp->send_queue.size();
}

SocketOptions Stack::get_options(int sock) const {
    SocketEntry* e = impl_->find(sock);
    return e == nullptr ? SocketOptions{} : e->options;
}

int Stack::set_options(int sock, const SocketOptions& options) {
    Impl& s = *impl_;
    SocketEntry* e = s.find(sock);
    if (e == nullptr) return -EBADF;
    if (options.keepidle_s < 1 || options.keepintvl_s < 1 || options.keepcnt < 1) return -EINVAL;
    std::unique_ptr<tcp::CongestionControl> new_cc;
    if (e->tcp && std::string_view(options.congestion) != e->tcp->cc->name()) {
        new_cc = tcp::make_congestion_control(options.congestion);
        if (!new_cc) return -ENOENT;
    }
    const SocketOptions old = e->options;
    e->options = options;
    if (!e->tcp) return 0;
    tcp::Tcb& t = *e->tcp;
    if (new_cc) {
        new_cc->cwnd = t.cc->cwnd;
        new_cc->ssthresh = t.cc->ssthresh;
        t.cc = std::move(new_cc);
    }
    // Buffer sizes take effect while the connection has not started, as the kernel's do
    // before connect()/listen() (later changes are accepted but the rings stay).
    const bool fresh = t.state == tcp::State::kClosed && t.recv_queue.empty() && t.send_queue.empty();
    if (fresh && (options.rcvbuf != old.rcvbuf || options.sndbuf != old.sndbuf)) {
        const size_t rcv = options.rcvbuf > 0 ? static_cast<size_t>(options.rcvbuf) : tcp::kDefaultBufferBytes;
        const size_t snd = options.sndbuf > 0 ? static_cast<size_t>(options.sndbuf) : tcp::kDefaultBufferBytes;
        auto* fresh_tcb = new tcp::Tcb(rcv, snd);
        fresh_tcb->id = t.id;
        fresh_tcb->cc = std::move(t.cc);
        e->tcp.reset(fresh_tcb);
    }
    tcp::Tcb& c = *e->tcp;
    c.nodelay = options.tcp_nodelay;
    c.cork = options.tcp_cork;
    // Linux restarts the keepalive timer when it is switched on or its times change.
    const bool keepalive_changed = !old.keepalive || options.keepidle_s != old.keepidle_s ||
                                   options.keepintvl_s != old.keepintvl_s;
    if (options.keepalive && keepalive_changed && c.synchronized()) s.tcp_arm_keepalive(c);
    // Linux pushes pending data at once when TCP_NODELAY is set or the cork is pulled.
    if ((options.tcp_nodelay && !old.tcp_nodelay) || (!options.tcp_cork && old.tcp_cork)) s.tcp_output(c);
    s.flush();
    return 0;
}

namespace {

SocketInfo describe(int id, const SocketEntry& e) {
    SocketInfo info;
    info.id = id;
    info.kind = e.kind;
    info.user_open = e.user_open;
    info.local = e.local;
    if (e.kind == SocketKind::kUdp) {
        const udp::UdpSocket& u = *e.udp;
        info.state = u.remote ? "ESTAB" : "UNCONN";
        if (u.remote) info.remote = *u.remote;
        info.recv_q = udp::recv_queue_bytes(e);
        return info;
    }
    const tcp::Tcb& t = *e.tcp;
    info.state = tcp::state_name(t.state);
    if (t.state != tcp::State::kClosed && t.state != tcp::State::kListen) {
        info.local = t.local;
        info.remote = t.remote;
    }
    if (t.listener) {
        info.recv_q = t.listener->accept_queue.size();
        info.send_q = static_cast<size_t>(t.listener->backlog);
    } else {
        info.recv_q = t.recv_queue.size();
        info.send_q = t.send_queue.size();
    }
    if (t.rtt.have_sample()) {
        info.srtt = t.rtt.srtt();
        info.rttvar = t.rtt.rttvar();
    }
    info.rto = t.rtt.rto();
    if (t.cc) {
        info.cwnd = t.cc->cwnd;
        info.ssthresh = t.cc->ssthresh;
        info.cc = t.cc->name();
    }
    info.snd_mss = t.snd_mss;
    info.snd_wnd = t.snd_wnd;
    info.backoff = t.backoff;
    info.retransmits = t.total_retransmits;
    info.ts_ok = t.ts_ok;
    info.sack_ok = t.sack_ok;
    info.wscale_ok = t.wscale_ok;
    info.snd_wscale = t.snd_wscale;
    info.rcv_wscale = t.rcv_wscale;
    info.data_storage = t.recv_queue.storage_bytes() + t.send_queue.storage_bytes() + t.rack.storage_capacity();
    return info;
}

}  // namespace

void Stack::for_each_socket(FunctionRef<void(const SocketInfo&)> visit) const {
    for (const auto& [id, e] : impl_->sockets) visit(describe(id, *e));
}

size_t Stack::for_each_socket(size_t limit, FunctionRef<void(const SocketInfo&)> visit) const {
    size_t shown = 0;
    for (const auto& [id, e] : impl_->sockets) {
        if (shown++ == limit) break;
        visit(describe(id, *e));
    }
    return impl_->sockets.size();
}

int Stack::socket_info(int sock, SocketInfo* out) const {
    SocketEntry* e = impl_->find(sock);
    if (e == nullptr) return -EBADF;
    *out = describe(sock, *e);
    return 0;
}

}  // namespace ustack

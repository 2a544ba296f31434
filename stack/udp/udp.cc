#include "stack/udp/udp.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "stack/ip/pmtu_discovery.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/udp.h"

namespace ustack {

udp::UdpSocket::~UdpSocket() {
    for (Datagram* d : queue) heap::deallocate(d);
}

void Stack::Impl::handle_udp(const wire::Ipv4View& ip, bool checksum_partial) {
    ++counters.udp_rx;
    auto dgram = wire::UdpView::parse(ip.payload());
    if (!dgram) {
        ++counters.udp_rx_malformed;
        return;
    }
    if (!checksum_partial && !dgram->checksum_valid(ip.src(), ip.dst())) {
        ++counters.udp_rx_bad_checksum;
        return;
    }
    const Endpoint from{ip.src(), dgram->src_port()};
    SocketEntry* e = udp_lookup(Endpoint{ip.dst(), dgram->dst_port()}, from);
    if (e == nullptr) {
        ++counters.udp_rx_no_port;
        // RFC 1122 4.1.3.1: SHOULD send port unreachable (not for broadcasts; checked there).
        if (ip.dst() == config.address.address) send_dest_unreachable(ip, wire::icmpcode::kPortUnreachable);
        return;
    }
    udp::UdpSocket& u = *e->udp;
    const size_t len = dgram->payload().size();
    const size_t rcvbuf = e->options.rcvbuf > 0 ? static_cast<size_t>(e->options.rcvbuf) : udp::kDefaultRcvbuf;
    const size_t charge = len + udp::kDatagramOverhead;
    if (u.queued_charge + charge > rcvbuf) {
        ++counters.udp_rx_buffer_full;
        return;
    }
    auto* d = static_cast<udp::Datagram*>(heap::allocate(sizeof(udp::Datagram) + len));
    d->from = from;
    d->meta = DatagramMeta{ip.dst(), ip.ttl(), ip.tos()};
    d->len = len;
    std::memcpy(d->data(), dgram->payload().data(), len);
    u.queue.push_back(d);
    u.queued_charge += charge;
    wake();
}

SocketEntry* Stack::Impl::udp_lookup(Endpoint to, Endpoint from) const {
    auto port = udp_ports.find(to.port);
    if (port == udp_ports.end()) return nullptr;
    SocketEntry* best = nullptr;
    int best_score = -1;
    for (auto id = port->second.rbegin(); id != port->second.rend(); ++id) {  // newest first
        SocketEntry* e = find(*id);
        if (e == nullptr) continue;
        int score = 0;
        if (e->udp->remote) {
            if (*e->udp->remote != from) continue;  // connected elsewhere
            score += 2;
        }
        if (!e->local.addr.is_unspecified()) {
            if (e->local.addr != to.addr) continue;
            score += 1;
        }
        if (score > best_score) {
            best = e;
            best_score = score;
        }
    }
    return best;
}

void Stack::Impl::udp_icmp_error(Endpoint local, Endpoint remote, int err) {
    SocketEntry* e = udp_lookup(local, remote);
    // Linux reports ICMP errors only on connected UDP sockets (unless IP_RECVERR).
    if (e == nullptr || !e->udp->remote || *e->udp->remote != remote) return;
    e->udp->error = err;
    wake();
}

namespace udp {

int connect(Stack::Impl& s, SocketEntry& e, Endpoint remote) {
    if (remote.port == 0) return -ECONNREFUSED;
    if (!s.routes(remote.addr)) return -ENETUNREACH;
    if (!e.bound) {
        // Linux binds a connected UDP socket to the route's source address.
        const int r = s.autobind(e, s.config.address.address);
        if (r < 0) return r;
    }
    e.udp->remote = remote;
    return 0;
}

ssize_t send(Stack::Impl& s, SocketEntry& e, std::span<const ConstBytes> data, const Endpoint* dest) {
    UdpSocket& u = *e.udp;
    Endpoint to;
    if (dest != nullptr) {
        to = *dest;
    } else if (u.remote) {
        to = *u.remote;
    } else {
        return -EDESTADDRREQ;
    }
    if (u.error != 0) {
        const int err = u.error;
        u.error = 0;
        return -err;
    }
    size_t len = 0;
    for (const auto& d : data) len += d.size();
    if (len > kMaxPayload) return -EMSGSIZE;
    if (to.port == 0) return -EINVAL;
    if (!s.next_hop(to.addr)) return -ENETUNREACH;
    // A broadcast needs SO_BROADCAST (udp_sendmsg: RTCF_BROADCAST route without SOCK_BROADCAST).
    if ((to.addr.is_broadcast() || to.addr == s.config.address.subnet_broadcast()) && !e.options.broadcast) return -EACCES;
    if (!e.bound) {
        const int r = s.autobind(e, Ipv4Addr::any());
        if (r < 0) return r;
    }
    const Ipv4Addr src = e.local.addr.is_unspecified() ? s.config.address.address : e.local.addr;
    const size_t ip_len = wire::Ipv4Repr::kHeaderLen + wire::UdpRepr::kHeaderLen + len;
    const ip::DatagramPlan plan = ip::plan_datagram(e.options.pmtu_discovery, ip_len, s.path_mtu(to.addr), s.mtu);
    if (plan.too_big) return -EMSGSIZE;
    IpSend p{src, to.addr, wire::ipproto::kUdp, e.options.ttl, e.options.tos, plan.dont_fragment, plan.use_path_mtu};
    const wire::UdpRepr repr{e.local.port, to.port};
    s.send_ipv4(p, wire::UdpRepr::kHeaderLen + len, [&](std::span<std::byte> out) {
        size_t off = wire::UdpRepr::kHeaderLen;
        for (const auto& d : data) {  // the one copy: application buffer to frame
            std::memcpy(out.data() + off, d.data(), d.size());
            off += d.size();
        }
        repr.emit(out, src, to.addr, len);
    });
    ++s.counters.udp_tx;
    return static_cast<ssize_t>(len);
}

ssize_t recv(Stack::Impl& s, SocketEntry& e, std::span<const MutableBytes> data, Endpoint* from, int flags,
             DatagramMeta* meta) {
    UdpSocket& u = *e.udp;
    if (u.error != 0) {
        const int err = u.error;
        u.error = 0;
        return -err;
    }
    if (u.queue.empty()) return u.read_shut ? 0 : -EAGAIN;
    Datagram* d = u.queue.front();
    size_t copied = 0;
    for (const auto& out : data) {
        if (copied == d->len) break;
        const size_t n = std::min(out.size(), d->len - copied);
        std::memcpy(out.data(), d->data() + copied, n);
        copied += n;
    }
    if (from != nullptr) *from = d->from;
    if (meta != nullptr) *meta = d->meta;
    const size_t full = d->len;
    if (!(flags & msgflags::kPeek)) {
        u.queue.pop_front();
        u.queued_charge -= full + kDatagramOverhead;
        heap::deallocate(d);
        s.wake();
    }
    return static_cast<ssize_t>((flags & msgflags::kTrunc) ? full : copied);
}

uint32_t poll_events(const SocketEntry& e) {
    const UdpSocket& u = *e.udp;
    uint32_t ev = readiness::kOut;
    if (!u.queue.empty()) ev |= readiness::kIn;
    if (u.error != 0) ev |= readiness::kErr;
    if (u.read_shut) ev |= readiness::kIn | readiness::kRdHup;  // datagram_poll
    if (u.read_shut && u.write_shut) ev |= readiness::kHup;
    return ev;
}

size_t recv_queue_bytes(const SocketEntry& e) {
    // FIONREAD on a UDP socket is the size of the next datagram, as in Linux.
    return e.udp->queue.empty() ? 0 : e.udp->queue.front()->len;
}

}  // namespace udp
}  // namespace ustack

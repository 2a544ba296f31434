#include "stack/tcp/testing/scripted_peer.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>

#include <gtest/gtest.h>

#include "netdev/pair.h"
#include "stack/wire/arp.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"

namespace ustack::tcp::testing {

using wire::SeqNum;

namespace {

const wire::MacAddr kStackMac{{0x02, 0, 0, 0, 0, 0x02}};
const wire::MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};
const Ipv4Addr kStackIp = Ipv4Addr::from_octets(10, 0, 0, 2);
const Ipv4Addr kPeerIp = Ipv4Addr::from_octets(10, 0, 0, 1);

// The byte at offset k of each direction's stream. Different moduli so that a segment from one
// direction never passes for the other's.
std::byte stack_stream_byte(uint32_t k) { return std::byte(static_cast<uint8_t>(k % 251)); }
std::byte peer_stream_byte(uint32_t k) { return std::byte(static_cast<uint8_t>((k * 7 + 1) % 253)); }

}  // namespace

struct ScriptedPeer::State {
    PeerOptions opts;
    std::unique_ptr<netdev::PairDevice> wire_end;   // the peer's side of the pair
    std::unique_ptr<netdev::PairDevice> stack_end;
    std::unique_ptr<Stack> stack;
    Instant now{0};
    Instant start{0};

    int sock = 0;
    int listener = 0;
    uint16_t stack_port = ScriptedPeer::kListenPort;
    uint16_t peer_port = ScriptedPeer::kPeerPort;

    bool iss_known = false;
    SeqNum stack_iss;
    SeqNum peer_iss;
    SeqNum peer_nxt;                 // the peer's next sequence number
    bool peer_ts = true;             // the peer stamps its segments
    uint32_t last_stack_tsval = 0;

    uint32_t app_sent = 0;           // bytes the stack's application wrote
    uint32_t app_read = 0;           // bytes it read

    std::vector<Segment> trace;
    std::deque<Segment> pending;     // sent by the stack, not yet taken by expect_*
    bool trace_shown = false;

    // ---- trace ----
    std::string trace_text() const {
        std::string out = "---- segment trace (virtual time since start; seq relative to each side's ISN) ----\n";
        for (const Segment& s : trace) out += describe(s, stack_iss, peer_iss, start) + "\n";
        out += "---- " + std::to_string(pending.size()) + " segment(s) sent by the stack not yet expected ----\n";
        return out;
    }
    void fail(const std::source_location& loc, const std::string& what) {
        trace_shown = true;
        ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << what << "\n" << trace_text();
    }

    // ---- frames ----
    void send_frame(const std::vector<std::byte>& f) {
        ConstBytes one[] = {f};
        wire_end->send(one);
    }
    void send_arp(wire::ArpOp op, wire::MacAddr dst_mac) {
        std::vector<std::byte> f(wire::EthernetRepr::kHeaderLen + wire::ArpRepr::kLen);
        wire::EthernetRepr{dst_mac, kPeerMac, wire::ethertype::kArp}.emit(f);
        wire::ArpRepr{op, kPeerMac, kPeerIp, op == wire::ArpOp::kReply ? kStackMac : wire::MacAddr{}, kStackIp}
            .emit(std::span(f).subspan(wire::EthernetRepr::kHeaderLen));
        send_frame(f);
    }

    // Polls the stack at `now` and takes everything it sent, answering ARP as a neighbour would.
    void pump() {
        for (int round = 0; round < 16; ++round) {
            stack->poll(now);
            if (!drain()) break;
        }
        // The pair drops frames longer than the MTU: a segment the stack built too big.
        if (const uint64_t dropped = stack_end->counters().tx_dropped; dropped != tx_dropped_seen) {
            tx_dropped_seen = dropped;
            fail(std::source_location::current(), "the stack sent a frame the link dropped (longer than the MTU?)");
        }
    }
    uint64_t tx_dropped_seen = 0;
    // Returns true when it answered something the stack waits for (so poll again).
    bool drain() {
        bool answered = false;
        std::vector<std::byte> buf(70000);
        for (;;) {
            netdev::RxSlot slot{buf};
            if (wire_end->receive(std::span(&slot, 1)) != 1) break;
            auto frame = std::span<const std::byte>(buf).first(slot.len);
            auto eth = wire::EthernetView::parse(frame);
            if (!eth) continue;
            if (eth->ethertype() == wire::ethertype::kArp) {
                auto arp = wire::ArpRepr::parse(eth->payload());
                if (arp && arp->op == wire::ArpOp::kRequest && arp->target_ip == kPeerIp) {
                    send_arp(wire::ArpOp::kReply, kStackMac);
                    answered = true;
                }
                continue;
            }
            if (eth->ethertype() != wire::ethertype::kIpv4) continue;
            auto ip = wire::Ipv4View::parse(eth->payload());
            if (!ip || ip->protocol() != wire::ipproto::kTcp) continue;
            take_segment(*ip);
        }
        return answered;
    }
    void take_segment(const wire::Ipv4View& ip) {
        const auto here = std::source_location::current();
        auto view = wire::TcpView::parse(ip.payload());
        if (!view) return fail(here, "the stack sent a TCP segment that does not parse");
        if (!view->checksum_valid(ip.src(), ip.dst())) fail(here, "the stack sent a TCP segment with a bad checksum");
        auto repr = wire::TcpRepr::from(*view);
        if (!repr) return fail(here, "the stack sent TCP options that do not parse");
        Segment s;
        s.at = now;
        s.from_stack = true;
        s.tcp = *repr;
        for (std::byte b : view->options()) s.raw_options.push_back(static_cast<uint8_t>(b));
        s.payload.assign(view->payload().begin(), view->payload().end());
        if (s.tcp.flags.syn() && !iss_known) {
            stack_iss = s.tcp.seq;
            iss_known = true;
            if (!s.tcp.options.timestamps) peer_ts = false;  // RFC 7323 3.2: only if both offer
        }
        if (s.tcp.options.timestamps) last_stack_tsval = s.tcp.options.timestamps->tsval;
        trace.push_back(s);
        // Every payload byte must be the byte the application wrote at that stream offset.
        if (s.len() > 0) {
            const uint32_t first = s.tcp.seq.raw() - (stack_iss.raw() + 1);
            for (uint32_t i = 0; i < s.len(); ++i) {
                if (s.payload[i] != stack_stream_byte(first + i) || first + i >= app_sent) {
                    fail(here, "the stack sent bytes the application did not write at stream offset " +
                                   std::to_string(first + i));
                    break;
                }
            }
        }
        pending.push_back(std::move(s));
    }
};

bool run_known_bugs() {
    const char* v = std::getenv("USTACK_RUN_KNOWN_BUGS");
    return v != nullptr && v[0] == '1';
}

// ---- construction ----------------------------------------------------------------------------

ScriptedPeer::ScriptedPeer(std::unique_ptr<State> s) : s_(std::move(s)) {}
ScriptedPeer::ScriptedPeer(ScriptedPeer&&) noexcept = default;
ScriptedPeer& ScriptedPeer::operator=(ScriptedPeer&&) noexcept = default;

ScriptedPeer::~ScriptedPeer() {
    if (s_ && ::testing::Test::HasFailure() && !s_->trace_shown) std::printf("%s", s_->trace_text().c_str());
}

ScriptedPeer ScriptedPeer::bare(const PeerOptions& o) {
    auto st = std::make_unique<State>();
    st->opts = o;
    st->now = st->start = o.start;
    auto [a, b] = netdev::PairDevice::create(o.mtu, 4096);
    st->wire_end = std::move(a);
    st->stack_end = std::move(b);
    st->stack = std::make_unique<Stack>(StackConfig{{kStackIp, 24}, std::nullopt, kStackMac, o.seed}, *st->stack_end, st->now);
    st->peer_iss = SeqNum(o.peer_iss);
    st->peer_nxt = st->peer_iss;
    st->peer_ts = o.timestamps;
    // The peer asks for the stack's address, so the stack learns the peer's MAC (RFC 826 merge).
    st->send_arp(wire::ArpOp::kRequest, wire::MacAddr::broadcast());
    st->pump();
    return ScriptedPeer(std::move(st));
}

namespace {
// Checked at compile time, so the harness builds before and after the stack grew TCP_CONGESTION.
template <class Options>
void set_congestion(Options& so, const char* name) {
    if constexpr (requires { so.congestion; }) {
        if (name != nullptr) {
            std::strncpy(so.congestion, name, sizeof so.congestion - 1);
            so.congestion[sizeof so.congestion - 1] = '\0';
        }
    }
}

void apply_options(Stack& stack, int sock, const PeerOptions& o) {
    SocketOptions so = stack.get_options(sock);
    so.tcp_nodelay = o.nodelay;
    so.rcvbuf = o.rcvbuf;
    so.sndbuf = o.sndbuf;
    set_congestion(so, o.congestion);
    EXPECT_EQ(stack.set_options(sock, so), 0);
}
}  // namespace

ScriptedPeer ScriptedPeer::passive(const PeerOptions& o) {
    ScriptedPeer c = bare(o);
    c.app_listen();
    c.inject({.seq = 0, .flags = "S", .win = o.syn_window, .mss = o.mss, .wscale = o.wscale, .sack_permitted = o.sack});
    c.expect_segment({.seq = 0, .ack = 1, .flags = "S."});
    c.advance(o.handshake_rtt);
    c.inject({.seq = 1, .ack = 1, .flags = "."});
    EXPECT_GT(c.app_accept(), 0);
    return c;
}

ScriptedPeer ScriptedPeer::active(const PeerOptions& o) {
    ScriptedPeer c = bare(o);
    EXPECT_EQ(c.app_connect(), -EINPROGRESS);
    c.expect_segment({.seq = 0, .flags = "S"});
    c.advance(o.handshake_rtt);
    c.inject({.seq = 0, .ack = 1, .flags = "S.", .win = o.syn_window, .mss = o.mss, .wscale = o.wscale, .sack_permitted = o.sack});
    c.expect_segment({.seq = 1, .ack = 1, .flags = "."});
    EXPECT_EQ(c.state(), "ESTABLISHED");
    return c;
}

// ---- the application ---------------------------------------------------------------------------

int ScriptedPeer::app_listen(uint16_t port, int backlog) {
    State& s = *s_;
    const int l = s.stack->socket(SocketKind::kTcp);
    apply_options(*s.stack, l, s.opts);
    EXPECT_EQ(s.stack->bind(l, {Ipv4Addr::any(), port}), 0);
    EXPECT_EQ(s.stack->listen(l, backlog), 0);
    s.stack_port = port;
    s.peer_port = kPeerPort;
    s.sock = l;
    s.listener = l;
    return l;
}

int ScriptedPeer::app_accept() {
    State& s = *s_;
    Endpoint peer;
    const int id = s.stack->accept(s.listener, &peer, s.now);
    if (id > 0) s.sock = id;
    s.pump();
    return id;
}

int ScriptedPeer::app_connect(uint16_t peer_port) {
    State& s = *s_;
    const int sock = s.stack->socket(SocketKind::kTcp);
    apply_options(*s.stack, sock, s.opts);
    s.sock = sock;
    s.peer_port = peer_port;
    const int r = s.stack->connect(sock, {kPeerIp, peer_port}, s.now);
    Endpoint local;
    s.stack->local_endpoint(sock, &local);
    s.stack_port = local.port;
    s.pump();
    return r;
}

size_t ScriptedPeer::app_send(size_t n, int flags) {
    State& s = *s_;
    std::vector<std::byte> data(n);
    for (size_t i = 0; i < n; ++i) data[i] = stack_stream_byte(s.app_sent + static_cast<uint32_t>(i));
    ConstBytes parts[] = {data};
    const ssize_t r = s.stack->send(s.sock, parts, nullptr, flags, s.now);
    const size_t accepted = r > 0 ? static_cast<size_t>(r) : 0;
    s.app_sent += static_cast<uint32_t>(accepted);
    s.pump();
    return accepted;
}

size_t ScriptedPeer::app_recv(size_t max) {
    State& s = *s_;
    size_t total = 0;
    std::vector<std::byte> buf(std::min<size_t>(max, 65536));
    while (total < max) {
        MutableBytes out[] = {std::span(buf).first(std::min(buf.size(), max - total))};
        const ssize_t r = s.stack->recv(s.sock, out, nullptr, 0, s.now);
        if (r <= 0) break;
        for (ssize_t i = 0; i < r; ++i) {
            if (buf[static_cast<size_t>(i)] != peer_stream_byte(s.app_read + static_cast<uint32_t>(i))) {
                s.fail(std::source_location::current(),
                       "the application read a byte the peer did not send at stream offset " +
                           std::to_string(s.app_read + static_cast<uint32_t>(i)));
                break;
            }
        }
        s.app_read += static_cast<uint32_t>(r);
        total += static_cast<size_t>(r);
    }
    s.pump();
    return total;
}

ssize_t ScriptedPeer::app_recv_raw(std::span<std::byte> out, int flags) {
    MutableBytes parts[] = {out};
    const ssize_t r = s_->stack->recv(s_->sock, parts, nullptr, flags, s_->now);
    s_->pump();
    return r;
}

std::byte ScriptedPeer::peer_byte(uint32_t offset) { return peer_stream_byte(offset); }

void ScriptedPeer::app_shutdown_write() {
    EXPECT_EQ(s_->stack->shutdown(s_->sock, SHUT_WR, s_->now), 0);
    s_->pump();
}

void ScriptedPeer::app_close() {
    s_->stack->close(s_->sock, s_->now);
    s_->pump();
}

void ScriptedPeer::set_nodelay(bool on) {
    SocketOptions so = s_->stack->get_options(s_->sock);
    so.tcp_nodelay = on;
    EXPECT_EQ(s_->stack->set_options(s_->sock, so), 0);
    s_->pump();
}

int ScriptedPeer::socket() const { return s_->sock; }

// ---- the wire ------------------------------------------------------------------------------

void ScriptedPeer::inject(const Inject& in, std::source_location loc) {
    State& s = *s_;
    const uint8_t flags = parse_flags(in.flags);
    wire::TcpRepr r;
    r.src_port = s.peer_port;
    r.dst_port = s.stack_port;
    r.seq = in.seq ? (in.absolute ? SeqNum(*in.seq) : s.peer_iss + *in.seq) : s.peer_nxt;
    r.ack = (flags & wire::TcpFlags::kAck) ? (in.absolute ? SeqNum(in.ack) : s.stack_iss + in.ack) : SeqNum(0);
    r.flags.bits = flags;
    r.window = in.win ? *in.win : (flags & wire::TcpFlags::kSyn) ? s.opts.syn_window : s.opts.window;
    r.urgent_pointer = in.urp;
    if (flags & wire::TcpFlags::kSyn) {
        r.options.mss = in.mss;
        r.options.window_scale = in.wscale;
        r.options.sack_permitted = in.sack_permitted;
    }
    if (in.ts.set) {
        r.options.timestamps = wire::TcpTimestamps{in.ts.val, in.ts.ecr};
    } else if (s.peer_ts && !in.no_ts && !(flags & wire::TcpFlags::kRst)) {
        const bool first_syn = (flags & wire::TcpFlags::kSyn) && !(flags & wire::TcpFlags::kAck);
        r.options.timestamps = wire::TcpTimestamps{peer_tsval(), first_syn ? 0u : s.last_stack_tsval};
    }
    if (in.sack.set) {
        r.options.sack_count = static_cast<uint8_t>(std::min(in.sack.blocks.size(), wire::TcpOptions::kMaxSackBlocks));
        for (size_t i = 0; i < r.options.sack_count; ++i) {
            const auto [left, right] = in.sack.blocks[i];
            r.options.sack_blocks[i] = in.absolute ? wire::SackBlock{SeqNum(left), SeqNum(right)}
                                                   : wire::SackBlock{s.stack_iss + left, s.stack_iss + right};
        }
    }
    const size_t hlen = r.header_len();
    std::vector<std::byte> frame(wire::EthernetRepr::kHeaderLen + wire::Ipv4Repr::kHeaderLen + hlen + in.payload_len);
    wire::EthernetRepr{kStackMac, kPeerMac, wire::ethertype::kIpv4}.emit(frame);
    wire::Ipv4Repr{kPeerIp, kStackIp, wire::ipproto::kTcp, static_cast<uint16_t>(hlen + in.payload_len), 64, 0, 1, true}
        .emit(std::span(frame).subspan(wire::EthernetRepr::kHeaderLen));
    auto l4 = std::span(frame).subspan(wire::EthernetRepr::kHeaderLen + wire::Ipv4Repr::kHeaderLen);
    const uint32_t first = r.seq.raw() + ((flags & wire::TcpFlags::kSyn) ? 1 : 0) - (s.peer_iss.raw() + 1);
    for (uint32_t i = 0; i < in.payload_len; ++i) l4[hlen + i] = peer_stream_byte(first + i);
    r.emit(l4, kPeerIp, kStackIp, in.payload_len);

    Segment seg;
    seg.at = s.now;
    seg.from_stack = false;
    seg.tcp = r;
    seg.payload.assign(l4.begin() + static_cast<long>(hlen), l4.end());
    const SeqNum end = r.seq + seg.seg_len();
    if (end > s.peer_nxt) s.peer_nxt = end;
    s.trace.push_back(std::move(seg));
    (void)loc;
    s.send_frame(frame);
    s.pump();
}

void ScriptedPeer::inject_frag_needed(uint32_t quoted_seq, uint16_t mtu) {
    State& s = *s_;
    // The quote: the stack's IP header (DF set, 1500 bytes long) and the first 8 TCP bytes.
    std::vector<std::byte> quote(wire::Ipv4Repr::kHeaderLen + 8);
    wire::Ipv4Repr{kStackIp, kPeerIp, wire::ipproto::kTcp, 1480, 64, 0, 7, true}.emit(quote);
    wire::store_be16(quote, 20, s.stack_port);
    wire::store_be16(quote, 22, s.peer_port);
    wire::store_be32(quote, 24, (s.stack_iss + quoted_seq).raw());
    wire::IcmpRepr msg{wire::icmptype::kDestUnreachable, wire::icmpcode::kFragmentationNeeded, mtu, quote};
    std::vector<std::byte> frame(wire::EthernetRepr::kHeaderLen + wire::Ipv4Repr::kHeaderLen + msg.len());
    wire::EthernetRepr{kStackMac, kPeerMac, wire::ethertype::kIpv4}.emit(frame);
    wire::Ipv4Repr{kPeerIp, kStackIp, wire::ipproto::kIcmp, static_cast<uint16_t>(msg.len()), 64, 0, 2, false}
        .emit(std::span(frame).subspan(wire::EthernetRepr::kHeaderLen));
    msg.emit(std::span(frame).subspan(wire::EthernetRepr::kHeaderLen + wire::Ipv4Repr::kHeaderLen));
    s.send_frame(frame);
    s.pump();
}

void ScriptedPeer::inject_ack(uint32_t ack, Blocks sack, std::source_location loc) {
    inject({.ack = ack, .flags = ".", .sack = std::move(sack)}, loc);
}

Segment ScriptedPeer::expect_segment(const Expect& e, std::source_location loc) {
    State& s = *s_;
    if (s.pending.empty()) {
        s.fail(loc, "expected a segment from the stack, but it has sent nothing more");
        return {};
    }
    Segment seg = s.pending.front();
    s.pending.pop_front();
    const auto& t = seg.tcp;
    std::string wrong;
    auto rel_seq = [&](SeqNum v) { return e.absolute ? v.raw() : v.raw() - s.stack_iss.raw(); };
    auto rel_ack = [&](SeqNum v) { return e.absolute ? v.raw() : v.raw() - s.peer_iss.raw(); };
    if (e.seq && rel_seq(t.seq) != *e.seq) wrong += " seq " + std::to_string(rel_seq(t.seq)) + " (want " + std::to_string(*e.seq) + ")";
    if (e.ack) {
        if (!t.flags.ack()) wrong += " no ACK flag (want ack " + std::to_string(*e.ack) + ")";
        else if (rel_ack(t.ack) != *e.ack) wrong += " ack " + std::to_string(rel_ack(t.ack)) + " (want " + std::to_string(*e.ack) + ")";
    }
    if (e.flags && t.flags.bits != parse_flags(e.flags)) {
        wrong += " flags " + flag_string(t.flags) + " (want " + flag_string(wire::TcpFlags{parse_flags(e.flags)}) + ")";
    }
    if (e.urp && t.urgent_pointer != *e.urp) {
        wrong += " urp " + std::to_string(t.urgent_pointer) + " (want " + std::to_string(*e.urp) + ")";
    }
    if (e.len && seg.len() != *e.len) wrong += " len " + std::to_string(seg.len()) + " (want " + std::to_string(*e.len) + ")";
    if (e.win && t.window != *e.win) wrong += " win " + std::to_string(t.window) + " (want " + std::to_string(*e.win) + ")";
    if (e.sack.set) {
        bool same = e.sack.blocks.size() == t.options.sack_count;
        for (size_t i = 0; same && i < e.sack.blocks.size(); ++i) {
            same = rel_ack(t.options.sack_blocks[i].left) == e.sack.blocks[i].first &&
                   rel_ack(t.options.sack_blocks[i].right) == e.sack.blocks[i].second;
        }
        if (!same) {
            std::string want;
            for (auto [l, r] : e.sack.blocks) want += " " + std::to_string(l) + ":" + std::to_string(r);
            wrong += " SACK blocks differ (want" + (want.empty() ? std::string(" none") : want) + ")";
        }
    }
    if (!wrong.empty()) s.fail(loc, "segment mismatch:" + wrong + "\n  got: " + describe(seg, s.stack_iss, s.peer_iss, s.start));
    return seg;
}

std::vector<Segment> ScriptedPeer::expect_segments(size_t n, std::source_location loc) {
    State& s = *s_;
    std::vector<Segment> out;
    if (s.pending.size() < n) {
        s.fail(loc, "expected " + std::to_string(n) + " segments from the stack, it has sent " + std::to_string(s.pending.size()));
    }
    while (out.size() < n && !s.pending.empty()) {
        out.push_back(s.pending.front());
        s.pending.pop_front();
    }
    return out;
}

void ScriptedPeer::expect_nothing_for(Duration d, std::source_location loc) {
    State& s = *s_;
    if (!s.pending.empty()) {
        s.fail(loc, "expected silence, but the stack has already sent: " + describe(s.pending.front(), s.stack_iss, s.peer_iss, s.start));
        s.pending.clear();
        return;
    }
    advance(d);
    if (!s.pending.empty()) {
        s.fail(loc, "expected silence for " + std::to_string(std::chrono::duration<double>(d).count()) +
                        "s, but the stack sent: " + describe(s.pending.front(), s.stack_iss, s.peer_iss, s.start));
        s.pending.clear();
    }
}

size_t ScriptedPeer::pending() const { return s_->pending.size(); }

// ---- time ----------------------------------------------------------------------------------

void ScriptedPeer::advance(Duration d) {
    State& s = *s_;
    const Instant end = s.now + d;
    s.pump();
    for (int guard = 0; guard < 100000; ++guard) {
        const auto next = s.stack->next_deadline();
        if (!next || *next > end) break;
        s.now = std::max(s.now, *next);
        s.pump();
    }
    s.now = end;
    s.pump();
}

Instant ScriptedPeer::now() const { return s_->now; }
Duration ScriptedPeer::elapsed(const Segment& seg) const { return seg.at - s_->start; }

// ---- looking in ------------------------------------------------------------------------------

Stack& ScriptedPeer::stack() { return *s_->stack; }
const Counters& ScriptedPeer::counters() const { return s_->stack->counters(); }

SocketInfo ScriptedPeer::info() const {
    SocketInfo found;
    if (s_->sock <= 0 || s_->stack->socket_info(s_->sock, &found) < 0) found.state = "";  // gone
    return found;
}

std::string ScriptedPeer::state() const { return info().state; }
SeqNum ScriptedPeer::stack_iss() const { return s_->stack_iss; }
SeqNum ScriptedPeer::peer_iss() const { return s_->peer_iss; }
uint32_t ScriptedPeer::seq_of(const Segment& seg) const {
    return seg.tcp.seq.raw() - (seg.from_stack ? s_->stack_iss : s_->peer_iss).raw();
}
uint32_t ScriptedPeer::end_of(const Segment& seg) const { return seq_of(seg) + seg.seg_len(); }
uint32_t ScriptedPeer::last_stack_tsval() const { return s_->last_stack_tsval; }

uint32_t ScriptedPeer::peer_tsval() const {
    return s_->opts.peer_ts_base + static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(s_->now - s_->start).count());
}

void ScriptedPeer::new_incarnation(uint32_t new_peer_iss) {
    s_->iss_known = false;
    s_->peer_iss = SeqNum(new_peer_iss);
    s_->peer_nxt = s_->peer_iss;
    s_->app_sent = 0;
    s_->app_read = 0;
}

void ScriptedPeer::new_peer_port(uint16_t port, uint32_t new_peer_iss) {
    new_incarnation(new_peer_iss);
    s_->peer_port = port;
}

std::string ScriptedPeer::trace() const { return s_->trace_text(); }

}  // namespace ustack::tcp::testing

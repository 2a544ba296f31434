// The TCP input path, fed segment sequences. The input first chooses how the connection starts
// (accepted by a listener, opened by the stack, or left in SYN-SENT / LISTEN for the fuzzer to
// drive) and what the peer offers; then it is read as a script of steps: segments from the peer
// (flags, sequence and acknowledgement numbers relative to where the connection is, so
// established-state code is reached, window, timestamps, SACK blocks, payload), virtual time
// passing, and the stack's application sending, reading, shutting down and closing.
//
// Checked on every run, besides ASan/UBSan and the stack's own invariants (tcb.cc
// broken_invariant(), built in with USTACK_TCP_CHECK_INVARIANTS and checked after each poll):
// - every payload byte the stack sends is the byte its application wrote at that offset;
// - every byte the application reads is the byte the peer sent at that offset (the peer's
//   bytes are a function of their sequence number, so overlapping and repeated segments agree);
// - the stack never acknowledges sequence space the peer has not sent;
// - the stack never sends data past what its application wrote.
#include <fuzzer/FuzzedDataProvider.h>

#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "netdev/device.h"
#include "stack/stack.h"
#include "stack/wire/arp.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                 \
        }                                                                                 \
    } while (0)

namespace ustack {
namespace {

using wire::SeqNum;
using wire::TcpFlags;

const wire::MacAddr kStackMac{{0x02, 0, 0, 0, 0, 0x02}};
const wire::MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};
const Ipv4Addr kStackIp = Ipv4Addr::from_octets(10, 0, 0, 2);
const Ipv4Addr kPeerIp = Ipv4Addr::from_octets(10, 0, 0, 1);
constexpr uint16_t kStackPort = 8080;
constexpr uint16_t kPeerPort = 40000;

std::byte stack_stream_byte(uint32_t k) { return std::byte(static_cast<uint8_t>(k % 251)); }
std::byte peer_stream_byte(uint32_t k) { return std::byte(static_cast<uint8_t>((k * 7 + 1) % 253)); }

// Frames in and out as plain queues: the fuzzer is the wire.
class QueueDevice : public netdev::Device {
public:
    std::deque<std::vector<std::byte>> to_stack;
    std::deque<std::vector<std::byte>> from_stack;

    int receive(std::span<netdev::RxSlot> slots) override {
        int n = 0;
        while (n < static_cast<int>(slots.size()) && !to_stack.empty()) {
            auto& f = to_stack.front();
            netdev::RxSlot& slot = slots[static_cast<size_t>(n)];
            if (f.size() <= slot.buffer.size()) {
                std::copy(f.begin(), f.end(), slot.buffer.begin());
                slot.len = f.size();
                slot.checksum_partial = false;
                ++n;
            }
            to_stack.pop_front();
        }
        return n;
    }
    int send(std::span<const netdev::ConstBytes> frames) override {
        for (auto f : frames) from_stack.emplace_back(f.begin(), f.end());
        return static_cast<int>(frames.size());
    }
    size_t mtu() const override { return 1500; }
    std::optional<wire::MacAddr> hw_addr() const override { return std::nullopt; }
    int wait_fd() const override { return -1; }
    std::string name() const override { return "fuzz"; }
};

class Session {
public:
    explicit Session(FuzzedDataProvider& in) : in_(in) {}

    void run() {
        setup();
        for (int step = 0; step < 400 && in_.remaining_bytes() > 0; ++step) {
            switch (in_.ConsumeIntegralInRange<int>(0, 15)) {
                case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8:
                    inject_segment();
                    break;
                case 9: case 10:
                    advance(in_.ConsumeBool() ? std::chrono::milliseconds(in_.ConsumeIntegralInRange<int>(0, 1000))
                                              : std::chrono::seconds(in_.ConsumeIntegralInRange<int>(1, 120)));
                    break;
                case 11: case 12:
                    app_send(in_.ConsumeIntegralInRange<size_t>(0, 40000));
                    break;
                case 13:
                    app_recv(in_.ConsumeIntegralInRange<size_t>(0, 40000));
                    break;
                case 14:
                    app_accept();
                    break;
                case 15:
                    app_end(in_.ConsumeIntegralInRange<int>(0, 3));
                    break;
            }
        }
        advance(std::chrono::seconds(in_.ConsumeBool() ? 1 : 200));  // let every timer have its say
    }

private:
    // ---- setup ----
    void setup() {
        const int mode = in_.ConsumeIntegralInRange<int>(0, 3);
        peer_iss_ = SeqNum(in_.ConsumeIntegral<uint32_t>());
        peer_nxt_ = peer_iss_;
        peer_end_ = peer_iss_;
        const uint8_t offer = in_.ConsumeIntegral<uint8_t>();
        mss_ = (offer & 1) ? std::optional<uint16_t>(in_.ConsumeIntegralInRange<uint16_t>(0, 2000)) : 1460;
        if (offer & 2) mss_.reset();
        wscale_ = (offer & 4) ? std::nullopt : std::optional<uint8_t>(in_.ConsumeIntegralInRange<uint8_t>(0, 16));
        sack_ = !(offer & 8);
        ts_ = !(offer & 16);
        peer_wscale_ = wscale_ ? std::min<uint8_t>(*wscale_, 14) : 0;
        // Small buffers reach the full-buffer and zero-window paths sooner (and run faster).
        const int bufs[] = {2048, 8192, 16384, 100000};
        options_.rcvbuf = bufs[in_.ConsumeIntegralInRange<int>(0, 3)];
        options_.sndbuf = bufs[in_.ConsumeIntegralInRange<int>(0, 3)];
        options_.tcp_nodelay = in_.ConsumeBool();
        options_.keepalive = in_.ConsumeBool();
        if (options_.keepalive) {
            options_.keepidle_s = 1;
            options_.keepintvl_s = 1;
            options_.keepcnt = 3;
        }
        options_.user_timeout_ms = in_.ConsumeBool() ? 0u : in_.ConsumeIntegralInRange<unsigned>(1, 100'000);
        const char* cc = in_.ConsumeBool() ? "reno" : "cubic";
        std::snprintf(options_.congestion, sizeof options_.congestion, "%s", cc);
        // Segments may carry URG: with the urgent byte kept in line, every byte the peer sent
        // is still read in order, so app_recv can check the stream (reads stop at the mark).
        options_.oob_inline = true;

        stack_ = std::make_unique<Stack>(StackConfig{{kStackIp, 24}, std::nullopt, kStackMac, in_.ConsumeIntegral<uint8_t>()},
                                         device_, now_);
        send_arp_request();
        pump();
        if (mode == 0 || mode == 3) {
            listener_ = stack_->socket(SocketKind::kTcp);
            FUZZ_CHECK(listener_ > 0);
            stack_->set_options(listener_, options_);
            FUZZ_CHECK(stack_->bind(listener_, {Ipv4Addr::any(), kStackPort}) == 0);
            FUZZ_CHECK(stack_->listen(listener_, 4) == 0);
            local_port_ = kStackPort;
            if (mode == 0) {  // handshake to an accepted connection
                send({.seq = peer_iss_, .flags = TcpFlags::kSyn, .syn_options = true});
                if (!iss_known_) return;
                send({.seq = peer_iss_ + 1, .ack = stack_iss_ + 1, .flags = TcpFlags::kAck});
                app_accept();
            }
        } else {
            sock_ = stack_->socket(SocketKind::kTcp);
            FUZZ_CHECK(sock_ > 0);
            stack_->set_options(sock_, options_);
            FUZZ_CHECK(stack_->connect(sock_, {kPeerIp, kStackPort}, now_) == -EINPROGRESS);
            Endpoint local;
            stack_->local_endpoint(sock_, &local);
            local_port_ = local.port;
            peer_port_ = kStackPort;
            pump();
            if (mode == 1 && iss_known_) {  // answer the SYN
                send({.seq = peer_iss_, .ack = stack_iss_ + 1, .flags = TcpFlags::kSyn | TcpFlags::kAck, .syn_options = true});
            }
        }
    }

    void send_arp_request() {
        std::vector<std::byte> f(wire::EthernetRepr::kHeaderLen + wire::ArpRepr::kLen);
        wire::EthernetRepr{wire::MacAddr::broadcast(), kPeerMac, wire::ethertype::kArp}.emit(f);
        wire::ArpRepr{wire::ArpOp::kRequest, kPeerMac, kPeerIp, wire::MacAddr{}, kStackIp}
            .emit(std::span(f).subspan(wire::EthernetRepr::kHeaderLen));
        device_.to_stack.push_back(std::move(f));
    }

    // ---- segments from the peer ----
    struct Seg {
        SeqNum seq;
        SeqNum ack;
        uint8_t flags = TcpFlags::kAck;
        uint16_t window = 65535;
        bool syn_options = false;
        std::optional<wire::TcpTimestamps> ts;
        uint8_t sack_count = 0;
        wire::SackBlock sack[4] = {};
        uint32_t payload_len = 0;
    };

    void send(Seg s) {
        wire::TcpRepr r;
        r.src_port = peer_port_;
        r.dst_port = local_port_;
        r.seq = s.seq;
        r.ack = (s.flags & TcpFlags::kAck) ? s.ack : SeqNum(0);
        r.flags.bits = s.flags;
        r.window = s.window;
        if (s.syn_options) {
            r.options.mss = mss_;
            r.options.window_scale = wscale_;
            r.options.sack_permitted = sack_;
        }
        if (s.ts) r.options.timestamps = s.ts;
        else if (ts_ && !(s.flags & TcpFlags::kRst)) r.options.timestamps = wire::TcpTimestamps{peer_clock(), last_tsval_};
        r.options.sack_count = s.sack_count;
        for (uint8_t i = 0; i < s.sack_count; ++i) r.options.sack_blocks[i] = s.sack[i];
        const size_t hlen = r.header_len();
        std::vector<std::byte> frame(wire::EthernetRepr::kHeaderLen + wire::Ipv4Repr::kHeaderLen + hlen + s.payload_len);
        wire::EthernetRepr{kStackMac, kPeerMac, wire::ethertype::kIpv4}.emit(frame);
        wire::Ipv4Repr{kPeerIp, kStackIp, wire::ipproto::kTcp, static_cast<uint16_t>(hlen + s.payload_len), 64, 0, 1, true}
            .emit(std::span(frame).subspan(wire::EthernetRepr::kHeaderLen));
        auto l4 = std::span(frame).subspan(wire::EthernetRepr::kHeaderLen + wire::Ipv4Repr::kHeaderLen);
        // The peer's byte stream is a function of sequence number: offset 0 follows its SYN.
        const SeqNum data = s.seq + ((s.flags & TcpFlags::kSyn) ? 1u : 0u);
        for (uint32_t i = 0; i < s.payload_len; ++i) l4[hlen + i] = peer_stream_byte(data + i - (peer_iss_ + 1));
        r.emit(l4, kPeerIp, kStackIp, s.payload_len);
        const uint32_t seg_len = s.payload_len + ((s.flags & TcpFlags::kSyn) ? 1 : 0) + ((s.flags & TcpFlags::kFin) ? 1 : 0);
        // What the stack may acknowledge: the highest end of anything sent near the stream.
        const SeqNum end = s.seq + seg_len;
        const SeqNum base = irs_known_ ? irs_ : peer_iss_;
        if (static_cast<uint32_t>(end - base) < (1u << 30) && end - base > peer_end_ - base) peer_end_ = end;
        if (end > peer_nxt_ && static_cast<uint32_t>(end - peer_nxt_) < (1u << 20)) peer_nxt_ = end;
        device_.to_stack.push_back(std::move(frame));
        pump();
    }

    void inject_segment() {
        Seg s;
        const uint8_t f = in_.ConsumeIntegral<uint8_t>();
        s.flags = TcpFlags::kAck;
        if (f & 0x80) s.flags = f & 0x3f;  // anything, ACK or not
        else s.flags |= f & (TcpFlags::kFin | TcpFlags::kPsh);
        switch (in_.ConsumeIntegralInRange<int>(0, 3)) {
            case 0: s.seq = peer_nxt_; break;
            case 1: s.seq = peer_nxt_ + static_cast<uint32_t>(in_.ConsumeIntegralInRange<int32_t>(-70000, 70000)); break;
            case 2: s.seq = peer_iss_ + static_cast<uint32_t>(in_.ConsumeIntegralInRange<int32_t>(-10, 300000)); break;
            default: s.seq = SeqNum(in_.ConsumeIntegral<uint32_t>()); break;
        }
        switch (in_.ConsumeIntegralInRange<int>(0, 3)) {
            case 0: s.ack = stack_max_; break;
            case 1: s.ack = stack_max_ - in_.ConsumeIntegralInRange<uint32_t>(0, 70000); break;
            case 2: s.ack = stack_iss_ + static_cast<uint32_t>(in_.ConsumeIntegralInRange<int32_t>(-10, 300000)); break;
            default: s.ack = SeqNum(in_.ConsumeIntegral<uint32_t>()); break;
        }
        s.window = in_.ConsumeBool() ? in_.ConsumeIntegral<uint16_t>() : static_cast<uint16_t>(in_.ConsumeIntegralInRange<int>(0, 8));
        const uint8_t o = in_.ConsumeIntegral<uint8_t>();
        s.syn_options = (o & 1) && (s.flags & TcpFlags::kSyn);
        if (o & 2) {  // a timestamp of the fuzzer's choosing
            s.ts = wire::TcpTimestamps{peer_clock() + static_cast<uint32_t>(in_.ConsumeIntegralInRange<int32_t>(-5000, 5000)),
                                       in_.ConsumeBool() ? last_tsval_ : in_.ConsumeIntegral<uint32_t>()};
        }
        if (o & 4) {  // SACK blocks near what the stack sent
            s.sack_count = static_cast<uint8_t>(in_.ConsumeIntegralInRange<int>(1, ts_ || s.ts ? 3 : 4));
            for (uint8_t i = 0; i < s.sack_count; ++i) {
                const SeqNum left = s.ack + static_cast<uint32_t>(in_.ConsumeIntegralInRange<int32_t>(-3000, 70000));
                s.sack[i] = {left, left + in_.ConsumeIntegralInRange<uint32_t>(0, 20000)};
            }
        }
        if (o & 8) s.payload_len = in_.ConsumeIntegralInRange<uint32_t>(0, 1400);
        else if (o & 16) s.payload_len = in_.ConsumeIntegralInRange<uint32_t>(0, 8);
        // Keep the frame within the link MTU: 20 IP + 60 TCP header at most.
        s.payload_len = std::min<uint32_t>(s.payload_len, 1500 - 20 - 60);
        send(s);
    }

    uint32_t peer_clock() const {
        return 50'000 + static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now_ - Instant{0}).count());
    }

    // ---- the stack's side ----
    void pump() {
        for (int round = 0; round < 8; ++round) {
            stack_->poll(now_);
            if (device_.from_stack.empty()) break;
            while (!device_.from_stack.empty()) {
                take(device_.from_stack.front());
                device_.from_stack.pop_front();
            }
        }
    }

    void take(const std::vector<std::byte>& frame) {
        auto eth = wire::EthernetView::parse(frame);
        FUZZ_CHECK(eth);
        if (eth->ethertype() != wire::ethertype::kIpv4) return;  // ARP: the peer's MAC is known already
        auto ip = wire::Ipv4View::parse(eth->payload());
        FUZZ_CHECK(ip);
        if (ip->protocol() != wire::ipproto::kTcp) return;
        auto seg = wire::TcpView::parse(ip->payload());
        FUZZ_CHECK(seg);
        FUZZ_CHECK(seg->checksum_valid(ip->src(), ip->dst()));
        FUZZ_CHECK(wire::TcpOptions::parse(seg->options()));
        const auto flags = seg->flags();
        if (flags.rst()) return;  // a reset may carry any number the peer's segment named
        if (auto ts = wire::TcpOptions::parse(seg->options())->timestamps) last_tsval_ = ts->tsval;
        if (flags.syn()) {
            // A new connection: a new ISS, or (the same 4-tuple reopened at the same instant
            // hashes to the same ISS) a SYN-ACK for another peer SYN.
            if (!iss_known_ || seg->seq() != stack_iss_ || (flags.ack() && irs_known_ && seg->ack() != irs_ + 1)) {
                iss_known_ = true;  // a new connection (a listener's child, or TIME-WAIT reuse)
                stack_iss_ = seg->seq();
                stack_max_ = stack_iss_;
                irs_known_ = false;
                app_sent_ = 0;
                // A listener's new child is not sock_ (that may be an older connection, closed
                // and still holding unread data) until accept() returns it.
                if (!(flags.ack() && listener_ > 0)) tracked_sock_ = sock_;
                else tracked_sock_ = 0;
                app_read_ = 0;
            }
        }
        if (!iss_known_) return;
        if (flags.ack() && !irs_known_) {
            // The stack's first ACK (its SYN-ACK, or its ACK of our SYN-ACK) names the peer's
            // SYN it took: the connection's IRS. Neither carries data the stack accepted.
            irs_known_ = true;
            irs_ = seg->ack() - 1;
            peer_end_ = seg->ack();
        }
        const SeqNum end = seg->seq() + seg->seg_len();
        if (end > stack_max_) stack_max_ = end;
        if (flags.ack()) {
            // Never an acknowledgement of sequence space the peer has not sent. (A keepalive
            // probe's or challenge ACK's number is still one the peer sent.)
            FUZZ_CHECK(seg->ack() <= peer_end_ || static_cast<uint32_t>(seg->ack() - peer_end_) > (1u << 30));
        }
        const auto payload = seg->payload();
        if (!payload.empty()) {
            const uint32_t first = seg->seq() - (stack_iss_ + 1);
            FUZZ_CHECK(first + payload.size() <= app_sent_);  // nothing the application did not write
            for (size_t i = 0; i < payload.size(); ++i) {
                FUZZ_CHECK(payload[i] == stack_stream_byte(first + static_cast<uint32_t>(i)));
            }
        }
    }

    void advance(Duration d) {
        const Instant end = now_ + d;
        pump();
        for (int guard = 0; guard < 300; ++guard) {
            const auto next = stack_->next_deadline();
            if (!next || *next > end) break;
            now_ = std::max(now_, *next);
            pump();
        }
        now_ = end;
        pump();
    }

    void app_accept() {
        if (listener_ <= 0) return;
        Endpoint peer;
        const int id = stack_->accept(listener_, &peer, now_);
        if (id > 0) {
            if (sock_ > 0) stack_->close(sock_, now_);
            sock_ = id;
            tracked_sock_ = id;  // the latest child: one peer port, so one connection at a time
            app_read_ = 0;
        }
        pump();
    }

    void app_send(size_t n) {
        if (sock_ <= 0) return;
        std::vector<std::byte> data(n);
        for (size_t i = 0; i < n; ++i) data[i] = stack_stream_byte(app_sent_ + static_cast<uint32_t>(i));
        const ConstBytes parts[] = {data};
        const ssize_t r = stack_->send(sock_, parts, nullptr, 0, now_);
        FUZZ_CHECK(r <= static_cast<ssize_t>(n));
        if (r > 0) app_sent_ += static_cast<uint32_t>(r);
        pump();
    }

    void app_recv(size_t n) {
        if (sock_ <= 0) return;
        std::vector<std::byte> buf(n);
        const MutableBytes parts[] = {buf};
        const ssize_t r = stack_->recv(sock_, parts, nullptr, 0, now_);
        FUZZ_CHECK(r <= static_cast<ssize_t>(n));
        if (r > 0 && sock_ == tracked_sock_) {
            FUZZ_CHECK(irs_known_);
            const uint32_t base = irs_ - peer_iss_;  // the stream offset of the connection's first byte
            for (ssize_t i = 0; i < r; ++i) {
                FUZZ_CHECK(buf[static_cast<size_t>(i)] == peer_stream_byte(base + app_read_ + static_cast<uint32_t>(i)));
            }
            app_read_ += static_cast<uint32_t>(r);
            FUZZ_CHECK(app_read_ < static_cast<uint32_t>(peer_end_ - irs_));  // everything read lies within what the peer sent
        }
        pump();
    }

    void app_end(int how) {
        if (sock_ <= 0) return;
        switch (how) {
            case 0: stack_->shutdown(sock_, SHUT_WR, now_); break;
            case 1: stack_->shutdown(sock_, SHUT_RD, now_); break;
            case 2: {
                SocketOptions o = stack_->get_options(sock_);
                o.linger = in_.ConsumeBool();
                o.linger_s = 0;
                stack_->set_options(sock_, o);
                stack_->close(sock_, now_);
                sock_ = 0;
                break;
            }
            default: stack_->close(sock_, now_); sock_ = 0; break;
        }
        pump();
    }

    FuzzedDataProvider& in_;
    QueueDevice device_;
    std::unique_ptr<Stack> stack_;
    SocketOptions options_;
    Instant now_ = Instant{0} + std::chrono::seconds(100);
    int listener_ = 0;
    int sock_ = 0;
    uint16_t local_port_ = kStackPort;
    uint16_t peer_port_ = kPeerPort;

    // The peer: what it offers and how far it has sent.
    std::optional<uint16_t> mss_;
    std::optional<uint8_t> wscale_;
    uint8_t peer_wscale_ = 0;
    bool sack_ = true;
    bool ts_ = true;
    SeqNum peer_iss_;
    SeqNum peer_nxt_;   // where its next in-order segment starts
    SeqNum peer_end_;   // the highest sequence end it has sent near the connection's stream
    bool irs_known_ = false;
    SeqNum irs_;        // the peer SYN the stack's connection took
    int tracked_sock_ = 0;  // the socket irs_ and app_read_ describe
    uint32_t last_tsval_ = 0;

    // The stack, as seen on the wire.
    bool iss_known_ = false;
    SeqNum stack_iss_;
    SeqNum stack_max_;
    uint32_t app_sent_ = 0;
    uint32_t app_read_ = 0;
};

}  // namespace
}  // namespace ustack

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    ustack::Session(in).run();
    return 0;
}

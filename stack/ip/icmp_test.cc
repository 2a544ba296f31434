// ICMP and input validation, driven with hand-built frames over the in-memory pair.
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "netdev/pair.h"
#include "stack/ip/reassembly.h"
#include "stack/stack.h"
#include "stack/wire/arp.h"
#include "stack/wire/checksum.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/udp.h"

namespace ustack {
namespace {

using namespace wire;

const MacAddr kStackMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x02}};
const Ipv4Addr kStackIp = Ipv4Addr::from_octets(192, 168, 7, 2);
const Ipv4Addr kPeerIp = Ipv4Addr::from_octets(192, 168, 7, 1);

class RawPeer : public ::testing::Test {
protected:
    RawPeer() {
        auto [a, b] = netdev::PairDevice::create();
        peer_ = std::move(a);
        dev_ = std::move(b);
        stack_ = std::make_unique<Stack>(StackConfig{{kStackIp, 24}, std::nullopt, kStackMac, 3}, *dev_, now_);
        stack_->poll(now_);
        announcement_ = frames_out();
    }

    void inject(const std::vector<std::byte>& frame) {
        ConstBytes f[] = {frame};
        ASSERT_EQ(peer_->send(f), 1);
        stack_->poll(now_);
    }
    std::vector<std::vector<std::byte>> frames_out() {
        std::vector<std::vector<std::byte>> out;
        std::vector<std::byte> buf(2048);
        for (;;) {
            netdev::RxSlot slot{buf};
            if (peer_->receive(std::span(&slot, 1)) != 1) break;
            out.emplace_back(buf.begin(), buf.begin() + static_cast<long>(slot.len));
        }
        return out;
    }
    // An IPv4 frame from the peer to the stack with the given protocol and L4 bytes.
    static std::vector<std::byte> ip_frame(uint8_t proto, const std::vector<std::byte>& l4, Ipv4Addr dst = kStackIp) {
        std::vector<std::byte> f(EthernetRepr::kHeaderLen + Ipv4Repr::kHeaderLen + l4.size());
        EthernetRepr{kStackMac, kPeerMac, ethertype::kIpv4}.emit(f);
        Ipv4Repr{kPeerIp, dst, proto, static_cast<uint16_t>(l4.size()), 64, 0, 1, false}.emit(std::span(f).subspan(14));
        std::memcpy(f.data() + 34, l4.data(), l4.size());
        return f;
    }
    static std::vector<std::byte> echo_request(uint16_t ident, uint16_t seq, std::vector<std::byte> data) {
        IcmpRepr req{icmptype::kEchoRequest, 0, (uint32_t{ident} << 16) | seq, data};
        std::vector<std::byte> l4(req.len());
        req.emit(l4);
        return l4;
    }
    void teach_arp() {
        std::vector<std::byte> f(EthernetRepr::kHeaderLen + ArpRepr::kLen);
        EthernetRepr{MacAddr::broadcast(), kPeerMac, ethertype::kArp}.emit(f);
        ArpRepr{ArpOp::kRequest, kPeerMac, kPeerIp, MacAddr{}, kStackIp}.emit(std::span(f).subspan(14));
        inject(f);
    }

    Instant now_{std::chrono::seconds(5)};
    std::vector<std::vector<std::byte>> announcement_;
    std::unique_ptr<netdev::PairDevice> peer_, dev_;
    std::unique_ptr<Stack> stack_;
};

TEST_F(RawPeer, StartUpSendsOneArpAnnouncement) {
    ASSERT_EQ(announcement_.size(), 1u);
    auto eth = EthernetView::parse(announcement_[0]);
    ASSERT_TRUE(eth);
    EXPECT_TRUE(eth->dst().is_broadcast());
    auto arp = ArpRepr::parse(eth->payload());
    ASSERT_TRUE(arp);
    EXPECT_EQ(arp->op, ArpOp::kRequest);
    EXPECT_EQ(arp->sender_ip, kStackIp);  // RFC 5227 2.3: sender and target are both us
    EXPECT_EQ(arp->target_ip, kStackIp);
    EXPECT_EQ(arp->sender_mac, kStackMac);
}

TEST_F(RawPeer, ArpRequestForOurAddressGetsAReply) {
    teach_arp();
    auto out = frames_out();
    ASSERT_EQ(out.size(), 1u);
    auto eth = EthernetView::parse(out[0]);
    ASSERT_TRUE(eth);
    EXPECT_EQ(eth->dst(), kPeerMac);
    EXPECT_EQ(eth->ethertype(), ethertype::kArp);
    auto arp = ArpRepr::parse(eth->payload());
    ASSERT_TRUE(arp);
    EXPECT_EQ(arp->op, ArpOp::kReply);
    EXPECT_EQ(arp->sender_mac, kStackMac);
    EXPECT_EQ(arp->sender_ip, kStackIp);
    EXPECT_EQ(arp->target_ip, kPeerIp);
}

TEST_F(RawPeer, ArpRequestForAnotherAddressIsIgnored) {
    std::vector<std::byte> f(EthernetRepr::kHeaderLen + ArpRepr::kLen);
    EthernetRepr{MacAddr::broadcast(), kPeerMac, ethertype::kArp}.emit(f);
    ArpRepr{ArpOp::kRequest, kPeerMac, kPeerIp, MacAddr{}, Ipv4Addr::from_octets(192, 168, 7, 50)}.emit(std::span(f).subspan(14));
    inject(f);
    EXPECT_TRUE(frames_out().empty());
}

TEST_F(RawPeer, EchoRequestGetsEchoReplyWithSameIdSeqAndData) {
    teach_arp();
    frames_out();
    std::vector<std::byte> data(56);
    for (size_t i = 0; i < data.size(); ++i) data[i] = std::byte(i);
    inject(ip_frame(ipproto::kIcmp, echo_request(0x1234, 7, data)));
    auto out = frames_out();
    ASSERT_EQ(out.size(), 1u);
    auto eth = EthernetView::parse(out[0]);
    auto ip = Ipv4View::parse(eth->payload());
    ASSERT_TRUE(ip);
    EXPECT_TRUE(ip->checksum_valid());
    EXPECT_EQ(ip->src(), kStackIp);
    EXPECT_EQ(ip->dst(), kPeerIp);
    auto icmp = IcmpView::parse(ip->payload());
    ASSERT_TRUE(icmp);
    EXPECT_TRUE(icmp->checksum_valid());
    EXPECT_EQ(icmp->type(), icmptype::kEchoReply);
    EXPECT_EQ(icmp->echo_ident(), 0x1234);
    EXPECT_EQ(icmp->echo_seq(), 7);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), icmp->payload().begin(), icmp->payload().end()));
    EXPECT_EQ(stack_->counters().icmp_echo_replies_sent, 1u);
}

TEST_F(RawPeer, EchoRequestWithBadChecksumIsCountedAndDropped) {
    teach_arp();
    frames_out();
    auto l4 = echo_request(1, 1, std::vector<std::byte>(8));
    l4[2] ^= std::byte{0xff};
    inject(ip_frame(ipproto::kIcmp, l4));
    EXPECT_TRUE(frames_out().empty());
    EXPECT_EQ(stack_->counters().icmp_rx_malformed, 1u);
}

TEST_F(RawPeer, UdpToClosedPortQuotesTheOffendingDatagram) {
    teach_arp();
    frames_out();
    std::vector<std::byte> l4(8 + 5);
    std::memcpy(l4.data() + 8, "probe", 5);
    UdpRepr{40000, 9}.emit(l4, kPeerIp, kStackIp, 5);
    const auto sent = ip_frame(ipproto::kUdp, l4);
    inject(sent);
    auto out = frames_out();
    ASSERT_EQ(out.size(), 1u);
    auto ip = Ipv4View::parse(EthernetView::parse(out[0])->payload());
    auto icmp = IcmpView::parse(ip->payload());
    ASSERT_TRUE(icmp);
    EXPECT_TRUE(icmp->checksum_valid());
    EXPECT_EQ(icmp->type(), icmptype::kDestUnreachable);
    EXPECT_EQ(icmp->code(), icmpcode::kPortUnreachable);
    // RFC 792: the original IP header and (at least) the first 8 bytes of its data.
    ASSERT_GE(icmp->payload().size(), 28u);
    EXPECT_TRUE(std::equal(sent.begin() + 14, sent.begin() + 14 + 28, icmp->payload().begin()));
}

TEST_F(RawPeer, UdpToBroadcastClosedPortGetsNoIcmp) {
    teach_arp();
    frames_out();
    std::vector<std::byte> l4(8);
    UdpRepr{40000, 9}.emit(l4, kPeerIp, Ipv4Addr::broadcast(), 0);
    inject(ip_frame(ipproto::kUdp, l4, Ipv4Addr::broadcast()));
    EXPECT_TRUE(frames_out().empty());  // RFC 1122 3.2.2
}

TEST_F(RawPeer, MalformedInputIsCountedNeverAnswered) {
    inject(std::vector<std::byte>(5));                               // shorter than Ethernet
    std::vector<std::byte> runt(EthernetRepr::kHeaderLen + 10);      // IPv4 too short
    EthernetRepr{kStackMac, kPeerMac, ethertype::kIpv4}.emit(runt);
    inject(runt);
    auto bad_sum = ip_frame(ipproto::kUdp, std::vector<std::byte>(8));
    bad_sum[14 + 10] ^= std::byte{1};                                // header checksum
    inject(bad_sum);
    auto other = ip_frame(ipproto::kUdp, std::vector<std::byte>(8), Ipv4Addr::from_octets(192, 168, 7, 77));
    inject(other);
    EXPECT_TRUE(frames_out().empty());
    const Counters& c = stack_->counters();
    EXPECT_EQ(c.link_rx_malformed, 1u);
    EXPECT_EQ(c.ip_rx_malformed, 1u);
    EXPECT_EQ(c.ip_rx_bad_checksum, 1u);
    EXPECT_EQ(c.ip_rx_not_for_us, 1u);
}

// A UDP datagram from the peer to the stack, cut into fragments of at most `chunk` data bytes.
std::vector<std::vector<std::byte>> udp_fragments(uint16_t dst_port, const std::vector<std::byte>& data, size_t chunk,
                                                  uint16_t ident) {
    std::vector<std::byte> l4(8 + data.size());
    std::memcpy(l4.data() + 8, data.data(), data.size());
    UdpRepr{40000, dst_port}.emit(l4, kPeerIp, kStackIp, data.size());
    std::vector<std::vector<std::byte>> frames;
    for (size_t off = 0; off < l4.size(); off += chunk) {
        const size_t len = std::min(chunk, l4.size() - off);
        const bool more = off + len < l4.size();
        std::vector<std::byte> f(14 + 20 + len);
        EthernetRepr{kStackMac, kPeerMac, ethertype::kIpv4}.emit(f);
        auto ip = std::span(f).subspan(14);
        Ipv4Repr{kPeerIp, kStackIp, ipproto::kUdp, static_cast<uint16_t>(len), 64, 0, ident, false}.emit(ip);
        store_be16(ip, 6, static_cast<uint16_t>((more ? 0x2000 : 0) | (off / 8)));
        store_be16(ip, 10, 0);
        store_be16(ip, 10, internet_checksum(ip.first(20)));
        std::memcpy(f.data() + 34, l4.data() + off, len);
        frames.push_back(std::move(f));
    }
    return frames;
}

TEST_F(RawPeer, FragmentedUdpDatagramIsReassembledForTheSocket) {
    const int sock = stack_->socket(SocketKind::kUdp);
    ASSERT_EQ(stack_->bind(sock, Endpoint{Ipv4Addr::any(), 9}), 0);
    std::vector<std::byte> data(8000);
    for (size_t i = 0; i < data.size(); ++i) data[i] = std::byte(i * 13);
    auto frames = udp_fragments(9, data, 1480, 77);
    ASSERT_EQ(frames.size(), 6u);
    std::swap(frames[1], frames[4]);  // out of order
    for (const auto& f : frames) inject(f);
    std::vector<std::byte> got(9000);
    MutableBytes bufs[] = {got};
    Endpoint from;
    ASSERT_EQ(stack_->recv(sock, bufs, &from, 0, now_), 8000);
    got.resize(8000);
    EXPECT_EQ(got, data);
    EXPECT_EQ(from, (Endpoint{kPeerIp, 40000}));
    EXPECT_EQ(stack_->counters().ip_reasm_reqds, 6u);
    EXPECT_EQ(stack_->counters().ip_reasm_oks, 1u);
}

TEST_F(RawPeer, ReassemblyTimeoutSendsTimeExceededQuotingTheFirstFragment) {
    teach_arp();
    frames_out();
    const auto frames = udp_fragments(9, std::vector<std::byte>(3000), 1480, 78);
    inject(frames[0]);
    inject(frames[2]);  // the middle one never comes
    EXPECT_TRUE(frames_out().empty());
    ASSERT_EQ(stack_->next_deadline(), now_ + std::chrono::seconds(30));
    stack_->poll(now_ + std::chrono::seconds(30));
    auto out = frames_out();
    ASSERT_EQ(out.size(), 1u);
    auto ip = Ipv4View::parse(EthernetView::parse(out[0])->payload());
    ASSERT_TRUE(ip);
    auto icmp = IcmpView::parse(ip->payload());
    ASSERT_TRUE(icmp);
    EXPECT_TRUE(icmp->checksum_valid());
    EXPECT_EQ(icmp->type(), icmptype::kTimeExceeded);
    EXPECT_EQ(icmp->code(), 1);
    ASSERT_GE(icmp->payload().size(), 28u);
    EXPECT_TRUE(std::equal(frames[0].begin() + 14, frames[0].begin() + 14 + 28, icmp->payload().begin()));
    EXPECT_EQ(stack_->counters().ip_reasm_timeouts, 1u);
    EXPECT_EQ(stack_->counters().icmp_time_exceeded_sent, 1u);
}

TEST_F(RawPeer, ReassemblyTimeoutWithoutTheFirstFragmentIsSilent) {
    teach_arp();
    frames_out();
    const auto frames = udp_fragments(9, std::vector<std::byte>(3000), 1480, 79);
    inject(frames[1]);
    stack_->poll(now_ + std::chrono::seconds(30));
    EXPECT_TRUE(frames_out().empty());
    EXPECT_EQ(stack_->counters().ip_reasm_timeouts, 1u);
}

// The IP packets in frames the stack sent.
std::vector<std::vector<std::byte>> ip_packets(const std::vector<std::vector<std::byte>>& frames) {
    std::vector<std::vector<std::byte>> out;
    for (const auto& f : frames) {
        auto eth = EthernetView::parse(f);
        if (eth && eth->ethertype() == ethertype::kIpv4) out.emplace_back(eth->payload().begin(), eth->payload().end());
    }
    return out;
}

TEST_F(RawPeer, UdpDatagramLargerThanTheMtuGoesAsFragments) {
    teach_arp();
    frames_out();
    const int sock = stack_->socket(SocketKind::kUdp);
    std::vector<std::byte> data(8000);
    for (size_t i = 0; i < data.size(); ++i) data[i] = std::byte(i * 5);
    const Endpoint to{kPeerIp, 7};
    ConstBytes bufs[] = {data};
    ASSERT_EQ(stack_->send(sock, bufs, &to, 0, now_), 8000);
    stack_->poll(now_);
    const auto packets = ip_packets(frames_out());
    ASSERT_EQ(packets.size(), 6u);  // 8008 bytes of UDP in 1480-byte pieces
    Counters c;
    ip::Reassembler r{c};
    std::optional<ConstBytes> whole;
    for (size_t i = 0; i < packets.size(); ++i) {
        auto ip = Ipv4View::parse(packets[i]);
        ASSERT_TRUE(ip);
        EXPECT_TRUE(ip->checksum_valid());
        EXPECT_LE(ip->total_len(), 1500);
        EXPECT_FALSE(ip->dont_fragment());
        EXPECT_EQ(ip->more_fragments(), i + 1 < packets.size());
        EXPECT_EQ(ip->fragment_offset_bytes(), i * 1480);
        EXPECT_EQ(ip->ident(), Ipv4View::parse(packets[0])->ident());
        whole = r.add(*ip, now_);
    }
    ASSERT_TRUE(whole);
    auto ip = Ipv4View::parse(*whole);
    auto udp = UdpView::parse(ip->payload());
    ASSERT_TRUE(udp);
    EXPECT_TRUE(udp->checksum_valid(kStackIp, kPeerIp));
    EXPECT_TRUE(std::equal(data.begin(), data.end(), udp->payload().begin(), udp->payload().end()));
    EXPECT_EQ(stack_->counters().ip_frag_oks, 1u);
    EXPECT_EQ(stack_->counters().ip_frag_creates, 6u);
}

TEST_F(RawPeer, UdpDatagramThatFitsCarriesDontFragmentAsLinux) {
    teach_arp();
    frames_out();
    const int sock = stack_->socket(SocketKind::kUdp);
    std::vector<std::byte> data(1472);  // exactly fills 1500
    const Endpoint to{kPeerIp, 7};
    ConstBytes bufs[] = {data};
    ASSERT_EQ(stack_->send(sock, bufs, &to, 0, now_), 1472);
    stack_->poll(now_);
    const auto packets = ip_packets(frames_out());
    ASSERT_EQ(packets.size(), 1u);
    auto ip = Ipv4View::parse(packets[0]);
    EXPECT_TRUE(ip->dont_fragment());  // IP_PMTUDISC_WANT: DF when it fits
    EXPECT_FALSE(ip->is_fragment());
    const std::vector<std::byte> too_big(65508);
    ConstBytes big[] = {too_big};
    EXPECT_EQ(stack_->send(sock, big, &to, 0, now_), -EMSGSIZE);
}

TEST_F(RawPeer, LargeEchoRequestInFragmentsGetsAFragmentedReply) {
    teach_arp();
    frames_out();
    // A 4000-byte ping (as `ping -s 4000`): the request arrives in fragments.
    std::vector<std::byte> data(4000);
    for (size_t i = 0; i < data.size(); ++i) data[i] = std::byte(i);
    const auto l4 = echo_request(0x99, 1, data);
    for (size_t off = 0; off < l4.size(); off += 1480) {
        const size_t len = std::min<size_t>(1480, l4.size() - off);
        std::vector<std::byte> f(34 + len);
        EthernetRepr{kStackMac, kPeerMac, ethertype::kIpv4}.emit(f);
        auto ip = std::span(f).subspan(14);
        Ipv4Repr{kPeerIp, kStackIp, ipproto::kIcmp, static_cast<uint16_t>(len), 64, 0, 5, false}.emit(ip);
        store_be16(ip, 6, static_cast<uint16_t>((off + len < l4.size() ? 0x2000 : 0) | (off / 8)));
        store_be16(ip, 10, 0);
        store_be16(ip, 10, internet_checksum(ip.first(20)));
        std::memcpy(f.data() + 34, l4.data() + off, len);
        inject(f);
    }
    const auto packets = ip_packets(frames_out());
    ASSERT_EQ(packets.size(), 3u);
    Counters c;
    ip::Reassembler r{c};
    std::optional<ConstBytes> whole;
    for (const auto& p : packets) whole = r.add(*Ipv4View::parse(p), now_);
    ASSERT_TRUE(whole);
    auto icmp = IcmpView::parse(Ipv4View::parse(*whole)->payload());
    ASSERT_TRUE(icmp);
    EXPECT_TRUE(icmp->checksum_valid());
    EXPECT_EQ(icmp->type(), icmptype::kEchoReply);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), icmp->payload().begin(), icmp->payload().end()));
}

TEST_F(RawPeer, FragNeededForUdpCutsTheNextDatagramsToThePathMtu) {
    teach_arp();
    frames_out();
    const int sock = stack_->socket(SocketKind::kUdp);
    const std::vector<std::byte> data(1400);
    const Endpoint to{kPeerIp, 7};
    ConstBytes bufs[] = {data};
    ASSERT_EQ(stack_->send(sock, bufs, &to, 0, now_), 1400);
    stack_->poll(now_);
    auto sent = ip_packets(frames_out());
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_TRUE(Ipv4View::parse(sent[0])->dont_fragment());
    // A router answers: fragmentation needed, next hop 1280.
    std::vector<std::byte> quote(sent[0].begin(), sent[0].begin() + 28);
    IcmpRepr msg{icmptype::kDestUnreachable, icmpcode::kFragmentationNeeded, 1280, quote};
    std::vector<std::byte> l4(msg.len());
    msg.emit(l4);
    inject(ip_frame(ipproto::kIcmp, l4));
    EXPECT_EQ(stack_->counters().ip_pmtu_updates, 1u);
    ASSERT_EQ(stack_->send(sock, bufs, &to, 0, now_), 1400);
    stack_->poll(now_);
    sent = ip_packets(frames_out());
    ASSERT_EQ(sent.size(), 2u);  // 1408 bytes of UDP: 1256 + 152
    for (const auto& p : sent) {
        auto ip = Ipv4View::parse(p);
        EXPECT_LE(ip->total_len(), 1280);
        EXPECT_FALSE(ip->dont_fragment());
    }
    // Ten minutes later the entry has expired (Linux ip_rt_mtu_expires): whole datagrams again.
    stack_->poll(now_ + std::chrono::minutes(10));
    ASSERT_EQ(stack_->send(sock, bufs, &to, 0, now_ + std::chrono::minutes(10)), 1400);
    stack_->poll(now_ + std::chrono::minutes(10));
    sent = ip_packets(frames_out());
    EXPECT_EQ(sent.size(), 1u);
}

// IP_MTU_DISCOVER other than the default (stack/ip/pmtu_discovery.h has every mode's rule).
TEST_F(RawPeer, PmtuDiscoveryDoRefusesWhatDoesNotFitAndSendsTheRestWithDf) {
    teach_arp();
    frames_out();
    const int sock = stack_->socket(SocketKind::kUdp);
    SocketOptions o = stack_->get_options(sock);
    o.pmtu_discovery = PmtuDiscovery::kDo;
    ASSERT_EQ(stack_->set_options(sock, o), 0);
    const Endpoint to{kPeerIp, 7};
    const std::vector<std::byte> over(1473), fits(1472);
    ConstBytes big[] = {over};
    EXPECT_EQ(stack_->send(sock, big, &to, 0, now_), -EMSGSIZE);
    ConstBytes ok[] = {fits};
    ASSERT_EQ(stack_->send(sock, ok, &to, 0, now_), 1472);
    stack_->poll(now_);
    const auto sent = ip_packets(frames_out());
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_TRUE(Ipv4View::parse(sent[0])->dont_fragment());
}

TEST_F(RawPeer, PmtuDiscoveryDontSendsWithoutDf) {
    teach_arp();
    frames_out();
    const int sock = stack_->socket(SocketKind::kUdp);
    SocketOptions o = stack_->get_options(sock);
    o.pmtu_discovery = PmtuDiscovery::kDont;
    ASSERT_EQ(stack_->set_options(sock, o), 0);
    const Endpoint to{kPeerIp, 7};
    const std::vector<std::byte> data(100);
    ConstBytes bufs[] = {data};
    ASSERT_EQ(stack_->send(sock, bufs, &to, 0, now_), 100);
    stack_->poll(now_);
    const auto sent = ip_packets(frames_out());
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_FALSE(Ipv4View::parse(sent[0])->dont_fragment());
}

TEST_F(RawPeer, PmtuDiscoveryOmitFragmentsToTheDeviceMtuNotThePath) {
    teach_arp();
    frames_out();
    const int sock = stack_->socket(SocketKind::kUdp);
    SocketOptions o = stack_->get_options(sock);
    o.pmtu_discovery = PmtuDiscovery::kOmit;
    ASSERT_EQ(stack_->set_options(sock, o), 0);
    const Endpoint to{kPeerIp, 7};
    const std::vector<std::byte> data(1400);
    ConstBytes bufs[] = {data};
    ASSERT_EQ(stack_->send(sock, bufs, &to, 0, now_), 1400);
    stack_->poll(now_);
    auto sent = ip_packets(frames_out());
    ASSERT_EQ(sent.size(), 1u);
    std::vector<std::byte> quote(sent[0].begin(), sent[0].begin() + 28);
    IcmpRepr msg{icmptype::kDestUnreachable, icmpcode::kFragmentationNeeded, 1280, quote};
    std::vector<std::byte> l4(msg.len());
    msg.emit(l4);
    inject(ip_frame(ipproto::kIcmp, l4));
    ASSERT_EQ(stack_->path_mtu(kPeerIp), 1280u);
    ASSERT_EQ(stack_->send(sock, bufs, &to, 0, now_), 1400);
    stack_->poll(now_);
    sent = ip_packets(frames_out());
    ASSERT_EQ(sent.size(), 1u);  // 1428 bytes fit the device's 1500
    EXPECT_FALSE(Ipv4View::parse(sent[0])->dont_fragment());
}

}  // namespace
}  // namespace ustack

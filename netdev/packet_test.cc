// AF_PACKET devices on a veth, against the kernel on the veth's other end, each test in its
// own network namespace (needs root).
#include "netdev/packet.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "netdev/netns_fixture.h"
#include "stack/stack.h"

namespace ustack::netdev {
namespace {

using testing::in_new_netns;
using testing::sh;

// va (ours, no address) <-> vb (the kernel's, 10.9.1.1/24).
constexpr testing::Mac kOurMac = {0x02, 0, 0, 0, 0, 0x0a};
constexpr testing::Ip4 kKernelIp = {10, 9, 1, 1};
constexpr testing::Ip4 kOurIp = {10, 9, 1, 2};

#define REQUIRE_ROOT() \
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces and veths"

std::string make_veth() {
    if (auto e = sh("ip link add va address 02:00:00:00:00:0a type veth peer name vb && "
                    "ip addr add 10.9.1.1/24 dev vb && ip link set vb up && ip link set va up");
        !e.empty()) {
        return e;
    }
    if (auto e = testing::wait_link_ready("va"); !e.empty()) return e;
    return testing::wait_link_ready("vb");
}

bool arp_reply_for_us(std::span<const std::byte> f) { return testing::is_arp_reply(f, kKernelIp, kOurMac, kOurIp); }

std::string send_arp_request(Device& dev) {
    auto request = testing::arp_request(kOurMac, kOurIp, kKernelIp);
    ConstBytes frames[] = {request};
    int n = dev.send(frames);
    return n == 1 ? "" : "send returned " + std::to_string(n);
}

// How frames cross the socket: every behaviour below holds on each path.
struct Path {
    const char* name;
    PacketRings rings;
    bool block_ring;  // TPACKET_V3 receive ring (then sendmmsg)
};
constexpr Path kPaths[] = {
    {"Syscalls", PacketRings::kNone, false},     // recvmmsg and sendmmsg
    {"RxRing", PacketRings::kRx, false},         // TPACKET_V2 receive ring, sendmmsg
    {"TxRing", PacketRings::kTx, false},         // recvmmsg, TPACKET_V2 transmit ring
    {"FrameRings", PacketRings::kBoth, false},   // TPACKET_V2 receive and transmit rings
    {"BlockRing", PacketRings::kNone, true},     // TPACKET_V3 receive ring, sendmmsg
};

class PacketDeviceOn : public ::testing::TestWithParam<Path> {
protected:
    // Fails when the kernel refused the rings asked for: the device would fall back to
    // recvmmsg/sendmmsg and the test would not test the path it names.
    static PacketDevice::Result open_va(bool offloads = true) {
        auto r = PacketDevice::open("va", offloads, GetParam().rings, GetParam().block_ring);
        if (r.device && (r.device->rings() != GetParam().rings || r.device->has_block_ring() != GetParam().block_ring)) {
            return {nullptr, std::string("the kernel refused the rings of path ") + GetParam().name};
        }
        return r;
    }
};

INSTANTIATE_TEST_SUITE_P(Paths, PacketDeviceOn, ::testing::ValuesIn(kPaths),
                         [](const ::testing::TestParamInfo<Path>& p) { return std::string(p.param.name); });

TEST(PacketDevice, IsNamedAfterItsInterface) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  auto r = open_device("packet:va");
                  if (!r.device) return r.error;
                  return r.device->name() == "packet:va" ? "" : "name " + r.device->name();
              }),
              "");
}

TEST_P(PacketDeviceOn, ExchangesArpWithTheKernelOnTheVethPeer) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  auto r = open_va();
                  if (!r.device) return r.error;
                  if (auto e = send_arp_request(*r.device); !e.empty()) return e;
                  return testing::receive_until(*r.device, arp_reply_for_us) ? "" : std::string("no ARP reply");
              }),
              "");
}

TEST(PacketDevice, HardwareAddressAndMtuAreTheInterfaces) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  if (auto e = sh("ip link set va mtu 1400"); !e.empty()) return e;
                  auto r = open_device("packet:va");
                  if (!r.device) return r.error;
                  auto mac = r.device->hw_addr();
                  if (!mac || mac->octets != kOurMac) return std::string("wrong or missing MAC");
                  return r.device->mtu() == 1400 ? "" : "mtu " + std::to_string(r.device->mtu());
              }),
              "");
}

TEST_P(PacketDeviceOn, DoesNotReceiveItsOwnSends) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  auto r = open_va();
                  if (!r.device) return r.error;
                  // Our request goes out first; the kernel's reply comes back after it, so by
                  // the time the reply is in, a looped-back copy of the request would be too.
                  if (auto e = send_arp_request(*r.device); !e.empty()) return e;
                  std::vector<testing::Received> seen;
                  if (!testing::receive_until(*r.device, arp_reply_for_us, &seen)) return std::string("no ARP reply");
                  for (const auto& f : seen) {
                      if (std::memcmp(f.bytes.data() + 6, kOurMac.data(), 6) == 0) {
                          return std::string("received a frame we sent");
                      }
                  }
                  return std::string();
              }),
              "");
}

TEST_P(PacketDeviceOn, FramesWithChecksumsLeftToOffloadAreMarkedPartial) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  if (auto e = sh("ip neigh add 10.9.1.2 lladdr 02:00:00:00:00:0a dev vb"); !e.empty()) return e;
                  auto r = open_va();
                  if (!r.device) return r.error;
                  // The kernel's UDP over a veth leaves the checksum for an offload that never runs.
                  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                  sockaddr_in to{};
                  to.sin_family = AF_INET;
                  to.sin_port = htons(9999);
                  std::memcpy(&to.sin_addr, kOurIp.data(), 4);
                  if (sendto(s, "hello", 5, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) != 5) {
                      return std::string("sendto failed");
                  }
                  close(s);
                  auto udp = testing::receive_until(*r.device, [](std::span<const std::byte> f) {
                      return f.size() > 23 && f[12] == std::byte{0x08} && f[13] == std::byte{0x00} &&
                             f[23] == std::byte{17};
                  });
                  if (!udp) return std::string("no UDP frame");
                  return udp->checksum_partial ? "" : std::string("UDP frame not marked checksum_partial");
              }),
              "");
}

TEST_P(PacketDeviceOn, FramesWithFinishedChecksumsAreNotMarkedPartial) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  auto r = open_va();
                  if (!r.device) return r.error;
                  if (auto e = send_arp_request(*r.device); !e.empty()) return e;
                  auto reply = testing::receive_until(*r.device, arp_reply_for_us);
                  if (!reply) return std::string("no ARP reply");
                  return reply->checksum_partial ? std::string("ARP reply marked checksum_partial") : "";
              }),
              "");
}

TEST_P(PacketDeviceOn, FrameLongerThanTheSlotIsDroppedAndCounted) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  auto r = open_va();
                  if (!r.device) return r.error;
                  if (auto e = send_arp_request(*r.device); !e.empty()) return e;
                  if (!testing::wait_readable(r.device->wait_fd())) return std::string("no reply arrived");
                  std::vector<std::byte> buf(20);  // shorter than any ARP reply
                  RxSlot slot{buf};
                  if (int n = r.device->receive({&slot, 1}); n != 0) return "receive returned " + std::to_string(n);
                  return r.device->counters().rx_oversize == 1 ? "" : std::string("oversize frame not counted");
              }),
              "");
}

TEST(PacketDevice, OffloadsAreOnUnlessTurnedOff) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  auto on = open_device("packet:va");
                  if (!on.device) return on.error;
                  Offloads o = on.device->offloads();
                  if (!o.rx_checksum || !o.tx_checksum || !o.tso4) return std::string("offloads not all on");
                  auto off = open_device("packet:va", false);
                  if (!off.device) return off.error;
                  o = off.device->offloads();
                  return o.rx_checksum || o.tx_checksum || o.tso4 ? std::string("offloads on with offloads=false") : "";
              }),
              "");
}

// The one's-complement sum of bytes as 16-bit big-endian words, folded (RFC 1071).
uint32_t sum16(std::span<const std::byte> b, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < b.size(); i += 2) sum += (uint32_t{uint8_t(b[i])} << 8) | uint8_t(b[i + 1]);
    if (b.size() % 2) sum += uint32_t{uint8_t(b.back())} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

uint32_t tcp_pseudo_sum(std::span<const std::byte> ip, size_t tcp_len) {
    uint32_t sum = sum16(ip.subspan(12, 8));
    sum += 6 + tcp_len;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

// A TCP/IPv4 frame from us to the kernel's address with payload_len bytes, its TCP checksum
// left partial (the pseudo-header sum, not complemented) as the stack leaves it with offloads.
std::vector<std::byte> tcp_frame_with_partial_checksum(size_t payload_len, testing::Mac to) {
    std::vector<std::byte> f(14 + 20 + 20 + payload_len);
    auto put = [&](size_t at, std::initializer_list<int> bytes) {
        for (int b : bytes) f[at++] = std::byte(b);
    };
    for (size_t i = 0; i < 6; ++i) f[i] = std::byte(to[i]), f[6 + i] = std::byte(kOurMac[i]);
    put(12, {0x08, 0x00});
    const size_t ip_len = 20 + 20 + payload_len;
    put(14, {0x45, 0, int(ip_len >> 8), int(ip_len & 0xff), 0, 0, 0x40, 0, 64, 6, 0, 0});
    put(26, {kOurIp[0], kOurIp[1], kOurIp[2], kOurIp[3], kKernelIp[0], kKernelIp[1], kKernelIp[2], kKernelIp[3]});
    const uint32_t ip_sum = ~sum16(std::span(f).subspan(14, 20)) & 0xffff;
    put(24, {int(ip_sum >> 8), int(ip_sum & 0xff)});
    put(34, {0x30, 0x39, 0x00, 0x09, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff});  // PSH|ACK
    for (size_t i = 0; i < payload_len; ++i) f[54 + i] = std::byte(i * 7);
    const uint32_t partial = tcp_pseudo_sum(std::span(f).subspan(14), 20 + payload_len);
    put(50, {int(partial >> 8), int(partial & 0xff)});
    return f;
}

// With offloads a TCP frame of 3 MTUs goes out as one TSO super-frame; the kernel cuts it into
// MTU-sized segments and completes their checksums (the veth's own TSO and checksum offloads
// are off here, so that happens before vb sees them, as on a NIC).
TEST_P(PacketDeviceOn, ATcpSuperFrameLeavesAsMtuSizedSegmentsWithGoodChecksums) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  if (auto e = sh("ethtool -K va tx off tso off gso off >/dev/null"); !e.empty()) return e;
                  auto r = open_va();
                  if (!r.device) return r.error;
                  // The kernel side: a plain packet socket on vb sees what arrives there.
                  int k = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_IP));
                  sockaddr_ll sll{};
                  sll.sll_family = AF_PACKET;
                  sll.sll_protocol = htons(ETH_P_IP);
                  sll.sll_ifindex = static_cast<int>(if_nametoindex("vb"));
                  if (k < 0 || bind(k, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
                      return std::string("cannot capture on vb");
                  }
                  testing::Mac vb_mac{};  // any unicast MAC works: vb takes frames for its own only
                  if (auto e = sh("ip link set vb address 02:00:00:00:00:0b"); !e.empty()) return e;
                  vb_mac = {0x02, 0, 0, 0, 0, 0x0b};
                  const size_t payload = 3 * 1460 - 100;
                  auto frame = tcp_frame_with_partial_checksum(payload, vb_mac);
                  ConstBytes frames[] = {frame};
                  if (int n = r.device->send(frames); n != 1) return "send returned " + std::to_string(n);
                  size_t segments = 0, bytes = 0;
                  std::vector<std::byte> buf(70000);
                  while (bytes < payload && testing::wait_readable(k)) {
                      ssize_t n = recv(k, buf.data(), buf.size(), 0);
                      if (n < 54 || buf[23] != std::byte{6}) continue;
                      if (n > 1514) return "a frame of " + std::to_string(n) + " bytes reached vb";
                      std::span<const std::byte> ip(buf.data() + 14, static_cast<size_t>(n) - 14);
                      const size_t tcp_len = ip.size() - 20;
                      if (sum16(ip.subspan(20), tcp_pseudo_sum(ip, tcp_len)) != 0xffff) {
                          return "segment " + std::to_string(segments) + " has a bad TCP checksum";
                      }
                      ++segments;
                      bytes += tcp_len - 20;
                  }
                  close(k);
                  if (bytes != payload) return "vb got " + std::to_string(bytes) + " payload bytes";
                  return segments == 3 ? "" : "vb got " + std::to_string(segments) + " segments, not 3";
              }),
              "");
}

// The stack over AF_PACKET accepts a datagram whose UDP checksum the kernel on the veth peer
// left to an offload that never runs (CHECKSUM_PARTIAL): with PACKET_VNET_HDR it is marked by
// VIRTIO_NET_HDR_F_NEEDS_CSUM, without by TP_STATUS_CSUMNOTREADY. Treating it as a bad
// checksum would drop every UDP datagram and TCP segment from a local veth peer.
TEST_P(PacketDeviceOn, AChecksumLeftPartialByTheVethPeerIsAccepted) {
    REQUIRE_ROOT();
    for (bool offloads : {true, false}) {
        EXPECT_EQ(in_new_netns([offloads] {
                      if (auto e = make_veth(); !e.empty()) return e;
                      if (auto e = sh("ip neigh add 10.9.1.2 lladdr 02:00:00:00:00:0a dev vb"); !e.empty()) return e;
                      auto r = open_va(offloads);
                      if (!r.device) return r.error;
                      auto now = [] {
                          return std::chrono::duration_cast<Instant>(std::chrono::steady_clock::now().time_since_epoch());
                      };
                      StackConfig cfg;
                      cfg.address = *wire::Ipv4Cidr::parse("10.9.1.2/24");
                      cfg.mac = *r.device->hw_addr();
                      Stack stack(cfg, *r.device, now());
                      const int sock = stack.socket(SocketKind::kUdp);
                      if (stack.bind(sock, {*Ipv4Addr::parse("10.9.1.2"), 9999}) != 0) return std::string("bind failed");
                      int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                      sockaddr_in to{};
                      to.sin_family = AF_INET;
                      to.sin_port = htons(9999);
                      std::memcpy(&to.sin_addr, kOurIp.data(), 4);
                      if (sendto(s, "hello", 5, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) != 5) {
                          return std::string("sendto failed");
                      }
                      close(s);
                      std::array<std::byte, 64> got{};
                      MutableBytes bufs[] = {got};
                      while (testing::wait_readable(r.device->wait_fd())) {
                          stack.poll(now());
                          if (stack.recv(sock, bufs, nullptr, 0, now()) == 5) {
                              return std::memcmp(got.data(), "hello", 5) == 0 ? "" : std::string("wrong bytes");
                          }
                      }
                      return std::string("the datagram never reached the socket (offloads ") + (offloads ? "on)" : "off)");
                  }),
                  "");
    }
}

// A frame longer than a TPACKET_V2 receive slot (sized for the MTU when the device opened)
// comes whole through the socket queue, in its place among the frames before and after it.
// Raising the MTU afterwards makes the kernel send such frames without needing TSO.
TEST_P(PacketDeviceOn, FramesLongerThanARingSlotArriveWholeAndInOrder) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  if (auto e = sh("ip neigh add 10.9.1.2 lladdr 02:00:00:00:00:0a dev vb"); !e.empty()) return e;
                  auto r = open_va();
                  if (!r.device) return r.error;
                  if (auto e = sh("ip link set va mtu 9000 && ip link set vb mtu 9000"); !e.empty()) return e;
                  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                  sockaddr_in to{};
                  to.sin_family = AF_INET;
                  to.sin_port = htons(9999);
                  std::memcpy(&to.sin_addr, kOurIp.data(), 4);
                  const size_t sizes[] = {100, 8000, 7000, 100, 8000};
                  std::vector<char> payload(8000, 'x');
                  for (size_t n : sizes) {
                      if (sendto(s, payload.data(), n, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) != ssize_t(n)) {
                          return std::string("sendto failed");
                      }
                  }
                  close(s);
                  auto udp_len = [](std::span<const std::byte> f) -> size_t {
                      if (f.size() < 42 || f[12] != std::byte{0x08} || f[13] != std::byte{0x00} || f[23] != std::byte{17}) return 0;
                      return (size_t(f[38]) << 8 | size_t(f[39])) - 8;
                  };
                  size_t next = 0;
                  std::string wrong;
                  testing::receive_until(*r.device, [&](std::span<const std::byte> f) {
                      const size_t n = udp_len(f);
                      if (n == 0) return false;
                      if (n != sizes[next] || f.size() != 42 + n) {
                          wrong = "datagram " + std::to_string(next) + ": " + std::to_string(n) + " payload bytes in a " +
                                  std::to_string(f.size()) + "-byte frame, expected " + std::to_string(sizes[next]);
                          return true;
                      }
                      return ++next == std::size(sizes);
                  });
                  if (!wrong.empty()) return wrong;
                  if (next != std::size(sizes)) return "only " + std::to_string(next) + " datagrams arrived";
                  return r.device->counters().rx_oversize == 0 ? "" : std::string("frames counted oversize");
              }),
              "");
}

// A batch larger than the transmit ring (30 slots) leaves whole and in order: the device
// takes what fits, kicks, and takes the rest as the kernel gives slots back.
TEST_P(PacketDeviceOn, ABatchLargerThanTheTransmitRingLeavesInOrder) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  if (auto e = sh("ip link set vb address 02:00:00:00:00:0b"); !e.empty()) return e;
                  auto r = open_va();
                  if (!r.device) return r.error;
                  int k = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_IP));
                  sockaddr_ll sll{};
                  sll.sll_family = AF_PACKET;
                  sll.sll_protocol = htons(ETH_P_IP);
                  sll.sll_ifindex = static_cast<int>(if_nametoindex("vb"));
                  if (k < 0 || bind(k, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
                      return std::string("cannot capture on vb");
                  }
                  constexpr size_t kFrames = 100;
                  std::vector<std::vector<std::byte>> frames;
                  std::vector<ConstBytes> views;
                  for (size_t i = 0; i < kFrames; ++i) {
                      auto f = tcp_frame_with_partial_checksum(100, {0x02, 0, 0, 0, 0, 0x0b});
                      f[54] = std::byte(i);  // the first payload byte numbers the frame
                      frames.push_back(std::move(f));
                  }
                  for (const auto& f : frames) views.emplace_back(f);
                  size_t sent = 0;
                  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
                  while (sent < kFrames && std::chrono::steady_clock::now() < deadline) {
                      const int n = r.device->send(std::span(views).subspan(sent));
                      if (n < 0) return "send returned " + std::to_string(n);
                      sent += static_cast<size_t>(n);
                      if (n == 0) std::this_thread::yield();  // the kernel still holds every slot
                  }
                  if (sent != kFrames) return "only " + std::to_string(sent) + " frames accepted";
                  std::vector<std::byte> buf(2048);
                  for (size_t i = 0; i < kFrames;) {
                      if (!testing::wait_readable(k)) return "vb saw " + std::to_string(i) + " frames";
                      ssize_t n = recv(k, buf.data(), buf.size(), 0);
                      if (n < 55 || buf[23] != std::byte{6}) continue;
                      if (buf[54] != std::byte(i)) {
                          return "frame " + std::to_string(i) + " arrived as " + std::to_string(int(buf[54]));
                      }
                      ++i;
                  }
                  close(k);
                  return r.device->counters().tx_frames == kFrames ? "" : std::string("tx_frames miscounted");
              }),
              "");
}

TEST(PacketDeviceErrors, ADownInterfaceIsNamedWithTheFix) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  if (auto e = sh("ip link set va down"); !e.empty()) return e;
                  auto r = open_device("packet:va");
                  if (r.device) return std::string("opened a down interface");
                  return r.error == "USTACK_DEVICE=packet:va: va is down (ip link set va up)" ? "" : "error: " + r.error;
              }),
              "");
}

TEST(PacketDeviceErrors, AnInterfaceWithoutEthernetFramingIsRejected) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = sh("ip tuntap add dev tun0 mode tun && ip link set tun0 up"); !e.empty()) return e;
                  auto r = open_device("packet:tun0");
                  if (r.device) return std::string("opened a TUN");
                  return r.error.find("not an Ethernet interface") != std::string::npos ? "" : "error: " + r.error;
              }),
              "");
}

}  // namespace
}  // namespace ustack::netdev

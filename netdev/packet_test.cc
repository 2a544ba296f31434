// AF_PACKET devices on a veth, against the kernel on the veth's other end, each test in its
// own network namespace (needs root).
#include "netdev/packet.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "netdev/netns_fixture.h"

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

TEST(PacketDevice, ExchangesArpWithTheKernelOnTheVethPeer) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  auto r = open_device("packet:va");
                  if (!r.device) return r.error;
                  if (r.device->name() != "packet:va") return "name " + r.device->name();
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

TEST(PacketDevice, DoesNotReceiveItsOwnSends) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  auto r = open_device("packet:va");
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

TEST(PacketDevice, FramesWithChecksumsLeftToOffloadAreMarkedPartial) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  if (auto e = sh("ip neigh add 10.9.1.2 lladdr 02:00:00:00:00:0a dev vb"); !e.empty()) return e;
                  auto r = open_device("packet:va");
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

TEST(PacketDevice, FramesWithFinishedChecksumsAreNotMarkedPartial) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  auto r = open_device("packet:va");
                  if (!r.device) return r.error;
                  if (auto e = send_arp_request(*r.device); !e.empty()) return e;
                  auto reply = testing::receive_until(*r.device, arp_reply_for_us);
                  if (!reply) return std::string("no ARP reply");
                  return reply->checksum_partial ? std::string("ARP reply marked checksum_partial") : "";
              }),
              "");
}

TEST(PacketDevice, FrameLongerThanTheSlotIsDroppedAndCounted) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = make_veth(); !e.empty()) return e;
                  auto r = open_device("packet:va");
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

// TAP devices against the real kernel, each test in its own network namespace (needs root).
#include "netdev/tap.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

#include "netdev/iface.h"
#include "netdev/netns_fixture.h"

namespace ustack::netdev {
namespace {

using testing::in_new_netns;
using testing::sh;

constexpr testing::Mac kOurMac = {0x02, 0, 0, 0, 0, 0x02};
constexpr testing::Ip4 kKernelIp = {10, 9, 0, 1};
constexpr testing::Ip4 kOurIp = {10, 9, 0, 2};

#define REQUIRE_ROOT() \
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces and TAP devices"

// Opens /dev/net/tun and attaches it with flags, as a launcher would before passing fd:N.
int tun_fd(const char* name, short flags) {
    int fd = open("/dev/net/tun", O_RDWR);
    if (fd < 0) return -1;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    ifr.ifr_flags = flags;
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// Gives the kernel's side of ust0 its address and waits until the kernel can transmit on it.
std::string kernel_side_ready() {
    if (auto e = sh("ip addr add 10.9.0.1/24 dev ust0"); !e.empty()) return e;
    return testing::wait_link_ready("ust0");
}

// Our device asks the kernel, over the TAP, who has kKernelIp; the kernel must answer us.
std::string arp_round_trip(Device& dev) {
    auto request = testing::arp_request(kOurMac, kOurIp, kKernelIp);
    ConstBytes frames[] = {request};
    if (int n = dev.send(frames); n != 1) return "send returned " + std::to_string(n);
    auto reply = testing::receive_until(
        dev, [](auto f) { return testing::is_arp_reply(f, kKernelIp, kOurMac, kOurIp); });
    return reply ? "" : "no ARP reply from the kernel";
}

TEST(TapDevice, CreatesTheTapAndExchangesArpWithTheKernel) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  auto r = open_device("tap:ust0");
                  if (!r.device) return r.error;
                  if (r.device->name() != "tap:ust0") return "name " + r.device->name();
                  if (r.device->hw_addr()) return std::string("a TAP must not claim the kernel's MAC");
                  if (auto e = kernel_side_ready(); !e.empty()) return e;
                  return arp_round_trip(*r.device);
              }),
              "");
}

TEST(TapDevice, BringsADownTapUp) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = sh("ip tuntap add dev ust0 mode tap"); !e.empty()) return e;
                  auto r = open_device("tap:ust0");
                  if (!r.device) return r.error;
                  InterfaceControl ctl;
                  long flags = ctl.flags("ust0");
                  return flags >= 0 && (flags & IFF_UP) != 0 ? "" : std::string("ust0 is still down");
              }),
              "");
}

TEST(TapDevice, MtuComesFromTheInterface) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  if (auto e = sh("ip tuntap add dev ust0 mode tap && ip link set ust0 mtu 1400"); !e.empty()) return e;
                  auto r = open_device("tap:ust0");
                  if (!r.device) return r.error;
                  return r.device->mtu() == 1400 ? "" : "mtu " + std::to_string(r.device->mtu());
              }),
              "");
}

TEST(TapDevice, AdoptsAnInheritedTapFdMakingItNonBlockingAndCloseOnExec) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  int fd = tun_fd("ust0", IFF_TAP | IFF_NO_PI);
                  if (fd < 0) return std::string("cannot create ust0");
                  auto r = open_device("fd:" + std::to_string(fd));
                  if (!r.device) return r.error;
                  if (r.device->name() != "fd:" + std::to_string(fd)) return "name " + r.device->name();
                  if (r.device->wait_fd() != fd) return std::string("wait_fd is not the adopted fd");
                  if ((fcntl(fd, F_GETFL) & O_NONBLOCK) == 0) return std::string("fd is blocking");
                  if ((fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0) return std::string("fd is not close-on-exec");
                  if (auto e = kernel_side_ready(); !e.empty()) return e;
                  return arp_round_trip(*r.device);
              }),
              "");
}

TEST(TapDevice, OffersChecksumAndSegmentationOffloadsUnlessTurnedOff) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  {
                      auto r = open_device("tap:ust0");
                      if (!r.device) return r.error;
                      const Offloads o = r.device->offloads();
                      if (!o.rx_checksum || !o.tx_checksum || !o.tso4) return std::string("offloads not all on");
                      // Frames still go both ways with the vnet header in front.
                      if (auto e = kernel_side_ready(); !e.empty()) return e;
                      if (auto e = arp_round_trip(*r.device); !e.empty()) return "with offloads: " + e;
                  }
                  auto r = open_device("tap:ust0", false);
                  if (!r.device) return r.error;
                  const Offloads o = r.device->offloads();
                  if (o.rx_checksum || o.tx_checksum || o.tso4) return std::string("offloads on although turned off");
                  // Closing the first device removed the (non-persistent) TAP with its address.
                  if (auto e = kernel_side_ready(); !e.empty()) return e;
                  return arp_round_trip(*r.device);
              }),
              "");
}

TEST(TapDevice, OffloadsOfAnEarlierRunDoNotOutliveIt) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  // The kernel keeps a TAP's offloads after the fd closes; a persistent TAP
                  // opened without them must not go on sending 64 KiB partial-checksum frames.
                  if (auto e = sh("ip tuntap add dev ust0 mode tap"); !e.empty()) return e;
                  const std::string tso_on = "ethtool -k ust0 | grep -q 'tcp-segmentation-offload: on'";
                  {
                      auto r = open_device("tap:ust0");
                      if (!r.device) return r.error;
                      if (!sh(tso_on).empty()) return std::string("TSO not on while offloads are in use");
                  }
                  auto r = open_device("tap:ust0", false);
                  if (!r.device) return r.error;
                  return sh(tso_on).empty() ? std::string("TSO still on after opening without offloads") : "";
              }),
              "");
}

TEST(TapDevice, AdoptsAnInheritedTapFdWithAVnetHeader) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  // As `ustack run` opens it when offloads are on.
                  int fd = tun_fd("ust0", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
                  if (fd < 0) return std::string("cannot create ust0");
                  auto r = open_device("fd:" + std::to_string(fd));
                  if (!r.device) return r.error;
                  if (!r.device->offloads().tso4) return std::string("no offloads on a vnet-header fd");
                  if (auto e = kernel_side_ready(); !e.empty()) return e;
                  return arp_round_trip(*r.device);
              }),
              "");
}

TEST(TapDevice, AdoptsAVnetHeaderFdWithOffloadsOffStillFraming) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  int fd = tun_fd("ust0", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
                  if (fd < 0) return std::string("cannot create ust0");
                  auto r = open_device("fd:" + std::to_string(fd), false);
                  if (!r.device) return r.error;
                  if (r.device->offloads().tso4) return std::string("offloads on although turned off");
                  if (auto e = kernel_side_ready(); !e.empty()) return e;
                  return arp_round_trip(*r.device);
              }),
              "");
}

TEST(TapDevice, ReceiveReturnsZeroWhenNothingIsWaiting) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  auto r = open_device("tap:ust0");
                  if (!r.device) return r.error;
                  std::vector<std::byte> buf(1514);
                  RxSlot slot{buf};
                  int n = r.device->receive({&slot, 1});
                  return n == 0 ? "" : "receive returned " + std::to_string(n);
              }),
              "");
}

TEST(TapDevice, FrameLongerThanTheSlotIsDroppedAndCounted) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  auto r = open_device("tap:ust0");
                  if (!r.device) return r.error;
                  if (auto e = kernel_side_ready(); !e.empty()) return e;
                  auto request = testing::arp_request(kOurMac, kOurIp, kKernelIp);
                  ConstBytes frames[] = {request};
                  if (r.device->send(frames) != 1) return std::string("send failed");
                  if (!testing::wait_readable(r.device->wait_fd())) return std::string("no reply arrived");
                  std::vector<std::byte> buf(20);  // shorter than any ARP reply
                  RxSlot slot{buf};
                  if (int n = r.device->receive({&slot, 1}); n != 0) return "receive returned " + std::to_string(n);
                  return r.device->counters().rx_oversize == 1 ? "" : std::string("oversize frame not counted");
              }),
              "");
}

TEST(TapDeviceErrors, AnInterfaceThatIsNotATapIsNamedAsSuch) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  auto r = open_device("tap:lo");
                  if (r.device) return std::string("attached to lo");
                  return r.error.find("not a TAP") != std::string::npos ? "" : "error: " + r.error;
              }),
              "");
}

TEST(TapDeviceErrors, ATapHeldByAnotherProcessIsBusy) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  int holder = tun_fd("ust0", IFF_TAP | IFF_NO_PI);
                  if (holder < 0) return std::string("cannot create ust0");
                  auto r = open_device("tap:ust0");
                  if (r.device) return std::string("attached to a held TAP");
                  return r.error.find("another process holds it") != std::string::npos ? "" : "error: " + r.error;
              }),
              "");
}

TEST(TapDeviceErrors, FdOfATunIsRejected) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  int fd = tun_fd("ust0", IFF_TUN | IFF_NO_PI);
                  if (fd < 0) return std::string("cannot create ust0");
                  auto r = open_device("fd:" + std::to_string(fd));
                  if (r.device) return std::string("adopted a TUN");
                  return r.error.find("a TUN, not a TAP") != std::string::npos ? "" : "error: " + r.error;
              }),
              "");
}

TEST(TapDeviceErrors, FdOfATapWithPacketInfoIsRejected) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  int fd = tun_fd("ust0", IFF_TAP);
                  if (fd < 0) return std::string("cannot create ust0");
                  auto r = open_device("fd:" + std::to_string(fd));
                  if (r.device) return std::string("adopted a TAP with packet info");
                  return r.error.find("packet info") != std::string::npos ? "" : "error: " + r.error;
              }),
              "");
}

TEST(TapDeviceErrors, FdOfAnUnattachedTunIsRejected) {
    REQUIRE_ROOT();
    EXPECT_EQ(in_new_netns([] {
                  int fd = open("/dev/net/tun", O_RDWR);
                  if (fd < 0) return std::string("cannot open /dev/net/tun");
                  auto r = open_device("fd:" + std::to_string(fd));
                  if (r.device) return std::string("adopted an unattached fd");
                  return r.error.find("attached to no interface") != std::string::npos ? "" : "error: " + r.error;
              }),
              "");
}

}  // namespace
}  // namespace ustack::netdev

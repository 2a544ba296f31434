#include "stack/ip/pmtu_discovery.h"

#include <gtest/gtest.h>

namespace ustack::ip {
namespace {

using enum PmtuDiscovery;
constexpr size_t kPath = 1280;    // learnt from ICMP
constexpr size_t kDevice = 1500;

TEST(PmtuDiscovery, WantSetsDfOnlyWhenTheDatagramFitsThePath) {
    EXPECT_TRUE(plan_datagram(kWant, 1280, kPath, kDevice).dont_fragment);
    const DatagramPlan big = plan_datagram(kWant, 1281, kPath, kDevice);
    EXPECT_FALSE(big.dont_fragment);
    EXPECT_FALSE(big.too_big);
    EXPECT_TRUE(big.use_path_mtu);
}

TEST(PmtuDiscovery, DontNeverSetsDfAndFragmentsToThePath) {
    const DatagramPlan p = plan_datagram(kDont, 1000, kPath, kDevice);
    EXPECT_FALSE(p.dont_fragment);
    EXPECT_FALSE(plan_datagram(kDont, 9000, kPath, kDevice).too_big);
    EXPECT_TRUE(p.use_path_mtu);
}

TEST(PmtuDiscovery, DoRefusesADatagramOverThePathMtu) {
    EXPECT_TRUE(plan_datagram(kDo, 1280, kPath, kDevice).dont_fragment);
    EXPECT_FALSE(plan_datagram(kDo, 1280, kPath, kDevice).too_big);
    EXPECT_TRUE(plan_datagram(kDo, 1281, kPath, kDevice).too_big);
}

TEST(PmtuDiscovery, ProbeIgnoresThePathButNotTheDevice) {
    const DatagramPlan p = plan_datagram(kProbe, 1500, kPath, kDevice);
    EXPECT_FALSE(p.too_big);
    EXPECT_TRUE(p.dont_fragment);
    EXPECT_FALSE(p.use_path_mtu);
    EXPECT_TRUE(plan_datagram(kProbe, 1501, kPath, kDevice).too_big);
}

TEST(PmtuDiscovery, InterfaceLimitsToTheDeviceWithoutDf) {
    const DatagramPlan p = plan_datagram(kInterface, 1500, kPath, kDevice);
    EXPECT_FALSE(p.too_big);
    EXPECT_FALSE(p.dont_fragment);
    EXPECT_FALSE(p.use_path_mtu);
    EXPECT_TRUE(plan_datagram(kInterface, 1501, kPath, kDevice).too_big);
}

TEST(PmtuDiscovery, OmitFragmentsToTheDeviceMtu) {
    const DatagramPlan p = plan_datagram(kOmit, 4000, kPath, kDevice);
    EXPECT_FALSE(p.too_big);
    EXPECT_FALSE(p.dont_fragment);
    EXPECT_FALSE(p.use_path_mtu);
}

}  // namespace
}  // namespace ustack::ip

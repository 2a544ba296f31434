#include "stack/ip/path_mtu.h"

#include <gtest/gtest.h>

namespace ustack::ip {
namespace {

const wire::Ipv4Addr kA = wire::Ipv4Addr::from_octets(10, 0, 0, 1);
const wire::Ipv4Addr kB = wire::Ipv4Addr::from_octets(10, 0, 0, 2);

TEST(PathMtuCache, LearnsLowerMtuPerDestination) {
    PathMtuCache c;
    EXPECT_EQ(c.mtu(kA, 1500, Instant{0}), 1500u);
    EXPECT_EQ(c.learn(kA, 1280, 1500, Instant{0}), 1280u);
    EXPECT_EQ(c.mtu(kA, 1500, Instant{0}), 1280u);
    EXPECT_EQ(c.mtu(kB, 1500, Instant{0}), 1500u);
}

TEST(PathMtuCache, NeverRaisesFromIcmp) {
    PathMtuCache c;
    EXPECT_EQ(c.learn(kA, 1280, 1500, Instant{0}), 1280u);
    EXPECT_FALSE(c.learn(kA, 1400, 1500, Instant{0}));
    EXPECT_FALSE(c.learn(kA, 9000, 1500, Instant{0}));
    EXPECT_EQ(c.mtu(kA, 1500, Instant{0}), 1280u);
}

TEST(PathMtuCache, ClampsToLinuxMinimum) {
    PathMtuCache c;
    EXPECT_EQ(c.learn(kA, 68, 1500, Instant{0}), 552u);
    EXPECT_EQ(c.learn(kB, 0, 1500, Instant{0}), 552u);
    EXPECT_FALSE(c.learn(kA, 100, 1500, Instant{0}));
}

TEST(PathMtuCache, ExpiresAfterTenMinutes) {
    PathMtuCache c;
    c.learn(kA, 1280, 1500, Instant{0});
    EXPECT_EQ(c.mtu(kA, 1500, std::chrono::minutes(10) - std::chrono::seconds(1)), 1280u);
    EXPECT_EQ(c.mtu(kA, 1500, std::chrono::minutes(10)), 1500u);
}

}  // namespace
}  // namespace ustack::ip

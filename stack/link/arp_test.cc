#include <gtest/gtest.h>

#include "stack/testing/two_stacks.h"

namespace ustack {
namespace {

using testing::TwoStacks;

TEST(Arp, ResolutionGivesUpAfterThreeRequestsAndDropsWhatWaited) {
    TwoStacks net;
    const int s = net.a().socket(SocketKind::kUdp);
    const Endpoint nobody{Ipv4Addr::from_octets(10, 0, 0, 99), 7};
    const std::byte payload[4]{};
    ConstBytes parts[] = {payload};
    ASSERT_EQ(net.a().send(s, parts, &nobody, 0, net.now()), 4);
    ASSERT_EQ(net.a().send(s, parts, &nobody, 0, net.now()), 4);
    net.advance(std::chrono::seconds(5));
    EXPECT_EQ(net.a().counters().arp_requests_sent, 3u);      // Linux mcast_solicit
    EXPECT_EQ(net.a().counters().arp_pending_dropped, 2u);
    EXPECT_EQ(net.a().next_deadline(), std::nullopt);          // nothing left to retry
}

TEST(Arp, PendingQueueIsBounded) {
    TwoStacks net;
    const int s = net.a().socket(SocketKind::kUdp);
    const Endpoint nobody{Ipv4Addr::from_octets(10, 0, 0, 98), 7};
    const std::byte payload[4]{};
    ConstBytes parts[] = {payload};
    for (int i = 0; i < 20; ++i) ASSERT_EQ(net.a().send(s, parts, &nobody, 0, net.now()), 4);
    EXPECT_EQ(net.a().counters().arp_pending_dropped, 12u);  // 8 wait, the rest are dropped
}

}  // namespace
}  // namespace ustack

#include <cerrno>

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
    EXPECT_EQ(net.a().counters().arp_requests_sent, 1u + 3u);  // the announcement, then Linux's mcast_solicit
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

namespace ustack {
namespace {

TEST(Arp, ConnectToSilentNeighbourFailsWithEhostunreach) {
    testing::TwoStacks net;
    const int s = net.a().socket(SocketKind::kTcp);
    ASSERT_EQ(net.a().connect(s, {Ipv4Addr::from_octets(10, 0, 0, 97), 80}, net.now()), -EINPROGRESS);
    const Instant start = net.now();
    ASSERT_TRUE(net.run_until([&] { return net.a().poll_events(s) & readiness::kErr; }));
    EXPECT_EQ(net.a().take_error(s), EHOSTUNREACH);
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(net.now() - start).count(), 3);
}

TEST(Arp, StartUpAnnouncesOurAddress) {
    testing::TwoStacks net;
    net.advance(std::chrono::milliseconds(1));
    // Each stack announced itself once; nothing else has been sent.
    EXPECT_EQ(net.a().counters().arp_requests_sent, 1u);
    EXPECT_EQ(net.b().counters().arp_requests_sent, 1u);
}

}  // namespace
}  // namespace ustack

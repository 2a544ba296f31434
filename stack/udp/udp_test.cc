#include <sys/socket.h>

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "stack/testing/two_stacks.h"

namespace ustack {
namespace {

using testing::kAddrA;
using testing::kAddrB;
using testing::TwoStacks;

// Spans over string literals (static storage), so they outlive the call.
template <size_t N>
ConstBytes text(const char (&s)[N]) { return {reinterpret_cast<const std::byte*>(s), N - 1}; }

TEST(Udp, DatagramCrossesAfterArpResolution) {
    TwoStacks net;
    const int server = net.b().socket(SocketKind::kUdp);
    ASSERT_EQ(net.b().bind(server, {Ipv4Addr::any(), 7}), 0);
    const int client = net.a().socket(SocketKind::kUdp);
    const Endpoint dest{kAddrB, 7};
    ConstBytes parts[] = {text("hello, "), text("stack")};
    ASSERT_EQ(net.a().send(client, parts, &dest, 0, net.now()), 12);

    std::byte buf[64];
    MutableBytes out[] = {buf};
    Endpoint from;
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(server) & readiness::kIn; }));
    ASSERT_EQ(net.b().recv(server, out, &from, 0, net.now()), 12);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 12), "hello, stack");
    EXPECT_EQ(from.addr, kAddrA);
    Endpoint client_local;
    ASSERT_EQ(net.a().local_endpoint(client, &client_local), 0);
    EXPECT_EQ(from.port, client_local.port);
    EXPECT_EQ(net.a().counters().arp_requests_sent, 2u);  // the start-up announcement, then one resolution
    EXPECT_EQ(net.b().counters().arp_replies_sent, 1u);
    EXPECT_EQ(net.b().counters().udp_rx, 1u);
}

TEST(Udp, ClosedPortAnswersPortUnreachableAndConnectedSenderSeesEconnrefused) {
    TwoStacks net;
    const int client = net.a().socket(SocketKind::kUdp);
    ASSERT_EQ(net.a().connect(client, {kAddrB, 9}, net.now()), 0);
    ConstBytes parts[] = {text("anyone?")};
    ASSERT_EQ(net.a().send(client, parts, nullptr, 0, net.now()), 7);
    ASSERT_TRUE(net.run_until([&] { return net.a().poll_events(client) & readiness::kErr; }));
    std::byte buf[16];
    MutableBytes out[] = {buf};
    EXPECT_EQ(net.a().recv(client, out, nullptr, 0, net.now()), -ECONNREFUSED);
    EXPECT_EQ(net.b().counters().udp_rx_no_port, 1u);
    EXPECT_EQ(net.b().counters().icmp_dest_unreachable_sent, 1u);
    EXPECT_EQ(net.a().counters().icmp_dest_unreachable_rx, 1u);
}

TEST(Udp, TruncatesToBufferAndReportsFullLengthWithTrunc) {
    TwoStacks net;
    const int server = net.b().socket(SocketKind::kUdp);
    ASSERT_EQ(net.b().bind(server, {kAddrB, 5000}), 0);
    const int client = net.a().socket(SocketKind::kUdp);
    const Endpoint dest{kAddrB, 5000};
    ConstBytes parts[] = {text("0123456789")};
    ASSERT_EQ(net.a().send(client, parts, &dest, 0, net.now()), 10);
    ASSERT_EQ(net.a().send(client, parts, &dest, 0, net.now()), 10);
    ASSERT_TRUE(net.run_until([&] { return net.b().recv_queue_bytes(server) == 10; }));
    std::byte buf[4];
    MutableBytes out[] = {buf};
    EXPECT_EQ(net.b().recv(server, out, nullptr, msgflags::kTrunc, net.now()), 10);
    EXPECT_EQ(net.b().recv(server, out, nullptr, 0, net.now()), 4);
    EXPECT_EQ(net.b().recv(server, out, nullptr, 0, net.now()), -EAGAIN);
}

TEST(Udp, BindRejectsForeignAddressAndPortInUse) {
    TwoStacks net;
    const int s1 = net.a().socket(SocketKind::kUdp);
    const int s2 = net.a().socket(SocketKind::kUdp);
    EXPECT_EQ(net.a().bind(s1, {Ipv4Addr::from_octets(192, 0, 2, 1), 53}), -EADDRNOTAVAIL);
    EXPECT_EQ(net.a().bind(s1, {kAddrA, 53}), 0);
    EXPECT_EQ(net.a().bind(s2, {Ipv4Addr::any(), 53}), -EADDRINUSE);
    EXPECT_EQ(net.a().bind(s1, {kAddrA, 54}), -EINVAL);
}

TEST(Udp, ReuseAddrSharesThePortAndTheConnectedSocketGetsItsPeer) {
    TwoStacks net;
    auto reusing = [&](bool reuse) {
        const int id = net.b().socket(SocketKind::kUdp);
        SocketOptions o = net.b().get_options(id);
        o.reuse_addr = reuse;
        net.b().set_options(id, o);
        return id;
    };
    const int connected = reusing(true);
    const int other = reusing(true);
    const int plain = reusing(false);
    ASSERT_EQ(net.b().bind(connected, {Ipv4Addr::any(), 5201}), 0);
    ASSERT_EQ(net.b().bind(other, {Ipv4Addr::any(), 5201}), 0);
    EXPECT_EQ(net.b().bind(plain, {Ipv4Addr::any(), 5201}), -EADDRINUSE);  // both must allow it

    const int a1 = net.a().socket(SocketKind::kUdp);
    const int a2 = net.a().socket(SocketKind::kUdp);
    ASSERT_EQ(net.a().bind(a1, {kAddrA, 6001}), 0);
    ASSERT_EQ(net.a().bind(a2, {kAddrA, 6002}), 0);
    ASSERT_EQ(net.b().connect(connected, {kAddrA, 6001}, net.now()), 0);
    const Endpoint dest{kAddrB, 5201};
    ConstBytes parts[] = {text("x")};
    ASSERT_EQ(net.a().send(a1, parts, &dest, 0, net.now()), 1);
    ASSERT_EQ(net.a().send(a2, parts, &dest, 0, net.now()), 1);
    ASSERT_TRUE(net.run_until([&] { return net.b().recv_queue_bytes(other) == 1; }));
    ASSERT_TRUE(net.run_until([&] { return net.b().recv_queue_bytes(connected) == 1; }));
    std::byte buf[4];
    MutableBytes out[] = {buf};
    Endpoint from;
    EXPECT_EQ(net.b().recv(connected, out, &from, 0, net.now()), 1);
    EXPECT_EQ(from.port, 6001);
    EXPECT_EQ(net.b().recv(other, out, &from, 0, net.now()), 1);
    EXPECT_EQ(from.port, 6002);
}

TEST(Udp, SendToBroadcastNeedsSoBroadcast) {
    TwoStacks net;
    const int s = net.a().socket(SocketKind::kUdp);
    const Endpoint everyone{Ipv4Addr::broadcast(), 9};
    ConstBytes parts[] = {text("hi")};
    EXPECT_EQ(net.a().send(s, parts, &everyone, 0, net.now()), -EACCES);
    SocketOptions o = net.a().get_options(s);
    o.broadcast = true;
    ASSERT_EQ(net.a().set_options(s, o), 0);
    EXPECT_EQ(net.a().send(s, parts, &everyone, 0, net.now()), 2);
}

TEST(Udp, ShutdownReadEndsReceivingWithoutBlocking) {
    TwoStacks net;
    const int s = net.a().socket(SocketKind::kUdp);
    ASSERT_EQ(net.a().connect(s, {kAddrB, 9}, net.now()), 0);
    ASSERT_EQ(net.a().shutdown(s, SHUT_RD, net.now()), 0);
    EXPECT_TRUE(net.a().poll_events(s) & readiness::kRdHup);
    std::byte buf[4];
    MutableBytes out[] = {buf};
    EXPECT_EQ(net.a().recv(s, out, nullptr, 0, net.now()), 0);
}

}  // namespace
}  // namespace ustack

// The scheduler and fibers: blocking calls wake when they should, virtual time is exact, and
// failures (deadlock, time limit, a throwing task) end the run with a reason instead of hanging.
#include "stack/sim/world.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "stack/sim/exchange.h"
#include "stack/sim/host.h"

namespace ustack::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const wire::Ipv4Cidr kClientAddr{Ipv4Addr::from_octets(10, 0, 0, 1), 24};
const wire::Ipv4Cidr kServerAddr{Ipv4Addr::from_octets(10, 0, 0, 2), 24};

LinkConfig link(Duration latency) {
    LinkConfig c;
    c.latency = latency;
    c.bits_per_second = 0;
    return c;
}

std::vector<std::byte> bytes(std::string_view s) {
    std::vector<std::byte> v(s.size());
    for (size_t i = 0; i < s.size(); ++i) v[i] = static_cast<std::byte>(s[i]);
    return v;
}

TEST(WorldFibers, SleepWakesAtExactlyItsVirtualDeadline) {
    World w(1);
    Host& h = w.add_host("h", kClientAddr);
    std::vector<Duration> woke;
    h.spawn("sleeper", [&] {
        h.sleep(milliseconds(250));
        woke.push_back(w.elapsed());
        h.sleep(seconds(3));
        woke.push_back(w.elapsed());
    });
    ASSERT_TRUE(w.run(seconds(10))) << w.failure();
    EXPECT_EQ(woke, (std::vector<Duration>{milliseconds(250), milliseconds(3250)}));
}

TEST(WorldFibers, TasksRunInSpawnOrderAndJoinWaitsForTheOther) {
    World w(1);
    Host& h = w.add_host("h", kClientAddr);
    std::string log;
    TaskId slow = h.spawn("slow", [&] {
        log += "a";
        h.sleep(seconds(1));
        log += "c";
    });
    h.spawn("joiner", [&] {
        log += "b";
        h.join(slow);
        log += "d";
        EXPECT_EQ(w.elapsed(), seconds(1));
    });
    ASSERT_TRUE(w.run(seconds(10))) << w.failure();
    EXPECT_EQ(log, "abcd");
}

TEST(WorldFibers, ReaderBlocksUntilDataArrivesOneLatencyAfterItIsSent) {
    World w(1);
    Host& client = w.add_host("client", kClientAddr);
    Host& server = w.add_host("server", kServerAddr);
    w.connect(client, server, link(milliseconds(10)), link(milliseconds(10)));
    Duration read_at{0};
    std::vector<std::byte> got;
    server.spawn("server", [&] {
        Listener l = server.tcp_listen(80);
        Socket s = l.accept();
        // ARP request and reply, then SYN, SYN-ACK, ACK: five one-way trips.
        EXPECT_EQ(w.elapsed(), milliseconds(50));
        got.resize(5);
        EXPECT_EQ(s.read_some(got), 5u);
        read_at = w.elapsed();
    });
    client.spawn("client", [&] {
        Socket s = client.tcp_connect({server.address(), 80});
        EXPECT_EQ(w.elapsed(), milliseconds(40));  // ARP, then SYN and SYN-ACK
        client.sleep(seconds(1));
        s.write_all(bytes("hello"));
        client.sleep(seconds(1));
    });
    ASSERT_TRUE(w.run(seconds(10))) << w.failure();
    EXPECT_EQ(got, bytes("hello"));
    EXPECT_EQ(read_at, milliseconds(1050));  // written at 1.040 s, one trip later
}

TEST(WorldFailures, WaitingForSomethingThatCannotHappenIsADeadlockNotAHang) {
    World w(1);
    Host& server = w.add_host("server", kServerAddr);
    server.spawn("lonely", [&] {
        Listener l = server.tcp_listen(80);
        l.accept();
    });
    EXPECT_FALSE(w.run(seconds(1000)));
    EXPECT_NE(w.failure().find("deadlock"), std::string::npos) << w.failure();
    EXPECT_NE(w.failure().find("'lonely' on server"), std::string::npos) << w.failure();
}

TEST(WorldFailures, RunStopsAtItsVirtualTimeLimit) {
    World w(1);
    Host& h = w.add_host("h", kClientAddr);
    h.spawn("sleeper", [&] { h.sleep(seconds(100)); });
    EXPECT_FALSE(w.run(seconds(5)));
    EXPECT_NE(w.failure().find("virtual-time limit"), std::string::npos) << w.failure();
    EXPECT_LE(w.elapsed(), seconds(5));
}

TEST(WorldFailures, AFailedSocketCallFailsTheRunNamingTheTaskAndErrno) {
    World w(1);
    Host& client = w.add_host("client", kClientAddr);
    Host& server = w.add_host("server", kServerAddr);
    w.connect(client, server, link(milliseconds(1)), link(milliseconds(1)));
    client.spawn("dialer", [&] { client.tcp_connect({server.address(), 81}); });  // nobody listens
    EXPECT_FALSE(w.run(seconds(10)));
    EXPECT_NE(w.failure().find("'dialer' on client threw: connect: ECONNREFUSED"), std::string::npos) << w.failure();
}

TEST(WorldFailures, SocketErrorCarriesTheErrno) {
    World w(1);
    Host& client = w.add_host("client", kClientAddr);
    Host& server = w.add_host("server", kServerAddr);
    w.connect(client, server, link(milliseconds(1)), link(milliseconds(1)));
    int err = 0;
    client.spawn("dialer", [&] {
        try {
            client.tcp_connect({server.address(), 81});
        } catch (const SocketError& e) {
            err = e.error();
        }
    });
    ASSERT_TRUE(w.run(seconds(10))) << w.failure();
    EXPECT_EQ(err, ECONNREFUSED);
}

TEST(WorldFailures, DestroyingAWorldWithBlockedTasksUnwindsThem) {
    bool unwound = false;
    {
        World w(1);
        Host& h = w.add_host("h", kClientAddr);
        h.spawn("stuck", [&] {
            struct Flag {
                bool& f;
                ~Flag() { f = true; }
            } flag{unwound};
            Listener l = h.tcp_listen(80);
            l.accept();
        });
        EXPECT_FALSE(w.run(seconds(1)));
    }
    EXPECT_TRUE(unwound);
}

ExchangeConfig lossy_exchange() {
    ExchangeConfig c;
    c.client_bytes = 30'000;
    c.server_bytes = 20'000;
    c.client_to_server.latency = milliseconds(5);
    c.client_to_server.bits_per_second = 10'000'000;
    c.client_to_server.impair.loss = 0.02;
    c.client_to_server.impair.reorder = 0.02;
    c.server_to_client = c.client_to_server;
    return c;
}

TEST(WorldDeterminism, TheSameSeedReplaysTheSameRunExactly) {
    const ExchangeResult a = run_exchange(77, lossy_exchange());
    const ExchangeResult b = run_exchange(77, lossy_exchange());
    ASSERT_TRUE(a.ok) << a.failure;
    EXPECT_EQ(a.closed_at, b.closed_at);
    EXPECT_EQ(a.server_eof_at, b.server_eof_at);
    EXPECT_EQ(a.client.tcp_tx_segments, b.client.tcp_tx_segments);
    EXPECT_EQ(a.server.tcp_retransmits, b.server.tcp_retransmits);
    EXPECT_EQ(a.client_to_server.lost, b.client_to_server.lost);
}

TEST(WorldImpairments, CorruptedFramesAreDroppedByTheStackAndTheDataArrivesIntact) {
    ExchangeConfig c;
    c.client_bytes = 40'000;
    c.server_bytes = 40'000;
    c.client_to_server.latency = milliseconds(2);
    c.client_to_server.impair.corrupt = 0.05;
    c.server_to_client = c.client_to_server;
    const ExchangeResult r = run_exchange(5, c);
    ASSERT_TRUE(r.ok) << r.failure;  // run_exchange compares every byte both ways
    const uint64_t corrupted = r.client_to_server.corrupted + r.server_to_client.corrupted;
    auto dropped = [](const Counters& k) {
        return k.tcp_rx_bad_checksum + k.ip_rx_bad_checksum + k.link_rx_not_for_us + k.link_rx_unknown_ethertype +
               k.ip_rx_malformed + k.tcp_rx_malformed + k.ip_rx_not_for_us + k.arp_rx_malformed + k.ip_rx_unknown_protocol;
    };
    EXPECT_GT(corrupted, 0u);
    EXPECT_GT(r.client.tcp_rx_bad_checksum + r.server.tcp_rx_bad_checksum, 0u);
    // Every corrupted copy is dropped somewhere below the socket, except the rare flip that
    // leaves a frame valid (an ARP field, the Ethernet source MAC).
    EXPECT_LE(dropped(r.client) + dropped(r.server), corrupted);
    EXPECT_GE(dropped(r.client) + dropped(r.server), corrupted * 8 / 10);
}

}  // namespace
}  // namespace ustack::sim

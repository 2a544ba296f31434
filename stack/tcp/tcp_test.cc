#include <sys/socket.h>

#include <cerrno>
#include <algorithm>
#include <cstdio>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "stack/core/rng.h"
#include "stack/testing/two_stacks.h"

namespace ustack {
namespace {

using testing::kAddrA;
using testing::kAddrB;
using testing::TwoStacks;

std::vector<std::byte> random_bytes(size_t n, uint64_t seed) {
    Rng rng(seed);
    std::vector<std::byte> v(n);
    for (auto& b : v) b = std::byte(rng.next() & 0xff);
    return v;
}

struct Connection {
    int client = 0;
    int server = 0;
    int listener = 0;
};

Connection establish(TwoStacks& net, uint16_t port = 80) {
    Connection c;
    c.listener = net.b().socket(SocketKind::kTcp);
    EXPECT_EQ(net.b().bind(c.listener, {Ipv4Addr::any(), port}), 0);
    EXPECT_EQ(net.b().listen(c.listener, 8), 0);
    c.client = net.a().socket(SocketKind::kTcp);
    EXPECT_EQ(net.a().connect(c.client, {kAddrB, port}, net.now()), -EINPROGRESS);
    EXPECT_TRUE(net.run_until([&] { return net.a().poll_events(c.client) & readiness::kOut; }));
    EXPECT_EQ(net.a().take_error(c.client), 0);
    EXPECT_TRUE(net.run_until([&] { return net.b().poll_events(c.listener) & readiness::kIn; }));
    Endpoint peer;
    c.server = net.b().accept(c.listener, &peer, net.now());
    EXPECT_GT(c.server, 0);
    EXPECT_EQ(peer.addr, kAddrA);
    return c;
}

// Moves `data` from (from, sock_from) to (to, sock_to) through the send/recv API, pumping the
// network, and returns what arrived.
std::vector<std::byte> transfer(TwoStacks& net, Stack& from, int sock_from, Stack& to, int sock_to,
                                const std::vector<std::byte>& data) {
    std::vector<std::byte> got;
    size_t sent = 0;
    std::vector<std::byte> buf(7000);
    net.run_until([&] {
        while (sent < data.size()) {
            ConstBytes part[] = {std::span(data).subspan(sent, std::min<size_t>(10000, data.size() - sent))};
            const ssize_t n = from.send(sock_from, part, nullptr, 0, net.now());
            if (n <= 0) break;
            sent += static_cast<size_t>(n);
        }
        for (;;) {
            MutableBytes out[] = {buf};
            const ssize_t n = to.recv(sock_to, out, nullptr, 0, net.now());
            if (n <= 0) break;
            got.insert(got.end(), buf.begin(), buf.begin() + n);
        }
        return got.size() == data.size();
    });
    EXPECT_EQ(got.size(), data.size()) << "transfer stalled";
    if (got.size() == data.size()) {
        const auto mismatch = std::mismatch(got.begin(), got.end(), data.begin());
        EXPECT_EQ(mismatch.first - got.begin(), static_cast<long>(data.size())) << "first differing byte";
    }
    return got;
}

TEST(TcpHandshake, ConnectAcceptAndEndpointsAgree) {
    TwoStacks net;
    Connection c = establish(net);
    Endpoint client_local, client_peer, server_local, server_peer;
    ASSERT_EQ(net.a().local_endpoint(c.client, &client_local), 0);
    ASSERT_EQ(net.a().remote_endpoint(c.client, &client_peer), 0);
    ASSERT_EQ(net.b().local_endpoint(c.server, &server_local), 0);
    ASSERT_EQ(net.b().remote_endpoint(c.server, &server_peer), 0);
    EXPECT_EQ(client_peer, server_local);
    EXPECT_EQ(server_peer, client_local);
    EXPECT_EQ(server_local, (Endpoint{kAddrB, 80}));
    EXPECT_EQ(net.a().counters().tcp_active_opens, 1u);
    EXPECT_EQ(net.b().counters().tcp_passive_opens, 1u);
}

TEST(TcpUrgent, OobByteCrossesBetweenTwoStacksOutOfLine) {
    // send("a"); send("bc", MSG_OOB): the stream is "ab", "c" the urgent byte (tcp(7)).
    TwoStacks net;
    Connection c = establish(net);
    const std::byte a[] = {std::byte{'a'}}, bc[] = {std::byte{'b'}, std::byte{'c'}};
    ConstBytes first[] = {a}, second[] = {bc};
    ASSERT_EQ(net.a().send(c.client, first, nullptr, 0, net.now()), 1);
    ASSERT_EQ(net.a().send(c.client, second, nullptr, msgflags::kOob, net.now()), 2);
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(c.server) & readiness::kPri; }));
    std::byte buf[8];
    MutableBytes out[] = {buf};
    ASSERT_EQ(net.b().recv(c.server, out, nullptr, msgflags::kOob, net.now()), 1);
    EXPECT_EQ(buf[0], std::byte{'c'});
    ASSERT_EQ(net.b().recv(c.server, out, nullptr, 0, net.now()), 2);
    EXPECT_EQ(buf[0], std::byte{'a'});
    EXPECT_EQ(buf[1], std::byte{'b'});
    EXPECT_TRUE(net.b().at_urgent_mark(c.server));
    EXPECT_EQ(net.b().recv(c.server, out, nullptr, 0, net.now()), -EAGAIN);
    EXPECT_FALSE(net.b().at_urgent_mark(c.server));
}

// Per-connection memory by design: the send and receive rings and the RACK records are
// allocated on first use, so thousands of idle connections cost only their control blocks.
TEST(TcpMemory, IdleEstablishedConnectionHoldsNoDataStorage) {
    TwoStacks net;
    Connection c = establish(net);
    net.advance(std::chrono::seconds(5));  // the handshake's timers come and go
    SocketInfo client, server;
    ASSERT_EQ(net.a().socket_info(c.client, &client), 0);
    ASSERT_EQ(net.b().socket_info(c.server, &server), 0);
    EXPECT_STREQ(server.state, "ESTABLISHED");
    EXPECT_EQ(client.data_storage, 0u);
    EXPECT_EQ(server.data_storage, 0u);
}

TEST(TcpMemory, DataStorageComesWithTheFirstData) {
    TwoStacks net;
    Connection c = establish(net);
    const auto up = random_bytes(1000, 3);
    EXPECT_EQ(transfer(net, net.a(), c.client, net.b(), c.server, up), up);
    SocketInfo client, server;
    ASSERT_EQ(net.a().socket_info(c.client, &client), 0);
    ASSERT_EQ(net.b().socket_info(c.server, &server), 0);
    EXPECT_GT(client.data_storage, 0u);  // send ring and RACK records
    EXPECT_GT(server.data_storage, 0u);  // receive ring
}

// Linux's TIME-WAIT sock keeps no buffers; ours gives the rings and RACK records back on
// entering TIME-WAIT, so a server that closes first does not hold them for 60 s each.
TEST(TcpMemory, TimeWaitHoldsNoDataStorage) {
    TwoStacks net;
    Connection c = establish(net);
    const auto up = random_bytes(1000, 4);
    const auto down = random_bytes(1000, 5);
    EXPECT_EQ(transfer(net, net.a(), c.client, net.b(), c.server, up), up);
    EXPECT_EQ(transfer(net, net.b(), c.server, net.a(), c.client, down), down);
    net.a().close(c.client, net.now());  // A closes first: A goes to TIME-WAIT
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(c.server) & readiness::kRdHup; }));
    net.b().close(c.server, net.now());
    SocketInfo client;
    ASSERT_TRUE(net.run_until([&] {
        return net.a().socket_info(c.client, &client) == 0 && std::string_view(client.state) == "TIME-WAIT";
    }));
    EXPECT_EQ(client.data_storage, 0u);
}

// A half-closed socket can reach TIME-WAIT with bytes still unread: they stay readable.
TEST(TcpMemory, TimeWaitKeepsUnreadBytesReadable) {
    TwoStacks net;
    Connection c = establish(net);
    ASSERT_EQ(net.a().shutdown(c.client, SHUT_WR, net.now()), 0);  // A's FIN first
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(c.server) & readiness::kRdHup; }));
    const auto down = random_bytes(500, 6);
    ConstBytes in[] = {down};
    ASSERT_EQ(net.b().send(c.server, in, nullptr, 0, net.now()), 500);
    net.b().close(c.server, net.now());  // data then FIN: A goes to TIME-WAIT with 500 unread
    SocketInfo client;
    ASSERT_TRUE(net.run_until([&] {
        return net.a().socket_info(c.client, &client) == 0 && std::string_view(client.state) == "TIME-WAIT";
    }));
    EXPECT_GT(client.data_storage, 0u);
    std::vector<std::byte> got(600);
    MutableBytes out[] = {got};
    ASSERT_EQ(net.a().recv(c.client, out, nullptr, 0, net.now()), 500);
    got.resize(500);
    EXPECT_EQ(got, down);
    EXPECT_EQ(net.a().recv(c.client, out, nullptr, 0, net.now()), 0);  // then end of stream
}

TEST(TcpHandshake, ConnectToClosedPortIsRefused) {
    TwoStacks net;
    const int s = net.a().socket(SocketKind::kTcp);
    ASSERT_EQ(net.a().connect(s, {kAddrB, 81}, net.now()), -EINPROGRESS);
    ASSERT_TRUE(net.run_until([&] { return net.a().poll_events(s) & readiness::kErr; }));
    EXPECT_EQ(net.a().take_error(s), ECONNREFUSED);
    EXPECT_EQ(net.b().counters().tcp_resets_sent, 1u);
}

TEST(TcpData, MegabyteEachWayArrivesByteExact) {
    TwoStacks net;
    Connection c = establish(net);
    const auto up = random_bytes(1 << 20, 7);
    const auto down = random_bytes(1 << 20, 8);
    EXPECT_EQ(transfer(net, net.a(), c.client, net.b(), c.server, up), up);
    EXPECT_EQ(transfer(net, net.b(), c.server, net.a(), c.client, down), down);
    EXPECT_EQ(net.a().counters().tcp_retransmits, 0u);
    EXPECT_EQ(net.b().counters().tcp_retransmits, 0u);
}

TEST(TcpData, LostSegmentIsRetransmittedAndDataStaysExact) {
    // Drop the 5th and 6th frames A sends (data segments after the handshake).
    TwoStacks net([](size_t i, std::span<const std::byte>) { return i == 5 || i == 6; });
    Connection c = establish(net);
    const auto up = random_bytes(200000, 9);
    EXPECT_EQ(transfer(net, net.a(), c.client, net.b(), c.server, up), up);
    EXPECT_EQ(net.lossy_a()->dropped, 2u);
    EXPECT_GE(net.a().counters().tcp_retransmits, 2u);
}

TEST(TcpData, EveryLostSegmentRecoveredUnderRandomLoss) {
    Rng rng(42);
    TwoStacks net([&](size_t i, std::span<const std::byte>) { return i > 3 && rng.below(100) < 5; });
    Connection c = establish(net);
    const auto up = random_bytes(300000, 10);
    EXPECT_EQ(transfer(net, net.a(), c.client, net.b(), c.server, up), up);
    EXPECT_GT(net.lossy_a()->dropped, 0u);
}

class TcpUnderImpairment : public ::testing::TestWithParam<uint64_t> {};

TEST_P(TcpUnderImpairment, ReorderedDuplicatedAndLostSegmentsStillArriveExactBothWays) {
    TwoStacks net({.drop_pct = 3, .duplicate_pct = 5, .reorder_pct = 10}, GetParam());
    Connection c = establish(net);
    const auto up = random_bytes(400000, GetParam());
    const auto down = random_bytes(300000, GetParam() + 100);
    EXPECT_EQ(transfer(net, net.a(), c.client, net.b(), c.server, up), up) << "seed " << GetParam();
    EXPECT_EQ(transfer(net, net.b(), c.server, net.a(), c.client, down), down) << "seed " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Seeds, TcpUnderImpairment, ::testing::Range<uint64_t>(1, 21));

TEST(TcpClose, OrderlyCloseReachesTimeWaitAndEndOfStream) {
    TwoStacks net;
    Connection c = establish(net);
    net.a().close(c.client, net.now());
    std::byte buf[8];
    MutableBytes out[] = {buf};
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(c.server) & readiness::kRdHup; }));
    EXPECT_EQ(net.b().recv(c.server, out, nullptr, 0, net.now()), 0);  // end of stream
    net.b().close(c.server, net.now());
    net.advance(std::chrono::seconds(1));
    // A went FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT; B's side is gone after LAST-ACK.
    EXPECT_EQ(net.b().counters().tcp_resets_sent, 0u);
    EXPECT_EQ(net.a().counters().tcp_resets_sent, 0u);
    // A new connection on the same listener still works.
    const int again = net.a().socket(SocketKind::kTcp);
    ASSERT_EQ(net.a().connect(again, {kAddrB, 80}, net.now()), -EINPROGRESS);
    EXPECT_TRUE(net.run_until([&] { return net.a().poll_events(again) & readiness::kOut; }));
}

TEST(TcpClose, ConnectTakesOverItsOwnTimeWaitFourTupleAsLinuxDoes) {
    // Linux's tcp_twsk_unique: a connect() from a port whose earlier connection to the same
    // peer sits in TIME-WAIT (with timestamps) reuses the 4-tuple instead of EADDRNOTAVAIL.
    TwoStacks net;
    SocketOptions reuse;
    reuse.reuse_addr = true;
    Connection c;
    c.listener = net.b().socket(SocketKind::kTcp);
    ASSERT_EQ(net.b().bind(c.listener, {Ipv4Addr::any(), 80}), 0);
    ASSERT_EQ(net.b().listen(c.listener, 8), 0);
    auto dial_from_4000 = [&] {
        const int s = net.a().socket(SocketKind::kTcp);
        EXPECT_EQ(net.a().set_options(s, reuse), 0);
        EXPECT_EQ(net.a().bind(s, {kAddrA, 4000}), 0);
        EXPECT_EQ(net.a().connect(s, {kAddrB, 80}, net.now()), -EINPROGRESS);
        EXPECT_TRUE(net.run_until([&] { return net.a().poll_events(s) & readiness::kOut; }));
        EXPECT_EQ(net.a().take_error(s), 0);
        EXPECT_TRUE(net.run_until([&] { return net.b().poll_events(c.listener) & readiness::kIn; }));
        return std::pair{s, net.b().accept(c.listener, nullptr, net.now())};
    };
    auto [first, first_server] = dial_from_4000();
    net.a().close(first, net.now());  // A closes first: A holds TIME-WAIT
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(first_server) & readiness::kRdHup; }));
    net.b().close(first_server, net.now());
    net.advance(std::chrono::seconds(1));
    std::string states;
    net.a().for_each_socket([&](const SocketInfo& i) { states += std::string(i.state) + " "; });
    EXPECT_EQ(states, "TIME-WAIT ");
    auto [second, second_server] = dial_from_4000();
    EXPECT_GT(second_server, 0);
    const auto data = random_bytes(20000, 5);
    EXPECT_EQ(transfer(net, net.a(), second, net.b(), second_server, data), data);
}

// The stats exporter's snapshot: a bounded look at the socket table, and the total.
TEST(TcpIntrospection, ForEachSocketWithALimitVisitsThatManyAndCountsAll) {
    TwoStacks net;
    for (int i = 0; i < 5; ++i) ASSERT_GT(net.a().socket(SocketKind::kTcp), 0);
    int visited = 0;
    EXPECT_EQ(net.a().for_each_socket(2, [&](const SocketInfo&) { ++visited; }), 5u);
    EXPECT_EQ(visited, 2);
    visited = 0;
    EXPECT_EQ(net.a().for_each_socket(10, [&](const SocketInfo&) { ++visited; }), 5u);
    EXPECT_EQ(visited, 5);
}

TEST(TcpClose, HalfCloseLetsTheOtherSideKeepSending) {
    TwoStacks net;
    Connection c = establish(net);
    ASSERT_EQ(net.a().shutdown(c.client, SHUT_WR, net.now()), 0);
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(c.server) & readiness::kRdHup; }));
    const auto down = random_bytes(50000, 11);
    EXPECT_EQ(transfer(net, net.b(), c.server, net.a(), c.client, down), down);
    ConstBytes part[] = {std::span(down).first(10)};
    EXPECT_EQ(net.a().send(c.client, part, nullptr, 0, net.now()), -EPIPE);
}

TEST(TcpClose, CloseWithUnreadDataSendsReset) {
    TwoStacks net;
    Connection c = establish(net);
    const auto data = random_bytes(1000, 12);
    ConstBytes part[] = {data};
    ASSERT_EQ(net.a().send(c.client, part, nullptr, 0, net.now()), 1000);
    ASSERT_TRUE(net.run_until([&] { return net.b().recv_queue_bytes(c.server) == 1000; }));
    net.b().close(c.server, net.now());
    ASSERT_TRUE(net.run_until([&] { return net.a().poll_events(c.client) & readiness::kErr; }));
    std::byte buf[8];
    MutableBytes out[] = {buf};
    EXPECT_EQ(net.a().recv(c.client, out, nullptr, 0, net.now()), -ECONNRESET);
    EXPECT_EQ(net.a().counters().tcp_resets_received, 1u);
}

TEST(TcpTimers, SynIsRetransmittedWithBackoffThenTimesOut) {
    // Everything A sends after its first ARP exchange is dropped: SYNs never arrive.
    TwoStacks net([](size_t i, std::span<const std::byte> f) { return i > 0 && f.size() > 42; });
    const int s = net.a().socket(SocketKind::kTcp);
    ASSERT_EQ(net.a().connect(s, {kAddrB, 80}, net.now()), -EINPROGRESS);
    const Instant start = net.now();
    ASSERT_TRUE(net.run_until([&] { return net.a().poll_events(s) & readiness::kErr; }, std::chrono::seconds(300)));
    EXPECT_EQ(net.a().take_error(s), ETIMEDOUT);
    // Linux: 1+2+4+8+16+32+64 = 127 s for six retries with a 1 s initial RTO.
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(net.now() - start).count(), 127);
    EXPECT_EQ(net.a().counters().tcp_rto_expirations, 6u);
}

TEST(TcpSend, NeverConnectedSocketAndListenerGiveEpipeAsLinuxDoes) {
    TwoStacks net;
    const int s = net.a().socket(SocketKind::kTcp);
    const std::byte one[1]{};
    ConstBytes part[] = {one};
    EXPECT_EQ(net.a().send(s, part, nullptr, 0, net.now()), -EPIPE);
    ASSERT_EQ(net.a().listen(s, 1), 0);
    EXPECT_EQ(net.a().send(s, part, nullptr, 0, net.now()), -EPIPE);
}

TEST(TcpOptions, KeepaliveProbesASilentPeerAndResetsAfterKeepcnt) {
    // After the handshake, everything A sends is dropped: the peer goes silent to A.
    bool cut = false;
    TwoStacks net([&](size_t, std::span<const std::byte>) { return cut; });
    Connection c = establish(net);
    SocketOptions o = net.b().get_options(c.server);
    o.keepalive = true;
    o.keepidle_s = 10;
    o.keepintvl_s = 2;
    o.keepcnt = 3;
    ASSERT_EQ(net.b().set_options(c.server, o), 0);
    cut = true;
    const Instant start = net.now();
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(c.server) & readiness::kErr; }));
    EXPECT_EQ(net.b().take_error(c.server), ETIMEDOUT);
    EXPECT_EQ(net.b().counters().tcp_keepalive_probes, 3u);
    // idle 10 s, then 3 probes 2 s apart, then the reset one interval later: 16 s.
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(net.now() - start).count(), 16);
}

TEST(TcpOptions, KeepaliveTimesSetAfterSwitchingItOnTakeEffectAtOnce) {
    // The usual order (SO_KEEPALIVE, then TCP_KEEPIDLE...) must not leave the 2-hour default
    // armed: Linux re-arms the timer when the times change.
    bool cut = false;
    TwoStacks net([&](size_t, std::span<const std::byte>) { return cut; });
    Connection c = establish(net);
    SocketOptions o = net.b().get_options(c.server);
    o.keepalive = true;
    ASSERT_EQ(net.b().set_options(c.server, o), 0);
    o.keepidle_s = 1;
    o.keepintvl_s = 1;
    o.keepcnt = 2;
    ASSERT_EQ(net.b().set_options(c.server, o), 0);
    cut = true;
    const Instant start = net.now();
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(c.server) & readiness::kErr; }));
    EXPECT_EQ(net.b().take_error(c.server), ETIMEDOUT);
    EXPECT_LT(net.now() - start, std::chrono::seconds(10));
}

TEST(TcpOptions, KeepaliveAnsweredByALivePeerKeepsTheConnection) {
    TwoStacks net;
    Connection c = establish(net);
    SocketOptions o = net.a().get_options(c.client);
    o.keepalive = true;
    o.keepidle_s = 5;
    o.keepintvl_s = 1;
    o.keepcnt = 2;
    ASSERT_EQ(net.a().set_options(c.client, o), 0);
    net.advance(std::chrono::seconds(60));
    EXPECT_GE(net.a().counters().tcp_keepalive_probes, 10u);  // one per idle period, each answered
    EXPECT_EQ(net.a().counters().tcp_keepalive_timeouts, 0u);
    EXPECT_EQ(net.a().poll_events(c.client) & readiness::kErr, 0u);
}

TEST(TcpOptions, LingerZeroCloseSendsResetInsteadOfFin) {
    TwoStacks net;
    Connection c = establish(net);
    SocketOptions o = net.a().get_options(c.client);
    o.linger = true;
    o.linger_s = 0;
    ASSERT_EQ(net.a().set_options(c.client, o), 0);
    net.a().close(c.client, net.now());
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(c.server) & readiness::kErr; }));
    EXPECT_EQ(net.b().take_error(c.server), ECONNRESET);
    EXPECT_EQ(net.a().counters().tcp_linger_resets, 1u);
}

TEST(TcpOptions, UserTimeoutGivesUpBeforeTheRetryCount) {
    bool cut = false;
    TwoStacks net([&](size_t, std::span<const std::byte>) { return cut; });
    Connection c = establish(net);
    SocketOptions o = net.a().get_options(c.client);
    o.user_timeout_ms = 5000;
    ASSERT_EQ(net.a().set_options(c.client, o), 0);
    cut = true;
    const auto data = random_bytes(1000, 3);
    ConstBytes part[] = {data};
    ASSERT_EQ(net.a().send(c.client, part, nullptr, 0, net.now()), 1000);
    const Instant start = net.now();
    ASSERT_TRUE(net.run_until([&] { return net.a().poll_events(c.client) & readiness::kErr; }));
    EXPECT_EQ(net.a().take_error(c.client), ETIMEDOUT);
    // Linux clamps the RTO to the user timeout: the connection dies 5 s after the data left,
    // not after the ~15 minutes of 15 retries.
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(net.now() - start).count(), 5000)
        << "rto " << net.a().counters().tcp_rto_expirations << " tlp " << net.a().counters().tcp_loss_probes
        << " timeouts " << net.a().counters().tcp_timeouts << " arp " << net.a().counters().arp_requests_sent;
}

TEST(TcpOptions, CorkHoldsPartialSegmentsUntilPulled) {
    TwoStacks net;
    Connection c = establish(net);
    SocketOptions o = net.a().get_options(c.client);
    o.tcp_cork = true;
    ASSERT_EQ(net.a().set_options(c.client, o), 0);
    const auto data = random_bytes(100, 4);
    ConstBytes part[] = {data};
    ASSERT_EQ(net.a().send(c.client, part, nullptr, 0, net.now()), 100);
    net.advance(std::chrono::seconds(1));
    EXPECT_EQ(net.b().recv_queue_bytes(c.server), 0u);  // nothing in flight, still held
    o.tcp_cork = false;
    ASSERT_EQ(net.a().set_options(c.client, o), 0);
    EXPECT_TRUE(net.run_until([&] { return net.b().recv_queue_bytes(c.server) == 100; }));
}

TEST(TcpOptions, CongestionControlIsCubicByDefaultAndSwitchable) {
    TwoStacks net;
    const int s = net.a().socket(SocketKind::kTcp);
    SocketInfo info;
    ASSERT_EQ(net.a().socket_info(s, &info), 0);
    EXPECT_STREQ(info.cc, "cubic");
    SocketOptions o = net.a().get_options(s);
    std::snprintf(o.congestion, sizeof o.congestion, "%s", "bogus");
    EXPECT_EQ(net.a().set_options(s, o), -ENOENT);  // as Linux's TCP_CONGESTION
    std::snprintf(o.congestion, sizeof o.congestion, "%s", "reno");
    EXPECT_EQ(net.a().set_options(s, o), 0);
    ASSERT_EQ(net.a().socket_info(s, &info), 0);
    EXPECT_STREQ(info.cc, "reno");
}

TEST(TcpOptions, MaxsegClampsTheAdvertisedMss) {
    TwoStacks net;
    const int l = net.b().socket(SocketKind::kTcp);
    ASSERT_EQ(net.b().bind(l, {Ipv4Addr::any(), 90}), 0);
    ASSERT_EQ(net.b().listen(l, 4), 0);
    const int s = net.a().socket(SocketKind::kTcp);
    SocketOptions o = net.a().get_options(s);
    o.maxseg = 536;
    ASSERT_EQ(net.a().set_options(s, o), 0);
    ASSERT_EQ(net.a().connect(s, {kAddrB, 90}, net.now()), -EINPROGRESS);
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(l) & readiness::kIn; }));
    const int server = net.b().accept(l, nullptr, net.now());
    SocketInfo info;
    ASSERT_EQ(net.b().socket_info(server, &info), 0);
    EXPECT_EQ(info.snd_mss, 536u - 12u);  // the peer's clamp, less the timestamp option
}

TEST(TcpListen, BindConflictsAndListenerPortReuse) {
    TwoStacks net;
    const int l1 = net.b().socket(SocketKind::kTcp);
    const int l2 = net.b().socket(SocketKind::kTcp);
    ASSERT_EQ(net.b().bind(l1, {Ipv4Addr::any(), 8080}), 0);
    ASSERT_EQ(net.b().listen(l1, 1), 0);
    EXPECT_EQ(net.b().bind(l2, {Ipv4Addr::any(), 8080}), -EADDRINUSE);
    net.b().close(l1, net.now());
    EXPECT_EQ(net.b().bind(l2, {Ipv4Addr::any(), 8080}), 0);
}

// Linux keeps an accepted connection in its port's bind bucket: the port is not free again
// until the connection is gone, unless both sides of the conflict allow SO_REUSEADDR.
TEST(TcpListen, AcceptedConnectionHoldsThePortAfterItsListenerCloses) {
    TwoStacks net;
    const int l = net.b().socket(SocketKind::kTcp);
    ASSERT_EQ(net.b().bind(l, {Ipv4Addr::any(), 8080}), 0);
    ASSERT_EQ(net.b().listen(l, 4), 0);
    const int c = net.a().socket(SocketKind::kTcp);
    ASSERT_EQ(net.a().connect(c, {kAddrB, 8080}, net.now()), -EINPROGRESS);
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(l) & readiness::kIn; }));
    const int server = net.b().accept(l, nullptr, net.now());
    ASSERT_GT(server, 0);
    net.b().close(l, net.now());
    const int plain = net.b().socket(SocketKind::kTcp);
    EXPECT_EQ(net.b().bind(plain, {Ipv4Addr::any(), 8080}), -EADDRINUSE);
    EXPECT_EQ(net.b().bind(server, {Ipv4Addr::any(), 0}), -EINVAL);  // already bound, as inet_bind
}

TEST(TcpListen, ReuseAddrOnTheListenerAndTheNewSocketSharesAnAcceptedPort) {
    TwoStacks net;
    const int l = net.b().socket(SocketKind::kTcp);
    SocketOptions reuse = net.b().get_options(l);
    reuse.reuse_addr = true;
    ASSERT_EQ(net.b().set_options(l, reuse), 0);
    ASSERT_EQ(net.b().bind(l, {Ipv4Addr::any(), 8080}), 0);
    ASSERT_EQ(net.b().listen(l, 4), 0);
    const int c = net.a().socket(SocketKind::kTcp);
    ASSERT_EQ(net.a().connect(c, {kAddrB, 8080}, net.now()), -EINPROGRESS);
    ASSERT_TRUE(net.run_until([&] { return net.b().poll_events(l) & readiness::kIn; }));
    ASSERT_GT(net.b().accept(l, nullptr, net.now()), 0);
    net.b().close(l, net.now());
    const int without = net.b().socket(SocketKind::kTcp);
    EXPECT_EQ(net.b().bind(without, {Ipv4Addr::any(), 8080}), -EADDRINUSE);
    const int with = net.b().socket(SocketKind::kTcp);
    ASSERT_EQ(net.b().set_options(with, reuse), 0);
    EXPECT_EQ(net.b().bind(with, {Ipv4Addr::any(), 8080}), 0);
    EXPECT_EQ(net.b().listen(with, 4), 0);
}

}  // namespace
}  // namespace ustack

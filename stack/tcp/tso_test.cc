// TCP over a device with TSO and checksum offload: new data leaves in super-frames of whole
// MSS multiples up to 64 KiB, and a lost super-frame is recovered (retransmissions are
// MSS-sized, the scoreboard works in sequence space).
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include <gtest/gtest.h>

#include "stack/core/rng.h"
#include "stack/testing/two_stacks.h"

namespace ustack {
namespace {

using testing::kAddrB;
using testing::TwoStacks;

constexpr size_t kMtuFrame = 14 + 1500;

std::vector<std::byte> random_bytes(size_t n, uint64_t seed) {
    Rng rng(seed);
    std::vector<std::byte> v(n);
    for (auto& b : v) b = std::byte(rng.next() & 0xff);
    return v;
}

// Connects a to b and sends data from a; returns what b read.
std::vector<std::byte> send_a_to_b(TwoStacks& net, const std::vector<std::byte>& data) {
    const int listener = net.b().socket(SocketKind::kTcp);
    EXPECT_EQ(net.b().bind(listener, {Ipv4Addr::any(), 80}), 0);
    EXPECT_EQ(net.b().listen(listener, 8), 0);
    const int client = net.a().socket(SocketKind::kTcp);
    EXPECT_EQ(net.a().connect(client, {kAddrB, 80}, net.now()), -EINPROGRESS);
    EXPECT_TRUE(net.run_until([&] { return net.b().poll_events(listener) & readiness::kIn; }));
    Endpoint peer;
    const int server = net.b().accept(listener, &peer, net.now());
    EXPECT_GT(server, 0);
    std::vector<std::byte> got;
    std::vector<std::byte> buf(70000);
    size_t sent = 0;
    net.run_until([&] {
        while (sent < data.size()) {
            ConstBytes part[] = {std::span(data).subspan(sent)};
            const ssize_t n = net.a().send(client, part, nullptr, 0, net.now());
            if (n <= 0) break;
            sent += static_cast<size_t>(n);
        }
        for (;;) {
            MutableBytes out[] = {buf};
            const ssize_t n = net.b().recv(server, out, nullptr, 0, net.now());
            if (n <= 0) break;
            got.insert(got.end(), buf.begin(), buf.begin() + n);
        }
        return got.size() == data.size();
    });
    return got;
}

TEST(TcpTso, BulkDataLeavesInSuperFramesAndArrivesIntact) {
    TwoStacks net(TwoStacks::WithOffloads{});
    const auto data = random_bytes(4 << 20, 1);
    EXPECT_EQ(send_a_to_b(net, data), data);
    EXPECT_GT(net.offload_a()->max_frame, kMtuFrame);
    EXPECT_LE(net.offload_a()->max_frame, 14 + 65535u);
    EXPECT_EQ(net.a().counters().tcp_retransmits, 0u);
}

TEST(TcpTso, WithoutOffloadsNoFrameExceedsTheMtu) {
    size_t max_frame = 0;
    TwoStacks net([&](size_t, std::span<const std::byte> f) {
        max_frame = std::max(max_frame, f.size());
        return false;
    });
    const auto data = random_bytes(1 << 20, 2);
    EXPECT_EQ(send_a_to_b(net, data), data);
    EXPECT_LE(max_frame, kMtuFrame);
}

TEST(TcpTso, LostSuperFramesAreRecovered) {
    // Lose the 2nd and 5th super-frames: dozens of segments each, recovered by SACK
    // retransmission of MSS-sized pieces.
    int super_frames = 0;
    TwoStacks net(TwoStacks::WithOffloads{[&](std::span<const std::byte> f) {
        if (f.size() <= kMtuFrame) return false;
        ++super_frames;
        return super_frames == 2 || super_frames == 5;
    }});
    const auto data = random_bytes(4 << 20, 3);
    EXPECT_EQ(send_a_to_b(net, data), data);
    EXPECT_GE(super_frames, 5);
    EXPECT_GT(net.a().counters().tcp_retransmits, 0u);
}

}  // namespace
}  // namespace ustack

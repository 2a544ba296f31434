// The reassembler alone: fragments built by hand, a clock passed in.
#include "stack/ip/reassembly.h"

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "stack/wire/checksum.h"

namespace ustack::ip {
namespace {

using wire::Ipv4Addr;

const Ipv4Addr kSrc = Ipv4Addr::from_octets(10, 0, 0, 1);
const Ipv4Addr kDst = Ipv4Addr::from_octets(10, 0, 0, 2);

std::vector<std::byte> payload_of(size_t n, uint8_t seed = 1) {
    std::vector<std::byte> p(n);
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<std::byte>((i * 7 + seed) & 0xff);
    return p;
}

// A fragment of `whole` covering [offset, offset + len).
std::vector<std::byte> fragment(const std::vector<std::byte>& whole, size_t offset, size_t len, bool more,
                                uint16_t ident = 42, uint8_t protocol = 17, Ipv4Addr src = kSrc) {
    std::vector<std::byte> f(20 + len);
    wire::Ipv4Repr r{src, kDst, protocol, static_cast<uint16_t>(len), 64, 0, ident, false};
    r.emit(f);
    wire::store_be16(f, 6, static_cast<uint16_t>((more ? 0x2000 : 0) | (offset / 8)));
    wire::store_be16(f, 10, 0);
    wire::store_be16(f, 10, wire::internet_checksum(std::span(f).first(20)));
    std::memcpy(f.data() + 20, whole.data() + offset, len);
    return f;
}

class ReassemblyTest : public ::testing::Test {
protected:
    std::optional<ConstBytes> add(const std::vector<std::byte>& f, Instant now = Instant{0}) {
        auto v = wire::Ipv4View::parse(f);
        EXPECT_TRUE(v && v->is_fragment());
        return r_.add(*v, now);
    }
    static std::vector<std::byte> body(ConstBytes packet) {
        auto v = wire::Ipv4View::parse(packet);
        EXPECT_TRUE(v);
        EXPECT_TRUE(v->checksum_valid());
        EXPECT_FALSE(v->is_fragment());
        return {v->payload().begin(), v->payload().end()};
    }
    Counters c_;
    Reassembler r_{c_};
};

TEST_F(ReassemblyTest, InOrderFragmentsMakeTheDatagram) {
    const auto whole = payload_of(3000);
    EXPECT_FALSE(add(fragment(whole, 0, 1480, true)));
    EXPECT_FALSE(add(fragment(whole, 1480, 1480, true)));
    auto out = add(fragment(whole, 2960, 40, false));
    ASSERT_TRUE(out);
    EXPECT_EQ(body(*out), whole);
    EXPECT_EQ(c_.ip_reasm_reqds, 3u);
    EXPECT_EQ(c_.ip_reasm_oks, 1u);
    EXPECT_EQ(r_.queues(), 0u);
    EXPECT_EQ(r_.memory(), 0u);
}

TEST_F(ReassemblyTest, AnyOrderFillsTheHoles) {
    const auto whole = payload_of(4000, 9);
    EXPECT_FALSE(add(fragment(whole, 3200, 800, false)));
    EXPECT_FALSE(add(fragment(whole, 800, 800, true)));
    EXPECT_FALSE(add(fragment(whole, 2400, 800, true)));
    EXPECT_FALSE(add(fragment(whole, 0, 800, true)));
    auto out = add(fragment(whole, 1600, 800, true));
    ASSERT_TRUE(out);
    EXPECT_EQ(body(*out), whole);
}

TEST_F(ReassemblyTest, QueuesAreKeyedBySourceDestinationIdAndProtocol) {
    const auto a = payload_of(1600, 1), b = payload_of(1600, 2), c = payload_of(1600, 3);
    EXPECT_FALSE(add(fragment(a, 0, 800, true, 7, 17)));
    EXPECT_FALSE(add(fragment(b, 0, 800, true, 7, 1)));   // other protocol
    EXPECT_FALSE(add(fragment(c, 0, 800, true, 7, 17, Ipv4Addr::from_octets(10, 0, 0, 3))));  // other source
    EXPECT_EQ(r_.queues(), 3u);
    auto out = add(fragment(b, 800, 800, false, 7, 1));
    ASSERT_TRUE(out);
    EXPECT_EQ(body(*out), b);
    out = add(fragment(a, 800, 800, false, 7, 17));
    ASSERT_TRUE(out);
    EXPECT_EQ(body(*out), a);
}

TEST_F(ReassemblyTest, OverlapDropsTheWholeDatagram) {
    const auto whole = payload_of(2400);
    EXPECT_FALSE(add(fragment(whole, 0, 1200, true)));
    EXPECT_FALSE(add(fragment(whole, 800, 800, true)));  // 800..1600 overlaps 0..1200
    EXPECT_EQ(c_.ip_reasm_overlaps, 1u);
    EXPECT_EQ(c_.ip_reasm_fails, 1u);
    EXPECT_EQ(r_.queues(), 0u);
    // The rest no longer completes anything: a new queue starts from nothing.
    EXPECT_FALSE(add(fragment(whole, 1200, 1200, false)));
    EXPECT_EQ(r_.queues(), 1u);
}

TEST_F(ReassemblyTest, ExactRepeatIsIgnored) {
    const auto whole = payload_of(2400);
    EXPECT_FALSE(add(fragment(whole, 0, 1200, true)));
    EXPECT_FALSE(add(fragment(whole, 0, 1200, true)));
    EXPECT_FALSE(add(fragment(whole, 400, 400, true)));  // inside held data
    EXPECT_EQ(c_.ip_reasm_duplicates, 2u);
    EXPECT_EQ(c_.ip_reasm_overlaps, 0u);
    auto out = add(fragment(whole, 1200, 1200, false));
    ASSERT_TRUE(out);
    EXPECT_EQ(body(*out), whole);
}

TEST_F(ReassemblyTest, DataBeyondTheLastFragmentDropsTheQueue) {
    const auto whole = payload_of(3200);
    EXPECT_FALSE(add(fragment(whole, 1600, 800, false)));  // says the datagram ends at 2400
    EXPECT_FALSE(add(fragment(whole, 2400, 800, true)));
    EXPECT_EQ(c_.ip_reasm_fails, 1u);
    EXPECT_EQ(r_.queues(), 0u);
}

TEST_F(ReassemblyTest, TwoDifferentLastFragmentsDropTheQueue) {
    const auto whole = payload_of(3200);
    EXPECT_FALSE(add(fragment(whole, 1600, 800, false)));
    EXPECT_FALSE(add(fragment(whole, 800, 1600, false)));
    EXPECT_EQ(c_.ip_reasm_fails, 1u);
    EXPECT_EQ(r_.queues(), 0u);
}

TEST_F(ReassemblyTest, NonFinalFragmentIsTrimmedToEightByteUnits) {
    const auto whole = payload_of(1000);
    // 0..805 with MF: only 0..800 counts; then 800..1000 completes it.
    EXPECT_FALSE(add(fragment(whole, 0, 805, true)));
    auto out = add(fragment(whole, 800, 200, false));
    ASSERT_TRUE(out);
    EXPECT_EQ(body(*out), whole);
}

TEST_F(ReassemblyTest, MoreThan65535BytesIsDropped) {
    const auto whole = payload_of(65528 + 100);
    for (size_t off = 0; off < 65528; off += 1480) {
        const size_t len = std::min<size_t>(1480, 65528 - off);
        EXPECT_FALSE(add(fragment(whole, off, len, true)));
    }
    EXPECT_FALSE(add(fragment(whole, 65528, 100, false)));
    EXPECT_EQ(c_.ip_reasm_oks, 0u);
    EXPECT_EQ(c_.ip_reasm_fails, 1u);
    EXPECT_EQ(r_.queues(), 0u);
}

TEST_F(ReassemblyTest, LargestDatagramStillFits) {
    const size_t n = 65535 - 20;
    const auto whole = payload_of(n);
    std::optional<ConstBytes> out;
    for (size_t off = 0; off < n; off += 1480) {
        const size_t len = std::min<size_t>(1480, n - off);
        out = add(fragment(whole, off, len, off + len < n));
    }
    ASSERT_TRUE(out);
    EXPECT_EQ(body(*out), whole);
}

TEST_F(ReassemblyTest, TimeoutReportsTheFirstFragmentOnly) {
    const auto whole = payload_of(2400);
    EXPECT_FALSE(add(fragment(whole, 0, 1200, true, 1), Instant{0}));
    EXPECT_FALSE(add(fragment(whole, 1200, 800, true, 2), std::chrono::seconds(10)));  // no first fragment
    EXPECT_EQ(r_.next_deadline(), Instant{std::chrono::seconds(30)});
    int reports = 0;
    auto on_timeout = [&](const wire::Ipv4View& first) {
        ++reports;
        EXPECT_EQ(first.ident(), 1);
        EXPECT_EQ(first.fragment_offset_bytes(), 0);
        EXPECT_TRUE(first.more_fragments());
        EXPECT_TRUE(first.checksum_valid());
        EXPECT_EQ(first.payload().size(), 1200u);
    };
    r_.expire(std::chrono::seconds(29), on_timeout);
    EXPECT_EQ(r_.queues(), 2u);
    r_.expire(std::chrono::seconds(30), on_timeout);
    EXPECT_EQ(reports, 1);
    EXPECT_EQ(r_.queues(), 1u);
    r_.expire(std::chrono::seconds(40), on_timeout);
    EXPECT_EQ(reports, 1);
    EXPECT_EQ(r_.queues(), 0u);
    EXPECT_EQ(c_.ip_reasm_timeouts, 2u);
    EXPECT_EQ(c_.ip_reasm_fails, 2u);
    EXPECT_FALSE(r_.next_deadline());
}

TEST(ReassemblyLimitTest, OverTheMemoryLimitTheOldestQueuesGo) {
    Counters c;
    const size_t per = 1200 + Reassembler::kFragmentOverhead;
    Reassembler r{c, ReassemblyLimits{3 * per, std::chrono::seconds(30)}};
    const auto whole = payload_of(2400);
    auto add = [&](uint16_t id) {
        auto f = fragment(whole, 0, 1200, true, id);
        return r.add(*wire::Ipv4View::parse(f), Instant{0});
    };
    for (uint16_t id = 1; id <= 3; ++id) EXPECT_FALSE(add(id));
    EXPECT_EQ(r.memory(), 3 * per);
    EXPECT_FALSE(add(4));  // evicts id 1
    EXPECT_EQ(r.queues(), 3u);
    EXPECT_EQ(c.ip_reasm_fails, 1u);
    // id 1 is gone: its last fragment alone does not complete it; id 2's does.
    auto last = fragment(whole, 1200, 1200, false, 1);
    EXPECT_FALSE(r.add(*wire::Ipv4View::parse(last), Instant{0}));
    EXPECT_EQ(c.ip_reasm_fails, 2u);  // and it pushed out id 2
    last = fragment(whole, 1200, 1200, false, 3);
    auto out = r.add(*wire::Ipv4View::parse(last), Instant{0});
    ASSERT_TRUE(out);
    EXPECT_LE(r.memory(), 3 * per);
}

}  // namespace
}  // namespace ustack::ip

// RACK (RFC 8985 6.2): the reordering window D-SACKs widen, and loss marking (step 5) against
// the rule as the RFC states it, with the early stop of its walk.
#include "stack/tcp/rack.h"

#include <vector>

#include <gtest/gtest.h>

#include "stack/core/rng.h"

namespace ustack::tcp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr uint32_t kMss = 1000;
const Instant kStart = std::chrono::seconds(1);

bool sent_after(Instant t1, SeqNum s1, Instant t2, SeqNum s2) { return t1 > t2 || (t1 == t2 && s1 > s2); }

TEST(RackDetectLoss, AnAckThatFindsNothingLostLooksAtOneRecord) {
    // A thousand segments out, the oldest acknowledged: the next was sent after it, and so was
    // everything behind that, so the walk ends there instead of visiting all of them.
    Rack rack;
    Scoreboard sb;
    for (uint32_t i = 0; i < 1000; ++i) {
        rack.on_send(SeqNum(1 + i * kMss), SeqNum(1 + (i + 1) * kMss), kStart + microseconds(i), 0, false);
    }
    rack.on_ack(SeqNum(1 + kMss), sb, 0, kStart + milliseconds(10));
    const Rack::Detection d = rack.detect_loss(kStart + milliseconds(10), Duration{0});
    EXPECT_EQ(d.lost_segments, 0u);
    EXPECT_EQ(d.examined, 1u);
}

TEST(RackDetectLoss, AResentRecordIsJudgedByItsNewSendTime) {
    // A leaves at 0 ms and again at 1 ms; B leaves at 2 ms, C at 3 ms. C is SACKed at 13 ms
    // (RACK.rtt 10 ms, reo_wnd 2 ms). The resent A is due at 1 + 12 = 13 ms: lost (a lost
    // retransmission). B is due at 14 ms: the reordering timer is set for then, and finds it.
    Rack rack;
    Scoreboard sb;
    const SeqNum a(1), b(1 + kMss), c(1 + 2 * kMss), end(1 + 3 * kMss);
    rack.on_send(a, b, kStart, 0, false);
    rack.on_send(a, b, kStart + milliseconds(1), 0, true);
    rack.on_send(b, c, kStart + milliseconds(2), 0, false);
    rack.on_send(c, end, kStart + milliseconds(3), 0, false);
    const Instant now = kStart + milliseconds(13);
    sb.add(c, end, a, end);
    rack.on_ack(a, sb, 0, now);
    ASSERT_EQ(rack.rtt(), milliseconds(10));
    Rack::Detection d = rack.detect_loss(now, milliseconds(2));
    EXPECT_EQ(d.lost_segments, 1u);
    EXPECT_EQ(d.lost_retransmits, 1u);
    EXPECT_EQ(d.timeout, milliseconds(1));
    EXPECT_TRUE(rack.segments()[0].lost);
    EXPECT_FALSE(rack.segments()[1].lost);
    d = rack.detect_loss(now + milliseconds(1), milliseconds(2));  // the reordering timer
    EXPECT_EQ(d.lost_segments, 1u);
    EXPECT_TRUE(rack.segments()[1].lost);
    EXPECT_EQ(d.timeout, Duration{0});
}

TEST(RackReoWnd, DsackWidensItOncePerRoundTripForSixteenRecoveries) {
    // RFC 8985 6.2 step 4 (Linux tcp_rack_update_reo_wnd(), TCP_RACK_RECOVERY_THRESH = 16): a
    // round trip with D-SACKs adds one min_RTT / 4, up to SRTT; after 16 recoveries without
    // another D-SACK the window falls back to one step.
    Rack rack;
    Scoreboard sb;
    rack.on_send(SeqNum(1), SeqNum(1 + kMss), kStart, 0, false);
    rack.on_ack(SeqNum(1 + kMss), sb, 0, kStart + milliseconds(8));  // min_RTT 8 ms: steps of 2 ms
    const Duration srtt = milliseconds(7);
    auto window = [&] { return rack.reo_wnd(srtt, /*in_recovery=*/false, 0, kMss); };
    EXPECT_EQ(window(), milliseconds(2));
    rack.on_dsack(SeqNum(5001));                                   // snd_nxt: the round ends when it is ACKed
    rack.on_dsack(SeqNum(5001));                                   // same round trip: no second step
    EXPECT_EQ(window(), milliseconds(4));
    rack.on_ack(SeqNum(5001), sb, 0, kStart + milliseconds(20));
    rack.on_dsack(SeqNum(9001));
    EXPECT_EQ(window(), milliseconds(6));
    rack.on_ack(SeqNum(9001), sb, 0, kStart + milliseconds(30));
    rack.on_dsack(SeqNum(13001));
    EXPECT_EQ(window(), milliseconds(7));                          // 8 ms, capped at SRTT
    for (int i = 0; i < 15; ++i) rack.on_recovery_exit();
    EXPECT_EQ(window(), milliseconds(7));
    rack.on_recovery_exit();
    EXPECT_EQ(window(), milliseconds(2));
}

// What RFC 8985 6.2 step 5 says, visiting every record: which are newly lost, and the largest
// time any other record sent before RACK.xmit_ts still has to go (0: none).
struct Verdict {
    std::vector<bool> lost;
    Duration max_remaining{0};
};
Verdict rfc_verdict(const Rack& rack, Instant now, Duration reo_wnd) {
    Verdict v;
    for (const Rack::Segment& s : rack.segments()) {
        bool lost = false;
        if (rack.xmit_ts() != Instant{0} && !s.sacked && !s.lost && sent_after(rack.xmit_ts(), rack.end_seq(), s.xmit, s.end)) {
            const Duration remaining = s.xmit + rack.rtt() + reo_wnd - now;
            if (remaining <= Duration{0}) lost = true;
            else v.max_remaining = std::max(v.max_remaining, remaining);
        }
        v.lost.push_back(lost);
    }
    return v;
}

TEST(RackDetectLoss, MarksExactlyWhatTheRfcRuleMarksOverRandomHistories) {
    // Random sends, retransmissions of any outstanding segment, ACKs with SACK blocks and time
    // steps; after each ACK or timer the early-stopping walk must mark the same records as the
    // full walk, and ask for the same reordering timer.
    for (uint64_t seed = 1; seed <= 40; ++seed) {
        Rng rng(seed);
        Rack rack;
        Scoreboard sb;
        const Duration reo_wnd = microseconds(rng.below(4000));
        SeqNum una(1), nxt(1);
        Instant now = kStart;
        for (int step = 0; step < 3000; ++step) {
            const uint32_t outstanding = static_cast<uint32_t>(nxt - una) / kMss;
            bool detect = false;
            switch (rng.below(6)) {
                case 0:
                case 1:
                    for (uint32_t n = 1 + rng.below(3); n > 0 && outstanding + n < 200; --n) {
                        rack.on_send(nxt, nxt + kMss, now, 0, false);
                        nxt += kMss;
                    }
                    break;
                case 2:
                    if (outstanding > 0) {
                        const SeqNum s = una + rng.below(outstanding) * kMss;
                        rack.on_send(s, s + kMss, now, 0, true);
                    }
                    break;
                case 3:
                    now += microseconds(rng.below(6000));
                    break;
                case 4: {
                    if (outstanding > 0) {
                        una += rng.below(std::min<uint32_t>(outstanding, 3) + 1) * kMss;
                        const uint32_t left = static_cast<uint32_t>(nxt - una) / kMss;
                        if (left > 1) {
                            const uint32_t from = 1 + rng.below(left - 1);
                            sb.add(una + from * kMss, una + (from + 1 + rng.below(left - from)) * kMss, una, nxt);
                        }
                        sb.advance(una);
                        rack.on_ack(una, sb, 0, now);
                    }
                    detect = true;
                    break;
                }
                default:
                    detect = true;  // the reordering timer
                    break;
            }
            if (!detect) continue;
            const Verdict want = rfc_verdict(rack, now, reo_wnd);
            std::vector<bool> before;
            for (const Rack::Segment& s : rack.segments()) before.push_back(s.lost);
            const Rack::Detection d = rack.detect_loss(now, reo_wnd);
            uint32_t newly = 0;
            for (size_t i = 0; i < before.size(); ++i) {
                ASSERT_EQ(rack.segments()[i].lost, before[i] || want.lost[i]) << "seed " << seed << " step " << step << " record " << i;
                newly += want.lost[i] ? 1 : 0;
            }
            ASSERT_EQ(d.lost_segments, newly) << "seed " << seed << " step " << step;
            ASSERT_EQ(d.timeout, want.max_remaining) << "seed " << seed << " step " << step;
        }
    }
}

}  // namespace
}  // namespace ustack::tcp

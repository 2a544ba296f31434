#include "stack/tcp/rack.h"

#include <algorithm>

namespace ustack::tcp {

namespace {

// RFC 8985 6.2 RACK_sent_after(): t1/seq1 was sent after t2/seq2 (ties broken by sequence, for
// segments sent in one burst with the same timestamp).
bool sent_after(Instant t1, SeqNum seq1, Instant t2, SeqNum seq2) { return t1 > t2 || (t1 == t2 && seq1 > seq2); }

}  // namespace

void Rack::split_at(SeqNum s) {
    for (size_t i = head_; i < segs_.size(); ++i) {
        if (!(segs_[i].start < s)) return;
        if (s < segs_[i].end) {
            Segment tail = segs_[i];
            tail.start = s;
            segs_[i].end = s;
            segs_.insert(segs_.begin() + static_cast<std::ptrdiff_t>(i + 1), tail);
            return;
        }
    }
}

void Rack::drop_front(size_t n) {
    head_ += n;
    if (head_ == segs_.size()) {
        clear();  // keeps the capacity: the next flight reuses it
    } else if (head_ >= 64 && head_ * 2 >= segs_.size()) {
        // Compact once the dropped prefix outweighs what is left: amortised O(1) per record.
        segs_.erase(segs_.begin(), segs_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
}

void Rack::on_send(SeqNum start, SeqNum end, Instant now, uint32_t tsval, bool retransmit) {
    if (!(start < end)) return;
    if (live().empty() || !(start < segs_.back().end)) {
        segs_.push_back({start, end, now, tsval, retransmit, false, false});
        return;
    }
    split_at(start);
    split_at(end);
    for (Segment& s : live()) {
        if (s.end <= start) continue;
        if (!(s.start < end)) break;
        s.xmit = now;
        s.tsval = tsval;
        s.retransmitted = s.retransmitted || retransmit;
        s.lost = false;
    }
    if (segs_.back().end < end) segs_.push_back({segs_.back().end, end, now, tsval, retransmit, false, false});
}

void Rack::on_ack(SeqNum ack, const Scoreboard& sb, uint32_t tsecr, Instant now) {
    if (dsack_round_set_ && ack >= dsack_round_) dsack_round_set_ = false;
    // Records and SACK ranges are both in sequence order: one pass over each.
    const auto& ranges = sb.ranges();
    auto range = ranges.begin();
    for (Segment& s : live()) {
        bool delivered = false;
        while (range != ranges.end() && range->right <= s.start) ++range;
        const bool covered = range != ranges.end() && range->left <= s.start && s.end <= range->right;
        if (s.end <= ack) {
            delivered = !s.sacked;
        } else if (!s.sacked && ack <= s.start && covered) {
            s.sacked = true;
            s.lost = false;
            delivered = true;
        }
        if (!delivered) continue;
        // Step 3: a segment delivered below the highest one delivered earlier, never resent,
        // arrived out of order.
        if (!have_fack_ || fack_ < s.end) {
            fack_ = s.end;
            have_fack_ = true;
        } else if (s.end < fack_ && !s.retransmitted) {
            reordering_seen_ = true;
        }
        // Step 2: an ACK for a retransmitted segment may be for the original; use it only when
        // the echoed timestamp shows the retransmission, or too little time passed for it to be.
        if (s.retransmitted) {
            if (tsecr != 0 && static_cast<int32_t>(tsecr - s.tsval) < 0) continue;
            if (now - s.xmit < min_rtt()) continue;
        }
        const Duration rtt = now - s.xmit;
        rtt_ = rtt;
        min_rtt_.update(now, std::max(rtt, Duration(1)));
        if (xmit_ts_ == Instant{0} || sent_after(s.xmit, s.end, xmit_ts_, end_seq_)) {
            xmit_ts_ = s.xmit;
            end_seq_ = s.end;
        }
    }
    size_t acked = 0;
    for (const Segment& s : live()) {
        if (!(s.end <= ack)) break;
        ++acked;
    }
    drop_front(acked);
    if (!live().empty() && segs_[head_].start < ack) segs_[head_].start = ack;
}

Duration Rack::reo_wnd(Duration srtt, bool in_recovery, uint32_t sacked_bytes, uint32_t mss) const {
    constexpr uint32_t kDupThresh = 3;
    if (!reordering_seen_ && (in_recovery || sacked_bytes >= kDupThresh * mss)) return Duration{0};
    return std::min<Duration>(reo_wnd_mult_ * (min_rtt() / 4), srtt);
}

void Rack::on_dsack(SeqNum snd_nxt) {
    if (dsack_round_set_) return;  // one step per round trip
    dsack_round_set_ = true;
    dsack_round_ = snd_nxt;
    ++reo_wnd_mult_;
    reo_wnd_persist_ = 16;
}

void Rack::on_recovery_exit() {
    if (--reo_wnd_persist_ <= 0) {
        reo_wnd_persist_ = 0;
        reo_wnd_mult_ = 1;
    }
}

Rack::Detection Rack::detect_loss(Instant now, Duration reo_wnd) {
    Detection d;
    if (xmit_ts_ == Instant{0}) return d;
    for (Segment& s : live()) {
        ++d.examined;
        if (s.sacked || s.lost) continue;
        // RFC 8985 6.2 step 5 visits only segments sent before RACK.xmit_ts; in send order the
        // walk can end at the first one sent after it (Linux walks a list kept in send order).
        // Ours are in sequence order, but a record never resent still has its original send
        // time, and every record after it in sequence was first sent after it: past such a
        // record sent after RACK.xmit_ts, nothing qualifies. Resent records come out of order,
        // so they are passed, not stopped at.
        if (!sent_after(xmit_ts_, end_seq_, s.xmit, s.end)) {
            if (!s.retransmitted) break;
            continue;
        }
        const Duration remaining = s.xmit + rtt_ + reo_wnd - now;
        if (remaining <= Duration{0}) {
            s.lost = true;
            ++d.lost_segments;
            if (s.retransmitted) ++d.lost_retransmits;
        } else {
            d.timeout = std::max(d.timeout, remaining);
        }
    }
    return d;
}

void Rack::forget_sacks() {
    for (Segment& s : live()) {
        s.sacked = false;
        s.lost = false;
    }
}

uint32_t Rack::next_lost(SeqNum from, SeqNum* start) const {
    for (const Segment& s : segments()) {
        if (!s.lost || s.end <= from) continue;
        *start = wire::seq_max(s.start, from);
        return static_cast<uint32_t>(s.end - *start);
    }
    return 0;
}

uint32_t Rack::lost_bytes() const {
    uint32_t n = 0;
    for (const Segment& s : segments()) {
        if (s.lost) n += static_cast<uint32_t>(s.end - s.start);
    }
    return n;
}

uint32_t Rack::retransmitted_unacked(uint32_t mss) const {
    uint32_t n = 0;
    for (const Segment& s : segments()) {
        if (s.retransmitted && !s.sacked && !s.lost) n += (static_cast<uint32_t>(s.end - s.start) + mss - 1) / mss;
    }
    return n;
}

bool Rack::retransmitted(SeqNum left, SeqNum right) const {
    for (const Segment& s : segments()) {
        if (s.end <= left) continue;
        if (!(s.start < right)) break;
        if (s.retransmitted) return true;
    }
    return false;
}

}  // namespace ustack::tcp

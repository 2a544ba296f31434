#include "stack/tcp/sack.h"

namespace ustack::tcp {

void Scoreboard::add(SeqNum left, SeqNum right, SeqNum snd_una, SeqNum snd_max) {
    if (!(left < right)) return;
    if (right <= snd_una || left >= snd_max) return;
    left = wire::seq_max(left, snd_una);
    right = wire::seq_min(right, snd_max);
    if (!(left < right)) return;  // nothing outstanding inside it (snd_una == snd_max)
    Range r{left, right};
    auto it = ranges_.begin();
    while (it != ranges_.end() && it->right < r.left) ++it;
    auto first = it;
    while (it != ranges_.end() && it->left <= r.right) {
        r.left = wire::seq_min(r.left, it->left);
        r.right = wire::seq_max(r.right, it->right);
        ++it;
    }
    if (first == it && ranges_.size() >= kMaxRanges) return;
    it = ranges_.erase(first, it);
    ranges_.insert(it, r);
}

void Scoreboard::advance(SeqNum snd_una) {
    auto it = ranges_.begin();
    while (it != ranges_.end() && it->right <= snd_una) ++it;
    ranges_.erase(ranges_.begin(), it);
    if (!ranges_.empty() && ranges_.front().left < snd_una) ranges_.front().left = snd_una;
}

uint32_t Scoreboard::sacked_bytes() const {
    uint32_t n = 0;
    for (const Range& r : ranges_) n += static_cast<uint32_t>(r.right - r.left);
    return n;
}

bool Scoreboard::is_sacked(SeqNum s) const {
    for (const Range& r : ranges_) {
        if (s < r.left) return false;
        if (s < r.right) return true;
    }
    return false;
}

uint32_t Scoreboard::hole_at(SeqNum from, SeqNum* start) const {
    for (const Range& r : ranges_) {
        if (from < r.left) {
            *start = from;
            return static_cast<uint32_t>(r.left - from);
        }
        if (from < r.right) from = r.right;
    }
    *start = from;
    return 0;
}

bool Scoreboard::is_lost(SeqNum seq, uint32_t mss, int dup_thresh) const {
    uint32_t above = 0;
    for (auto it = ranges_.rbegin(); it != ranges_.rend(); ++it) {
        if (!(seq < it->right)) break;
        above += static_cast<uint32_t>(it->right - wire::seq_max(it->left, seq + 1));
        if (above >= static_cast<uint32_t>(dup_thresh) * mss) return true;
    }
    return false;
}

}  // namespace ustack::tcp

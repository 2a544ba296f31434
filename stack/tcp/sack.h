// The sender's SACK scoreboard (RFC 2018, RFC 6675 section 4): which sequence ranges above
// snd_una the peer has reported holding. Ranges are kept sorted, disjoint and merged.
#pragma once

#include <cstdint>

#include "stack/core/heap.h"
#include "stack/wire/seq.h"

namespace ustack::tcp {

using wire::SeqNum;

class Scoreboard {
public:
    static constexpr size_t kMaxRanges = 64;

    struct Range {
        SeqNum left, right;  // [left, right)
    };

    // Records a block the peer reported; blocks outside (snd_una, snd_max] are ignored
    // (RFC 2018: a block may only describe data we sent and the peer has not acknowledged).
    void add(SeqNum left, SeqNum right, SeqNum snd_una, SeqNum snd_max);
    // Forgets everything at or below the new cumulative acknowledgement.
    void advance(SeqNum snd_una);
    void clear() { ranges_.clear(); }

    bool empty() const { return ranges_.empty(); }
    uint32_t sacked_bytes() const;
    SeqNum highest() const { return ranges_.back().right; }  // requires !empty()
    bool is_sacked(SeqNum s) const;
    // The first unSACKed byte at or after `from` and how many unSACKed bytes follow it before
    // the next SACKed range (0 when `from` lies past the highest SACKed byte).
    uint32_t hole_at(SeqNum from, SeqNum* start) const;
    // RFC 6675 IsLost(): at least dup_thresh * mss SACKed bytes lie above seq.
    bool is_lost(SeqNum seq, uint32_t mss, int dup_thresh = 3) const;
    const auto& ranges() const { return ranges_; }

private:
    heap::Vector<Range> ranges_;
};

}  // namespace ustack::tcp

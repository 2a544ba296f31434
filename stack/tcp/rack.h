// RACK (RFC 8985): loss detection by time. The sender remembers when each outstanding segment
// was last sent; a segment is lost once a segment sent after it has been delivered and more
// than RACK.rtt + RACK.reo_wnd has passed since it was sent. This decides what is lost; the
// SACK recovery in output.cc decides when to resend it (as Linux: RACK marks, recovery sends).
#pragma once

#include <cstdint>
#include <span>

#include "stack/core/heap.h"
#include "stack/core/time.h"
#include "stack/core/windowed_min.h"
#include "stack/tcp/sack.h"
#include "stack/wire/seq.h"

namespace ustack::tcp {

using wire::SeqNum;

class Rack {
public:
    static constexpr Duration kMinRttWindow = std::chrono::minutes(5);

    // RFC 8985 6.1 per-segment variables, one record per transmitted range [start, end).
    struct Segment {
        SeqNum start, end;
        Instant xmit{0};            // when this range was last sent
        uint32_t tsval = 0;         // the TSval it carried (RFC 8985 6.2 step 2's spurious check)
        bool retransmitted = false;
        bool sacked = false;
        bool lost = false;          // marked lost and not resent since
    };

    // Every transmission of sequence space (data, FIN). A retransmission may cover part of a
    // record (TSO sends up to 64 KiB at once, retransmissions are MSS-sized): records split.
    void on_send(SeqNum start, SeqNum end, Instant now, uint32_t tsval, bool retransmit);

    // RFC 8985 6.2 steps 1-3 for one ACK, after the scoreboard took its SACK blocks: every
    // segment newly cumulatively ACKed (below ack) or newly SACKed updates RACK.xmit_ts,
    // RACK.end_seq and RACK.rtt from the most recently sent of them, and reordering is seen
    // when one of them ends below the highest sequence delivered before (RACK.fack).
    // tsecr is the ACK's echoed timestamp (0: none). Then drops the records below ack.
    void on_ack(SeqNum ack, const Scoreboard& sb, uint32_t tsecr, Instant now);

    // RFC 8985 6.2 step 4: RACK.reo_wnd, min_RTT / 4 times the DSACK multiplier, at most SRTT;
    // 0 while no reordering has been seen and either recovery is under way or DupThresh
    // segments are SACKed (then RACK acts as the three-duplicate-ACK rule would).
    Duration reo_wnd(Duration srtt, bool in_recovery, uint32_t sacked_bytes, uint32_t mss) const;
    // The ACK carried a D-SACK block (RFC 2883): once per round trip, widen the window by one
    // more min_RTT / 4, for the next 16 recoveries.
    void on_dsack(SeqNum snd_nxt);
    void on_recovery_exit();

    // RFC 8985 6.2 step 5: marks lost every unSACKed segment sent before RACK.xmit_ts whose
    // time is up. timeout: until the last other one is due (0: none), for the reordering timer
    // (6.3), so that one expiry finds them all lost (the RFC's maximum, as Linux).
    // The walk ends at the first record never resent that was sent after RACK.xmit_ts: an
    // ordinary ACK, which delivers the oldest segments, looks at one record, not every one
    // outstanding.
    struct Detection {
        Duration timeout{0};
        uint32_t lost_segments = 0;     // newly marked
        uint32_t lost_retransmits = 0;  // of those, ones already retransmitted (6.2 "lost retransmissions")
        uint32_t examined = 0;          // records looked at
    };
    Detection detect_loss(Instant now, Duration reo_wnd);

    // After a retransmission timeout the receiver may have dropped what it SACKed (RFC 2018 8).
    void forget_sacks();
    void clear() {
        segs_.clear();
        head_ = 0;
    }
    // Gives the records' memory back (TIME-WAIT: nothing will be sent again).
    void release_storage() {
        heap::Vector<Segment>().swap(segs_);
        head_ = 0;
    }

    // The first lost byte at or after `from`, and how many lost bytes follow it in that record;
    // 0 when there is none.
    uint32_t next_lost(SeqNum from, SeqNum* start) const;
    uint32_t lost_bytes() const;
    bool has_lost() const { return lost_bytes() > 0; }
    // Segments (of mss bytes) resent and neither delivered nor marked lost since (Linux
    // retrans_out); whether any part of [left, right) was ever resent.
    uint32_t retransmitted_unacked(uint32_t mss) const;
    bool retransmitted(SeqNum left, SeqNum right) const;

    bool reordering_seen() const { return reordering_seen_; }
    int reo_wnd_mult() const { return reo_wnd_mult_; }
    Duration rtt() const { return rtt_; }
    Instant xmit_ts() const { return xmit_ts_; }  // RACK.xmit_ts (0: nothing delivered yet)
    SeqNum end_seq() const { return end_seq_; }   // RACK.end_seq
    Duration min_rtt() const { return min_rtt_.empty() ? Duration{0} : min_rtt_.get(); }
    std::span<const Segment> segments() const { return {segs_.data() + head_, segs_.size() - head_}; }
    // Bytes of record storage held (a connection that never sent data holds none).
    size_t storage_capacity() const { return segs_.capacity() * sizeof(Segment); }

private:
    // Splits the record holding s so that a record starts at s.
    void split_at(SeqNum s);

    std::span<Segment> live() { return {segs_.data() + head_, segs_.size() - head_}; }
    // Drops the n oldest records (acknowledged).
    void drop_front(size_t n);

    // The records, in sequence order and disjoint, are segs_[head_, size()): acknowledged ones
    // leave from the front by moving head_, so an ACK costs no shifting. A vector, not a deque:
    // libstdc++'s deque allocates a map and a 512-byte node even when empty, 568 bytes for
    // every connection (idle ones included); an empty vector owns nothing until the first send.
    heap::Vector<Segment> segs_;
    size_t head_ = 0;
    Instant xmit_ts_{0};        // RACK.xmit_ts
    SeqNum end_seq_;            // RACK.end_seq
    Duration rtt_{0};           // RACK.rtt
    // RACK.min_RTT: over the last 5 minutes, as Linux's tcp_min_rtt() (tcp_min_rtt_wlen = 300 s),
    // so a path whose delay rose for good stops being judged by the old, shorter round trip.
    WindowedMin<Duration> min_rtt_{kMinRttWindow};
    SeqNum fack_;               // RACK.fack: the highest sequence delivered
    bool have_fack_ = false;
    bool reordering_seen_ = false;
    int reo_wnd_mult_ = 1;
    int reo_wnd_persist_ = 0;
    bool dsack_round_set_ = false;
    SeqNum dsack_round_;
};

}  // namespace ustack::tcp

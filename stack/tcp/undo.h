// Undoing a window reduction that spurious retransmissions caused, as Linux's undo does. An
// episode begins when fast retransmit or a timeout reduces the window; it remembers the window
// before. Two proofs take the reduction back:
//  - Eifel detection (RFC 3522), with timestamps: the first ACK that moves snd_una echoes a TSval
//    older than the oldest retransmission still unacknowledged (Linux's retrans_stamp). An
//    original transmission arrived: the data was only delayed.
//  - D-SACK (RFC 2883, RFC 3708; Linux undo_retrans, tcp_try_undo_dsack()), with SACK: the
//    episode counts its retransmissions and every D-SACK for one takes one off; when all came
//    back as duplicates, none was needed. D-SACKs can trail the end of recovery by a round trip,
//    so the episode stays open until it is undone or the next one begins.
#pragma once

#include <algorithm>
#include <cstdint>

#include "stack/tcp/congestion.h"
#include "stack/wire/seq.h"

namespace ustack::tcp {

class Undo {
public:
    struct Reduction {
        wire::SeqNum snd_una;
        uint32_t ts_now = 0;            // our TSval clock now
        bool timestamps = false;        // negotiated: Eifel detection can work
        bool rto = false;               // a timeout (else fast retransmit)
        bool in_recovery = false;       // fast recovery is under way
        uint32_t retransmits_out = 0;   // segments resent before and still unacknowledged (Linux retrans_out)
    };

    // Before the reduction. A reduction before any ACK moved snd_una since the last one, or a
    // timeout during fast recovery, continues that episode: the window to restore stays the
    // one before the first reduction (Linux tcp_enter_loss() keeps its undo state then).
    void begin(const CongestionControl& cc, const Reduction& r) {
        if (active_ && (!acked_ || (r.rto && r.in_recovery))) {
            after_rto_ = after_rto_ || r.rto;
            return;
        }
        active_ = true;
        acked_ = false;
        after_rto_ = r.rto;
        marker_ = r.snd_una;
        prior_cwnd_ = cc.cwnd;
        prior_ssthresh_ = cc.ssthresh;
        eifel_ = r.timestamps;
        retrans_tsval_ = rtx_outstanding(r.snd_una) ? first_rtx_tsval_ : r.ts_now;
        unproven_ = r.retransmits_out;  // Linux tcp_init_undo(): undo_retrans = retrans_out
        resent_any_ = r.retransmits_out > 0;
    }

    // Every retransmission (output.cc), of `segments` segments. A copy resent in an earlier
    // episode and still not acknowledged keeps the older stamp: an ACK echoing that copy
    // proves nothing spurious.
    void note_retransmit(wire::SeqNum snd_una, wire::SeqNum end, uint32_t ts_now, uint32_t segments) {
        if (!rtx_outstanding(snd_una)) {
            first_rtx_tsval_ = ts_now;
            rtx_end_ = end;
            rtx_pending_ = true;
        } else {
            rtx_end_ = wire::seq_max(rtx_end_, end);
        }
        if (active_) {
            unproven_ += segments;
            resent_any_ = true;
        }
    }

    // The first ACK that moves snd_una in the episode decides Eifel detection (RFC 3522 2): its
    // TSecr (0: none) is older than the retransmission, so the original arrived.
    bool first_ack_shows_delay(uint32_t tsecr) {
        if (!active_ || acked_) return false;
        acked_ = true;
        return eifel_ && tsecr != 0 && static_cast<int32_t>(tsecr - retrans_tsval_) < 0;
    }

    // A D-SACK (RFC 2883) that the caller checked names data we retransmitted, ending at
    // `right` and spanning `segments` segments: that many retransmissions were needless, if
    // they belong to this episode (Linux tcp_check_dsack(): above the undo marker).
    void on_dsack(wire::SeqNum right, uint32_t segments) {
        if (!active_ || !(marker_ < right)) return;
        unproven_ -= std::min(unproven_, segments);
    }
    // RFC 3708 / Linux tcp_try_undo_dsack(): every retransmission came back as a duplicate.
    bool dsacks_show_all_needless() const { return active_ && resent_any_ && unproven_ == 0; }

    // Linux tcp_undo_cwnd_reduction(): never below what the window has since regrown to.
    void restore(CongestionControl& cc) {
        cc.cwnd = std::max(cc.cwnd, prior_cwnd_);
        cc.ssthresh = std::max(cc.ssthresh, prior_ssthresh_);
        active_ = false;
    }

    bool active() const { return active_; }
    bool after_rto() const { return after_rto_; }
    uint32_t unproven() const { return unproven_; }

private:
    bool rtx_outstanding(wire::SeqNum snd_una) const { return rtx_pending_ && snd_una < rtx_end_; }

    bool active_ = false;          // an episode is open (Linux undo_marker != 0)
    bool acked_ = false;           // an ACK has moved snd_una since it began
    bool after_rto_ = false;       // it began with, or came to include, a timeout
    wire::SeqNum marker_;          // snd_una when it began (Linux undo_marker)
    uint32_t prior_cwnd_ = 0;
    uint32_t prior_ssthresh_ = 0;
    bool eifel_ = false;           // timestamps: the first ACK can tell the copies apart
    uint32_t retrans_tsval_ = 0;   // what that ACK must echo something older than
    uint32_t unproven_ = 0;        // retransmissions no D-SACK has shown needless (Linux undo_retrans)
    bool resent_any_ = false;      // the episode retransmitted something (Linux undo_retrans >= 0)

    // The oldest retransmission still unacknowledged, across episodes (Linux retrans_stamp).
    bool rtx_pending_ = false;
    uint32_t first_rtx_tsval_ = 0;
    wire::SeqNum rtx_end_;
};

}  // namespace ustack::tcp

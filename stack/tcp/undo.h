// Undoing a window reduction that a spurious retransmission caused: Eifel detection (RFC 3522)
// with timestamps, as Linux's undo does. When fast retransmit or a timeout reduces the window,
// remember the window before and the TSval of the oldest retransmission still unacknowledged
// (Linux's retrans_stamp). If the first ACK that moves snd_una echoes an older TSval, it was an
// original transmission that arrived: the data was only delayed, and the window comes back.
#pragma once

#include <algorithm>
#include <cstdint>

#include "stack/tcp/congestion.h"
#include "stack/wire/seq.h"

namespace ustack::tcp {

struct Undo {
    bool armed = false;
    bool after_rto = false;      // the episode began with a timeout (else with fast retransmit)
    uint32_t retrans_tsval = 0;  // what an ACK must echo something older than
    uint32_t prior_cwnd = 0;
    uint32_t prior_ssthresh = 0;

    // Every retransmission (output.cc). A copy resent in an earlier episode and still not
    // acknowledged keeps the older stamp: an ACK echoing that copy proves nothing spurious.
    void note_retransmit(wire::SeqNum snd_una, wire::SeqNum end, uint32_t ts_now) {
        if (!rtx_outstanding(snd_una)) {
            first_rtx_tsval_ = ts_now;
            rtx_end_ = end;
            rtx_pending_ = true;
        } else {
            rtx_end_ = wire::seq_max(rtx_end_, end);
        }
    }
    // Before the reduction. A second timeout in the same episode keeps the first one's values.
    void arm(const CongestionControl& cc, wire::SeqNum snd_una, uint32_t ts_now, bool rto) {
        if (armed) return;
        armed = true;
        after_rto = rto;
        retrans_tsval = rtx_outstanding(snd_una) ? first_rtx_tsval_ : ts_now;
        prior_cwnd = cc.cwnd;
        prior_ssthresh = cc.ssthresh;
    }
    // RFC 3522 2: the ACK's TSecr is older than the retransmission, so the original arrived.
    bool spurious(uint32_t tsecr) const { return armed && static_cast<int32_t>(tsecr - retrans_tsval) < 0; }
    // Linux tcp_undo_cwnd_reduction(): never below what the window has since regrown to.
    void restore(CongestionControl& cc) {
        cc.cwnd = std::max(cc.cwnd, prior_cwnd);
        cc.ssthresh = std::max(cc.ssthresh, prior_ssthresh);
        armed = false;
    }

private:
    bool rtx_outstanding(wire::SeqNum snd_una) const { return rtx_pending_ && snd_una < rtx_end_; }
    bool rtx_pending_ = false;
    uint32_t first_rtx_tsval_ = 0;
    wire::SeqNum rtx_end_;
};

}  // namespace ustack::tcp

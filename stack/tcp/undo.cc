// Undo of spurious window reductions (undo.h): where an episode begins, what undoing does to
// recovery, and which D-SACKs count as proof.
#include "stack/stack_impl.h"

namespace ustack {

using tcp::Tcb;
using wire::SeqNum;

void Stack::Impl::tcp_begin_undo_episode(Tcb& t, bool rto) {
    t.undo.begin(*t.cc, {.snd_una = t.snd_una,
                         .ts_now = t.ts_ok ? tcp_ts_now(t) : 0,
                         .timestamps = t.ts_ok,
                         .rto = rto,
                         .in_recovery = t.in_recovery,
                         .retransmits_out = t.sack_ok ? t.rack.retransmitted_unacked(t.snd_mss) : 0});
}

void Stack::Impl::tcp_undo_reduction(Tcb& t) {
    t.undo.restore(*t.cc);
    t.in_recovery = false;
    t.rto_recovery = false;  // what the timeout would still resend was not lost either
}

void Stack::Impl::tcp_dsack_undo(Tcb& t, SeqNum left, SeqNum right, SeqNum ack) {
    if (!(left < right)) return;
    const uint32_t segments = (static_cast<uint32_t>(right - left) + t.snd_mss - 1) / t.snd_mss;
    // Linux tcp_dsack_seen(): D-SACKs for more segments than we ever resent mean the network
    // duplicates packets; they prove nothing about our retransmissions. Above the cumulative
    // ACK the data is still in RACK's records: it must have been resent (Linux
    // tcp_sacktag_one() checks TCPCB_RETRANS).
    t.dsack_segments += segments;
    if (t.dsack_segments > t.total_retransmits || (ack < right && !t.rack.retransmitted(left, right))) {
        ++counters.tcp_dsacks_ignored;
        return;
    }
    t.undo.on_dsack(right, segments);
    if (!t.undo.dsacks_show_all_needless()) return;
    ++counters.tcp_dsack_undos;
    tcp_undo_reduction(t);
}

}  // namespace ustack

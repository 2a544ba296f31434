// Placing a segment's data in the receive queue: in order, out of order (written ahead and
// tracked by the Assembler), or partly old. Pure with respect to the TCB, so it can be tested
// against a model of the byte stream.
#pragma once

#include "stack/tcp/tcb.h"

namespace ustack::tcp {

struct Delivery {
    uint32_t advanced = 0;     // how far rcv_nxt moved
    bool in_order = false;     // the segment started at (or before) rcv_nxt
    bool filled_hole = false;  // out-of-order data became readable
    bool clipped = false;      // some bytes did not fit in the queue
};

// seq may lie before rcv_nxt: bytes already received are skipped (RFC 9293 3.10.7.4, seventh).
Delivery receive_data(Tcb& t, SeqNum seq, std::span<const std::byte> payload);

// The reassembly range holding seq, as an index into t.reassembly.ranges(); ranges().size()
// when none does.
size_t reassembly_range_of(const Tcb& t, SeqNum seq);

// Out-of-order data starting at seq was just placed: its block becomes the first we report,
// the others follow most recently reported first (RFC 2018 4, as Linux orders them).
void note_out_of_order(Tcb& t, SeqNum seq);

// In-order data arrived with two or more segments' worth unacknowledged (RFC 5681 4.2): ACK
// at once only if the window's right edge would move at least as far as rcv_nxt did since
// the last ACK, i.e. the application keeps up (Linux __tcp_ack_snd_check: "right edge of
// window advances far enough, tcp_recvmsg() will send ACK otherwise"). A reader that falls
// behind gets its ACK with its next read (read_owes_ack) or from the delayed-ACK timer, one
// ACK per read instead of one per arriving frame and another per read. Linux's window is
// min(free space, rcv_ssthresh), which stays put while the buffer is mostly free; we model
// that as at most half the buffer, so the rule bites only once more than half is unread.
bool window_advances_enough(const Tcb& t);

// After the application read: the ACK a lagging reader was owed, when more than a segment is
// unacknowledged (Linux tcp_cleanup_rbuf).
bool read_owes_ack(const Tcb& t);

}  // namespace ustack::tcp

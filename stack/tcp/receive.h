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

}  // namespace ustack::tcp

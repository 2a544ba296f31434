// TCP urgent data (RFC 9293 3.8.5, RFC 6093) as Linux implements it, which is what programs
// expect of MSG_OOB:
//  - the urgent pointer names the byte after the urgent one (the "BSD" reading, Linux's
//    default tcp_stdurg = 0), so a send(MSG_OOB) makes its last byte the urgent byte;
//  - a receiver keeps one urgent byte: unless SO_OOBINLINE it is read with recv(MSG_OOB) and
//    skipped by ordinary reads; a newer urgent pointer replaces it (the old byte becomes
//    ordinary data, or is dropped if it is the next byte to read);
//  - ordinary reads stop at the mark, so the bytes before the urgent byte come out first.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <span>

#include "stack/wire/seq.h"

namespace ustack::tcp {

using wire::SeqNum;
struct Tcb;

struct Urgent {
    // Sending (Linux snd_up): while `sending`, a segment starting before snd_up carries URG.
    bool sending = false;
    SeqNum snd_up;              // one past the last byte of the latest MSG_OOB send

    // Receiving (Linux urg_data, urg_seq).
    enum class Rcv : uint8_t {
        kNone,
        kNotYet,                // the pointer arrived, the byte it names has not
        kValid,                 // the byte is held for recv(MSG_OOB): POLLPRI
        kRead,                  // recv(MSG_OOB) took it; the mark stays until reads pass it
    };
    Rcv rcv = Rcv::kNone;
    SeqNum rcv_seq;             // the urgent byte's sequence number: the mark
    std::byte rcv_byte{};       // kValid, kRead
};

// ---- sending --------------------------------------------------------------------------------

// A send with MSG_OOB queued its bytes: the last byte queued is urgent (Linux tcp_mark_urg).
void urgent_queued(Tcb& t);
// snd_una moved: once the peer has everything up to snd_up, segments stop carrying URG.
void urgent_acked(Tcb& t);
// The urgent pointer field for a segment starting at seq, or nullopt for no URG flag
// (Linux __tcp_transmit_skb: a pointer beyond 64 KiB is sent as 0xFFFF while it stays
// ahead of what was sent).
std::optional<uint16_t> urgent_pointer_for(const Tcb& t, SeqNum seq);

// ---- receiving ------------------------------------------------------------------------------

// The sequence number of the next byte the application reads (Linux copied_seq).
SeqNum read_seq(const Tcb& t);

struct UrgentArrival {
    bool new_pointer = false;   // a new mark (Linux raises SIGURG here)
    bool byte_arrived = false;  // the urgent byte is now held: readers of POLLPRI wake
};
// An acceptable segment arrived in a synchronized state, before its data is queued (Linux
// tcp_urg(): RFC 9293 3.10.7.4, sixth, "check the URG bit"). urg_ptr is the header field when
// URG is set.
UrgentArrival urgent_segment(Tcb& t, SeqNum seq, std::optional<uint16_t> urg_ptr,
                             std::span<const std::byte> payload, bool oob_inline);

// recv(MSG_OOB) (Linux tcp_recv_urg): the held byte, once; -EINVAL when none is held (or
// SO_OOBINLINE); -EAGAIN when the pointer came but not the byte (it never blocks); 0 after
// end of stream.
ssize_t urgent_recv(Tcb& t, std::span<const std::span<std::byte>> out, bool peek, bool oob_inline);

// How an ordinary read treats the queued bytes: skip `skip` bytes first (the urgent byte at
// the head, out of line), then return at most `limit` bytes (up to the mark).
struct ReadPlan {
    size_t skip = 0;
    size_t limit = 0;
};
ReadPlan urgent_read_plan(const Tcb& t, bool oob_inline);
// After an ordinary read consumed bytes: a mark the reader has passed is forgotten.
void urgent_consumed(Tcb& t);

bool at_urgent_mark(const Tcb& t);
// FIONREAD (Linux tcp_inq): only the bytes before an out-of-line urgent byte count.
size_t urgent_readable_bytes(const Tcb& t, bool oob_inline);
// POLLIN: at the mark, an out-of-line urgent byte alone does not make the socket readable.
bool urgent_readable(const Tcb& t, bool oob_inline);
// POLLPRI: an urgent byte is held.
inline bool urgent_pending(const Urgent& u) { return u.rcv == Urgent::Rcv::kValid; }

}  // namespace ustack::tcp

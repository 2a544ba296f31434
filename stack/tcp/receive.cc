#include "stack/tcp/receive.h"

#include <algorithm>

namespace ustack::tcp {

Delivery receive_data(Tcb& t, SeqNum seq, std::span<const std::byte> payload) {
    Delivery d;
    if (seq < t.rcv_nxt) {
        const uint32_t old = static_cast<uint32_t>(t.rcv_nxt - seq);
        if (old >= payload.size()) {
            d.in_order = true;  // entirely a duplicate: nothing new, but ACK it
            return d;
        }
        payload = payload.subspan(old);
        seq = t.rcv_nxt;
    }
    const uint32_t offset = static_cast<uint32_t>(seq - t.rcv_nxt);
    if (offset == 0) {
        d.in_order = true;
        const size_t n = t.recv_queue.append(payload);
        d.clipped = n < payload.size();
        const bool had_holes = !t.reassembly.empty();
        const uint32_t extra = t.reassembly.advance(static_cast<uint32_t>(n));
        t.recv_queue.commit(extra);
        d.filled_hole = had_holes && extra > 0;
        d.advanced = static_cast<uint32_t>(n) + extra;
        t.rcv_nxt += d.advanced;
        return d;
    }
    const size_t n = t.recv_queue.write_ahead(offset, payload);
    d.clipped = n < payload.size();
    if (n > 0 && !t.reassembly.add(offset, static_cast<uint32_t>(n))) d.clipped = true;
    return d;
}

size_t reassembly_range_of(const Tcb& t, SeqNum seq) {
    const auto& ranges = t.reassembly.ranges();
    if (seq < t.rcv_nxt) return ranges.size();
    const uint32_t offset = static_cast<uint32_t>(seq - t.rcv_nxt);
    for (size_t i = 0; i < ranges.size(); ++i) {
        if (ranges[i].start <= offset && offset < ranges[i].end) return i;
    }
    return ranges.size();
}

void note_out_of_order(Tcb& t, SeqNum seq) {
    const size_t none = t.reassembly.ranges().size();
    const size_t latest = reassembly_range_of(t, seq);
    if (latest == none) return;  // nothing was recorded
    std::array<SeqNum, 4> kept{};
    uint8_t n = 0;
    kept[n++] = seq;
    // An older entry whose range the new data joined (or that was delivered) is dropped.
    for (uint8_t i = 0; i < t.sack_recent_count && n < kept.size(); ++i) {
        const size_t r = reassembly_range_of(t, t.sack_recent[i]);
        if (r != none && r != latest) kept[n++] = t.sack_recent[i];
    }
    t.sack_recent = kept;
    t.sack_recent_count = n;
}

bool window_advances_enough(const Tcb& t) {
    const uint32_t half = static_cast<uint32_t>(t.recv_queue.capacity() / 2);
    const uint32_t now = std::min(static_cast<uint32_t>(t.recv_queue.free_space()), half);
    const uint32_t offered = t.rcv_adv > t.last_ack_sent ? static_cast<uint32_t>(t.rcv_adv - t.last_ack_sent) : 0;
    return now >= std::min(offered, half);
}

bool read_owes_ack(const Tcb& t) {
    return t.unacked_segments > 0 && t.rcv_nxt > t.last_ack_sent && static_cast<uint32_t>(t.rcv_nxt - t.last_ack_sent) > t.snd_mss;
}

}  // namespace ustack::tcp

#include "stack/sim/sim_device.h"

#include <algorithm>

#include "stack/wire/ethernet.h"

namespace ustack::sim {

int SimDevice::receive(std::span<netdev::RxSlot> slots) {
    if (in_ == nullptr) return 0;
    int filled = 0;
    for (netdev::RxSlot& slot : slots) {
        std::optional<Link::Frame> f;
        // Skip frames that do not fit (counted), without giving up the slot.
        for (;;) {
            f = in_->pop_due(now_);
            if (!f || f->size() <= slot.buffer.size()) break;
            ++counters_.rx_oversize;
        }
        if (!f) break;
        std::copy(f->begin(), f->end(), slot.buffer.begin());
        slot.len = f->size();
        slot.checksum_partial = false;  // the stack verifies every checksum: corruption is caught
        ++counters_.rx_frames;
        ++filled;
    }
    return filled;
}

int SimDevice::send(std::span<const netdev::ConstBytes> frames) {
    for (netdev::ConstBytes f : frames) {
        ++counters_.tx_frames;
        if (out_ == nullptr || f.size() > mtu_ + wire::EthernetView::kHeaderLen) {
            ++counters_.tx_dropped;
            continue;
        }
        out_->transmit(f, now_);
    }
    return static_cast<int>(frames.size());
}

}  // namespace ustack::sim

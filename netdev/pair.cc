#include "netdev/pair.h"

#include <sys/eventfd.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

#include "netdev/sys.h"

namespace ustack::netdev {

// One direction: frames queued for one side's receive(), and that side's wakeup eventfd.
// Invariant (under Link::mu): the eventfd counter is non-zero iff frames is non-empty.
struct Inbox {
    std::deque<std::vector<std::byte>> frames;
    int event_fd = -1;
    DeviceCounters counters;  // of the side that owns this inbox
};

struct PairDevice::Link {
    std::mutex mu;  // guards both inboxes, their counters and their eventfds' counts
    Inbox inbox[2];
    size_t queue_limit = 0;

    ~Link() {
        for (Inbox& in : inbox) {
            if (in.event_fd >= 0) sys::close(in.event_fd);
        }
    }
};

namespace {

constexpr size_t kEthernetHeader = 14;

void signal_readable(int fd) {
    const uint64_t one = 1;
    sys::write(fd, &one, sizeof one);
}

void clear_readable(int fd) {
    uint64_t count;
    sys::read(fd, &count, sizeof count);  // resets the counter to zero
}

}  // namespace

std::pair<std::unique_ptr<PairDevice>, std::unique_ptr<PairDevice>> PairDevice::create(size_t mtu,
                                                                                         size_t queue_limit) {
    auto link = std::make_shared<Link>();
    link->queue_limit = queue_limit;
    for (Inbox& in : link->inbox) {
        // A test harness running out of fds is a bug in the test; fail loudly there.
        in.event_fd = static_cast<int>(sys::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    }
    return {std::unique_ptr<PairDevice>(new PairDevice(link, 0, mtu)),
            std::unique_ptr<PairDevice>(new PairDevice(link, 1, mtu))};
}

PairDevice::PairDevice(std::shared_ptr<Link> link, int side, size_t mtu)
    : link_(std::move(link)), side_(side), mtu_(mtu) {}

PairDevice::~PairDevice() = default;

int PairDevice::wait_fd() const { return link_->inbox[side_].event_fd; }

int PairDevice::receive(std::span<RxSlot> slots) {
    std::lock_guard lock(link_->mu);
    Inbox& in = link_->inbox[side_];
    size_t filled = 0;
    while (filled < slots.size() && !in.frames.empty()) {
        std::vector<std::byte>& frame = in.frames.front();
        RxSlot& slot = slots[filled];
        if (frame.size() > slot.buffer.size()) {
            ++in.counters.rx_oversize;
        } else {
            std::memcpy(slot.buffer.data(), frame.data(), frame.size());
            slot.len = frame.size();
            slot.checksum_partial = false;
            ++filled;
        }
        in.frames.pop_front();
    }
    if (in.frames.empty()) clear_readable(in.event_fd);
    in.counters.rx_frames += filled;
    return static_cast<int>(filled);
}

int PairDevice::send(std::span<const ConstBytes> frames) {
    std::lock_guard lock(link_->mu);
    Inbox& peer = link_->inbox[1 - side_];
    DeviceCounters& mine = link_->inbox[side_].counters;
    const bool was_empty = peer.frames.empty();
    for (ConstBytes f : frames) {
        if (f.size() > mtu_ + kEthernetHeader || peer.frames.size() >= link_->queue_limit) {
            ++mine.tx_dropped;
        } else {
            peer.frames.emplace_back(f.begin(), f.end());
        }
    }
    mine.tx_frames += frames.size();
    if (was_empty && !peer.frames.empty()) signal_readable(peer.event_fd);
    return static_cast<int>(frames.size());
}

DeviceCounters PairDevice::counters() const {
    std::lock_guard lock(link_->mu);
    return link_->inbox[side_].counters;
}

size_t PairDevice::queued() const {
    std::lock_guard lock(link_->mu);
    return link_->inbox[side_].frames.size();
}

}  // namespace ustack::netdev

#include "netdev/impair.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "netdev/sys.h"

// The epoll and timer fds are driven through netdev/sys.h (raw syscalls) so that our own
// LD_PRELOAD interposer never sees them; see sys.h.

namespace ustack::netdev {
namespace {

constexpr size_t kEthernetHeader = 14;
constexpr size_t kFrameSlack = kEthernetHeader + 4;  // header plus room for one 802.1Q tag
// An inner device may hand over frames far longer than its MTU: AF_PACKET on a veth delivers
// the kernel peer's TSO/GSO sends unsegmented (up to a 64 KiB IP packet), and the stack takes
// them whole. Pulling into MTU-sized buffers would drop every one of them as oversize, which
// starves any bulk transfer from a Linux peer down to its single-segment RTO retransmissions.
constexpr size_t kLargestIpPacket = 65535;
constexpr size_t kPullBatch = 32;
constexpr size_t kFlushBatch = 64;

Instant monotonic_now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

ImpairDevice::Result ImpairDevice::wrap(std::unique_ptr<Device> inner, ImpairOptions options) {
    long ep = sys::epoll_create(EPOLL_CLOEXEC);
    if (ep < 0) return {nullptr, "impair: cannot create an epoll fd: " + sys::error_text(static_cast<int>(-ep))};
    long tfd = sys::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tfd < 0) {
        sys::close(static_cast<int>(ep));
        return {nullptr, "impair: cannot create a timerfd: " + sys::error_text(static_cast<int>(-tfd))};
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    long r = sys::epoll_ctl(static_cast<int>(ep), EPOLL_CTL_ADD, static_cast<int>(tfd), &ev);
    if (r == 0 && inner->wait_fd() >= 0) {
        r = sys::epoll_ctl(static_cast<int>(ep), EPOLL_CTL_ADD, inner->wait_fd(), &ev);
    }
    if (r < 0) {
        sys::close(static_cast<int>(ep));
        sys::close(static_cast<int>(tfd));
        return {nullptr, "impair: cannot watch the inner device's wait_fd: " + sys::error_text(static_cast<int>(-r))};
    }
    if (!options.clock) options.clock = monotonic_now;
    return {std::unique_ptr<ImpairDevice>(
                new ImpairDevice(std::move(inner), std::move(options), static_cast<int>(ep), static_cast<int>(tfd))),
            {}};
}

ImpairDevice::ImpairDevice(std::unique_ptr<Device> inner, ImpairOptions options, int epoll_fd, int timer_fd)
    : inner_(std::move(inner)),
      options_(std::move(options)),
      rng_(options_.seed),
      epoll_fd_(epoll_fd),
      timer_fd_(timer_fd),
      pull_buffers_(kPullBatch, std::vector<std::byte>(std::max(inner_->mtu(), kLargestIpPacket) + kFrameSlack)) {}

ImpairDevice::~ImpairDevice() {
    sys::close(timer_fd_);
    sys::close(epoll_fd_);
}

bool ImpairDevice::chance(double p) {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return static_cast<double>(rng_.next() >> 11) * 0x1.0p-53 < p;  // 53 random bits in [0, 1)
}

void ImpairDevice::impair(ConstBytes frame, bool checksum_partial, const Impairment& how, ImpairCounters& stats,
                          Hold& hold, Instant now) {
    if (chance(how.drop)) {
        ++stats.dropped;
        return;
    }
    const int copies = chance(how.duplicate) ? 2 : 1;
    if (copies == 2) ++stats.duplicated;
    Instant release = now + how.delay;
    if (chance(how.reorder)) {
        ++stats.reordered;
        release += how.reorder_delay;
    }
    for (int i = 0; i < copies; ++i) {
        Held copy{{frame.begin(), frame.end()}, checksum_partial};
        if (!copy.bytes.empty() && chance(how.corrupt)) {
            // Past the Ethernet header, so the frame still reaches the layer whose checksum
            // should catch it instead of being discarded for a foreign MAC.
            const size_t from = copy.bytes.size() > kEthernetHeader ? kEthernetHeader : 0;
            const size_t at = from + rng_.below(static_cast<uint32_t>(copy.bytes.size() - from));
            copy.bytes[at] ^= std::byte(1 + rng_.below(255));  // never zero: the byte always changes
            copy.checksum_partial = false;
            ++stats.corrupted;
        }
        hold.emplace(release, std::move(copy));
    }
}

void ImpairDevice::pull_rx(size_t want, Instant now) {
    size_t pulled = 0;
    while (pulled < want) {
        const size_t room = options_.hold_limit > rx_hold_.size() ? options_.hold_limit - rx_hold_.size() : 0;
        // With the hold full we still pull (and count the loss), as a full queue drops.
        const size_t batch = std::min({kPullBatch, want - pulled, std::max<size_t>(room, 1)});
        RxSlot slots[kPullBatch];
        for (size_t i = 0; i < batch; ++i) slots[i] = RxSlot{pull_buffers_[i]};
        int n = inner_->receive({slots, batch});
        if (n < 0) inner_error_ = -n;
        if (n <= 0) return;
        for (int i = 0; i < n; ++i) {
            if (rx_hold_.size() >= options_.hold_limit) {
                ++rx_stats_.overflow;
                continue;
            }
            impair(slots[i].buffer.first(slots[i].len), slots[i].checksum_partial, options_.rx, rx_stats_, rx_hold_,
                   now);
        }
        pulled += static_cast<size_t>(n);
        if (static_cast<size_t>(n) < batch) return;  // the inner device is empty
    }
}

void ImpairDevice::flush_tx(Instant now) {
    while (!tx_hold_.empty() && tx_hold_.begin()->first <= now) {
        ConstBytes due[kFlushBatch];
        size_t count = 0;
        for (auto it = tx_hold_.begin(); it != tx_hold_.end() && it->first <= now && count < kFlushBatch; ++it) {
            due[count++] = it->second.bytes;
        }
        int n = inner_->send({due, count});
        if (n < 0) {
            // The link refuses these frames with an error: treat them as lost on the wire
            // rather than holding them forever.
            tx_stats_.send_errors += count;
            n = static_cast<int>(count);
        }
        tx_hold_.erase(tx_hold_.begin(), std::next(tx_hold_.begin(), n));
        if (static_cast<size_t>(n) < count) return;  // the inner device is full; retry later
    }
}

void ImpairDevice::rearm_timer(Instant now) {
    itimerspec spec{};  // all zero disarms
    if (std::optional<Instant> next = next_release()) {
        // A due frame still held must make wait_fd readable at once; 1 ns is the soonest.
        const Instant wait = std::max(*next - now, Instant{1});
        spec.it_value.tv_sec = static_cast<time_t>(wait.count() / 1'000'000'000);
        spec.it_value.tv_nsec = static_cast<long>(wait.count() % 1'000'000'000);
    }
    // Re-arming also clears an expiry nobody read, so a stale wakeup does not linger.
    sys::timerfd_settime(timer_fd_, 0, &spec);
}

std::optional<Instant> ImpairDevice::next_release() const {
    std::optional<Instant> next;
    if (!rx_hold_.empty()) next = rx_hold_.begin()->first;
    if (!tx_hold_.empty() && (!next || tx_hold_.begin()->first < *next)) next = tx_hold_.begin()->first;
    return next;
}

int ImpairDevice::receive(std::span<RxSlot> slots) {
    const Instant now = options_.clock();
    flush_tx(now);
    if (!options_.rx.active() && rx_hold_.empty()) {
        int n = inner_->receive(slots);
        rearm_timer(now);
        return n;
    }
    inner_error_ = 0;
    pull_rx(std::max(slots.size(), size_t{1}), now);
    size_t filled = 0;
    while (filled < slots.size() && !rx_hold_.empty() && rx_hold_.begin()->first <= now) {
        const Held& frame = rx_hold_.begin()->second;
        RxSlot& slot = slots[filled];
        if (frame.bytes.size() > slot.buffer.size()) {
            ++released_oversize_;
        } else {
            std::memcpy(slot.buffer.data(), frame.bytes.data(), frame.bytes.size());
            slot.len = frame.bytes.size();
            slot.checksum_partial = frame.checksum_partial;
            ++filled;
        }
        rx_hold_.erase(rx_hold_.begin());
    }
    rearm_timer(now);
    if (filled == 0 && inner_error_ != 0) return -inner_error_;
    return static_cast<int>(filled);
}

int ImpairDevice::send(std::span<const ConstBytes> frames) {
    const Instant now = options_.clock();
    flush_tx(now);
    if (!options_.tx.active() && tx_hold_.empty()) {
        int n = inner_->send(frames);
        rearm_timer(now);
        return n;
    }
    size_t accepted = 0;
    for (ConstBytes f : frames) {
        if (tx_hold_.size() >= options_.hold_limit) break;
        impair(f, false, options_.tx, tx_stats_, tx_hold_, now);
        ++accepted;
    }
    flush_tx(now);
    rearm_timer(now);
    return static_cast<int>(accepted);
}

DeviceCounters ImpairDevice::counters() const {
    DeviceCounters c = inner_->counters();
    c.rx_oversize += released_oversize_;
    return c;
}

}  // namespace ustack::netdev

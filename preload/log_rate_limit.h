// A per-call-site limit on log lines, in the manner of the kernel's printk_ratelimit: at most
// `burst` lines in each `interval`; lines beyond that are counted, and the next line that is
// let through first reports how many were suppressed. A program that fails the same way a
// million times (a peer hammering a closed port, a dup2 loop) then costs a few lines, not a
// disk.
//
// Lock-free (atomics only), so it can be used in a signal handler. Under contention the counts
// are approximate (two threads opening a new interval at once may each let a burst through);
// that is the price of never blocking.
#pragma once

#include <atomic>
#include <cstdint>

namespace ustack::preload {

class LogRateLimit {
public:
    static constexpr int64_t kDefaultIntervalNs = 5'000'000'000;  // as the kernel's default
    static constexpr uint32_t kDefaultBurst = 10;

    constexpr LogRateLimit() = default;
    constexpr LogRateLimit(int64_t interval_ns, uint32_t burst) : interval_ns_(interval_ns), burst_(burst) {}

    struct Decision {
        bool emit;              // write this line
        uint64_t suppressed;    // when emit: lines dropped since the last one written (report first)
    };

    // now_ns: a monotonic clock. Pure apart from the limiter's own state.
    Decision admit(int64_t now_ns) {
        int64_t start = window_start_.load(std::memory_order_relaxed);
        if (!started_.load(std::memory_order_relaxed) || now_ns - start >= interval_ns_) {
            if (window_start_.compare_exchange_strong(start, now_ns, std::memory_order_relaxed)) {
                started_.store(true, std::memory_order_relaxed);
                used_.store(0, std::memory_order_relaxed);
            }
        }
        if (used_.fetch_add(1, std::memory_order_relaxed) < burst_) {
            return {true, suppressed_.exchange(0, std::memory_order_relaxed)};
        }
        suppressed_.fetch_add(1, std::memory_order_relaxed);
        return {false, 0};
    }

private:
    int64_t interval_ns_ = kDefaultIntervalNs;
    uint32_t burst_ = kDefaultBurst;
    std::atomic<bool> started_{false};
    std::atomic<int64_t> window_start_{0};
    std::atomic<uint32_t> used_{0};
    std::atomic<uint64_t> suppressed_{0};
};

}  // namespace ustack::preload

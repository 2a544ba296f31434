// A fault-injection decorator: wraps any Device and drops, duplicates, corrupts, reorders and
// delays frames in either direction, from a seed, so that a failing run replays exactly.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "netdev/device.h"
#include "stack/core/rng.h"
#include "stack/core/time.h"

namespace ustack::netdev {

// What happens to the frames of one direction. Each frame draws its fate independently.
struct Impairment {
    double drop = 0;       // probability the frame is lost
    double duplicate = 0;  // probability a copy follows it (same release time, right after it)
    double corrupt = 0;    // probability one byte after the Ethernet header is flipped (each copy)
    double reorder = 0;    // probability it is held reorder_delay longer, so later frames overtake it
    std::chrono::microseconds delay{0};            // every frame is held this long
    std::chrono::microseconds reorder_delay{1000};  // the extra hold of a reordered frame

    bool active() const { return drop > 0 || duplicate > 0 || corrupt > 0 || reorder > 0 || delay.count() > 0; }
};

struct ImpairOptions {
    Impairment rx;  // frames from the inner device on their way to receive()'s caller
    Impairment tx;  // frames the caller send()s, on their way to the inner device
    uint64_t seed = 1;
    // The clock delays are measured on (defaults to CLOCK_MONOTONIC). See wait_fd() for what a
    // clock that does not run at real-time rate means.
    std::function<Instant()> clock;
    size_t hold_limit = 4096;  // frames held per direction; beyond it rx frames are dropped
                               // (counted as overflow) and send() stops accepting
};

struct ImpairCounters {
    uint64_t dropped = 0;
    uint64_t duplicated = 0;
    uint64_t corrupted = 0;
    uint64_t reordered = 0;
    uint64_t overflow = 0;     // rx: lost because hold_limit frames were already held
    uint64_t send_errors = 0;  // tx: held frames the inner device refused with an error, discarded
};

class ImpairDevice final : public Device {
public:
    struct Result {
        std::unique_ptr<ImpairDevice> device;
        std::string error;
    };
    static Result wrap(std::unique_ptr<Device> inner, ImpairOptions options);

    ~ImpairDevice() override;
    ImpairDevice(const ImpairDevice&) = delete;
    ImpairDevice& operator=(const ImpairDevice&) = delete;

    // Pulls what the inner device has, impairs it, and returns the frames whose release time
    // has come. Also sends tx frames whose release time has come. A corrupted frame loses
    // checksum_partial, so that the stack verifies (and rejects) it.
    int receive(std::span<RxSlot> slots) override;
    // Accepts frames into the tx impairment (all of them unless hold_limit is reached) and
    // sends those already due. With no tx impairment and nothing held, it is the inner send().
    int send(std::span<const ConstBytes> frames) override;

    size_t mtu() const override { return inner_->mtu(); }
    std::optional<wire::MacAddr> hw_addr() const override { return inner_->hw_addr(); }
    // An epoll fd over the inner device's wait_fd and a timerfd. The timerfd is re-armed at the
    // end of every receive()/send() for the earliest held frame (rx or tx), converted to
    // CLOCK_MONOTONIC time as (release - clock()) from now; it fires at once when a due frame
    // is still held (receive() ran out of slots). So wait_fd is readable when the inner device
    // has frames or a held frame is due, provided the caller calls receive() when it is
    // readable (which also releases due tx frames). This is exact for a clock that runs at
    // real-time rate; with a virtual clock, ignore wait_fd and call receive() after advancing
    // time (next_release() says when).
    int wait_fd() const override { return epoll_fd_; }
    Offloads offloads() const override { return inner_->offloads(); }
    // The inner device's counts (what crossed the real device); impairments are in rx_stats()
    // and tx_stats(). rx_oversize also counts released frames longer than the caller's slot.
    DeviceCounters counters() const override;
    std::string name() const override { return inner_->name() + "+impair"; }

    const ImpairCounters& rx_stats() const { return rx_stats_; }
    const ImpairCounters& tx_stats() const { return tx_stats_; }
    size_t held_rx() const { return rx_hold_.size(); }
    size_t held_tx() const { return tx_hold_.size(); }
    // The earliest release time of any held frame.
    std::optional<Instant> next_release() const;

private:
    // Held frames by release time; equal times keep arrival order (multimap inserts last).
    struct Held {
        std::vector<std::byte> bytes;
        bool checksum_partial = false;
    };
    using Hold = std::multimap<Instant, Held>;

    ImpairDevice(std::unique_ptr<Device> inner, ImpairOptions options, int epoll_fd, int timer_fd);

    bool chance(double p);
    // Applies drop/duplicate/corrupt/reorder/delay to one frame and holds the survivors.
    void impair(ConstBytes frame, bool checksum_partial, const Impairment& how, ImpairCounters& stats, Hold& hold,
                Instant now);
    void pull_rx(size_t want, Instant now);
    void flush_tx(Instant now);
    void rearm_timer(Instant now);

    std::unique_ptr<Device> inner_;
    ImpairOptions options_;
    Rng rng_;
    int epoll_fd_;
    int timer_fd_;
    Hold rx_hold_;
    Hold tx_hold_;
    ImpairCounters rx_stats_;
    ImpairCounters tx_stats_;
    uint64_t released_oversize_ = 0;
    std::vector<std::vector<std::byte>> pull_buffers_;  // receive buffers for the inner device
    int inner_error_ = 0;                               // the last error inner receive() returned
};

}  // namespace ustack::netdev

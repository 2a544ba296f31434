// Congestion control behind a small interface, so algorithms can be added without touching the
// input and output paths. Windows are in bytes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>

#include "stack/core/heap.h"
#include "stack/core/time.h"

namespace ustack::tcp {

class CongestionControl : public heap::HeapObject {
public:
    virtual ~CongestionControl() = default;
    virtual const char* name() const = 0;
    // New data acknowledged, outside loss recovery. srtt is zero before the first sample.
    virtual void on_ack(uint32_t acked_bytes, uint32_t mss, Instant now, Duration srtt) = 0;
    virtual void on_fast_retransmit(uint32_t flight, uint32_t mss, Instant now) = 0;  // entering recovery
    virtual void on_rto(uint32_t flight, uint32_t mss) = 0;                          // retransmission timeout
    virtual void on_idle_restart() {}  // cwnd was cut back after idleness (idle_restart.h)
    uint32_t cwnd = 0;
    uint32_t ssthresh = UINT32_MAX;
};

// RFC 5681: slow start, congestion avoidance, and the RTO and fast-retransmit responses.
class Reno final : public CongestionControl {
public:
    const char* name() const override { return "reno"; }
    void on_ack(uint32_t acked, uint32_t mss, Instant, Duration) override {
        if (cwnd < ssthresh) {
            cwnd += std::min(acked, mss);  // RFC 5681 3.1 (with RFC 3465 L=1)
        } else {
            bytes_acked_ += acked;  // RFC 5681 3.1 eq. 3, byte counting
            if (bytes_acked_ >= cwnd) {
                bytes_acked_ -= cwnd;
                cwnd += mss;
            }
        }
    }
    void on_fast_retransmit(uint32_t flight, uint32_t mss, Instant) override {
        ssthresh = std::max(flight / 2, 2 * mss);  // RFC 5681 eq. 4
        cwnd = ssthresh;
    }
    void on_rto(uint32_t flight, uint32_t mss) override {
        ssthresh = std::max(flight / 2, 2 * mss);
        cwnd = mss;  // RFC 5681 3.1: loss window of one segment
        bytes_acked_ = 0;
    }

private:
    uint32_t bytes_acked_ = 0;
};

// CUBIC (RFC 9438), Linux's default: the window grows as a cubic function of the time since
// the last reduction, with a Reno-friendly floor and fast convergence.
class Cubic final : public CongestionControl {
public:
    const char* name() const override { return "cubic"; }
    void on_ack(uint32_t acked, uint32_t mss, Instant now, Duration srtt) override;
    void on_fast_retransmit(uint32_t flight, uint32_t mss, Instant now) override;
    void on_rto(uint32_t flight, uint32_t mss) override;
    // The idle time must not count as growth time (Linux moves the epoch on CA_EVENT_TX_START):
    // growth starts a new epoch from the restarted window.
    void on_idle_restart() override { epoch_ = Instant{-1}; }

private:
    static constexpr double kC = 0.4;      // RFC 9438 4.1
    static constexpr double kBeta = 0.7;   // RFC 9438 4.6
    void reduce(uint32_t mss);
    double w_max_ = 0;                     // segments, before the last reduction
    double k_ = 0;                         // seconds until the window regains w_max
    double w_est_ = 0;                     // segments, the Reno-friendly estimate (4.3)
    Instant epoch_{-1};                    // start of the current congestion-avoidance epoch
    uint32_t bytes_acked_ = 0;
};

// "cubic" or "reno" (TCP_CONGESTION); nullptr for an unknown name.
std::unique_ptr<CongestionControl> make_congestion_control(std::string_view name);

}  // namespace ustack::tcp

// Congestion control behind a small interface, so CUBIC (RFC 9438) can join Reno without
// touching the input and output paths. Windows are in bytes.
#pragma once

#include <algorithm>
#include <cstdint>

namespace ustack::tcp {

class CongestionControl {
public:
    virtual ~CongestionControl() = default;
    virtual const char* name() const = 0;
    virtual void on_ack(uint32_t acked_bytes, uint32_t mss) = 0;        // new data acknowledged
    virtual void on_fast_retransmit(uint32_t flight, uint32_t mss) = 0;  // entering recovery
    virtual void on_rto(uint32_t flight, uint32_t mss) = 0;             // retransmission timeout
    uint32_t cwnd = 0;
    uint32_t ssthresh = UINT32_MAX;
};

// RFC 5681: slow start, congestion avoidance, and the RTO and fast-retransmit responses.
class Reno final : public CongestionControl {
public:
    const char* name() const override { return "reno"; }
    void on_ack(uint32_t acked, uint32_t mss) override {
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
    void on_fast_retransmit(uint32_t flight, uint32_t mss) override {
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

}  // namespace ustack::tcp

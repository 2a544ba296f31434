#include <cmath>

#include "stack/tcp/congestion.h"

namespace ustack::tcp {

void Cubic::on_ack(uint32_t acked, uint32_t mss, Instant now, Duration srtt) {
    if (cwnd < ssthresh) {  // slow start, as Reno (RFC 9438 4.10)
        cwnd += std::min(acked, mss);
        return;
    }
    const double segs = static_cast<double>(cwnd) / mss;
    if (epoch_ < Instant{0}) {
        // A new epoch: first congestion-avoidance ACK after a reduction (or ever).
        epoch_ = now;
        if (w_max_ < segs) {
            w_max_ = segs;
            k_ = 0;
        } else {
            k_ = std::cbrt((w_max_ - segs) / kC);  // RFC 9438 eq. 2, with cwnd_epoch = cwnd
        }
        w_est_ = segs;
        bytes_acked_ = 0;
    }
    // RFC 9438 4.2: the target one RTT ahead.
    const double t = std::chrono::duration<double>(now - epoch_ + srtt).count();
    const double w_cubic = kC * (t - k_) * (t - k_) * (t - k_) + w_max_;
    // RFC 9438 4.3: the Reno-friendly estimate grows by alpha_cubic per window of ACKs.
    constexpr double kAlpha = 3.0 * (1.0 - kBeta) / (1.0 + kBeta);
    w_est_ += kAlpha * static_cast<double>(acked) / cwnd;
    double target = std::max(w_cubic, w_est_);
    target = std::min(target, 1.5 * segs);  // RFC 9438 4.2: at most 1.5x per RTT
    if (target > segs) {
        // Grow by (target - cwnd) / cwnd segments per acknowledged segment.
        bytes_acked_ += acked;
        const double per_byte = (target - segs) / segs;
        const auto grow = static_cast<uint32_t>(per_byte * bytes_acked_);
        if (grow > 0) {
            cwnd += grow;
            bytes_acked_ = 0;
        }
    }
}

void Cubic::reduce(uint32_t mss) {
    const double segs = static_cast<double>(cwnd) / mss;
    // RFC 9438 4.7 fast convergence: release bandwidth to newer flows.
    w_max_ = segs < w_max_ ? segs * (1.0 + kBeta) / 2.0 : segs;
    ssthresh = std::max(static_cast<uint32_t>(cwnd * kBeta), 2 * mss);
    epoch_ = Instant{-1};
}

void Cubic::on_fast_retransmit(uint32_t, uint32_t mss, Instant) {
    reduce(mss);
    cwnd = ssthresh;
}

void Cubic::on_rto(uint32_t, uint32_t mss) {
    reduce(mss);
    cwnd = mss;  // RFC 9438 4.8: as Reno after a timeout
}

std::unique_ptr<CongestionControl> make_congestion_control(std::string_view name) {
    if (name == "cubic") return std::make_unique<Cubic>();
    if (name == "reno") return std::make_unique<Reno>();
    return nullptr;
}

}  // namespace ustack::tcp

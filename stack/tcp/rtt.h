// Retransmission timeout estimation (RFC 6298), with Linux's bounds: 200 ms minimum,
// 1 s initial, 120 s maximum.
#pragma once

#include <algorithm>

#include "stack/core/time.h"

namespace ustack::tcp {

class RttEstimator {
public:
    static constexpr Duration kInitialRto = std::chrono::seconds(1);  // RFC 6298 2.1
    static constexpr Duration kMinRto = std::chrono::milliseconds(200);  // Linux TCP_RTO_MIN
    static constexpr Duration kMaxRto = std::chrono::seconds(120);      // Linux TCP_RTO_MAX

    // RFC 6298 2.2 and 2.3.
    void sample(Duration r) {
        if (!have_sample_) {
            srtt_ = r;
            rttvar_ = r / 2;
            have_sample_ = true;
        } else {
            const Duration err = srtt_ > r ? srtt_ - r : r - srtt_;
            rttvar_ = (3 * rttvar_ + err) / 4;
            srtt_ = (7 * srtt_ + r) / 8;
        }
    }
    Duration rto() const {
        if (!have_sample_) return kInitialRto;
        // RFC 6298 2.3 with G folded into the minimum, as Linux does.
        return std::clamp(srtt_ + std::max(Duration(std::chrono::milliseconds(1)), 4 * rttvar_), kMinRto, kMaxRto);
    }
    bool have_sample() const { return have_sample_; }
    Duration srtt() const { return srtt_; }
    Duration rttvar() const { return rttvar_; }

private:
    bool have_sample_ = false;
    Duration srtt_{0};
    Duration rttvar_{0};
};

}  // namespace ustack::tcp

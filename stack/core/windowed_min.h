// The minimum of a series over a sliding time window, in constant space: Kathleen Nichols'
// algorithm, as Linux keeps its min_rtt (lib/win_minmax.c, a 5-minute window). It holds three
// samples: the best in the window, the best since it, and the best since that. When the best
// ages out, the second is the best of what remains, so nothing is searched and nothing stored
// per sample. When a window passes with no better sample, the second and third choices are
// refreshed from the later quarter and half of the window, so they too are never stale for long.
//
// What it answers is always a sample from the window, never below the true windowed minimum; it
// can be above it when the best of the window arrived just after a choice was taken (a sample
// that is beaten within the same quarter window is lost), as in Linux.
#pragma once

#include <array>

#include "stack/core/time.h"

namespace ustack {

template <typename T>
class WindowedMin {
public:
    explicit WindowedMin(Duration window) : window_(window) {}

    // A sample v taken at now (never earlier than the last one); returns the minimum.
    T update(Instant now, T v) {
        const Sample s{now, v};
        // A new minimum, or the whole window passed since even the third choice: start over.
        if (!have_ || v <= best_[0].v || now - best_[2].t > window_) return reset(s);
        if (v <= best_[1].v) {
            best_[1] = best_[2] = s;
        } else if (v <= best_[2].v) {
            best_[2] = s;
        }
        const Duration age = now - best_[0].t;
        if (age > window_) {
            // The best aged out: the later choices move up, and may have to twice (the third
            // was checked above to be inside the window).
            shift(s);
            if (now - best_[0].t > window_) shift(s);
        } else if (best_[1].t == best_[0].t && age > window_ / 4) {
            // A quarter window without a second choice: take one from the second quarter.
            best_[1] = best_[2] = s;
        } else if (best_[2].t == best_[1].t && age > window_ / 2) {
            // Half a window without a third choice: take one from the second half.
            best_[2] = s;
        }
        return best_[0].v;
    }

    bool empty() const { return !have_; }
    T get() const { return best_[0].v; }  // requires !empty()
    Duration window() const { return window_; }

private:
    struct Sample {
        Instant t{0};
        T v{};
    };
    T reset(const Sample& s) {
        best_ = {s, s, s};
        have_ = true;
        return s.v;
    }
    void shift(const Sample& s) {
        best_[0] = best_[1];
        best_[1] = best_[2];
        best_[2] = s;
    }

    Duration window_;
    bool have_ = false;
    std::array<Sample, 3> best_{};  // best, then second and third choices, each no older than the one before
};

}  // namespace ustack

// TCP sequence numbers: 32-bit values compared modulo 2^32 (RFC 9293 3.4, RFC 1982).
#pragma once

#include <cstdint>

namespace ustack::wire {

// Never compare raw uint32_t sequence numbers with '<': every comparison here is modular,
// which is what keeps a connection working when its numbers wrap.
class SeqNum {
public:
    constexpr SeqNum() = default;
    constexpr explicit SeqNum(uint32_t v) : v_(v) {}
    constexpr uint32_t raw() const { return v_; }

    constexpr SeqNum operator+(uint32_t n) const { return SeqNum(v_ + n); }
    constexpr SeqNum operator-(uint32_t n) const { return SeqNum(v_ - n); }
    constexpr SeqNum& operator+=(uint32_t n) { v_ += n; return *this; }
    // Signed distance from b to a; meaningful while they are within 2^31 of each other.
    friend constexpr int32_t operator-(SeqNum a, SeqNum b) { return static_cast<int32_t>(a.v_ - b.v_); }

    friend constexpr bool operator==(SeqNum a, SeqNum b) { return a.v_ == b.v_; }
    friend constexpr bool operator<(SeqNum a, SeqNum b) { return (a - b) < 0; }
    friend constexpr bool operator<=(SeqNum a, SeqNum b) { return (a - b) <= 0; }
    friend constexpr bool operator>(SeqNum a, SeqNum b) { return (a - b) > 0; }
    friend constexpr bool operator>=(SeqNum a, SeqNum b) { return (a - b) >= 0; }

private:
    uint32_t v_ = 0;
};

constexpr SeqNum seq_max(SeqNum a, SeqNum b) { return a < b ? b : a; }
constexpr SeqNum seq_min(SeqNum a, SeqNum b) { return a < b ? a : b; }
// lo <= s < hi, modular.
constexpr bool seq_in_window(SeqNum s, SeqNum lo, SeqNum hi) { return lo <= s && s < hi; }

}  // namespace ustack::wire

// A small seeded PRNG (splitmix64). Deterministic from its seed so simulator runs replay exactly.
#pragma once

#include <cstdint>

namespace ustack {

class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    uint32_t next_u32() { return static_cast<uint32_t>(next() >> 32); }
    // Uniform in [0, n) for n > 0 (the bias is negligible for the ranges the stack uses).
    uint32_t below(uint32_t n) { return static_cast<uint32_t>((uint64_t{next_u32()} * n) >> 32); }

private:
    uint64_t state_;
};

}  // namespace ustack

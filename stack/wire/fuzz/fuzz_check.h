// Invariant checks for the fuzz targets: a failed check aborts so libFuzzer saves the input.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "stack/wire/bytes.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                 \
        }                                                                                 \
    } while (0)

namespace ustack::wire::fuzz {

// Reads every byte so ASan sees any out-of-bounds span, and keeps the work from being elided.
inline void touch(ConstBytes b) {
    unsigned acc = 0;
    for (std::byte x : b) acc += static_cast<unsigned>(x);
    volatile unsigned sink = acc;
    (void)sink;
}

inline bool same_bytes(ConstBytes a, ConstBytes b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace ustack::wire::fuzz

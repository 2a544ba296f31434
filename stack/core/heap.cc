#include "stack/core/heap.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

namespace ustack::heap {
namespace {

struct Mimalloc {
    void* (*malloc_aligned)(size_t, size_t) = nullptr;
    void (*free)(void*) = nullptr;
    bool (*is_in_heap_region)(const void*) = nullptr;
    bool (*check_owned)(const void*) = nullptr;
    std::string error;
};

Mimalloc load() {
    Mimalloc m;
    // RTLD_LOCAL keeps mimalloc's exported malloc out of the global scope (see heap.h).
    void* lib = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
        m.error = std::string("ustack: cannot load mimalloc (") + dlerror() +
                  "); install it with scripts/install-deps (Debian package libmimalloc2.0)";
        return m;
    }
    m.malloc_aligned = reinterpret_cast<void* (*)(size_t, size_t)>(dlsym(lib, "mi_malloc_aligned"));
    m.free = reinterpret_cast<void (*)(void*)>(dlsym(lib, "mi_free"));
    m.is_in_heap_region = reinterpret_cast<bool (*)(const void*)>(dlsym(lib, "mi_is_in_heap_region"));
    m.check_owned = reinterpret_cast<bool (*)(const void*)>(dlsym(lib, "mi_check_owned"));
    if (!m.malloc_aligned || !m.free || !m.is_in_heap_region || !m.check_owned) {
        m.error = "ustack: libmimalloc.so.2 lacks mi_malloc_aligned/mi_free; install libmimalloc2.0 >= 2.0";
    }
    return m;
}

const Mimalloc& mimalloc() {
    static const Mimalloc m = load();
    return m;
}

}  // namespace

const std::string& init() { return mimalloc().error; }

void* allocate(size_t size, size_t align) {
    const Mimalloc& m = mimalloc();
    if (!m.error.empty()) throw std::bad_alloc();
    void* p = m.malloc_aligned(size == 0 ? 1 : size, align);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

void deallocate(void* p) noexcept {
    if (p != nullptr) mimalloc().free(p);
}

bool owns(const void* p) noexcept {
    const Mimalloc& m = mimalloc();
    if (!m.error.empty() || p == nullptr) return false;
    // The region map only covers the address range mimalloc prefers; under ASan that range is
    // ASan's shadow and segments land elsewhere, so fall back to scanning this thread's heap.
    return m.is_in_heap_region(p) || m.check_owned(p);
}

}  // namespace ustack::heap

// The stack's own heap. Every allocation the stack makes goes through here, never through the
// host program's malloc, so that (a) the host's allocator and ours never see each other's
// blocks and (b) the whole stack state can later move into one shared mapping for fork/exec
// support without touching the code that allocates.
//
// Backed by mimalloc, loaded privately (dlopen RTLD_LOCAL): Debian's libmimalloc.so exports
// malloc/free, so linking it into the preloaded library would silently replace the host's
// allocator. Loaded privately, only the mi_* entry points we look up are used.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ustack::heap {

// Loads mimalloc once. Returns an empty string on success, else one line naming the cause
// and the fix. allocate() calls this itself; call it early to report errors at start-up.
const std::string& init();

void* allocate(size_t size, size_t align = alignof(std::max_align_t));
void deallocate(void* p) noexcept;
// True when p came from allocate() (on this thread, when the fast region check cannot tell):
// tests use it to prove the host's malloc is untouched. Slow; never on a hot path.
bool owns(const void* p) noexcept;

// A standard allocator over the stack heap, for containers inside the stack.
template <class T>
struct Allocator {
    using value_type = T;
    Allocator() noexcept = default;
    template <class U>
    Allocator(const Allocator<U>&) noexcept {}
    T* allocate(size_t n) {
        if (n > SIZE_MAX / sizeof(T)) throw std::bad_array_new_length();
        return static_cast<T*>(heap::allocate(n * sizeof(T), alignof(T)));
    }
    void deallocate(T* p, size_t) noexcept { heap::deallocate(p); }
    template <class U>
    friend bool operator==(const Allocator&, const Allocator<U>&) noexcept { return true; }
};

template <class T>
using Vector = std::vector<T, Allocator<T>>;
template <class K, class V, class H = std::hash<K>>
using HashMap = std::unordered_map<K, V, H, std::equal_to<K>, Allocator<std::pair<const K, V>>>;

// Classes the stack creates with `new` derive from this to land on the stack heap.
struct HeapObject {
    static void* operator new(size_t size) { return heap::allocate(size); }
    static void* operator new(size_t size, std::align_val_t a) { return heap::allocate(size, static_cast<size_t>(a)); }
    static void operator delete(void* p) noexcept { heap::deallocate(p); }
    static void operator delete(void* p, std::align_val_t) noexcept { heap::deallocate(p); }
};

}  // namespace ustack::heap

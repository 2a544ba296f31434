// The fd table: one slot per file descriptor number saying whose it is. A null slot is a
// kernel fd (the default and the fast path: one load, then the real call). A non-null slot
// points to the stack socket's SocketFile (or is kInternalFd).
//
// Lookups are lock-free; every store happens under the stack lock. A caller that finds a
// SocketFile takes the lock and looks again before touching it, so a SocketFile freed by a
// concurrent close() is never dereferenced.
#pragma once

#include <sys/resource.h>

#include <atomic>
#include <cstddef>

#include "preload/socket_file.h"

namespace ustack::preload {

class FdTable {
public:
    static constexpr size_t kMaxCapacity = size_t{1} << 20;

    // How many slots a process with these RLIMIT_NOFILE limits needs: the hard limit (the
    // soft one may be raised later), capped at kMaxCapacity.
    static size_t capacity_for(rlim_t soft, rlim_t hard);

    constexpr FdTable() = default;
    FdTable(const FdTable&) = delete;
    FdTable& operator=(const FdTable&) = delete;
    // Trivially destructible on purpose: the table outlives static destructors (other
    // threads may still call in while the process exits), so it is never unmapped.

    // Maps the slots (mmap, never the host's malloc; untouched pages cost nothing). Returns
    // false if the mapping fails; the table then stays empty and every fd is the kernel's.
    bool init(size_t capacity);

    size_t capacity() const { return capacity_.load(std::memory_order_acquire); }

    SocketFile* get(int fd) const {
        if (static_cast<unsigned>(fd) >= capacity_.load(std::memory_order_acquire)) return nullptr;
        return slots_.load(std::memory_order_relaxed)[fd].load(std::memory_order_acquire);
    }
    // True when fd can be recorded (inside the table).
    bool fits(int fd) const { return fd >= 0 && static_cast<size_t>(fd) < capacity(); }

    // Requires fits(fd). Returns the previous entry.
    SocketFile* exchange(int fd, SocketFile* file);

    // Calls f(fd, file) for every non-null entry (a scan of the whole table: rare paths only).
    template <class F>
    void for_each(F&& f) const {
        const size_t n = capacity();
        std::atomic<SocketFile*>* s = slots_.load(std::memory_order_relaxed);
        for (size_t i = 0; i < n; ++i) {
            if (SocketFile* file = s[i].load(std::memory_order_relaxed)) f(static_cast<int>(i), file);
        }
    }

private:
    std::atomic<std::atomic<SocketFile*>*> slots_{nullptr};
    std::atomic<size_t> capacity_{0};
};

}  // namespace ustack::preload

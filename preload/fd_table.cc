#include "preload/fd_table.h"

#include <sys/mman.h>

#include <algorithm>

namespace ustack::preload {

size_t FdTable::capacity_for(rlim_t soft, rlim_t hard) {
    rlim_t n = std::max(hard, soft);  // a hard limit below soft is impossible; be defensive
    if (n == RLIM_INFINITY || n > kMaxCapacity) n = kMaxCapacity;
    return static_cast<size_t>(n);
}

bool FdTable::init(size_t capacity) {
    if (capacity_.load() != 0 || capacity == 0) return capacity_.load() != 0;
    const size_t bytes = capacity * sizeof(std::atomic<SocketFile*>);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    // Anonymous pages read as zero: every slot starts null (kernel). std::atomic<T*> of a
    // null pointer is all-zero bits on every ABI we build for.
    slots_.store(static_cast<std::atomic<SocketFile*>*>(p), std::memory_order_release);
    capacity_.store(capacity, std::memory_order_release);
    return true;
}

SocketFile* FdTable::exchange(int fd, SocketFile* file) {
    return slots_.load(std::memory_order_relaxed)[fd].exchange(file, std::memory_order_acq_rel);
}

}  // namespace ustack::preload

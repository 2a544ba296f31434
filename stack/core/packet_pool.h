// Frame buffers for transmit, recycled through a free list so the send path does not
// allocate per packet once warm.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "stack/core/heap.h"

namespace ustack {

struct PacketBuffer {
    std::byte* data;
    size_t capacity;
    size_t len = 0;
    std::span<std::byte> bytes() { return {data, len}; }
};

class PacketPool {
public:
    explicit PacketPool(size_t buffer_size) : buffer_size_(buffer_size) {}
    ~PacketPool() {
        for (PacketBuffer* b : free_) destroy(b);
    }
    PacketPool(const PacketPool&) = delete;
    PacketPool& operator=(const PacketPool&) = delete;

    size_t buffer_size() const { return buffer_size_; }
    PacketBuffer* take() {
        if (!free_.empty()) {
            PacketBuffer* b = free_.back();
            free_.pop_back();
            b->len = 0;
            return b;
        }
        auto* b = static_cast<PacketBuffer*>(heap::allocate(sizeof(PacketBuffer) + buffer_size_));
        b->data = reinterpret_cast<std::byte*>(b + 1);
        b->capacity = buffer_size_;
        b->len = 0;
        return b;
    }
    void give(PacketBuffer* b) {
        if (free_.size() < kMaxFree) free_.push_back(b); else destroy(b);
    }

private:
    static constexpr size_t kMaxFree = 1024;
    static void destroy(PacketBuffer* b) { heap::deallocate(b); }
    size_t buffer_size_;
    std::vector<PacketBuffer*, heap::Allocator<PacketBuffer*>> free_;
};

}  // namespace ustack

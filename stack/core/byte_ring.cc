#include "stack/core/byte_ring.h"

#include <algorithm>
#include <cstring>

#include "stack/core/heap.h"

namespace ustack {

ByteRing::ByteRing(size_t capacity) : data_(nullptr), capacity_(capacity) {}

ByteRing::~ByteRing() { heap::deallocate(data_); }

void ByteRing::ensure_storage() {
    if (data_ == nullptr) data_ = static_cast<std::byte*>(heap::allocate(capacity_ == 0 ? 1 : capacity_));
}

size_t ByteRing::write_ahead(size_t ahead, std::span<const std::byte> data) {
    if (size_ + ahead >= capacity_ || data.empty()) return 0;
    ensure_storage();
    const size_t n = std::min(data.size(), capacity_ - size_ - ahead);
    size_t pos = (head_ + size_ + ahead) % capacity_;
    const size_t first = std::min(n, capacity_ - pos);
    std::memcpy(data_ + pos, data.data(), first);
    std::memcpy(data_, data.data() + first, n - first);
    return n;
}

size_t ByteRing::append(std::span<const std::byte> data) {
    const size_t n = write_ahead(0, data);
    size_ += n;
    return n;
}

void ByteRing::commit(size_t n) { size_ = std::min(capacity_, size_ + n); }

size_t ByteRing::peek(size_t offset, std::span<std::byte> out) const {
    if (offset >= size_ || out.empty()) return 0;  // an empty span may have no data() for memcpy
    const size_t n = std::min(out.size(), size_ - offset);
    const size_t pos = (head_ + offset) % capacity_;
    const size_t first = std::min(n, capacity_ - pos);
    std::memcpy(out.data(), data_ + pos, first);
    std::memcpy(out.data() + first, data_, n - first);
    return n;
}

void ByteRing::consume(size_t n) {
    n = std::min(n, size_);
    head_ = (head_ + n) % capacity_;
    size_ -= n;
    // head_ must not jump back to 0 when size_ reaches 0: bytes written ahead (out-of-order
    // TCP data) sit at positions relative to it.
}

bool ByteRing::release_storage() {
    if (size_ != 0) return false;
    heap::deallocate(data_);
    data_ = nullptr;
    head_ = 0;
    return true;
}

void ByteRing::grow(size_t new_capacity) {
    if (new_capacity <= capacity_) return;
    if (data_ != nullptr) {
        auto* fresh = static_cast<std::byte*>(heap::allocate(new_capacity));
        const size_t first = capacity_ - head_;
        std::memcpy(fresh, data_ + head_, first);
        std::memcpy(fresh + first, data_, head_);
        heap::deallocate(data_);
        data_ = fresh;
    }
    head_ = 0;
    capacity_ = new_capacity;
}

}  // namespace ustack

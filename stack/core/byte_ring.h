// A fixed-capacity ring of bytes on the stack heap: the TCP send and receive queues.
// Readable bytes sit at [0, size()); bytes may also be written ahead of size() (out-of-order
// TCP data lands where it belongs) and made readable later with commit().
#pragma once

#include <cstddef>
#include <span>

namespace ustack {

class ByteRing {
public:
    explicit ByteRing(size_t capacity);
    ~ByteRing();
    ByteRing(const ByteRing&) = delete;
    ByteRing& operator=(const ByteRing&) = delete;

    size_t capacity() const { return capacity_; }
    size_t size() const { return size_; }
    size_t free_space() const { return capacity_ - size_; }
    bool empty() const { return size_ == 0; }
    // Bytes of storage held: 0 until the first write, then capacity().
    size_t storage_bytes() const { return data_ == nullptr ? 0 : capacity_; }

    // Appends as much of data as fits; returns the count.
    size_t append(std::span<const std::byte> data);
    // Writes data at readable offset size()+ahead without making it readable. Returns the
    // number of bytes written (clipped to capacity).
    size_t write_ahead(size_t ahead, std::span<const std::byte> data);
    // Makes n more bytes readable (bytes previously placed with write_ahead).
    void commit(size_t n);
    // Copies up to out.size() bytes starting at readable offset `offset`; returns the count.
    size_t peek(size_t offset, std::span<std::byte> out) const;
    // Drops n readable bytes from the front.
    void consume(size_t n);
    // Raises the capacity (receive-buffer auto-tuning). Every byte keeps its offset, those
    // written ahead of size() included.
    void grow(size_t new_capacity);
    // Frees the storage of an empty ring (nothing readable, nothing written ahead: the caller
    // knows) so a connection that will carry no more data, one in TIME-WAIT, gives its bytes
    // back to the heap at once instead of holding them for 60 s; the next write allocates
    // again. Returns false and keeps the storage if bytes are readable.
    bool release_storage();

private:
    void ensure_storage();  // storage is allocated on first write: idle sockets hold none
    std::byte* data_;
    size_t capacity_;
    size_t head_ = 0;  // index of readable offset 0
    size_t size_ = 0;
};

}  // namespace ustack

// A TPACKET_V3 receive ring on a packet socket: the kernel writes frames straight into memory
// we share with it, in blocks it hands over when full or when the retire timeout runs out, so
// one wakeup delivers every frame that arrived meanwhile without a system call per batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "netdev/tpacket_v3.h"

namespace ustack::netdev {

class PacketRxRing {
public:
    struct Result {
        std::unique_ptr<PacketRxRing> ring;
        std::string error;  // why there is no ring (e.g. "PACKET_RX_RING: Operation not permitted")
    };
    // Sets TPACKET_V3 and maps a receive ring on fd, which must not be bound yet (so no frame
    // is queued outside the ring). PACKET_VNET_HDR, if wanted, must already be on.
    static Result map(int fd);

    ~PacketRxRing();
    PacketRxRing(const PacketRxRing&) = delete;
    PacketRxRing& operator=(const PacketRxRing&) = delete;

    // The next frame the kernel has handed us, nullopt when the current block is still its.
    // The frame's bytes stay valid until the next call. A block whose frames do not parse
    // (lead: bytes expected before each frame) is given back and its remaining frames are
    // added to malformed.
    std::optional<tpacket_v3::Frame> next(size_t lead, uint64_t& malformed);

private:
    PacketRxRing(std::byte* base, size_t block_size, size_t block_count);
    std::byte* block(size_t i) const { return base_ + i * block_size_; }
    // Hands the current block back to the kernel and moves to the next one.
    void release();

    std::byte* base_;
    size_t block_size_;
    size_t block_count_;
    size_t current_ = 0;       // the block we read or wait for, in ring order
    bool reading_ = false;     // the current block is ours and partly read
    uint32_t left_ = 0;        // frames of the current block not yet returned
    uint32_t offset_ = 0;      // the next frame's header in the current block
};

}  // namespace ustack::netdev

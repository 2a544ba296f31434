#include "netdev/packet_rx_ring.h"

#include <linux/if_packet.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <atomic>

#include "netdev/sys.h"

namespace ustack::netdev {
namespace {

// 16 blocks of 256 KiB: 4 MiB, as much as the socket buffer we ask for without a ring. A
// block holds any frame (a GRO super-frame of 64 KiB too): TPACKET_V3 cuts frames at the
// block size.
constexpr size_t kBlockSize = size_t{1} << 18;
constexpr size_t kBlockCount = 16;
constexpr size_t kFrameSize = 2048;  // only for the kernel's bookkeeping: V3 frames are packed
// A block is handed over when full or after this many milliseconds, so a lone frame (an ACK, a
// ping) waits at most this long. 1 is the smallest the kernel takes.
constexpr unsigned kRetireTimeoutMs = 1;

uint32_t& block_status(std::byte* b) { return reinterpret_cast<tpacket_block_desc*>(b)->hdr.bh1.block_status; }

}  // namespace

PacketRxRing::Result PacketRxRing::map(int fd) {
    const int version = TPACKET_V3;
    if (long r = sys::setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version); r < 0) {
        return {nullptr, "PACKET_VERSION TPACKET_V3: " + sys::error_text(static_cast<int>(-r))};
    }
    tpacket_req3 req{};
    req.tp_block_size = kBlockSize;
    req.tp_block_nr = kBlockCount;
    req.tp_frame_size = kFrameSize;
    req.tp_frame_nr = kBlockCount * (kBlockSize / kFrameSize);
    req.tp_retire_blk_tov = kRetireTimeoutMs;
    if (long r = sys::setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req); r < 0) {
        const int v1 = TPACKET_V1;
        sys::setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v1, sizeof v1);
        return {nullptr, "PACKET_RX_RING: " + sys::error_text(static_cast<int>(-r))};
    }
    void* base = ::mmap(nullptr, kBlockSize * kBlockCount, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        // Unmapped, the ring still captures; take it down so that the socket works plainly.
        tpacket_req3 none{};
        sys::setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &none, sizeof none);
        const int v1 = TPACKET_V1;
        sys::setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v1, sizeof v1);
        return {nullptr, "mmap of the receive ring failed"};
    }
    return {std::unique_ptr<PacketRxRing>(new PacketRxRing(static_cast<std::byte*>(base), kBlockSize, kBlockCount)),
            {}};
}

PacketRxRing::PacketRxRing(std::byte* base, size_t block_size, size_t block_count)
    : base_(base), block_size_(block_size), block_count_(block_count) {}

PacketRxRing::~PacketRxRing() { ::munmap(base_, block_size_ * block_count_); }

void PacketRxRing::release() {
    // Release: our reads of the block happen before the kernel may write it again.
    std::atomic_ref<uint32_t>(block_status(block(current_))).store(TP_STATUS_KERNEL, std::memory_order_release);
    current_ = (current_ + 1) % block_count_;
    reading_ = false;
}

std::optional<tpacket_v3::Frame> PacketRxRing::next(size_t lead, uint64_t& malformed) {
    for (;;) {
        std::byte* b = block(current_);
        if (!reading_) {
            // Acquire: the kernel's writes of the block's frames are visible once we see its status.
            if ((std::atomic_ref<uint32_t>(block_status(b)).load(std::memory_order_acquire) & TP_STATUS_USER) == 0) {
                return std::nullopt;
            }
            const std::optional<tpacket_v3::Block> desc = tpacket_v3::read_block({b, block_size_});
            reading_ = true;
            left_ = desc ? desc->num_pkts : 0;
            offset_ = desc ? desc->first : 0;
        }
        if (left_ == 0) {
            release();
            continue;
        }
        std::optional<tpacket_v3::Frame> f = tpacket_v3::read_frame({b, block_size_}, offset_, lead);
        if (!f || (left_ > 1 && f->next == 0)) {
            malformed += left_;
            release();
            continue;
        }
        --left_;
        offset_ = f->next;
        // The block goes back on the next call, once the caller is done with this frame.
        return f;
    }
}

}  // namespace ustack::netdev

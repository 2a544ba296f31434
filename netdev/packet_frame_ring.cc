#include "netdev/packet_frame_ring.h"

#include <linux/if_packet.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <atomic>
#include <bit>

#include "netdev/sys.h"

namespace ustack::netdev {
namespace {

// Receive: 4 MiB of slots, as much as the socket buffer we ask for without a ring, each slot
// fitting an MTU-sized frame after the kernel's headers (tpacket2_hdr, sockaddr_ll, padding,
// virtio_net_hdr: under 128 bytes). 2048 slots of 2 KiB at a 1500-byte MTU.
constexpr size_t kRxBytes = size_t{4} << 20;
constexpr size_t kRxBlockMin = size_t{64} << 10;
constexpr size_t kRxHeadroom = 128;
// Transmit: slots that hold the largest frame the stack builds (65535 IP bytes, Ethernet
// header, virtio_net_hdr, after the tpacket2_hdr) rounded up to pages, 15 of them to a 1 MiB
// block (the kernel allocates each block as one power-of-two chunk, so a block of one slot
// would waste almost half of it); 2 blocks, 30 slots.
constexpr size_t kTxSlot = size_t{17} << 12;
constexpr size_t kTxBlock = size_t{1} << 20;
constexpr size_t kTxBlocks = 2;

uint32_t& slot_status(std::byte* slot) { return reinterpret_cast<tpacket2_hdr*>(slot)->tp_status; }
uint32_t load_status(std::byte* slot) {
    // Acquire: the kernel's writes of the slot are visible once we see its status.
    return std::atomic_ref<uint32_t>(slot_status(slot)).load(std::memory_order_acquire);
}
void store_status(std::byte* slot, uint32_t status) {
    // Release: our reads (receive) or writes (transmit) of the slot happen before the kernel's.
    std::atomic_ref<uint32_t>(slot_status(slot)).store(status, std::memory_order_release);
}

tpacket_req request(size_t block_size, size_t slot_size, size_t blocks) {
    tpacket_req req{};
    req.tp_block_size = static_cast<unsigned>(block_size);
    req.tp_block_nr = static_cast<unsigned>(blocks);
    req.tp_frame_size = static_cast<unsigned>(slot_size);
    req.tp_frame_nr = static_cast<unsigned>(blocks * (block_size / slot_size));
    return req;
}

}  // namespace

PacketFrameRing::Result PacketFrameRing::map(int fd, bool rx, bool tx, size_t mtu) {
    Ring rx_ring, tx_ring;
    if (rx) {
        rx_ring.slot_size = std::max<size_t>(2048, std::bit_ceil(mtu + 14 + kRxHeadroom));
        rx_ring.block_size = std::max(kRxBlockMin, rx_ring.slot_size);
        rx_ring.per_block = rx_ring.block_size / rx_ring.slot_size;
        rx_ring.count = kRxBytes / rx_ring.block_size * rx_ring.per_block;
    }
    if (tx) {
        tx_ring.slot_size = kTxSlot;
        tx_ring.block_size = kTxBlock;
        tx_ring.per_block = kTxBlock / kTxSlot;
        tx_ring.count = kTxBlocks * tx_ring.per_block;
    }
    // Undoes whatever was set, so that the socket works plainly.
    auto undo = [fd](const std::string& why) {
        tpacket_req none{};
        sys::setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &none, sizeof none);
        sys::setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &none, sizeof none);
        const int v1 = TPACKET_V1;
        sys::setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v1, sizeof v1);
        return Result{nullptr, why};
    };
    const int version = TPACKET_V2;
    if (long r = sys::setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version); r < 0) {
        return {nullptr, "PACKET_VERSION TPACKET_V2: " + sys::error_text(static_cast<int>(-r))};
    }
    if (tx) {
        // Before any ring (the kernel refuses it after). A frame the kernel cannot parse is
        // skipped (its slot given back) instead of stopping the ring with
        // TP_STATUS_WRONG_FORMAT until we clear it.
        const int on = 1;
        if (long r = sys::setsockopt(fd, SOL_PACKET, PACKET_LOSS, &on, sizeof on); r < 0) {
            return undo("PACKET_LOSS: " + sys::error_text(static_cast<int>(-r)));
        }
    }
    if (rx) {
        // Any non-zero value: a frame longer than its slot is queued whole on the socket.
        const int on = 1;
        if (long r = sys::setsockopt(fd, SOL_PACKET, PACKET_COPY_THRESH, &on, sizeof on); r < 0) {
            return undo("PACKET_COPY_THRESH: " + sys::error_text(static_cast<int>(-r)));
        }
        const tpacket_req req = request(rx_ring.block_size, rx_ring.slot_size, rx_ring.count / rx_ring.per_block);
        if (long r = sys::setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req); r < 0) {
            return undo("PACKET_RX_RING: " + sys::error_text(static_cast<int>(-r)));
        }
    }
    if (tx) {
        const tpacket_req req = request(tx_ring.block_size, tx_ring.slot_size, kTxBlocks);
        if (long r = sys::setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req); r < 0) {
            return undo("PACKET_TX_RING: " + sys::error_text(static_cast<int>(-r)));
        }
    }
    // One mapping: the receive ring first, then the transmit ring (af_packet.c: packet_mmap).
    const size_t len = rx_ring.bytes() + tx_ring.bytes();
    void* base = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) return undo("mmap of the rings failed");
    // A forked child never drives the parent's device (preload/runtime.cc: on_fork_child), so
    // it need not share the rings, nor copy their page tables.
    ::madvise(base, len, MADV_DONTFORK);
    auto* map = static_cast<std::byte*>(base);
    rx_ring.base = map;
    tx_ring.base = map + rx_ring.bytes();
    return {std::unique_ptr<PacketFrameRing>(new PacketFrameRing(fd, map, len, rx_ring, tx_ring)), {}};
}

PacketFrameRing::PacketFrameRing(int fd, std::byte* map, size_t map_len, Ring rx, Ring tx)
    : fd_(fd), map_(map), map_len_(map_len), rx_(rx), tx_(tx) {}

PacketFrameRing::~PacketFrameRing() { ::munmap(map_, map_len_); }

std::optional<tpacket_v2::Frame> PacketFrameRing::rx_next(size_t lead, uint64_t& malformed) {
    while (rx_.count > 0) {
        std::byte* s = rx_.slot(rx_.next);
        if ((load_status(s) & TP_STATUS_USER) == 0) return std::nullopt;
        std::optional<tpacket_v2::Frame> f = tpacket_v2::read_frame({s, rx_.slot_size}, lead);
        if (f) return f;
        ++malformed;
        rx_release();
    }
    return std::nullopt;
}

void PacketFrameRing::rx_release() {
    store_status(rx_.slot(rx_.next), TP_STATUS_KERNEL);
    rx_.next = (rx_.next + 1) % rx_.count;
}

std::span<std::byte> PacketFrameRing::tx_slot() {
    if (tx_.count == 0 || tx_pending_ == tx_.count) return {};
    std::byte* s = tx_.slot(tx_.next);
    // TP_STATUS_AVAILABLE is 0; TP_STATUS_SENDING: the kernel still holds the slot's bytes.
    if (load_status(s) != TP_STATUS_AVAILABLE) return {};
    const size_t off = tpacket_v2::tx_data_offset();
    return {s + off, tx_.slot_size - off};
}

void PacketFrameRing::tx_commit(size_t len) {
    std::byte* s = tx_.slot(tx_.next);
    reinterpret_cast<tpacket2_hdr*>(s)->tp_len = static_cast<uint32_t>(len);
    store_status(s, TP_STATUS_SEND_REQUEST);
    tx_.next = (tx_.next + 1) % tx_.count;
    ++tx_pending_;
}

int PacketFrameRing::tx_kick() {
    if (tx_pending_ == 0) return 0;
    // No address: a bound packet socket sends on its interface. The kernel walks the ring
    // from its own head, sending every slot marked TP_STATUS_SEND_REQUEST, and stops at the
    // first unmarked one or at an error (a full device queue: ENOBUFS, no socket buffer:
    // EAGAIN), leaving that slot and the ones after it marked.
    mmsghdr kick{};
    long r;
    do {
        r = sys::sendmmsg(fd_, &kick, 1, MSG_DONTWAIT);
    } while (r == -EINTR);
    // The kernel leaves marked only a suffix of what we marked, and touches the ring only
    // inside send(): take the unsent slots back, so the caller sees them as not accepted and
    // offers them again (as with a full queue on sendmmsg) instead of their waiting here for
    // a kick that may never come.
    size_t unsent = 0;
    while (unsent < tx_pending_) {
        const size_t i = (tx_.next + tx_.count - 1 - unsent) % tx_.count;
        if (load_status(tx_.slot(i)) != TP_STATUS_SEND_REQUEST) break;
        ++unsent;
    }
    for (size_t k = 0; k < unsent; ++k) {
        tx_.next = (tx_.next + tx_.count - 1) % tx_.count;
        store_status(tx_.slot(tx_.next), TP_STATUS_AVAILABLE);
    }
    const size_t sent = tx_pending_ - unsent;
    tx_pending_ = 0;
    if (r < 0 && sent == 0) return static_cast<int>(r);
    return static_cast<int>(sent);
}

}  // namespace ustack::netdev

// TPACKET_V2 rings on a packet socket: memory shared with the kernel, cut into fixed-size
// frame slots that change hands one at a time through each slot's tp_status.
//
// Receive: the kernel writes each frame into the next free slot and hands that slot over at
// once, so a reader sees a lone frame as soon as a recvmmsg would (a TPACKET_V3 block waits
// for its retire timeout, netdev/packet_rx_ring.h). A frame longer than a slot (a GRO or GSO
// super-frame of up to 64 KiB) is not cut: with PACKET_COPY_THRESH on, the kernel marks its
// slot TP_STATUS_COPY and queues the whole frame on the socket, in ring order, for recvmsg.
//
// Transmit: we write frames into free slots, mark them TP_STATUS_SEND_REQUEST and kick the
// kernel with one send(), which hands every marked slot to the device in order. A slot comes
// back (TP_STATUS_AVAILABLE) when the kernel is done with its bytes. Transmit slots hold the
// largest frame the stack builds (a 64 KiB TSO super-frame plus its virtio_net_hdr), so every
// frame goes through the ring and stays in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "netdev/tpacket_v2.h"

namespace ustack::netdev {

class PacketFrameRing {
public:
    struct Result {
        std::unique_ptr<PacketFrameRing> ring;
        std::string error;  // why there is no ring (e.g. "PACKET_TX_RING: Operation not permitted")
    };
    // Sets TPACKET_V2 and maps a receive ring (rx), a transmit ring (tx) or both on fd, which
    // must not be bound yet (so no frame is queued outside the ring). Receive slots fit a frame
    // of mtu IP bytes. PACKET_VNET_HDR, if wanted, must already be on. On failure the socket is
    // left as it was (TPACKET_V1, no ring).
    static Result map(int fd, bool rx, bool tx, size_t mtu);

    ~PacketFrameRing();
    PacketFrameRing(const PacketFrameRing&) = delete;
    PacketFrameRing& operator=(const PacketFrameRing&) = delete;

    bool receives() const { return rx_.count > 0; }
    bool transmits() const { return tx_.count > 0; }

    // Receive. The frame in the next slot if the kernel has handed it over, else nullopt. The
    // slot stays ours (and the frame's bytes valid) until rx_release(). A slot whose header
    // does not parse (lead: bytes expected before the frame) is given back and counted in
    // malformed.
    std::optional<tpacket_v2::Frame> rx_next(size_t lead, uint64_t& malformed);
    void rx_release();

    // Transmit. The next slot's frame area if the kernel has given it back, else empty (the
    // ring is full). Fill a prefix of it, then tx_commit() that many bytes.
    std::span<std::byte> tx_slot();
    void tx_commit(size_t len);
    // Marked slots not yet kicked.
    size_t tx_pending() const { return tx_pending_; }
    // Asks the kernel to send every marked slot (one send() system call). Returns how many it
    // took; marked slots it left (a full device queue) are unmarked again and must be offered
    // again. -errno when it took none and failed.
    int tx_kick();

private:
    // Slots never straddle blocks: a block holds per_block slots and maybe some slack.
    struct Ring {
        std::byte* base = nullptr;
        size_t block_size = 0;
        size_t slot_size = 0;
        size_t per_block = 0;
        size_t count = 0;
        size_t next = 0;  // the slot we read or fill next, in ring order
        std::byte* slot(size_t i) const { return base + i / per_block * block_size + i % per_block * slot_size; }
        size_t bytes() const { return count == 0 ? 0 : count / per_block * block_size; }
    };
    PacketFrameRing(int fd, std::byte* map, size_t map_len, Ring rx, Ring tx);

    int fd_;
    std::byte* map_;
    size_t map_len_;
    Ring rx_;
    Ring tx_;
    size_t tx_pending_ = 0;
};

}  // namespace ustack::netdev

#include "netdev/packet.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "netdev/iface.h"
#include "netdev/packet_rx_ring.h"
#include "netdev/sys.h"
#include "netdev/vnet_header.h"

// All I/O on the packet socket goes through netdev/sys.h (raw syscalls), never through
// libc's recvmmsg/sendmmsg, so that our own LD_PRELOAD interposer never sees it; see sys.h.

namespace ustack::netdev {
namespace {

constexpr size_t kBatch = 32;  // frames per recvmmsg/sendmmsg call

PacketDevice::Result fail(const std::string& ifname, const std::string& why) {
    return {nullptr, "USTACK_DEVICE=packet:" + ifname + ": " + why};
}

std::string interface_error(const std::string& ifname, int err) {
    if (err == ENODEV || err == ENXIO) {
        return "no interface named " + ifname +
               " in this network namespace (check `ip link`, or run inside the namespace that has it)";
    }
    return "cannot query interface " + ifname + ": " + sys::error_text(err);
}

}  // namespace

PacketDevice::PacketDevice(int fd, std::string ifname, size_t mtu, wire::MacAddr mac, bool vnet_header,
                           std::unique_ptr<PacketRxRing> block_ring, std::unique_ptr<PacketFrameRing> frame_ring)
    : fd_(fd),
      ifname_(std::move(ifname)),
      mtu_(mtu),
      mac_(mac),
      vnet_header_(vnet_header),
      block_ring_(std::move(block_ring)),
      frame_ring_(std::move(frame_ring)) {}

Offloads PacketDevice::offloads() const {
    if (!vnet_header_) return {};
    return {.rx_checksum = true, .tx_checksum = true, .tso4 = true};
}

PacketRings PacketDevice::rings() const {
    if (!frame_ring_) return PacketRings::kNone;
    if (frame_ring_->receives() && frame_ring_->transmits()) return PacketRings::kBoth;
    return frame_ring_->receives() ? PacketRings::kRx : PacketRings::kTx;
}

PacketDevice::~PacketDevice() {
    block_ring_.reset();  // unmapped before the socket closes
    frame_ring_.reset();
    sys::close(fd_);
}

PacketDevice::Result PacketDevice::open(const std::string& ifname, bool offloads, PacketRings rings, bool block_ring) {
    if (!valid_interface_name(ifname)) {
        return fail(ifname, "\"" + ifname +
                                "\" is not a valid interface name (use at most 15 characters, no '/', ':' or spaces)");
    }
    InterfaceControl ctl;
    if (!ctl.ok()) return fail(ifname, "cannot open a control socket: " + sys::error_text(ctl.error()));
    long ifindex = ctl.index(ifname);
    if (ifindex < 0) return fail(ifname, interface_error(ifname, static_cast<int>(-ifindex)));
    std::array<uint8_t, 6> octets{};
    long hwtype = ctl.hw_addr(ifname, octets);
    if (hwtype < 0) return fail(ifname, interface_error(ifname, static_cast<int>(-hwtype)));
    if (hwtype != ARPHRD_ETHER) {
        return fail(ifname, ifname + " is not an Ethernet interface (use a veth or NIC; for a TAP use tap:" +
                                ifname + ")");
    }
    long flags = ctl.flags(ifname);
    if (flags < 0) return fail(ifname, interface_error(ifname, static_cast<int>(-flags)));
    if ((flags & IFF_UP) == 0) return fail(ifname, ifname + " is down (ip link set " + ifname + " up)");
    long mtu = ctl.mtu(ifname);
    if (mtu < 0) return fail(ifname, interface_error(ifname, static_cast<int>(-mtu)));

    // Protocol 0 receives nothing until bind() names the interface; opening with ETH_P_ALL
    // would queue frames from every interface in the meantime.
    long fd = sys::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int err = static_cast<int>(-fd);
        std::string why = "cannot open an AF_PACKET socket: " + sys::error_text(err);
        if (err == EPERM || err == EACCES) why += " (run as root or with CAP_NET_RAW)";
        return fail(ifname, why);
    }
    auto close_and_fail = [&](const std::string& why) {
        sys::close(static_cast<int>(fd));
        return fail(ifname, why);
    };
    const int one = 1;
    if (long r = sys::setsockopt(static_cast<int>(fd), SOL_PACKET, PACKET_AUXDATA, &one, sizeof one); r < 0) {
        return close_and_fail("cannot enable PACKET_AUXDATA: " + sys::error_text(static_cast<int>(-r)));
    }
    // Linux 4.20+. Without it we still skip PACKET_OUTGOING frames in receive().
    sys::setsockopt(static_cast<int>(fd), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    // No PACKET_QDISC_BYPASS: its direct transmit (__dev_direct_xmit) drops every frame the
    // kernel had to segment in software, so with TSO on an interface without it (ethtool -K
    // tso off) every super-frame fails with ENOBUFS, which send() reads as a full queue and
    // retries forever (PacketDevice.ATcpSuperFrameLeavesAsMtuSizedSegmentsWithGoodChecksums
    // shows it). A veth has no qdisc anyway (noqueue), so there was little to bypass.
    // The default receive buffer (net.core.rmem_default, ~208 KiB) overflows under a burst from
    // a fast veth peer between two polls, and every drop there costs a TCP recovery. Ask for
    // 4 MiB; SO_RCVBUFFORCE passes rmem_max when we have CAP_NET_ADMIN, else take what we get.
    const int rcvbuf = 4 << 20;
    if (sys::setsockopt(static_cast<int>(fd), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) {
        sys::setsockopt(static_cast<int>(fd), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    // Before any ring: the kernel refuses PACKET_VNET_HDR once one is mapped. A kernel that
    // refuses it leaves us with plain frames and software checksums, which always work.
    const bool vnet_header =
        offloads && sys::setsockopt(static_cast<int>(fd), SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) == 0;
    // Before bind(), so that no frame waits in the socket queue, outside the ring. Without a
    // ring (an old kernel, no memory) we use recvmmsg and sendmmsg, which always work.
    auto say = [&](const std::string& what, const std::string& why) {
        const std::string line = "ustack: packet:" + ifname + ": no " + what + " (" + why + "), using recvmmsg/sendmmsg\n";
        sys::write(2, line.data(), line.size());
    };
    std::unique_ptr<PacketRxRing> block;
    std::unique_ptr<PacketFrameRing> frames;
    if (block_ring) {
        PacketRxRing::Result r = PacketRxRing::map(static_cast<int>(fd));
        if (!r.ring) say("TPACKET_V3 receive ring", r.error);
        block = std::move(r.ring);
    } else if (rings != PacketRings::kNone) {
        const bool rx = rings == PacketRings::kRx || rings == PacketRings::kBoth;
        const bool tx = rings == PacketRings::kTx || rings == PacketRings::kBoth;
        PacketFrameRing::Result r = PacketFrameRing::map(static_cast<int>(fd), rx, tx, static_cast<size_t>(mtu));
        if (!r.ring) say("TPACKET_V2 rings", r.error);
        frames = std::move(r.ring);
    }
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(ifindex);
    if (long r = sys::bind(static_cast<int>(fd), &sll, sizeof sll); r < 0) {
        int err = static_cast<int>(-r);
        if (err == ENODEV || err == ENXIO) return close_and_fail(interface_error(ifname, err));
        return close_and_fail("cannot bind to " + ifname + ": " + sys::error_text(err));
    }
    wire::MacAddr mac;
    mac.octets = octets;
    return {std::unique_ptr<PacketDevice>(
                new PacketDevice(static_cast<int>(fd), ifname, static_cast<size_t>(mtu), mac, vnet_header, std::move(block),
                                 std::move(frames))),
            {}};
}

int PacketDevice::receive(std::span<RxSlot> slots) {
    int n;
    if (block_ring_) n = receive_from_block_ring(slots);
    else if (frame_ring_ && frame_ring_->receives()) n = receive_from_frame_ring(slots);
    else n = receive_plain(slots, slots.size());
    if (n > 0) counters_.rx_frames += static_cast<uint64_t>(n);
    return n;
}

int PacketDevice::receive_plain(std::span<RxSlot> slots, size_t limit) {
    size_t filled = 0;
    size_t taken = 0;  // frames dequeued, kept or dropped
    const size_t lead = vnet_header_ ? vnet::kHeaderLen : 0;
    while (filled < slots.size() && taken < limit) {
        const size_t want = std::min({kBatch, slots.size() - filled, limit - taken});
        mmsghdr msgs[kBatch]{};
        iovec iovs[kBatch][2];
        std::array<std::byte, vnet::kHeaderLen> headers[kBatch];
        sockaddr_ll addrs[kBatch];
        alignas(cmsghdr) std::byte controls[kBatch][CMSG_SPACE(sizeof(tpacket_auxdata))];
        for (size_t i = 0; i < want; ++i) {
            std::span<std::byte> buf = slots[filled + i].buffer;
            iovs[i][0] = {headers[i].data(), headers[i].size()};
            iovs[i][1] = {buf.data(), buf.size()};
            msgs[i].msg_hdr.msg_name = &addrs[i];
            msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
            msgs[i].msg_hdr.msg_iov = vnet_header_ ? iovs[i] : iovs[i] + 1;
            msgs[i].msg_hdr.msg_iovlen = vnet_header_ ? 2 : 1;
            msgs[i].msg_hdr.msg_control = controls[i];
            msgs[i].msg_hdr.msg_controllen = sizeof controls[i];
        }
        // MSG_TRUNC makes msg_len the frame's real length (plus the vnet header), so a frame
        // longer than its slot shows up as such instead of as a silently cut one.
        long got = sys::recvmmsg(fd_, msgs, static_cast<unsigned>(want), MSG_DONTWAIT | MSG_TRUNC);
        if (got == -EINTR) continue;
        if (got == -EINVAL && vnet_header_) {
            // The kernel could not describe a frame in a virtio_net_hdr (a segmentation type
            // virtio has no name for) and dropped it.
            ++counters_.rx_dropped;
            ++taken;
            continue;
        }
        if (got < 0) {
            if (got == -EAGAIN || filled > 0) break;
            return static_cast<int>(got);
        }
        taken += static_cast<size_t>(got);
        // Keep the good frames packed at the front: a dropped frame's slot is reused by
        // copying the next good frame into it (rare: only after a drop in the same batch).
        const size_t base = filled;
        for (size_t i = 0; i < static_cast<size_t>(got); ++i) {
            RxSlot& from = slots[base + i];
            if (msgs[i].msg_len < lead) {
                ++counters_.rx_dropped;
                continue;
            }
            const size_t len = msgs[i].msg_len - lead;
            if (len > from.buffer.size()) {
                ++counters_.rx_oversize;
                continue;
            }
            if (addrs[i].sll_pkttype == PACKET_OUTGOING) continue;  // our own send, looped back
            bool partial = false;
            bool tagged = false;
            for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != nullptr; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
                if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
                tpacket_auxdata aux;
                std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
                partial = (aux.tp_status & TP_STATUS_CSUMNOTREADY) != 0;
                tagged = (aux.tp_status & TP_STATUS_VLAN_VALID) != 0;
            }
            if (tagged) {
                ++counters_.rx_dropped;
                continue;
            }
            if (vnet_header_) {
                const std::optional<vnet::Received> v = vnet::parse_received(vnet::read(headers[i]), len);
                if (!v) {
                    ++counters_.rx_dropped;
                    continue;
                }
                partial = partial || v->checksum_partial;
            }
            RxSlot& to = slots[filled];
            if (&to != &from) {
                if (len > to.buffer.size()) {
                    ++counters_.rx_oversize;
                    continue;
                }
                std::memcpy(to.buffer.data(), from.buffer.data(), len);
            }
            to.len = len;
            to.checksum_partial = partial;
            ++filled;
        }
        if (static_cast<size_t>(got) < want) break;  // the socket queue is empty
    }
    return static_cast<int>(filled);
}

bool PacketDevice::take_ring_frame(uint32_t status, uint8_t pkttype, uint32_t len, ConstBytes bytes, ConstBytes lead,
                                   RxSlot& slot) {
    if (pkttype == PACKET_OUTGOING) return false;  // our own send, looped back
    // A frame longer than its ring slot or block was cut (tp_snaplen < tp_len); one longer
    // than the stack's slot does not fit: both are too long for us.
    if (bytes.size() < len || len > slot.buffer.size()) {
        ++counters_.rx_oversize;
        return false;
    }
    if ((status & TP_STATUS_VLAN_VALID) != 0) {
        ++counters_.rx_dropped;
        return false;
    }
    bool partial = (status & TP_STATUS_CSUMNOTREADY) != 0;
    if (vnet_header_) {
        const std::optional<vnet::Received> v = vnet::parse_received(vnet::read(lead.first<vnet::kHeaderLen>()), len);
        if (!v) {
            ++counters_.rx_dropped;
            return false;
        }
        partial = partial || v->checksum_partial;
    }
    // One copy, into the stack's own buffer: the stack owns its receive slots, and a frame
    // copied out lets its ring slot go back to the kernel at once.
    std::memcpy(slot.buffer.data(), bytes.data(), len);
    slot.len = len;
    slot.checksum_partial = partial;
    return true;
}

int PacketDevice::receive_from_block_ring(std::span<RxSlot> slots) {
    const size_t lead = vnet_header_ ? vnet::kHeaderLen : 0;
    size_t filled = 0;
    while (filled < slots.size()) {
        const std::optional<tpacket_v3::Frame> f = block_ring_->next(lead, counters_.rx_dropped);
        if (!f) break;
        if (take_ring_frame(f->status, f->pkttype, f->len, f->bytes, f->lead, slots[filled])) ++filled;
    }
    return static_cast<int>(filled);
}

int PacketDevice::receive_from_frame_ring(std::span<RxSlot> slots) {
    const size_t lead = vnet_header_ ? vnet::kHeaderLen : 0;
    size_t filled = 0;
    // Slots marked TP_STATUS_COPY already given back: their frames wait whole in the socket
    // queue, in ring order, so they are read (in one recvmmsg) before any later ring frame.
    size_t copies = 0;
    auto take_copies = [&] {
        // An error here (none is expected: each frame was queued before its slot was handed
        // over) loses only those frames.
        const int n = receive_plain(slots.subspan(filled, copies), copies);
        copies = 0;
        if (n > 0) filled += static_cast<size_t>(n);
    };
    while (filled + copies < slots.size()) {
        const std::optional<tpacket_v2::Frame> f = frame_ring_->rx_next(lead, counters_.rx_dropped);
        if (!f) break;
        if ((f->status & TP_STATUS_COPY) != 0) {
            frame_ring_->rx_release();
            ++copies;
            continue;
        }
        if (copies > 0) take_copies();
        if (take_ring_frame(f->status, f->pkttype, f->len, f->bytes, f->lead, slots[filled])) ++filled;
        frame_ring_->rx_release();
    }
    if (copies > 0) take_copies();
    return static_cast<int>(filled);
}

int PacketDevice::send(std::span<const ConstBytes> frames) {
    const int n = frame_ring_ && frame_ring_->transmits() ? send_to_ring(frames) : send_plain(frames);
    if (n > 0) counters_.tx_frames += static_cast<uint64_t>(n);
    return n;
}

int PacketDevice::send_to_ring(std::span<const ConstBytes> frames) {
    const size_t lead = vnet_header_ ? vnet::kHeaderLen : 0;
    size_t done = 0;  // frames before this one are in the kernel's hands or dropped
    while (done < frames.size()) {
        // Indices of the frames marked in this round, in ring order.
        size_t marked[64];
        size_t count = 0;
        size_t i = done;
        for (; i < frames.size() && count < std::size(marked); ++i) {
            const ConstBytes f = frames[i];
            std::span<std::byte> slot = frame_ring_->tx_slot();
            if (slot.empty()) break;  // every slot is marked or still the kernel's
            std::optional<vnet::Header> h;
            if (vnet_header_) h = vnet::header_for_send(f, mtu_);
            if ((vnet_header_ && !h) || lead + f.size() > slot.size()) {
                // Longer than the MTU and not TCP/IPv4 the kernel can segment: drop it, go on.
                ++counters_.tx_dropped;
                if (count == 0) done = i + 1;
                continue;
            }
            if (h) vnet::write(*h, slot.first<vnet::kHeaderLen>());
            std::memcpy(slot.data() + lead, f.data(), f.size());
            frame_ring_->tx_commit(lead + f.size());
            marked[count++] = i;
        }
        if (count == 0) break;  // the ring is full
        const int taken = frame_ring_->tx_kick();
        if (taken < 0) {
            if (done > 0 || taken == -EAGAIN || taken == -ENOBUFS) break;
            return taken;
        }
        if (static_cast<size_t>(taken) < count) {
            done = marked[taken];  // the kernel stopped there (a full device queue)
            break;
        }
        done = i;
    }
    return static_cast<int>(done);
}

int PacketDevice::send_plain(std::span<const ConstBytes> frames) {
    size_t sent = 0;
    while (sent < frames.size()) {
        size_t want = std::min(kBatch, frames.size() - sent);
        mmsghdr msgs[kBatch]{};
        iovec iovs[kBatch][2];
        std::array<std::byte, vnet::kHeaderLen> headers[kBatch];
        for (size_t i = 0; i < want; ++i) {
            ConstBytes f = frames[sent + i];
            if (vnet_header_) {
                const std::optional<vnet::Header> h = vnet::header_for_send(f, mtu_);
                if (!h) {
                    want = i;  // send the frames before it; the next round drops it
                    break;
                }
                vnet::write(*h, headers[i]);
            }
            iovs[i][0] = {headers[i].data(), headers[i].size()};
            iovs[i][1] = {const_cast<std::byte*>(f.data()), f.size()};
            msgs[i].msg_hdr.msg_iov = vnet_header_ ? iovs[i] : iovs[i] + 1;
            msgs[i].msg_hdr.msg_iovlen = vnet_header_ ? 2 : 1;
        }
        if (want == 0) {
            // Longer than the MTU and not TCP/IPv4 the kernel can segment: drop it, go on.
            ++counters_.tx_dropped;
            ++sent;
            continue;
        }
        // No address: a bound packet socket sends on its interface.
        long n = sys::sendmmsg(fd_, msgs, static_cast<unsigned>(want), MSG_DONTWAIT);
        if (n == -EINTR) continue;
        if (n == -EAGAIN || n == -ENOBUFS) break;
        if (n == -EINVAL || n == -EMSGSIZE) {
            // The first frame of the batch is malformed or longer than the MTU: drop it, go on.
            ++counters_.tx_dropped;
            ++sent;
            continue;
        }
        if (n < 0) {
            if (sent > 0) break;
            return static_cast<int>(n);
        }
        // sendmmsg stops at the first failing frame and reports only the ones before it; the
        // next round retries that frame and sees its error.
        sent += static_cast<size_t>(n);
    }
    return static_cast<int>(sent);
}

}  // namespace ustack::netdev

#include "netdev/tap.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "netdev/iface.h"
#include "netdev/sys.h"
#include "netdev/vnet_header.h"

// All I/O on the TAP fd goes through netdev/sys.h (raw syscalls), never through libc's
// read/write, so that our own LD_PRELOAD interposer never sees it; see sys.h for why.

namespace ustack::netdev {
namespace {

constexpr size_t kOverflowBytes = 65536;  // more than any frame a TAP can hand us

TapDevice::Result fail(const std::string& spec, const std::string& why) {
    return {nullptr, "USTACK_DEVICE=" + spec + ": " + why};
}

size_t query_mtu(const std::string& ifname) {
    InterfaceControl ctl;
    long mtu = ctl.ok() ? ctl.mtu(ifname) : -1;
    return mtu > 0 ? static_cast<size_t>(mtu) : 1500;
}

// Brings the interface up when it is down and we may; a program without CAP_NET_ADMIN
// attaching to a TAP someone else set up must not fail here, so errors are ignored.
void bring_up_if_permitted(const std::string& ifname) {
    InterfaceControl ctl;
    if (ctl.ok()) ctl.bring_up(ifname);
}

// Whether a TAP fd was attached without IFF_NO_PI, or -errno. TUNGETIFF alone cannot say:
// while no socket filter is attached it also reports IFF_NOFILTER, which is the same bit as
// IFF_NO_PI. So when the bit is set, attach an accept-all filter for the duration of the
// question (allowed for any TAP fd) and ask again. A filter someone else attached to a
// NO_PI TAP is removed by this; our launcher attaches none.
long has_packet_info(int fd, int flags) {
    if ((flags & IFF_NO_PI) == 0) return 1;  // a filter is attached, so the bit means NO_PI
    sock_filter accept_all = BPF_STMT(BPF_RET | BPF_K, 0xffffffff);
    sock_fprog prog{1, &accept_all};
    if (long r = sys::ioctl(fd, TUNATTACHFILTER, &prog); r < 0) return r;
    ifreq ifr{};
    long r = sys::ioctl(fd, TUNGETIFF, &ifr);
    sys::ioctl(fd, TUNDETACHFILTER, &prog);
    if (r < 0) return r;
    return (ifr.ifr_flags & IFF_NO_PI) == 0 ? 1 : 0;
}

// Sets up what the kernel may hand us and take from us, and with IFF_VNET_HDR the legacy
// header size. Returns whether offloads are on: false when not wanted, without a vnet header,
// or when the kernel refuses them (then every frame still carries an empty header).
// Offloads are always set, also to none: they belong to the interface and outlive the fd, so
// a persistent TAP that an earlier run used with offloads would otherwise go on handing
// 64 KiB frames with partial checksums to a reader that cannot tell.
bool configure_offloads(int fd, bool vnet_header, bool offloads) {
    if (!vnet_header) {
        sys::ioctl(fd, TUNSETOFFLOAD, nullptr);
        return false;
    }
    int size = static_cast<int>(vnet::kHeaderLen);
    sys::ioctl(fd, TUNSETVNETHDRSZ, &size);  // 10 is the kernel's default; set it to be sure
    const unsigned long features = offloads ? (TUN_F_CSUM | TUN_F_TSO4) : 0;
    if (sys::ioctl(fd, TUNSETOFFLOAD, reinterpret_cast<void*>(features)) < 0) {
        sys::ioctl(fd, TUNSETOFFLOAD, nullptr);
        return false;
    }
    return offloads;
}

}  // namespace

TapDevice::TapDevice(int fd, std::string name, std::string ifname, size_t mtu, bool vnet_header, bool offloads)
    : fd_(fd),
      name_(std::move(name)),
      ifname_(std::move(ifname)),
      mtu_(mtu),
      vnet_header_(vnet_header),
      offloads_(configure_offloads(fd, vnet_header, offloads)),
      overflow_(kOverflowBytes) {}

Offloads TapDevice::offloads() const {
    if (!offloads_) return {};
    return {.rx_checksum = true, .tx_checksum = true, .tso4 = true};
}

TapDevice::~TapDevice() { sys::close(fd_); }

TapDevice::Result TapDevice::attach(const std::string& ifname, bool offloads) {
    const std::string spec = "tap:" + ifname;
    if (!valid_interface_name(ifname)) {
        return fail(spec, "\"" + ifname +
                              "\" is not a valid interface name (use at most 15 characters, no '/', ':' or spaces)");
    }
    long fd = sys::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int err = static_cast<int>(-fd);
        std::string why = "cannot open /dev/net/tun: " + sys::error_text(err);
        if (err == EACCES || err == EPERM) {
            why += " (run as root, or let `ustack run` open it and pass fd:N)";
        } else if (err == ENOENT || err == ENODEV || err == ENXIO) {
            why += " (load the tun module: modprobe tun)";
        }
        return fail(spec, why);
    }
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
    ifr.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | (offloads ? IFF_VNET_HDR : 0));
    if (long r = sys::ioctl(static_cast<int>(fd), TUNSETIFF, &ifr); r < 0) {
        sys::close(static_cast<int>(fd));
        int err = static_cast<int>(-r);
        std::string why = "cannot attach to TAP " + ifname + ": " + sys::error_text(err);
        if (err == EPERM || err == EACCES) {
            why += " (create it for this user with `ip tuntap add dev " + ifname +
                   " mode tap user $USER`, or run as root)";
        } else if (err == EBUSY) {
            why += " (another process holds it; stop that process or use another TAP)";
        } else if (err == EINVAL) {
            why += " (an interface of that name exists but is not a TAP without packet info; pick another name)";
        }
        return fail(spec, why);
    }
    bring_up_if_permitted(ifname);
    return {std::unique_ptr<TapDevice>(new TapDevice(static_cast<int>(fd), spec, ifname, query_mtu(ifname), offloads, offloads)),
            {}};
}

TapDevice::Result TapDevice::adopt(int fd, bool offloads) {
    const std::string spec = "fd:" + std::to_string(fd);
    ifreq ifr{};
    if (long r = sys::ioctl(fd, TUNGETIFF, &ifr); r < 0) {
        int err = static_cast<int>(-r);
        if (err == EBADF) {
            return fail(spec, "fd " + std::to_string(fd) +
                                  " is not open (the launcher must pass it without close-on-exec)");
        }
        if (err == EBADFD) {
            return fail(spec, "fd " + std::to_string(fd) +
                                  " is /dev/net/tun but attached to no interface (attach it with TUNSETIFF first)");
        }
        return fail(spec, "fd " + std::to_string(fd) +
                              " is not a TAP device (pass an fd of /dev/net/tun attached with IFF_TAP|IFF_NO_PI)");
    }
    std::string ifname(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
    const int flags = ifr.ifr_flags;
    if ((flags & IFF_TAP) == 0) {
        return fail(spec, "fd " + std::to_string(fd) + " is attached to " + ifname +
                              ", a TUN, not a TAP (attach with IFF_TAP|IFF_NO_PI)");
    }
    if (long pi = has_packet_info(fd, flags); pi != 0) {
        if (pi < 0) {
            return fail(spec, "cannot tell whether fd " + std::to_string(fd) + "'s TAP " + ifname +
                                  " has packet info: " + sys::error_text(static_cast<int>(-pi)) +
                                  " (attach it with IFF_TAP|IFF_NO_PI, or use tap:" + ifname + ")");
        }
        return fail(spec, "fd " + std::to_string(fd) + " is attached to TAP " + ifname +
                              " with packet info (attach with IFF_TAP|IFF_NO_PI)");
    }
    long fl = sys::fcntl(fd, F_GETFL, 0);
    if (fl < 0 || sys::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || sys::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        return fail(spec, "cannot make fd " + std::to_string(fd) + " non-blocking and close-on-exec");
    }
    bring_up_if_permitted(ifname);
    const bool vnet_header = (flags & IFF_VNET_HDR) != 0;
    return {std::unique_ptr<TapDevice>(new TapDevice(fd, spec, ifname, query_mtu(ifname), vnet_header, offloads)), {}};
}

int TapDevice::receive(std::span<RxSlot> slots) {
    size_t filled = 0;
    while (filled < slots.size()) {
        RxSlot& slot = slots[filled];
        std::array<std::byte, vnet::kHeaderLen> header;
        iovec iov[3] = {{header.data(), header.size()},
                        {slot.buffer.data(), slot.buffer.size()},
                        {overflow_.data(), overflow_.size()}};
        const size_t lead = vnet_header_ ? header.size() : 0;
        long n = vnet_header_ ? sys::readv(fd_, iov, 3) : sys::readv(fd_, iov + 1, 2);
        if (n == -EINTR) continue;
        if (n < 0) {
            if (n == -EAGAIN || filled > 0) break;
            return static_cast<int>(n);
        }
        if (static_cast<size_t>(n) < lead) {
            ++counters_.rx_dropped;
            continue;
        }
        const size_t len = static_cast<size_t>(n) - lead;
        if (len > slot.buffer.size()) {
            ++counters_.rx_oversize;
            continue;
        }
        slot.checksum_partial = false;
        if (vnet_header_) {
            const std::optional<vnet::Received> got = vnet::parse_received(vnet::read(header), len);
            if (!got) {
                ++counters_.rx_dropped;
                continue;
            }
            slot.checksum_partial = got->checksum_partial;
        }
        slot.len = len;
        ++filled;
    }
    counters_.rx_frames += filled;
    return static_cast<int>(filled);
}

int TapDevice::send(std::span<const ConstBytes> frames) {
    size_t sent = 0;
    while (sent < frames.size()) {
        long n = write_frame(frames[sent]);
        if (n == -EINTR) continue;
        if (n == -EAGAIN || n == -ENOBUFS) break;
        if (n == -EINVAL || n == -EMSGSIZE) {
            // This frame is malformed (e.g. shorter than an Ethernet header): drop it, go on.
            ++counters_.tx_dropped;
        } else if (n < 0) {
            if (sent > 0) break;
            return static_cast<int>(n);
        }
        ++sent;
    }
    counters_.tx_frames += sent;
    return static_cast<int>(sent);
}

long TapDevice::write_frame(ConstBytes frame) {
    if (!vnet_header_) return sys::write(fd_, frame.data(), frame.size());
    vnet::Header h;
    if (offloads_) {
        std::optional<vnet::Header> offloaded = vnet::header_for_send(frame, mtu_);
        if (!offloaded) return -EMSGSIZE;
        h = *offloaded;
    }
    std::array<std::byte, vnet::kHeaderLen> header;
    vnet::write(h, header);
    iovec iov[2] = {{header.data(), header.size()}, {const_cast<std::byte*>(frame.data()), frame.size()}};
    return sys::writev(fd_, iov, 2);
}

}  // namespace ustack::netdev

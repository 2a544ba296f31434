#include "launcher/preflight.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

namespace ustack::launcher {
namespace {

Preflight fail(int code, std::string message) {
    Preflight p;
    p.exit_code = code;
    p.message = std::move(message);
    return p;
}

int64_t monotonic_ms() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

std::optional<wire::MacAddr> interface_mac(const std::string& ifname) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return std::nullopt;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    const int r = ioctl(s, SIOCGIFHWADDR, &ifr);
    close(s);
    if (r != 0 || ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) return std::nullopt;
    wire::MacAddr mac;
    std::memcpy(mac.octets.data(), ifr.ifr_hwaddr.sa_data, 6);
    return mac;
}

// RFC 5227 2.1.1: an ARP probe, sender IP 0.0.0.0, asking who has `addr`.
std::array<uint8_t, 42> arp_probe(const wire::MacAddr& mac, uint32_t addr) {
    std::array<uint8_t, 42> f{};
    std::memset(f.data(), 0xff, 6);
    std::memcpy(f.data() + 6, mac.octets.data(), 6);
    f[12] = 0x08; f[13] = 0x06;             // ARP
    f[14] = 0; f[15] = 1;                   // Ethernet
    f[16] = 0x08; f[17] = 0x00;             // IPv4
    f[18] = 6; f[19] = 4;
    f[20] = 0; f[21] = 1;                   // request
    std::memcpy(f.data() + 22, mac.octets.data(), 6);
    // sender IP 0.0.0.0 (bytes 28..31), target MAC zero (32..37)
    f[38] = static_cast<uint8_t>(addr >> 24); f[39] = static_cast<uint8_t>(addr >> 16);
    f[40] = static_cast<uint8_t>(addr >> 8);  f[41] = static_cast<uint8_t>(addr);
    return f;
}

// The MAC of another host that claims addr in this ARP frame, if it does (RFC 5227 2.1.1:
// any ARP packet whose sender IP is the probed address).
std::optional<wire::MacAddr> claimant(const uint8_t* f, size_t len, const wire::MacAddr& ours, uint32_t addr) {
    if (len < 42 || f[12] != 0x08 || f[13] != 0x06) return std::nullopt;
    const uint32_t sender_ip = (uint32_t{f[28]} << 24) | (uint32_t{f[29]} << 16) | (uint32_t{f[30]} << 8) | f[31];
    if (sender_ip != addr) return std::nullopt;
    wire::MacAddr mac;
    std::memcpy(mac.octets.data(), f + 22, 6);
    if (mac == ours) return std::nullopt;
    return mac;
}

// Sends three probes 100 ms apart over fd (a TAP fd, or an AF_PACKET socket bound to the
// link) and listens for 400 ms in all. Returns the claimant's MAC if one answers. lead is the
// vnet header every frame on fd carries (a TAP attached with IFF_VNET_HDR): 0 or 10 bytes,
// all zero when we send (no offload asked), skipped when we read.
std::optional<wire::MacAddr> probe(int fd, const wire::MacAddr& mac, uint32_t addr, size_t lead) {
    std::array<uint8_t, 10 + 42> frame{};
    const auto arp = arp_probe(mac, addr);
    std::memcpy(frame.data() + lead, arp.data(), arp.size());
    const int64_t start = monotonic_ms();
    int sent = 0;
    for (;;) {
        const int64_t elapsed = monotonic_ms() - start;
        if (elapsed >= 400) return std::nullopt;
        if (sent < 3 && elapsed >= sent * 100) {
            (void)write(fd, frame.data(), lead + arp.size());
            ++sent;
        }
        pollfd p{fd, POLLIN, 0};
        const int64_t next = sent < 3 ? sent * 100 : 400;
        if (poll(&p, 1, static_cast<int>(std::max<int64_t>(next - elapsed, 1))) <= 0) continue;
        uint8_t buf[2048];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0) {
            if (static_cast<size_t>(n) < lead) continue;
            if (auto who = claimant(buf + lead, static_cast<size_t>(n) - lead, mac, addr)) return who;
        }
    }
}

// The kernel interface holding addr in this namespace, if any.
std::optional<std::string> kernel_owner(uint32_t addr) {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return std::nullopt;
    std::optional<std::string> owner;
    for (ifaddrs* i = list; i != nullptr && !owner; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
        const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
        if (ntohl(sin->sin_addr.s_addr) == addr) owner = i->ifa_name;
    }
    freeifaddrs(list);
    return owner;
}

}  // namespace

Preflight preflight(const preload::Config& config, bool arp_probe_enabled) {
    const std::string& spec = config.device;
    const size_t colon = spec.find(':');
    const std::string kind = spec.substr(0, colon);
    const std::string ifname = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (kind != "tap" && kind != "packet") return {};  // fd:N: the caller opened it

    if (ifname.size() >= IFNAMSIZ || if_nametoindex(ifname.c_str()) == 0) {
        std::string fix = kind == "tap" ? "create it (ip tuntap add dev " + ifname + " mode tap user $USER), "
                                        : "check the name with 'ip link', ";
        return fail(kExitNoSuchInterface, "USTACK_DEVICE=" + spec + ": no interface named " + ifname +
                                                  " in this network namespace; " + fix +
                                                  "or omit --device to use the embedded lab");
    }

    Preflight ok;
    int probe_fd = -1;
    size_t probe_lead = 0;
    std::optional<wire::MacAddr> hw;
    if (kind == "tap") {
        // No O_CLOEXEC: the program inherits it as fd:N. With offloads (USTACK_OFFLOADS, on by
        // default) it is attached with a vnet header, which cannot be added after attaching.
        int fd = open("/dev/net/tun", O_RDWR);
        int err = errno;
        if (fd >= 0) {
            ifreq ifr{};
            std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
            ifr.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | (config.offloads ? IFF_VNET_HDR : 0));
            if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
                err = errno;
                close(fd);
                fd = -1;
            }
        }
        if (fd < 0) {
            std::string fix = err == EBUSY ? "another process holds it; stop it or use another TAP"
                              : err == EINVAL ? ifname + " is not a TAP; name a TAP device"
                                              : "run as root, or create it for your user: ip tuntap add dev " + ifname +
                                                    " mode tap user $USER";
            return fail(kExitDevicePermission, "USTACK_DEVICE=" + spec + ": cannot open TAP " + ifname + ": " +
                                                       std::strerror(err) + "; " + fix);
        }
        ok.tap_fd = fd;
        if (config.offloads) probe_lead = 10;  // sizeof(struct virtio_net_hdr)
        probe_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        fcntl(probe_fd, F_SETFL, O_NONBLOCK);
    } else {
        const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP));
        if (fd < 0) {
            return fail(kExitDevicePermission, "USTACK_DEVICE=" + spec + ": cannot open a packet socket: " +
                                                       std::strerror(errno) +
                                                       "; run as root or give the program CAP_NET_RAW");
        }
        sockaddr_ll sll{};
        sll.sll_family = AF_PACKET;
        sll.sll_protocol = htons(ETH_P_ARP);
        sll.sll_ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
        if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
            close(fd);
            return fail(kExitDevicePermission, "USTACK_DEVICE=" + spec + ": cannot bind a packet socket to " + ifname +
                                                       ": " + std::strerror(errno));
        }
        probe_fd = fd;
        hw = interface_mac(ifname);
    }

    auto abandon = [&](int code, std::string message) {
        if (probe_fd >= 0) close(probe_fd);
        if (ok.tap_fd >= 0) close(ok.tap_fd);
        return fail(code, std::move(message));
    };
    const uint32_t addr = config.address.address.value;
    const std::string a = config.address.address.to_string();
    if (std::optional<std::string> owner = kernel_owner(addr)) {
        return abandon(kExitAddressInUse, a + " is already an address of interface " + *owner +
                                                  " in this network namespace; remove it (ip addr del " + a + "/" +
                                                  std::to_string(config.address.prefix_len) + " dev " + *owner +
                                                  ") or choose another --address");
    }
    if (arp_probe_enabled) {
        const wire::MacAddr mac = preload::choose_mac(config.mac, hw, config.address.address);
        if (std::optional<wire::MacAddr> who = probe(probe_fd, mac, addr, probe_lead)) {
            return abandon(kExitArpConflict, "another host (" + who->to_string() + ") answers ARP for " + a + " on " +
                                                     ifname + "; choose another --address, or stop that host using it");
        }
    }
    if (probe_fd >= 0) close(probe_fd);
    return ok;
}

}  // namespace ustack::launcher

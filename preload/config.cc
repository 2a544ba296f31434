#include "preload/config.h"

#include <charconv>
#include <string_view>

namespace ustack::preload {
namespace {

std::string quoted(std::string_view name, std::string_view value) {
    std::string s(name);
    s += "=\"";
    s += value;
    s += "\"";
    return s;
}

// USTACK_DEVICE forms from the configuration contract; open_device() reports what goes
// wrong when opening, this only catches a value that can never name a device.
std::optional<std::string> check_device(std::string_view v) {
    auto rest_after = [&](std::string_view prefix) -> std::optional<std::string_view> {
        if (v.substr(0, prefix.size()) == prefix) return v.substr(prefix.size());
        return std::nullopt;
    };
    const std::string fix = "; set it like tap:tap0, packet:eth1 or fd:3";
    if (v.empty()) return quoted("USTACK_DEVICE", v) + " is empty" + fix;
    if (auto n = rest_after("tap:")) {
        if (n->empty() || n->size() > 15) return quoted("USTACK_DEVICE", v) + " needs an interface name of 1 to 15 characters after tap:" + fix;
        return std::nullopt;
    }
    if (auto n = rest_after("packet:")) {
        if (n->empty() || n->size() > 15) return quoted("USTACK_DEVICE", v) + " needs an interface name of 1 to 15 characters after packet:" + fix;
        return std::nullopt;
    }
    if (auto n = rest_after("fd:")) {
        int fd = -1;
        auto [p, ec] = std::from_chars(n->data(), n->data() + n->size(), fd);
        if (ec != std::errc() || p != n->data() + n->size() || fd < 0) {
            return quoted("USTACK_DEVICE", v) + " needs a file descriptor number after fd:" + fix;
        }
        return std::nullopt;
    }
    return quoted("USTACK_DEVICE", v) + " is not a device" + fix;
}

}  // namespace

bool stack_requested(const EnvLookup& env) { return env("USTACK_DEVICE") != nullptr; }

std::optional<LogLevel> parse_log_level(const char* text) {
    if (text == nullptr) return LogLevel::kWarn;
    std::string_view v(text);
    if (v == "error") return LogLevel::kError;
    if (v == "warn") return LogLevel::kWarn;
    if (v == "info") return LogLevel::kInfo;
    if (v == "debug") return LogLevel::kDebug;
    return std::nullopt;
}

ConfigResult parse_config(const EnvLookup& env) {
    ConfigResult r;
    Config& c = r.config;

    if (const char* v = env("USTACK_LOG")) {
        if (auto level = parse_log_level(v)) {
            c.log_level = *level;
        } else {
            r.errors.push_back(quoted("USTACK_LOG", v) + " is not a log level; set it to one of error, warn, info, debug");
        }
    }

    if (const char* v = env("USTACK_LOG_FILE"); v != nullptr) {
        if (*v == '\0') {
            r.errors.push_back("USTACK_LOG_FILE is set but empty; set it to a file path like /tmp/ustack.log, or unset it");
        } else {
            c.log_file = v;
        }
    }

    if (const char* v = env("USTACK_BUSY_POLL"); v != nullptr) {
        const std::string_view t(v);
        uint32_t us = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), us);
        if (t.empty() || ec != std::errc{} || end != t.data() + t.size() || us > kMaxBusyPollUs) {
            r.errors.push_back(quoted("USTACK_BUSY_POLL", v) + " is not microseconds from 0 to 1000000; set it like 50");
        } else {
            c.busy_poll_us = us;
        }
    }

    const char* dev = env("USTACK_DEVICE");
    if (dev == nullptr) {
        r.errors.push_back("USTACK_DEVICE is not set; set it like tap:tap0, packet:eth1 or fd:3");
    } else if (auto err = check_device(dev)) {
        r.errors.push_back(*err);
    } else {
        c.device = dev;
    }

    bool have_address = false;
    const char* addr = env("USTACK_ADDRESS");
    if (addr == nullptr) {
        r.errors.push_back("USTACK_ADDRESS is not set; set it like 10.77.0.2/24");
    } else if (auto cidr = wire::Ipv4Cidr::parse(addr); !cidr) {
        r.errors.push_back(quoted("USTACK_ADDRESS", addr) + " is not an IPv4 address with prefix length; set it like 10.77.0.2/24");
    } else {
        const wire::Ipv4Addr a = cidr->address;
        const bool edge = cidr->prefix_len <= 30 && (a == cidr->network() || a == cidr->subnet_broadcast());
        if (a.is_unspecified() || a.is_broadcast() || a.is_multicast() || a.is_loopback() || edge) {
            r.errors.push_back(quoted("USTACK_ADDRESS", addr) + " is not a usable host address (network, broadcast, loopback or multicast); set it like 10.77.0.2/24");
        } else {
            c.address = *cidr;
            have_address = true;
        }
    }

    if (const char* gw = env("USTACK_GATEWAY"); gw != nullptr && *gw != '\0') {
        auto g = wire::Ipv4Addr::parse(gw);
        if (!g) {
            r.errors.push_back(quoted("USTACK_GATEWAY", gw) + " is not an IPv4 address; set it like 10.77.0.1, or unset it");
        } else if (have_address && (!c.address.contains(*g) || *g == c.address.address ||
                                    *g == c.address.network() || *g == c.address.subnet_broadcast())) {
            r.errors.push_back(quoted("USTACK_GATEWAY", gw) + " is not another host inside USTACK_ADDRESS's subnet " +
                               c.address.network().to_string() + "/" + std::to_string(c.address.prefix_len) +
                               "; set it to the router's address in that subnet, or unset it");
        } else {
            c.gateway = *g;
        }
    }

    if (const char* m = env("USTACK_MAC"); m != nullptr && *m != '\0') {
        auto mac = wire::MacAddr::parse(m);
        if (!mac) {
            r.errors.push_back(quoted("USTACK_MAC", m) + " is not a MAC address; set it like 02:00:00:00:00:01, or unset it");
        } else if (mac->is_multicast() || mac->is_zero()) {
            r.errors.push_back(quoted("USTACK_MAC", m) + " is not a unicast address (first octet must be even, not all zero); set it like 02:00:00:00:00:01, or unset it");
        } else {
            c.mac = *mac;
        }
    }

    if (const char* p = env("USTACK_PCAP"); p != nullptr) {
        if (*p == '\0') {
            r.errors.push_back("USTACK_PCAP is set but empty; set it to a file path like /tmp/ustack.pcap, or unset it");
        } else {
            c.pcap = p;
        }
    }

    if (const char* o = env("USTACK_OFFLOADS"); o != nullptr && *o != '\0') {
        const std::string_view v(o);
        if (v == "on") c.offloads = true;
        else if (v == "off") c.offloads = false;
        else r.errors.push_back(quoted("USTACK_OFFLOADS", o) + " is not on or off; set it to off to disable the device's checksum and segmentation offloads (TAP vnet header, AF_PACKET PACKET_VNET_HDR), or unset it");
    }

    if (const char* o = env("USTACK_PACKET_RING"); o != nullptr && *o != '\0') {
        const std::string_view v(o);
        if (v == "both") c.packet_rings = netdev::PacketRings::kBoth;
        else if (v == "rx") c.packet_rings = netdev::PacketRings::kRx;
        else if (v == "tx") c.packet_rings = netdev::PacketRings::kTx;
        else if (v == "off") c.packet_rings = netdev::PacketRings::kNone;
        else r.errors.push_back(quoted("USTACK_PACKET_RING", o) + " is not rx, tx, both or off; set it to off to use recvmmsg/sendmmsg on AF_PACKET, or unset it");
    }
    return r;
}

wire::MacAddr choose_mac(const std::optional<wire::MacAddr>& configured,
                         const std::optional<wire::MacAddr>& device_hw, wire::Ipv4Addr address) {
    if (configured) return *configured;
    if (device_hw) return *device_hw;
    wire::MacAddr m;
    m.octets[0] = 0x02;  // locally administered (bit 1), unicast (bit 0 clear)
    m.octets[1] = 0x00;
    for (int i = 0; i < 4; ++i) m.octets[2 + i] = static_cast<uint8_t>(address.value >> (24 - 8 * i));
    return m;
}

}  // namespace ustack::preload

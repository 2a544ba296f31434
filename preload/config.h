// The USTACK_* environment, parsed once into what the runtime needs to bring up a stack.
// Shared with the launcher (static library ustack_preload_config), so it must not depend on
// anything interposed.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "netdev/device.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4_addr.h"

namespace ustack::preload {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

struct Config {
    std::string device;                     // USTACK_DEVICE: tap:NAME, packet:IFACE or fd:N
    wire::Ipv4Cidr address;                 // USTACK_ADDRESS
    std::optional<wire::Ipv4Addr> gateway;  // USTACK_GATEWAY
    std::optional<wire::MacAddr> mac;       // USTACK_MAC; nullopt: see choose_mac()
    std::string pcap;                       // USTACK_PCAP; empty: no recording
    LogLevel log_level = LogLevel::kWarn;   // USTACK_LOG
    std::string log_file;                   // USTACK_LOG_FILE; empty: stderr
    uint32_t busy_poll_us = 0;              // USTACK_BUSY_POLL; 0: blocking calls sleep at once
    bool offloads = true;                   // USTACK_OFFLOADS: on (default) or off
    // USTACK_PACKET_RING: rx (default), tx, both or off: which TPACKET_V2 rings packet:IFACE maps.
    netdev::PacketRings packet_rings = netdev::PacketRings::kRx;
};

// Upper bound of USTACK_BUSY_POLL, one second: beyond that spinning is never what anyone wants.
inline constexpr uint32_t kMaxBusyPollUs = 1'000'000;

struct ConfigResult {
    Config config;
    // One line per invalid or missing variable, naming it and the fix (without the
    // "ustack: " prefix, which the logger adds). Empty when config is usable.
    std::vector<std::string> errors;
    bool ok() const { return errors.empty(); }
};

// Reads a variable; nullptr when unset. Tests pass a map; the runtime passes ::getenv.
using EnvLookup = std::function<const char*(const char*)>;

// True when USTACK_DEVICE is set at all: without it the library is inert.
bool stack_requested(const EnvLookup& env);

// Parses every USTACK_* variable. Call only when stack_requested().
ConfigResult parse_config(const EnvLookup& env);

// Parses USTACK_LOG alone (the logger needs it before anything else); default warn.
std::optional<LogLevel> parse_log_level(const char* text);

// The MAC the stack uses: USTACK_MAC if set, else the device's own (AF_PACKET), else a
// locally administered unicast address made from our IPv4 address, 02:00:a:b:c:d (TAP: the
// kernel owns the interface's MAC, and we are another host on that link). Derived rather
// than random so that a peer's ARP cache stays right when the program runs again: with a
// fresh random MAC per run, the peer keeps sending to the old one until its entry goes
// stale, which stalls the first connections for seconds.
wire::MacAddr choose_mac(const std::optional<wire::MacAddr>& configured,
                         const std::optional<wire::MacAddr>& device_hw, wire::Ipv4Addr address);

}  // namespace ustack::preload

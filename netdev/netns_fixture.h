// Test support: run a body in a forked child inside a fresh network namespace, so whatever it
// creates (TAPs, veths, addresses) disappears with the child, even if the body crashes.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netdev/device.h"

namespace ustack::netdev::testing {

// Runs body in a child process after unshare(CLONE_NEWNET) (lo down, IPv6 off so the kernel
// sends nothing unasked). Returns body's result ("" = passed), or why the child failed.
// The child is killed after 20 s.
std::string in_new_netns(const std::function<std::string()>& body);

// Runs a shell command; "" if it exited 0, else a message naming it.
std::string sh(const std::string& command);

using Mac = std::array<uint8_t, 6>;
using Ip4 = std::array<uint8_t, 4>;

// A 60-byte broadcast ARP request "who has target_ip? tell sender_ip".
std::vector<std::byte> arp_request(Mac sender_mac, Ip4 sender_ip, Ip4 target_ip);

// Whether frame is an ARP reply from owner_ip addressed to (to_mac, to_ip).
bool is_arp_reply(std::span<const std::byte> frame, Ip4 owner_ip, Mac to_mac, Ip4 to_ip);

// Waits (up to 5 s) until the kernel transmits on ifname: carrier on (LOWER_UP) and its
// qdisc attached. Until linkwatch attaches it, frames are dropped in noop_qdisc.
std::string wait_link_ready(const std::string& ifname);

// Waits (up to 5 s) until fd is readable.
bool wait_readable(int fd);

// Receives (polling wait_fd, up to 5 s) until a frame satisfies match; returns it, or nullopt
// on timeout. Every frame received on the way is appended to seen when seen is given.
struct Received {
    std::vector<std::byte> bytes;
    bool checksum_partial = false;
};
std::optional<Received> receive_until(Device& dev, const std::function<bool(std::span<const std::byte>)>& match,
                                      std::vector<Received>* seen = nullptr);

}  // namespace ustack::netdev::testing

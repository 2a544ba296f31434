// What `ustack run` checks about the device and the address before it runs the program, so
// each misconfiguration ends the launcher with one line (cause and fix) and its own exit
// status instead of surfacing later inside the program.
#pragma once

#include <string>

#include "launcher/exit_codes.h"
#include "preload/config.h"

namespace ustack::launcher {

struct Preflight {
    int exit_code = 0;     // 0: go ahead
    std::string message;   // when exit_code != 0: one line without the "ustack: " prefix
    // For tap:NAME, the TAP opened and attached by the launcher and left open across exec,
    // so the program needs no CAP_NET_ADMIN; USTACK_DEVICE becomes fd:<tap_fd>. -1 otherwise.
    int tap_fd = -1;
};

// In the current network namespace, in this order:
//   no such interface (kExitNoSuchInterface); cannot open it (kExitDevicePermission);
//   the kernel holds the address on some interface here (kExitAddressInUse); another host
//   answers ARP for the address (kExitArpConflict, skipped when arp_probe is false).
// fd:N devices are the caller's business and are not checked.
Preflight preflight(const preload::Config& config, bool arp_probe);

}  // namespace ustack::launcher

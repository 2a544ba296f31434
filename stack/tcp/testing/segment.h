// One TCP segment as the scripted tests see it: parsed from a frame the stack sent, or built
// by the scripted peer, stamped with the virtual time it crossed the wire. And the text form
// the failure traces use, in tcpdump's style with sequence numbers relative to each side's ISN.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stack/core/time.h"
#include "stack/wire/tcp.h"

namespace ustack::tcp::testing {

struct Segment {
    Instant at{0};
    bool from_stack = false;
    wire::TcpRepr tcp;
    std::vector<uint8_t> raw_options;   // the options area exactly as on the wire
    std::vector<std::byte> payload;

    uint32_t len() const { return static_cast<uint32_t>(payload.size()); }
    uint32_t seg_len() const { return len() + (tcp.flags.syn() ? 1 : 0) + (tcp.flags.fin() ? 1 : 0); }
};

// tcpdump's flag letters: S F R P and '.' for ACK, e.g. "S." for SYN-ACK, "P." for PSH-ACK.
std::string flag_string(wire::TcpFlags f);
// Parses the same letters (order free); "" or "none" means no flags. Unknown letters abort.
uint8_t parse_flags(const char* s);

// The option kinds in wire order, NOPs included: "mss,sackOK,TS,nop,wscale".
std::string option_layout(const std::vector<uint8_t>& raw_options);

// One trace line. Sequence numbers of the sending side are shown relative to its ISN, and
// acknowledgements and SACK blocks relative to the other side's (as packetdrill writes them).
std::string describe(const Segment& s, wire::SeqNum stack_iss, wire::SeqNum peer_iss, Instant t0);

}  // namespace ustack::tcp::testing

// Text for `ustack ss` and `ustack stat`, from stats page records. Pure, so it is unit-tested.
#pragma once

#include <string>
#include <vector>

#include "preload/stats_page.h"

namespace ustack::launcher {

// ss(8)'s name for a state: "ESTABLISHED" -> "ESTAB", "SYN-RECEIVED" -> "SYN-RECV".
std::string ss_state(const char* state);

// "10.77.0.2:80"; a zero address is "0.0.0.0" and a zero port "*".
std::string ss_endpoint(uint32_t addr, uint16_t port);

// The header and one row in `ss -tuna` columns: Netid State Recv-Q Send-Q Local Peer Process.
std::string ss_header();
std::string ss_row(const stats::SocketRecord& r, int pid, const char* command);
// The `ss -i` line under a TCP row: cc, rto, rtt/rttvar (ms), mss, cwnd and ssthresh (in
// segments, as ss shows them), send window, backoff.
std::string ss_info(const stats::SocketRecord& r);

// One counter line, as `netstat -s` would put it: "  <value> <help> (<name>)".
std::string stat_line(const char* name, const char* help, uint64_t value);

// Counter lines for the differences cur - prev of those that changed (nstat's interval view).
std::vector<std::string> stat_deltas(const stats::Page& names, const stats::Snapshot& prev, const stats::Snapshot& cur);

}  // namespace ustack::launcher

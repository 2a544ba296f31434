#include "launcher/introspect_format.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace ustack::launcher {

std::string ss_state(const char* state) {
    std::string_view s = state;
    if (s == "ESTABLISHED") return "ESTAB";
    if (s == "SYN-RECEIVED") return "SYN-RECV";
    if (s == "CLOSED") return "CLOSE";
    return std::string(s);
}

std::string ss_endpoint(uint32_t addr, uint16_t port) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u:", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
    std::string out = buf;
    out += port == 0 ? "*" : std::to_string(port);
    return out;
}

std::string ss_header() {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-5s %-10s %6s %6s %-21s %-21s %s", "Netid", "State", "Recv-Q", "Send-Q",
                  "Local Address:Port", "Peer Address:Port", "Process");
    return buf;
}

std::string ss_row(const stats::SocketRecord& r, int pid, const char* command) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%-5s %-10s %6" PRIu64 " %6" PRIu64 " %-21s %-21s pid=%d,comm=%s",
                  r.protocol == 6 ? "tcp" : "udp", ss_state(r.state).c_str(), r.recv_q, r.send_q,
                  ss_endpoint(r.local_addr, r.local_port).c_str(), ss_endpoint(r.remote_addr, r.remote_port).c_str(),
                  pid, command);
    return buf;
}

std::string ss_info(const stats::SocketRecord& r) {
    const uint32_t mss = r.snd_mss == 0 ? 1 : r.snd_mss;
    char buf[256];
    int n = std::snprintf(buf, sizeof buf, "\t %s rto:%.0f rtt:%.3f/%.3f mss:%u cwnd:%u", r.cc[0] ? r.cc : "-",
                          static_cast<double>(r.rto_ns) / 1e6, static_cast<double>(r.srtt_ns) / 1e6,
                          static_cast<double>(r.rttvar_ns) / 1e6, r.snd_mss, (r.cwnd + mss - 1) / mss);
    if (r.ssthresh != UINT32_MAX && n > 0 && static_cast<size_t>(n) < sizeof buf) {
        n += std::snprintf(buf + n, sizeof buf - n, " ssthresh:%u", (r.ssthresh + mss - 1) / mss);
    }
    if (n > 0 && static_cast<size_t>(n) < sizeof buf) {
        n += std::snprintf(buf + n, sizeof buf - n, " snd_wnd:%u backoff:%d", r.snd_wnd, r.backoff);
    }
    return buf;
}

std::string stat_line(const char* name, const char* help, uint64_t value) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "    %-12" PRIu64 " %s (%s)", value, help, name);
    return buf;
}

std::vector<std::string> stat_deltas(const stats::Page& names, const stats::Snapshot& prev, const stats::Snapshot& cur) {
    std::vector<std::string> out;
    const uint32_t n = std::min<uint32_t>(names.counter_count, stats::kMaxCounters);
    for (uint32_t i = 0; i < n; ++i) {
        if (cur.counters[i] != prev.counters[i]) {
            out.push_back(stat_line(names.counter_names[i], names.counter_help[i], cur.counters[i] - prev.counters[i]));
        }
    }
    return out;
}

}  // namespace ustack::launcher

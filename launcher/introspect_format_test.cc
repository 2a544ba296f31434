#include "launcher/introspect_format.h"

#include <gtest/gtest.h>

#include <cstring>

namespace ustack::launcher {
namespace {

stats::SocketRecord established() {
    stats::SocketRecord r{};
    r.protocol = 6;
    r.local_addr = 0x0a4d0002;
    r.local_port = 40000;
    r.remote_addr = 0x0a4d0001;
    r.remote_port = 80;
    std::strcpy(r.state, "ESTABLISHED");
    r.recv_q = 12;
    r.send_q = 3000;
    r.snd_mss = 1460;
    r.cwnd = 14600;
    r.ssthresh = UINT32_MAX;
    r.srtt_ns = 1'500'000;
    r.rttvar_ns = 250'000;
    r.rto_ns = 201'000'000;
    std::strcpy(r.cc, "reno");
    return r;
}

TEST(SsFormat, StatesUseSsNames) {
    EXPECT_EQ(ss_state("ESTABLISHED"), "ESTAB");
    EXPECT_EQ(ss_state("SYN-RECEIVED"), "SYN-RECV");
    EXPECT_EQ(ss_state("TIME-WAIT"), "TIME-WAIT");
}

TEST(SsFormat, UnboundPeerIsStar) { EXPECT_EQ(ss_endpoint(0, 0), "0.0.0.0:*"); }

TEST(SsFormat, RowHasQueuesEndpointsAndProcess) {
    const std::string row = ss_row(established(), 42, "curl");
    EXPECT_NE(row.find("tcp   ESTAB"), std::string::npos) << row;
    EXPECT_NE(row.find("12   3000 10.77.0.2:40000"), std::string::npos) << row;
    EXPECT_NE(row.find("10.77.0.1:80"), std::string::npos) << row;
    EXPECT_NE(row.find("pid=42,comm=curl"), std::string::npos) << row;
}

TEST(SsFormat, InfoShowsCwndInSegmentsAndRttInMs) {
    const std::string info = ss_info(established());
    EXPECT_NE(info.find("reno rto:201 rtt:1.500/0.250 mss:1460 cwnd:10"), std::string::npos) << info;
    EXPECT_EQ(info.find("ssthresh"), std::string::npos) << "no ssthresh before the first loss: " << info;
}

TEST(StatFormat, DeltasListOnlyChangedCounters) {
    auto page = std::make_unique<stats::Page>();
    page->counter_count = 2;
    std::strcpy(page->counter_names[0], "ip_rx");
    std::strcpy(page->counter_help[0], "IPv4 packets received");
    std::strcpy(page->counter_names[1], "ip_tx");
    auto a = std::make_unique<stats::Snapshot>();
    auto b = std::make_unique<stats::Snapshot>();
    a->counters[0] = 10;
    b->counters[0] = 17;
    a->counters[1] = b->counters[1] = 5;
    std::vector<std::string> d = stat_deltas(*page, *a, *b);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_NE(d[0].find("7"), std::string::npos);
    EXPECT_NE(d[0].find("(ip_rx)"), std::string::npos) << d[0];
}

}  // namespace
}  // namespace ustack::launcher

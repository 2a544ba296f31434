#include "netdev/pcap_recorder.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "netdev/pair.h"

namespace ustack::netdev {
namespace {

std::vector<std::byte> frame_of(size_t len, uint8_t tag) {
    std::vector<std::byte> f(len);
    for (size_t i = 0; i < len; ++i) f[i] = std::byte(tag + i);
    return f;
}

class PcapRecorderTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path() /
                ("ustack-pcap-" + std::to_string(getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".pcap");
    }
    void TearDown() override { std::filesystem::remove(path_); }

    struct Record {
        std::vector<std::byte> bytes;
        uint32_t len;
    };
    std::vector<Record> read_back() const {
        char err[PCAP_ERRBUF_SIZE];
        pcap_t* p = pcap_open_offline(path_.c_str(), err);
        EXPECT_NE(p, nullptr) << err;
        std::vector<Record> out;
        if (p == nullptr) return out;
        EXPECT_EQ(pcap_datalink(p), DLT_EN10MB);
        EXPECT_EQ(pcap_snapshot(p), 65535);
        pcap_pkthdr* hdr;
        const u_char* data;
        while (pcap_next_ex(p, &hdr, &data) == 1) {
            auto* b = reinterpret_cast<const std::byte*>(data);
            out.push_back({{b, b + hdr->caplen}, hdr->len});
        }
        pcap_close(p);
        return out;
    }

    std::filesystem::path path_;
};

TEST_F(PcapRecorderTest, RecordsSentAndReceivedFramesInCallOrder) {
    auto [a, b] = PairDevice::create();
    PcapResult r = record_to_pcap(std::move(a), path_);
    ASSERT_NE(r.device, nullptr) << r.error;
    Device& rec = *r.device;

    const auto out1 = frame_of(60, 1), out2 = frame_of(1514, 2), in1 = frame_of(98, 3);
    ConstBytes sends[] = {out1, out2};
    ASSERT_EQ(rec.send(sends), 2);
    ConstBytes reply[] = {in1};
    ASSERT_EQ(b->send(reply), 1);
    std::vector<std::byte> buf(2048);
    RxSlot slot{buf};
    ASSERT_EQ(rec.receive({&slot, 1}), 1);

    // Flushed after each call: readable without closing the recorder.
    auto recs = read_back();
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs[0].bytes, out1);
    EXPECT_EQ(recs[1].bytes, out2);
    EXPECT_EQ(recs[2].bytes, in1);
    EXPECT_EQ(recs[1].len, 1514u);
}

TEST_F(PcapRecorderTest, RecordsOnlyWhatTheInnerDeviceAccepted) {
    auto [a, b] = PairDevice::create();
    PcapResult r = record_to_pcap(std::move(a), path_);
    ASSERT_NE(r.device, nullptr) << r.error;
    std::vector<std::byte> buf(2048);
    RxSlot slot{buf};
    EXPECT_EQ(r.device->receive({&slot, 1}), 0);  // nothing waiting: nothing recorded
    EXPECT_EQ(read_back().size(), 0u);
}

TEST_F(PcapRecorderTest, ForwardsTheInnerDevicesProperties) {
    auto [a, b] = PairDevice::create(9000);
    const int inner_fd = a->wait_fd();
    PcapResult r = record_to_pcap(std::move(a), path_);
    ASSERT_NE(r.device, nullptr) << r.error;
    EXPECT_EQ(r.device->name(), "pair:a+pcap");
    EXPECT_EQ(r.device->mtu(), 9000u);
    EXPECT_EQ(r.device->wait_fd(), inner_fd);
}

TEST_F(PcapRecorderTest, UnwritablePathIsAOneLineErrorNamingIt) {
    auto [a, b] = PairDevice::create();
    PcapResult r = record_to_pcap(std::move(a), "/nonexistent-dir/x.pcap");
    EXPECT_EQ(r.device, nullptr);
    EXPECT_NE(r.error.find("/nonexistent-dir/x.pcap"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("No such file or directory"), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find('\n'), std::string::npos);
}

TEST_F(PcapRecorderTest, TcpdumpReadsTheFile) {
    if (access("/usr/bin/tcpdump", X_OK) != 0 && access("/usr/sbin/tcpdump", X_OK) != 0) {
        GTEST_SKIP() << "tcpdump is not installed";
    }
    auto [a, b] = PairDevice::create();
    PcapResult r = record_to_pcap(std::move(a), path_);
    ASSERT_NE(r.device, nullptr) << r.error;
    // An ARP request, so tcpdump has something real to decode.
    const unsigned char arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 2, 0x08, 0x06,
                                   0, 1, 0x08, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 2, 10, 0, 0, 2,
                                   0, 0, 0, 0, 0, 0, 10, 0, 0, 1};
    ConstBytes f[] = {std::as_bytes(std::span(arp))};
    ASSERT_EQ(r.device->send(f), 1);
    const std::string cmd = "tcpdump -n -r '" + path_.string() + "' >/dev/null 2>&1";
    int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace ustack::netdev

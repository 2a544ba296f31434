#include "netdev/pcap_recorder.h"

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "netdev/pcap_lib.h"
#include "netdev/sys.h"

namespace ustack::netdev {
namespace {

constexpr int kSnapLen = 65535;

class PcapRecorder final : public Device {
public:
    PcapRecorder(std::unique_ptr<Device> inner, const PcapLib& pcap, pcap_t* dead, pcap_dumper_t* dumper)
        : inner_(std::move(inner)), pcap_(pcap), dead_(dead), dumper_(dumper) {}

    ~PcapRecorder() override {
        pcap_.dump_close(dumper_);  // also fcloses the FILE
        pcap_.close(dead_);
    }

    PcapRecorder(const PcapRecorder&) = delete;
    PcapRecorder& operator=(const PcapRecorder&) = delete;

    int receive(std::span<RxSlot> slots) override {
        int n = inner_->receive(slots);
        if (n > 0) {
            for (const RxSlot& s : slots.first(static_cast<size_t>(n))) record(s.buffer.first(s.len));
            pcap_.dump_flush(dumper_);
        }
        return n;
    }

    int send(std::span<const ConstBytes> frames) override {
        int n = inner_->send(frames);
        if (n > 0) {
            for (ConstBytes f : frames.first(static_cast<size_t>(n))) record(f);
            pcap_.dump_flush(dumper_);
        }
        return n;
    }

    size_t mtu() const override { return inner_->mtu(); }
    std::optional<wire::MacAddr> hw_addr() const override { return inner_->hw_addr(); }
    int wait_fd() const override { return inner_->wait_fd(); }
    Offloads offloads() const override { return inner_->offloads(); }
    DeviceCounters counters() const override { return inner_->counters(); }
    std::string name() const override { return inner_->name() + "+pcap"; }

private:
    void record(ConstBytes frame) {
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        pcap_pkthdr hdr{};
        hdr.ts.tv_sec = now.tv_sec;
        hdr.ts.tv_usec = static_cast<suseconds_t>(now.tv_nsec / 1000);
        hdr.len = static_cast<bpf_u_int32>(frame.size());
        hdr.caplen = static_cast<bpf_u_int32>(std::min(frame.size(), size_t{kSnapLen}));
        pcap_.dump(reinterpret_cast<u_char*>(dumper_), &hdr, reinterpret_cast<const u_char*>(frame.data()));
    }

    std::unique_ptr<Device> inner_;
    const PcapLib& pcap_;
    pcap_t* dead_;
    pcap_dumper_t* dumper_;
};

}  // namespace

PcapResult record_to_pcap(std::unique_ptr<Device> inner, const std::string& path) {
    const std::string prefix = "USTACK_PCAP=" + path + ": ";
    std::string load_error;
    const PcapLib* pcap = pcap_lib(&load_error);
    if (pcap == nullptr) return {nullptr, prefix + load_error};
    // We open the file ourselves, raw and close-on-exec; pcap_dump_open() would fopen() it
    // without O_CLOEXEC, leaking it into programs the host execs.
    long fd = sys::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return {nullptr, prefix + "cannot create the capture file: " + sys::error_text(static_cast<int>(-fd)) +
                             " (pick a writable path)"};
    }
    FILE* file = fdopen(static_cast<int>(fd), "w");
    if (file == nullptr) {
        sys::close(static_cast<int>(fd));
        return {nullptr, prefix + "cannot set up a stream for the capture file"};
    }
    pcap_t* dead = pcap->open_dead(DLT_EN10MB, kSnapLen);
    if (dead == nullptr) {
        fclose(file);
        return {nullptr, prefix + "libpcap could not start a capture"};
    }
    pcap_dumper_t* dumper = pcap->dump_fopen(dead, file);  // writes the file header
    if (dumper == nullptr) {
        std::string why = pcap->geterr(dead);
        pcap->close(dead);
        fclose(file);
        return {nullptr, prefix + "cannot write the capture header: " + why};
    }
    pcap->dump_flush(dumper);
    return {std::make_unique<PcapRecorder>(std::move(inner), *pcap, dead, dumper), {}};
}

}  // namespace ustack::netdev

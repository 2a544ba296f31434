#include "preload/capture_device.h"

#include <sys/stat.h>
#include <time.h>

#include <cerrno>
#include <cstring>

#include "netdev/pcap_lib.h"

namespace ustack::preload {

CaptureDevice::CaptureDevice(std::unique_ptr<netdev::Device> inner) : inner_(std::move(inner)) {}

CaptureDevice::~CaptureDevice() { stop(); }

std::string CaptureDevice::start(const std::string& path) {
    stop();
    if (path.empty() || path.front() != '/') return "capture file '" + path + "' is not an absolute path";
    std::string load_error;
    pcap_ = netdev::pcap_lib(&load_error);
    if (pcap_ == nullptr) return load_error;
    dead_ = pcap_->open_dead(DLT_EN10MB, 65535);
    if (dead_ == nullptr) return "cannot start a capture: pcap_open_dead failed";
    // libpcap opens with fopen(), which is glibc-internal and so never reaches our interposer.
    mode_t old = umask(077);  // the frames are the program's traffic: only its user may read them
    dumper_ = pcap_->dump_open(dead_, path.c_str());
    umask(old);
    if (dumper_ == nullptr) {
        std::string why = "cannot write capture file " + path + ": " + pcap_->geterr(dead_);
        pcap_->close(dead_);
        dead_ = nullptr;
        return why;
    }
    pcap_->dump_flush(dumper_);
    frames_ = 0;
    return {};
}

void CaptureDevice::stop() {
    if (dumper_ != nullptr) {
        pcap_->dump_close(dumper_);
        dumper_ = nullptr;
    }
    if (dead_ != nullptr) {
        pcap_->close(dead_);
        dead_ = nullptr;
    }
}

void CaptureDevice::record(const std::byte* data, size_t len) {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    pcap_pkthdr h{};
    h.ts.tv_sec = ts.tv_sec;
    h.ts.tv_usec = static_cast<suseconds_t>(ts.tv_nsec / 1000);
    h.caplen = static_cast<bpf_u_int32>(std::min<size_t>(len, 65535));
    h.len = static_cast<bpf_u_int32>(len);
    pcap_->dump(reinterpret_cast<u_char*>(dumper_), &h, reinterpret_cast<const u_char*>(data));
    ++frames_;
}

int CaptureDevice::receive(std::span<netdev::RxSlot> slots) {
    const int n = inner_->receive(slots);
    if (dumper_ != nullptr && n > 0) {
        for (int i = 0; i < n; ++i) record(slots[i].buffer.data(), slots[i].len);
        pcap_->dump_flush(dumper_);  // readable while the program runs
    }
    return n;
}

int CaptureDevice::send(std::span<const netdev::ConstBytes> frames) {
    const int n = inner_->send(frames);
    if (dumper_ != nullptr && n > 0) {
        for (int i = 0; i < n; ++i) record(frames[i].data(), frames[i].size());
        pcap_->dump_flush(dumper_);
    }
    return n;
}

}  // namespace ustack::preload

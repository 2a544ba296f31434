// A device decorator whose pcap recording can be switched on and off while the stack runs,
// for `ustack capture PID FILE`. Off, it costs one branch per receive()/send().
// Not thread-safe, like every Device: start(), stop() and the I/O calls all run under the
// stack lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "netdev/device.h"

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;
namespace ustack::netdev {
struct PcapLib;
}

namespace ustack::preload {

class CaptureDevice final : public netdev::Device {
public:
    explicit CaptureDevice(std::unique_ptr<netdev::Device> inner);
    ~CaptureDevice() override;
    CaptureDevice(const CaptureDevice&) = delete;
    CaptureDevice& operator=(const CaptureDevice&) = delete;

    // Starts recording every frame to path (created or truncated; pcap, LINKTYPE_ETHERNET).
    // Returns an empty string, or one line naming the file and the cause. A running capture
    // is stopped first.
    std::string start(const std::string& path);
    void stop();
    bool recording() const { return dumper_ != nullptr; }
    uint64_t frames() const { return frames_; }

    int receive(std::span<netdev::RxSlot> slots) override;
    int send(std::span<const netdev::ConstBytes> frames) override;
    size_t mtu() const override { return inner_->mtu(); }
    std::optional<wire::MacAddr> hw_addr() const override { return inner_->hw_addr(); }
    int wait_fd() const override { return inner_->wait_fd(); }
    netdev::Offloads offloads() const override { return inner_->offloads(); }
    netdev::DeviceCounters counters() const override { return inner_->counters(); }
    std::string name() const override { return inner_->name(); }

private:
    void record(const std::byte* data, size_t len);

    std::unique_ptr<netdev::Device> inner_;
    const netdev::PcapLib* pcap_ = nullptr;  // libpcap, loaded by the first start()
    pcap_t* dead_ = nullptr;
    pcap_dumper_t* dumper_ = nullptr;
    uint64_t frames_ = 0;
};

}  // namespace ustack::preload

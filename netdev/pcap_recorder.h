// A decorator that copies every frame received or sent through a device into a pcap file.
#pragma once

#include <memory>
#include <string>

#include "netdev/device.h"

namespace ustack::netdev {

struct PcapResult {
    std::unique_ptr<Device> device;
    std::string error;  // one line naming the file and the cause
};

// Creates (truncating) path as a pcap file (LINKTYPE_ETHERNET, snaplen 65535) and returns a
// device that behaves exactly like inner and appends each frame inner receives or accepts for
// sending, in call order, timestamped with CLOCK_REALTIME. The file is flushed after every
// receive() and send() so it can be read while the program runs. On failure inner is
// destroyed and device is null.
PcapResult record_to_pcap(std::unique_ptr<Device> inner, const std::string& path);

}  // namespace ustack::netdev

// One-line descriptions of frames and times, for traces and failure messages.
#pragma once

#include <span>
#include <string>

#include "stack/core/time.h"

namespace ustack::sim {

// "10.0.0.1:40000 > 10.0.0.2:80 [S.] seq=1 ack=2 win=512 len=0", "arp", or what did not parse.
std::string describe_frame(std::span<const std::byte> frame);
// Seconds with microseconds: "12.345678".
std::string format_time(Duration d);

}  // namespace ustack::sim

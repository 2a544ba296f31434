// Publishes this process's stack to its stats page (preload/stats_page.h) and serves live
// capture requests, from a thread of its own, so the program's threads never pay for it.
#pragma once

#include <memory>

#include "netdev/device.h"

namespace ustack::preload::stats_export {

// Called once from Runtime::bring_up with the device the stack will own. Unless
// USTACK_STATS=off, creates the page, starts the exporter thread and returns the device
// wrapped in a CaptureDevice (so `ustack capture` can switch recording on); otherwise returns
// device unchanged. Never fails the bring-up: a page that cannot be created is logged at
// info level and the stack runs without one.
//
// The thread waits for the runtime to become active, then every stats::kPublishIntervalNs
// takes the stack lock, copies counters, device counters and the socket table into the page
// and applies capture requests. If bring-up fails instead, it removes the page and ends.
// The page is removed at exit() by the process that created it (never by a fork child).
std::unique_ptr<netdev::Device> start(std::unique_ptr<netdev::Device> device);

}  // namespace ustack::preload::stats_export

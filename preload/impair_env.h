// USTACK_IMPAIR: fault injection between the device and the stack, for interop tests against a
// real Linux peer (this kernel has no netem). Off unless the variable is set.
//
//   USTACK_IMPAIR="drop=5,reorder=2,dup=1,corrupt=0.5,delay_us=200,reorder_delay_us=1000,seed=7"
//
// Rates are percentages and apply to both directions; unknown keys or bad numbers are an error
// naming the variable and the fix.
#pragma once

#include <memory>
#include <string>

#include "netdev/device.h"

namespace ustack::preload {

struct ImpairWrap {
    std::unique_ptr<netdev::Device> device;  // the device, wrapped when USTACK_IMPAIR is set
    std::string error;                       // one line when the value is malformed
};

ImpairWrap wrap_with_impairment(std::unique_ptr<netdev::Device> device, const char* spec);

}  // namespace ustack::preload

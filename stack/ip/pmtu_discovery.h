// How a datagram leaves under its socket's IP_MTU_DISCOVER mode, decided as Linux does in
// __ip_append_data and __ip_make_skb (net/ipv4/ip_output.c): which MTU limits it, whether it
// carries DF, and whether one over that MTU fails with EMSGSIZE instead of going as fragments.
#pragma once

#include <cstddef>

#include "stack/stack.h"

namespace ustack::ip {

struct DatagramPlan {
    bool too_big = false;        // EMSGSIZE: over the limit and not allowed to fragment
    bool dont_fragment = false;  // the DF bit
    bool use_path_mtu = true;    // fragments are cut to the path MTU (else the device's)
};

// ip_len: the whole IP datagram (header included).
inline DatagramPlan plan_datagram(PmtuDiscovery mode, size_t ip_len, size_t path_mtu, size_t device_mtu) {
    using enum PmtuDiscovery;
    // ip_sk_use_pmtu: the modes below PROBE follow the path MTU, the others the device's.
    const bool use_path = mode == kDont || mode == kWant || mode == kDo;
    const size_t limit = use_path ? path_mtu : device_mtu;
    // ip_sk_ignore_df: DONT, WANT and OMIT may fragment; DO, PROBE and INTERFACE may not.
    const bool may_fragment = mode == kDont || mode == kWant || mode == kOmit;
    // DF always for DO and PROBE; for WANT only on a datagram that fits the path
    // (ip_dont_fragment), so a large one is fragmented rather than lost.
    const bool df = mode == kDo || mode == kProbe || (mode == kWant && ip_len <= path_mtu);
    return {.too_big = !may_fragment && ip_len > limit, .dont_fragment = df, .use_path_mtu = use_path};
}

}  // namespace ustack::ip

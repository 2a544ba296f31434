// ARP: parse, emit, compare with the input's first 28 bytes.
#include <vector>

#include "stack/wire/arp.h"
#include "stack/wire/fuzz/fuzz_check.h"

using namespace ustack::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ConstBytes in = as_bytes(data, size);
    auto a = ArpRepr::parse(in);
    if (!a) return 0;
    FUZZ_CHECK(size >= ArpRepr::kLen);
    FUZZ_CHECK(a->op == ArpOp::kRequest || a->op == ArpOp::kReply);
    (void)a->sender_mac.to_string(), (void)a->target_ip.to_string();
    std::vector<std::byte> out(ArpRepr::kLen);
    a->emit(out);
    // Every accepted field is canonical, so emit reproduces the packet exactly.
    FUZZ_CHECK(fuzz::same_bytes(out, in.first(ArpRepr::kLen)));
    FUZZ_CHECK(ArpRepr::parse(out) == a);
    return 0;
}

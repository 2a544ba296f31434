// TPACKET_V2 slot reading: the input is a ring slot as shared memory could hold it. Every frame
// read from it lies inside the slot, after its header and sockaddr_ll, right after its lead bytes.
#include <linux/if_packet.h>

#include "netdev/tpacket_v2.h"
#include "stack/wire/fuzz/fuzz_check.h"

using namespace ustack::netdev;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const std::byte> slot(reinterpret_cast<const std::byte*>(data), size);
    for (size_t lead : {size_t{0}, size_t{10}}) {
        const auto f = tpacket_v2::read_frame(slot, lead);
        if (!f) continue;
        FUZZ_CHECK(f->bytes.data() >= slot.data() + TPACKET2_HDRLEN + lead);
        FUZZ_CHECK(f->bytes.data() + f->bytes.size() <= slot.data() + size);
        FUZZ_CHECK(f->lead.size() == lead && f->lead.data() + lead == f->bytes.data());
    }
    return 0;
}

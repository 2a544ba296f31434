// TPACKET_V3 block walking: the input is a ring block as shared memory could hold it. Walking
// it as PacketRxRing does never reads outside the block, every frame returned lies inside it
// after its header and lead bytes, and the walk ends.
#include "netdev/tpacket_v3.h"
#include "stack/wire/fuzz/fuzz_check.h"

using namespace ustack::netdev;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const std::byte> block(reinterpret_cast<const std::byte*>(data), size);
    const auto desc = tpacket_v3::read_block(block);
    if (!desc) return 0;
    for (size_t lead : {size_t{0}, size_t{10}}) {
        uint32_t offset = desc->first;
        uint32_t left = desc->num_pkts;
        size_t steps = 0;
        while (left > 0) {
            const auto f = tpacket_v3::read_frame(block, offset, lead);
            if (!f) break;
            FUZZ_CHECK(f->bytes.data() >= block.data() && f->bytes.data() + f->bytes.size() <= block.data() + size);
            FUZZ_CHECK(f->lead.size() == lead && f->lead.data() + lead == f->bytes.data());
            FUZZ_CHECK(f->lead.data() >= block.data() + offset);
            FUZZ_CHECK(f->next == 0 || f->next > offset);
            FUZZ_CHECK(++steps <= size);
            if (f->next == 0) break;
            offset = f->next;
            --left;
        }
    }
    return 0;
}

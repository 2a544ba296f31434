// virtio_net_hdr: the first 10 bytes are a received header, the rest its frame. Parsing never
// reads outside the frame, an accepted NEEDS_CSUM position lies inside it, and the header we
// would send for the same bytes is consistent with the frame.
#include <algorithm>
#include <array>

#include "netdev/vnet_header.h"
#include "stack/wire/fuzz/fuzz_check.h"

using namespace ustack::netdev;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < vnet::kHeaderLen) return 0;
    std::array<std::byte, vnet::kHeaderLen> raw;
    std::copy_n(reinterpret_cast<const std::byte*>(data), raw.size(), raw.begin());
    const vnet::Header h = vnet::read(raw);
    const std::span<const std::byte> frame(reinterpret_cast<const std::byte*>(data) + raw.size(), size - raw.size());

    if (auto r = vnet::parse_received(h, frame.size()); r && (h.flags & vnet::kFlagNeedsCsum)) {
        FUZZ_CHECK(size_t{h.csum_start} + h.csum_offset + 2 <= frame.size());
    }
    std::array<std::byte, vnet::kHeaderLen> again;
    vnet::write(h, again);
    FUZZ_CHECK(again == raw);

    for (size_t mtu : {size_t{68}, size_t{1500}, size_t{9000}}) {
        const auto out = vnet::header_for_send(frame, mtu);
        if (!out) {
            FUZZ_CHECK(frame.size() > 14 + mtu);
            continue;
        }
        if (out->flags & vnet::kFlagNeedsCsum) FUZZ_CHECK(size_t{out->csum_start} + out->csum_offset + 2 <= frame.size());
        if (out->gso_type == vnet::kGsoTcpv4) {
            FUZZ_CHECK(out->gso_size > 0 && out->hdr_len < frame.size());
            FUZZ_CHECK(out->hdr_len - 14 + out->gso_size == mtu);  // every segment fills the MTU
        }
    }
    return 0;
}

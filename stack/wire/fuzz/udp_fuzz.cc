// UDP: parse, touch, re-emit with the same payload and check the checksum verifies.
#include <algorithm>
#include <vector>

#include "stack/wire/fuzz/fuzz_check.h"
#include "stack/wire/udp.h"

using namespace ustack::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ConstBytes in = as_bytes(data, size);
    auto v = UdpView::parse(in);
    if (!v) return 0;
    FUZZ_CHECK(v->length() >= UdpView::kHeaderLen && v->length() <= size);
    fuzz::touch(v->payload());
    FUZZ_CHECK(v->payload().size() == v->length() - UdpView::kHeaderLen);

    const Ipv4Addr src = Ipv4Addr::from_octets(10, 77, 0, 2), dst = Ipv4Addr::from_octets(10, 77, 0, 1);
    (void)v->checksum_valid(src, dst);

    UdpRepr repr{v->src_port(), v->dst_port()};
    std::vector<std::byte> out(v->length());
    std::copy(v->payload().begin(), v->payload().end(), out.begin() + UdpRepr::kHeaderLen);
    repr.emit(out, src, dst, v->payload().size());
    auto back = UdpView::parse(out);
    FUZZ_CHECK(back);
    FUZZ_CHECK(back->checksum() != 0);  // RFC 768: a computed zero goes out as 0xffff
    FUZZ_CHECK(back->checksum_valid(src, dst));
    FUZZ_CHECK(back->src_port() == v->src_port() && back->dst_port() == v->dst_port());
    FUZZ_CHECK(back->length() == v->length());
    FUZZ_CHECK(fuzz::same_bytes(back->payload(), v->payload()));
    return 0;
}

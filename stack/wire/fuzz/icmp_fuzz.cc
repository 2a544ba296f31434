// ICMP: parse, touch, rebuild the message from its repr and check it verifies.
#include <vector>

#include "stack/wire/fuzz/fuzz_check.h"
#include "stack/wire/icmp.h"

using namespace ustack::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ConstBytes in = as_bytes(data, size);
    auto v = IcmpView::parse(in);
    if (!v) {
        FUZZ_CHECK(size < IcmpView::kHeaderLen);
        return 0;
    }
    fuzz::touch(v->payload());
    (void)v->checksum(), (void)v->echo_ident(), (void)v->echo_seq(), (void)v->next_hop_mtu();
    bool valid = v->checksum_valid();

    IcmpRepr repr{v->type(), v->code(), v->rest_of_header(), v->payload()};
    FUZZ_CHECK(repr.len() == size);
    std::vector<std::byte> out(repr.len());
    repr.emit(out);
    auto back = IcmpView::parse(out);
    FUZZ_CHECK(back && back->checksum_valid());
    FUZZ_CHECK(back->type() == v->type() && back->code() == v->code());
    FUZZ_CHECK(back->rest_of_header() == v->rest_of_header());
    FUZZ_CHECK(fuzz::same_bytes(back->payload(), v->payload()));
    // Only the checksum field may differ, and only if the input's was wrong (or the other
    // one's-complement zero).
    if (!valid) FUZZ_CHECK(back->checksum() != v->checksum());

    // Emitting in place over the input (as an echo reply does) gives the same bytes.
    std::vector<std::byte> in_place(in.begin(), in.end());
    IcmpRepr{repr.type, repr.code, repr.rest_of_header, ConstBytes(in_place).subspan(IcmpRepr::kHeaderLen)}
        .emit(in_place);
    FUZZ_CHECK(in_place == out);
    return 0;
}

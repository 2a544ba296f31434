// Ethernet frames and MAC address text: parse, touch, emit, parse again.
#include <string>
#include <string_view>
#include <vector>

#include "stack/wire/ethernet.h"
#include "stack/wire/fuzz/fuzz_check.h"

using namespace ustack::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ConstBytes in = as_bytes(data, size);

    if (auto v = EthernetView::parse(in)) {
        FUZZ_CHECK(size >= EthernetView::kHeaderLen);
        fuzz::touch(v->payload());
        FUZZ_CHECK(v->payload().size() == size - EthernetView::kHeaderLen);
        auto repr = EthernetRepr::from(*v);
        (void)repr.dst.is_broadcast(), (void)repr.dst.is_multicast(), (void)repr.src.is_zero();
        std::vector<std::byte> out(EthernetRepr::kHeaderLen);
        repr.emit(out);
        FUZZ_CHECK(fuzz::same_bytes(out, in.first(EthernetRepr::kHeaderLen)));
        FUZZ_CHECK(EthernetRepr::from(*EthernetView::parse(out)) == repr);
    } else {
        FUZZ_CHECK(size < EthernetView::kHeaderLen);
    }

    // The same bytes as MAC address text: whatever parses prints back to an equal address.
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto mac = MacAddr::parse(text)) {
        std::string printed = mac->to_string();
        FUZZ_CHECK(printed.size() == 17);
        FUZZ_CHECK(MacAddr::parse(printed) == mac);
    }
    return 0;
}

// IPv4 headers, the Internet checksum and address text.
#include <string>
#include <string_view>
#include <vector>

#include "stack/wire/checksum.h"
#include "stack/wire/fuzz/fuzz_check.h"
#include "stack/wire/ipv4.h"

using namespace ustack::wire;

namespace {

// RFC 1071 one word at a time: the fast checksum must agree with it on every input.
uint16_t reference_checksum(ConstBytes d) {
    uint64_t sum = 0;
    for (size_t i = 0; i + 1 < d.size(); i += 2) sum += load_be16(d, i);
    if (d.size() % 2) sum += uint32_t{load_u8(d, d.size() - 1)} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum & 0xffff);
}

void check_checksum(ConstBytes in) {
    uint16_t whole = internet_checksum(in);
    FUZZ_CHECK(whole == reference_checksum(in));
    // Chaining at any even split point gives the same result.
    size_t split = in.empty() ? 0 : (load_u8(in, 0) * 2u) % (in.size() + 1) & ~size_t{1};
    uint32_t sum = checksum_accumulate(0, in.first(split));
    FUZZ_CHECK(checksum_finish(checksum_accumulate(sum, in.subspan(split))) == whole);
}

void check_address_text(std::string_view text) {
    // Only canonical dotted quads parse, so printing one gives back the input exactly.
    if (auto a = Ipv4Addr::parse(text)) FUZZ_CHECK(a->to_string() == text);
    if (auto c = Ipv4Cidr::parse(text)) {
        FUZZ_CHECK(c->to_string() == text);
        FUZZ_CHECK(c->prefix_len <= 32);
        FUZZ_CHECK(c->contains(c->address));
        FUZZ_CHECK(c->contains(c->network()) && c->contains(c->subnet_broadcast()));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ConstBytes in = as_bytes(data, size);
    check_checksum(in);
    check_address_text({reinterpret_cast<const char*>(data), size});

    auto v = Ipv4View::parse(in);
    if (!v) return 0;
    FUZZ_CHECK(v->header_len() >= Ipv4View::kMinHeaderLen && v->header_len() <= v->total_len());
    FUZZ_CHECK(v->total_len() <= size);
    fuzz::touch(v->header());
    fuzz::touch(v->options());
    fuzz::touch(v->payload());
    fuzz::touch(v->packet());
    FUZZ_CHECK(v->header().size() + v->payload().size() == v->packet().size());
    (void)v->tos(), (void)v->ident(), (void)v->is_fragment(), (void)v->fragment_offset_bytes();
    (void)v->ttl(), (void)v->protocol(), (void)v->checksum(), (void)v->src(), (void)v->dst();
    bool valid = v->checksum_valid();
    FUZZ_CHECK(valid == (reference_checksum(v->header()) == 0));

    auto repr = Ipv4Repr::from(*v);
    FUZZ_CHECK(repr.payload_len == v->payload().size());
    std::vector<std::byte> out(Ipv4Repr::kHeaderLen + repr.payload_len);
    repr.emit(out);
    auto back = Ipv4View::parse(out);
    FUZZ_CHECK(back);
    FUZZ_CHECK(back->checksum_valid());
    FUZZ_CHECK(Ipv4Repr::from(*back) == repr);
    return 0;
}

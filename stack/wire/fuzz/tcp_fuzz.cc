// TCP: the input is tried as an options area, as a segment, and as a recipe for an
// arbitrary TcpOptions value, so every path through parse and emit is exercised.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <vector>

#include "stack/wire/fuzz/fuzz_check.h"
#include "stack/wire/tcp.h"

using namespace ustack::wire;

namespace {

// What parse(emit(o)) must give back: o with only the SACK blocks that fit.
TcpOptions expected_after_emit(TcpOptions o) {
    size_t without_sack = TcpOptions{o.mss, o.window_scale, o.sack_permitted, o.timestamps}.emitted_len();
    size_t sack_bytes = o.emitted_len() - without_sack;
    size_t kept = sack_bytes ? (sack_bytes - 4) / 8 : 0;
    FUZZ_CHECK(kept <= std::min<size_t>(o.sack_count, TcpOptions::kMaxSackBlocks));
    for (size_t i = kept; i < TcpOptions::kMaxSackBlocks; ++i) o.sack_blocks[i] = {};
    o.sack_count = static_cast<uint8_t>(kept);
    return o;
}

// Emits into a buffer of exactly emitted_len() bytes (so ASan catches any overrun), parses
// the result, and checks that a second emit is byte-identical: a fixed point.
void check_emit_round_trip(const TcpOptions& o) {
    size_t len = o.emitted_len();
    FUZZ_CHECK(len % 4 == 0);
    FUZZ_CHECK(len <= TcpOptions::kMaxLen);
    std::vector<std::byte> once(len);
    o.emit(once);
    auto parsed = TcpOptions::parse(once);
    FUZZ_CHECK(parsed);
    FUZZ_CHECK(*parsed == expected_after_emit(o));
    FUZZ_CHECK(parsed->emitted_len() == len);
    std::vector<std::byte> twice(len);
    parsed->emit(twice);
    FUZZ_CHECK(once == twice);
}

void check_segment(ConstBytes in) {
    auto v = TcpView::parse(in);
    if (!v) return;
    FUZZ_CHECK(v->header_len() >= TcpView::kMinHeaderLen && v->header_len() <= in.size());
    FUZZ_CHECK(v->options().size() <= TcpOptions::kMaxLen);
    fuzz::touch(v->options());
    fuzz::touch(v->payload());
    FUZZ_CHECK(v->seg_len() >= v->payload().size());
    (void)v->seq(), (void)v->ack(), (void)v->window(), (void)v->checksum(), (void)v->urgent_pointer();
    const Ipv4Addr src = Ipv4Addr::from_octets(10, 77, 0, 1), dst = Ipv4Addr::from_octets(10, 77, 0, 2);
    (void)v->checksum_valid(src, dst);

    auto r = TcpRepr::from(*v);
    if (!r) return;
    check_emit_round_trip(r->options);
    std::vector<std::byte> out(r->header_len() + v->payload().size());
    std::copy(v->payload().begin(), v->payload().end(), out.begin() + r->header_len());
    r->emit(out, src, dst, v->payload().size());
    auto back = TcpView::parse(out);
    FUZZ_CHECK(back);
    FUZZ_CHECK(back->checksum_valid(src, dst));
    FUZZ_CHECK(back->src_port() == r->src_port && back->dst_port() == r->dst_port);
    FUZZ_CHECK(back->seq() == r->seq && back->ack() == r->ack && back->flags() == r->flags);
    FUZZ_CHECK(back->window() == r->window && back->urgent_pointer() == r->urgent_pointer);
    FUZZ_CHECK(back->seg_len() == v->seg_len());
    FUZZ_CHECK(fuzz::same_bytes(back->payload(), v->payload()));
    auto r2 = TcpRepr::from(*back);
    FUZZ_CHECK(r2 && r2->options == expected_after_emit(r->options));
}

TcpOptions options_from(FuzzedDataProvider& p) {
    TcpOptions o;
    if (p.ConsumeBool()) o.mss = p.ConsumeIntegral<uint16_t>();
    if (p.ConsumeBool()) o.window_scale = p.ConsumeIntegral<uint8_t>();
    o.sack_permitted = p.ConsumeBool();
    if (p.ConsumeBool()) o.timestamps = TcpTimestamps{p.ConsumeIntegral<uint32_t>(), p.ConsumeIntegral<uint32_t>()};
    o.sack_count = p.ConsumeIntegral<uint8_t>();  // may exceed the array: emit must clamp
    for (size_t i = 0; i < std::min<size_t>(o.sack_count, TcpOptions::kMaxSackBlocks); ++i) {
        o.sack_blocks[i] = {SeqNum(p.ConsumeIntegral<uint32_t>()), SeqNum(p.ConsumeIntegral<uint32_t>())};
    }
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ConstBytes in = as_bytes(data, size);

    if (auto o = TcpOptions::parse(in)) {
        FUZZ_CHECK(o->sack_count <= TcpOptions::kMaxSackBlocks);
        check_emit_round_trip(*o);
    }
    check_segment(in);

    FuzzedDataProvider p(data, size);
    check_emit_round_trip(options_from(p));
    return 0;
}

// The fragment reassembler, fed fragment sequences. The input is a script of steps: a fragment
// (which of four datagrams, offset, length, MF flag, whether to corrupt its bytes) or time
// passing. Every datagram's bytes are a function of their offset, so a correct reassembly of
// honest fragments is checkable byte for byte.
//
// Checked on every run, besides ASan/UBSan:
// - a datagram that comes out is a valid unfragmented IPv4 packet of at most 65535 bytes whose
//   payload bytes are the bytes at those offsets (unless a corrupting fragment was fed to it);
// - the memory charged never exceeds the limit after a call, and is 0 when no queue is left;
// - a timeout report is the first fragment (offset 0, MF set) of its datagram;
// - every counter moves consistently: oks + fails <= queues ever started.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstring>
#include <vector>

#include "stack/ip/reassembly.h"
#include "stack/wire/checksum.h"
#include "stack/wire/fuzz/fuzz_check.h"

using namespace ustack;
using namespace ustack::wire;

namespace {

std::byte byte_at(uint16_t ident, size_t offset) { return static_cast<std::byte>((offset * 31 + ident * 7) >> 3); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    Counters counters;
    const size_t limit = in.ConsumeIntegralInRange<size_t>(2000, 200000);
    ip::Reassembler r{counters, ip::ReassemblyLimits{limit, std::chrono::seconds(30)}};
    Instant now{0};
    bool corrupted[4] = {};
    std::vector<std::byte> packet;
    while (in.remaining_bytes() > 0) {
        if (in.ConsumeIntegralInRange(0, 15) == 0) {
            now += std::chrono::seconds(in.ConsumeIntegralInRange(0, 40));
            r.expire(now, [&](const Ipv4View& first) {
                FUZZ_CHECK(first.fragment_offset_bytes() == 0 && first.more_fragments());
                FUZZ_CHECK(first.checksum_valid());
            });
            continue;
        }
        const uint16_t ident = in.ConsumeIntegralInRange<uint16_t>(0, 3);
        const size_t offset = in.ConsumeIntegralInRange<size_t>(0, 8191) * 8;
        const size_t len = in.ConsumeIntegralInRange<size_t>(0, 3000);
        const bool more = in.ConsumeBool();
        const bool corrupt = in.ConsumeIntegralInRange(0, 7) == 0;
        if (!more && offset == 0) continue;  // not a fragment
        packet.assign(20 + len, std::byte{0});
        Ipv4Repr{Ipv4Addr::from_octets(10, 0, 0, 1), Ipv4Addr::from_octets(10, 0, 0, 2), 17,
                 static_cast<uint16_t>(len), 64, 0, ident, false}.emit(packet);
        store_be16(packet, 6, static_cast<uint16_t>((more ? 0x2000 : 0) | (offset / 8)));
        store_be16(packet, 10, 0);
        store_be16(packet, 10, internet_checksum(std::span(packet).first(20)));
        for (size_t i = 0; i < len; ++i) packet[20 + i] = byte_at(ident, offset + i) ^ (corrupt ? std::byte{0x5a} : std::byte{0});
        if (corrupt && len > 0) corrupted[ident] = true;
        auto v = Ipv4View::parse(packet);
        FUZZ_CHECK(v && v->is_fragment());
        auto out = r.add(*v, now);
        FUZZ_CHECK(r.memory() <= limit);
        if (r.queues() == 0) FUZZ_CHECK(r.memory() == 0);
        if (!out) continue;
        auto whole = Ipv4View::parse(*out);
        FUZZ_CHECK(whole && whole->checksum_valid() && !whole->is_fragment());
        FUZZ_CHECK(whole->total_len() == out->size() && out->size() <= 65535);
        FUZZ_CHECK(whole->ident() == ident);
        if (!corrupted[ident]) {
            const auto p = whole->payload();
            for (size_t i = 0; i < p.size(); ++i) FUZZ_CHECK(p[i] == byte_at(ident, i));
        }
        corrupted[ident] = false;
    }
    FUZZ_CHECK(counters.ip_reasm_oks <= counters.ip_reasm_reqds);
    return 0;
}

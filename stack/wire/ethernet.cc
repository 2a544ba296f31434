#include "stack/wire/ethernet.h"

namespace ustack::wire {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<MacAddr> MacAddr::parse(std::string_view text) {
    // Exactly "xx:xx:xx:xx:xx:xx": 6 groups of 2 hex digits, 5 colons.
    if (text.size() != 17) return std::nullopt;
    MacAddr m;
    for (size_t i = 0; i < 6; ++i) {
        size_t at = i * 3;
        if (i > 0 && text[at - 1] != ':') return std::nullopt;
        int hi = hex_value(text[at]);
        int lo = hex_value(text[at + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        m.octets[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return m;
}

MacAddr MacAddr::load(ConstBytes b, size_t off) {
    MacAddr m;
    for (size_t i = 0; i < 6; ++i) m.octets[i] = load_u8(b, off + i);
    return m;
}

void MacAddr::store(MutableBytes b, size_t off) const {
    for (size_t i = 0; i < 6; ++i) store_u8(b, off + i, octets[i]);
}

std::string MacAddr::to_string() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    s.reserve(17);
    for (size_t i = 0; i < 6; ++i) {
        if (i) s += ':';
        s += kHex[octets[i] >> 4];
        s += kHex[octets[i] & 0xf];
    }
    return s;
}

std::optional<EthernetView> EthernetView::parse(ConstBytes frame) {
    if (frame.size() < kHeaderLen) return std::nullopt;
    return EthernetView(frame);
}

void EthernetRepr::emit(MutableBytes out) const {
    dst.store(out, 0);
    src.store(out, 6);
    store_be16(out, 12, ethertype);
}

}  // namespace ustack::wire

#include "stack/wire/udp.h"

#include "stack/wire/checksum.h"
#include "stack/wire/ipv4.h"

namespace ustack::wire {

std::optional<UdpView> UdpView::parse(ConstBytes datagram) {
    if (datagram.size() < kHeaderLen) return std::nullopt;
    size_t length = load_be16(datagram, 4);
    if (length < kHeaderLen || length > datagram.size()) return std::nullopt;
    return UdpView(datagram);
}

bool UdpView::checksum_valid(Ipv4Addr src, Ipv4Addr dst) const {
    if (checksum() == 0) return true;  // RFC 768: zero means no checksum was computed
    uint32_t sum = pseudo_header_sum(src, dst, ipproto::kUdp, length());
    return checksum_finish(checksum_accumulate(sum, bytes_.first(length()))) == 0;
}

void UdpRepr::emit(MutableBytes out, Ipv4Addr src, Ipv4Addr dst, size_t payload_len) const {
    auto length = static_cast<uint16_t>(kHeaderLen + payload_len);
    store_be16(out, 0, src_port);
    store_be16(out, 2, dst_port);
    store_be16(out, 4, length);
    store_be16(out, 6, 0);
    uint32_t sum = pseudo_header_sum(src, dst, ipproto::kUdp, length);
    uint16_t csum = checksum_finish(checksum_accumulate(sum, out.first(length)));
    // RFC 768: a computed zero is transmitted as all ones; zero means "no checksum".
    store_be16(out, 6, csum == 0 ? 0xffff : csum);
}

}  // namespace ustack::wire

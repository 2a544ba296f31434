#include "stack/wire/icmp.h"

#include <cstring>

#include "stack/wire/checksum.h"

namespace ustack::wire {

std::optional<IcmpView> IcmpView::parse(ConstBytes message) {
    if (message.size() < kHeaderLen) return std::nullopt;
    return IcmpView(message);
}

// RFC 792: the checksum covers the whole ICMP message.
bool IcmpView::checksum_valid() const { return internet_checksum(bytes_) == 0; }

void IcmpRepr::emit(MutableBytes out) const {
    store_u8(out, 0, type);
    store_u8(out, 1, code);
    store_be16(out, 2, 0);
    store_be32(out, 4, rest_of_header);
    // memmove: an echo reply may be built over the request it answers.
    if (!payload.empty()) std::memmove(out.data() + kHeaderLen, payload.data(), payload.size());
    store_be16(out, 2, internet_checksum(out.first(len())));
}

}  // namespace ustack::wire

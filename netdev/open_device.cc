// USTACK_DEVICE parsing: "tap:NAME", "packet:IFACE" or "fd:N".
#include <charconv>

#include "netdev/device.h"
#include "netdev/packet.h"
#include "netdev/tap.h"

namespace ustack::netdev {
namespace {

OpenResult bad_syntax(std::string_view spec, std::string_view detail = {}) {
    std::string error = "USTACK_DEVICE=" + std::string(spec) + ": expected tap:NAME, packet:IFACE or fd:N";
    if (!detail.empty()) error += " (" + std::string(detail) + ")";
    return {nullptr, error};
}

template <typename R>
OpenResult take(R r) {
    return {std::move(r.device), std::move(r.error)};
}

}  // namespace

OpenResult open_device(std::string_view spec, bool offloads, PacketRings rings) {
    const size_t colon = spec.find(':');
    if (colon == std::string_view::npos || colon + 1 == spec.size()) return bad_syntax(spec);
    const std::string_view kind = spec.substr(0, colon);
    const std::string_view arg = spec.substr(colon + 1);
    if (kind == "tap") return take(TapDevice::attach(std::string(arg), offloads));
    if (kind == "packet") return take(PacketDevice::open(std::string(arg), offloads, rings));
    if (kind == "fd") {
        int fd = -1;
        auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), fd);
        if (ec != std::errc{} || end != arg.data() + arg.size() || fd < 0) {
            return bad_syntax(spec, "N is a file descriptor number such as 3");
        }
        return take(TapDevice::adopt(fd, offloads));
    }
    return bad_syntax(spec);
}

}  // namespace ustack::netdev

#include "netdev/iface.h"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "netdev/sys.h"

namespace ustack::netdev {
namespace {

ifreq request_for(const std::string& name) {
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name.data(), std::min(name.size(), size_t{IFNAMSIZ - 1}));
    return ifr;
}

}  // namespace

InterfaceControl::InterfaceControl()
    : fd_(static_cast<int>(sys::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0))) {}

InterfaceControl::~InterfaceControl() {
    if (fd_ >= 0) sys::close(fd_);
}

long InterfaceControl::index(const std::string& name) const {
    ifreq ifr = request_for(name);
    long r = sys::ioctl(fd_, SIOCGIFINDEX, &ifr);
    return r < 0 ? r : ifr.ifr_ifindex;
}

long InterfaceControl::mtu(const std::string& name) const {
    ifreq ifr = request_for(name);
    long r = sys::ioctl(fd_, SIOCGIFMTU, &ifr);
    return r < 0 ? r : ifr.ifr_mtu;
}

long InterfaceControl::flags(const std::string& name) const {
    ifreq ifr = request_for(name);
    long r = sys::ioctl(fd_, SIOCGIFFLAGS, &ifr);
    return r < 0 ? r : static_cast<unsigned short>(ifr.ifr_flags);
}

long InterfaceControl::bring_up(const std::string& name) const {
    ifreq ifr = request_for(name);
    if (long r = sys::ioctl(fd_, SIOCGIFFLAGS, &ifr); r < 0) return r;
    if ((ifr.ifr_flags & IFF_UP) != 0) return 0;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    return sys::ioctl(fd_, SIOCSIFFLAGS, &ifr);
}

long InterfaceControl::hw_addr(const std::string& name, std::array<uint8_t, 6>& mac) const {
    ifreq ifr = request_for(name);
    if (long r = sys::ioctl(fd_, SIOCGIFHWADDR, &ifr); r < 0) return r;
    std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, mac.size());
    return ifr.ifr_hwaddr.sa_family;
}

bool valid_interface_name(const std::string& name) {
    if (name.empty() || name.size() >= IFNAMSIZ) return false;
    for (char c : name) {
        if (c == '/' || c == ':' || c <= ' ') return false;
    }
    return true;
}

}  // namespace ustack::netdev

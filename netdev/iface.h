// Interface queries by name (index, MTU, MAC, up/down) over a throwaway AF_INET control socket.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace ustack::netdev {

// Each call returns the value or -errno (ENODEV: no such interface in this namespace).
class InterfaceControl {
public:
    // Opens the control socket; ok() is false (and error() says why) if that failed.
    InterfaceControl();
    ~InterfaceControl();
    InterfaceControl(const InterfaceControl&) = delete;
    InterfaceControl& operator=(const InterfaceControl&) = delete;

    bool ok() const { return fd_ >= 0; }
    int error() const { return fd_ < 0 ? -fd_ : 0; }

    long index(const std::string& name) const;
    long mtu(const std::string& name) const;
    long flags(const std::string& name) const;
    // Sets IFF_UP if it is not set yet. 0 on success, -EPERM when we may not.
    long bring_up(const std::string& name) const;
    // The hardware type (ARPHRD_ETHER for Ethernet) and fills mac, or -errno.
    long hw_addr(const std::string& name, std::array<uint8_t, 6>& mac) const;

private:
    int fd_;
};

// Whether name fits in an ifreq (IFNAMSIZ - 1 bytes) and has no '/' or whitespace.
bool valid_interface_name(const std::string& name);

}  // namespace ustack::netdev

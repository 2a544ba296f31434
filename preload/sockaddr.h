// sockaddr_in <-> Endpoint, with the kernel's validation rules, so a program sees the same
// errno from a stack socket as from a kernel one.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "stack/stack.h"

namespace ustack::preload {

enum class AddrUse {
    kConnect,  // tcp_v4_connect: short -> EINVAL, not AF_INET -> EAFNOSUPPORT
    kBind,     // inet_bind: additionally accepts AF_UNSPEC with INADDR_ANY (old programs)
    kSendTo,   // udp_sendmsg: AF_UNSPEC means "no address given"
};

// Returns 0 and fills *out, 1 for "no address" (kSendTo with AF_UNSPEC), or -errno.
inline int endpoint_from_sockaddr(const sockaddr* sa, socklen_t len, AddrUse use, Endpoint* out) {
    if (sa == nullptr) return -EFAULT;
    if (static_cast<int>(len) < 0) return -EINVAL;
    if (len < sizeof(sockaddr_in)) return -EINVAL;
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof sin);
    if (sin.sin_family != AF_INET) {
        if (use == AddrUse::kSendTo && sin.sin_family == AF_UNSPEC) return 1;
        if (!(use == AddrUse::kBind && sin.sin_family == AF_UNSPEC && sin.sin_addr.s_addr == htonl(INADDR_ANY))) {
            return -EAFNOSUPPORT;
        }
    }
    out->addr = wire::Ipv4Addr::from_network(sin.sin_addr.s_addr);
    out->port = ntohs(sin.sin_port);
    return 0;
}

inline sockaddr_in to_sockaddr_in(const Endpoint& ep) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(ep.port);
    sin.sin_addr.s_addr = ep.addr.to_network();
    return sin;
}

// As getsockname/getpeername/accept/recvfrom: copy what fits, report the full length.
// Returns 0 or -errno.
inline int endpoint_to_sockaddr(const Endpoint& ep, sockaddr* sa, socklen_t* len) {
    if (sa == nullptr) return 0;
    if (len == nullptr) return -EFAULT;
    if (static_cast<int>(*len) < 0) return -EINVAL;
    sockaddr_in sin = to_sockaddr_in(ep);
    std::memcpy(sa, &sin, std::min<size_t>(*len, sizeof sin));
    *len = sizeof sin;
    return 0;
}

}  // namespace ustack::preload

// The options an accepted TCP socket inherits from its listener. Linux clones the listening
// sock (sk_clone_lock), so everything set on it carries over except file flags (O_NONBLOCK).
// The stack's own copy is made by the stack (child->options = listener's); this list is for
// the accepted socket's idle kernel socket, which answers getsockopt for most options.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace ustack::preload::options {

struct Inherited {
    int level;
    int name;
};
inline constexpr Inherited kInherited[] = {
    {SOL_SOCKET, SO_KEEPALIVE},       {SOL_SOCKET, SO_LINGER},       {SOL_SOCKET, SO_RCVBUF},
    {SOL_SOCKET, SO_SNDBUF},          {SOL_SOCKET, SO_RCVTIMEO},     {SOL_SOCKET, SO_SNDTIMEO},
    {SOL_SOCKET, SO_RCVLOWAT},        {SOL_SOCKET, SO_PRIORITY},     {SOL_SOCKET, SO_OOBINLINE},
    {SOL_SOCKET, SO_DONTROUTE},       {SOL_SOCKET, SO_MARK},         {IPPROTO_TCP, TCP_NODELAY},
    {IPPROTO_TCP, TCP_CORK},          {IPPROTO_TCP, TCP_KEEPIDLE},   {IPPROTO_TCP, TCP_KEEPINTVL},
    {IPPROTO_TCP, TCP_KEEPCNT},       {IPPROTO_TCP, TCP_USER_TIMEOUT}, {IPPROTO_TCP, TCP_MAXSEG},
    {IPPROTO_TCP, TCP_CONGESTION},    {IPPROTO_TCP, TCP_NOTSENT_LOWAT}, {IPPROTO_IP, IP_TOS},
    {IPPROTO_IP, IP_TTL},             {IPPROTO_IP, IP_MTU_DISCOVER},
};
static_assert(sizeof kInherited / sizeof kInherited[0] <= 32, "SocketFile::inheritable_set is 32 bits");

// The option's bit in SocketFile::inheritable_set, or 0 when accepted sockets do not inherit it.
inline uint32_t inherited_bit(int level, int name) {
    for (unsigned i = 0; i < sizeof kInherited / sizeof kInherited[0]; ++i) {
        if (kInherited[i].level == level && kInherited[i].name == name) return uint32_t{1} << i;
    }
    return 0;
}

}  // namespace ustack::preload::options

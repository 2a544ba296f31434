#include "util.h"

#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace sockdiff {

short wait_for(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    int n;
    do {
        n = poll(&p, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    return n > 0 ? p.revents : 0;
}

std::string read_exact(int fd, size_t want) {
    std::string got;
    char buf[4096];
    while (got.size() < want) {
        if ((wait_for(fd, POLLIN) & (POLLIN | POLLHUP | POLLERR)) == 0) break;
        ssize_t n = read(fd, buf, std::min(sizeof buf, want - got.size()));
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
    }
    return got;
}

sockaddr_in loopback4(uint16_t port_host_order) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port_host_order);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sin;
}

int loopback_listener(int type, uint16_t* port) {
    int fd = socket(AF_INET, type, 0);
    if (fd < 0) return -1;
    sockaddr_in sin = loopback4(0);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) < 0 ||
        (type == SOCK_STREAM && listen(fd, 8) < 0)) {
        close(fd);
        return -1;
    }
    *port = local_port(fd);
    return fd;
}

bool tcp_pair(int* client, int* server) {
    uint16_t port = 0;
    int listener = loopback_listener(SOCK_STREAM, &port);
    if (listener < 0) return false;
    *client = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sin = loopback4(port);
    bool ok = *client >= 0 && connect(*client, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0;
    *server = ok ? accept(listener, nullptr, nullptr) : -1;
    close(listener);
    return ok && *server >= 0;
}

uint16_t local_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return 0;
    return ntohs(reinterpret_cast<sockaddr_in&>(ss).sin_port);  // same offset in sockaddr_in6
}

uint16_t peer_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return 0;
    return ntohs(reinterpret_cast<sockaddr_in&>(ss).sin_port);
}

int int_option(int fd, int level, int name) {
    int value = -1;
    socklen_t len = sizeof value;
    if (getsockopt(fd, level, name, &value, &len) < 0) return -errno;
    return value;
}

}  // namespace sockdiff

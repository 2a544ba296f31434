#include "stack/sim/host.h"

#include <cerrno>

namespace ustack::sim {

Host::Host(World& world, std::string name, const StackConfig& config, size_t mtu)
    : world_(world), name_(std::move(name)), device_(name_, world.clock(), mtu),
      stack_(std::make_unique<Stack>(config, device_, world.now())) {}

Socket Host::tcp_connect(Endpoint remote) {
    Stack& s = *stack_;
    const int id = s.socket(SocketKind::kTcp);
    if (id < 0) throw SocketError("socket", -id);
    Socket sock(*this, id);
    int r = s.connect(id, remote, world_.now());
    if (r != -EINPROGRESS && r != 0) throw SocketError("connect", -r);
    // As a blocking connect(2) does: wait until writable or failed, then read SO_ERROR.
    for (;;) {
        const uint32_t ev = s.poll_events(id);
        if (ev & (readiness::kErr | readiness::kHup)) {
            const int err = s.take_error(id);
            throw SocketError("connect", err != 0 ? err : ECONNRESET);
        }
        if (ev & readiness::kOut) return sock;
        world_.block();
    }
}

Listener Host::tcp_listen(uint16_t port, int backlog) {
    Stack& s = *stack_;
    const int id = s.socket(SocketKind::kTcp);
    if (id < 0) throw SocketError("socket", -id);
    Listener l(*this, id);
    if (int r = s.bind(id, {Ipv4Addr::any(), port}); r < 0) throw SocketError("bind", -r);
    if (int r = s.listen(id, backlog); r < 0) throw SocketError("listen", -r);
    return l;
}

void Host::sleep(Duration d) {
    const Instant until = world_.now() + d;
    while (world_.now() < until) world_.block(until);
}

void Host::join(TaskId task) {
    while (!world_.finished(task)) world_.block();
}

}  // namespace ustack::sim

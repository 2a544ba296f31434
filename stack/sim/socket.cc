#include "stack/sim/socket.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "stack/sim/host.h"

namespace ustack::sim {

namespace {
std::string errno_name(int err) {
    const char* name = strerrorname_np(err);
    return name != nullptr ? name : std::to_string(err);
}
}  // namespace

SocketError::SocketError(const std::string& call, int err)
    : std::runtime_error(call + ": " + errno_name(err) + " (" + std::strerror(err) + ")"), error_(err) {}

Socket& Socket::operator=(Socket&& o) noexcept {
    if (this != &o) {
        close();
        host_ = o.host_;
        id_ = o.id_;
        o.id_ = -1;
    }
    return *this;
}

Socket::~Socket() { close(); }

void Socket::close() {
    if (id_ < 0) return;
    host_->stack().close(id_, host_->world().now());
    id_ = -1;
}

size_t Socket::write_some(ConstBytes data) {
    if (data.empty()) return 0;
    World& w = host_->world();
    for (;;) {
        const ConstBytes spans[] = {data};
        const ssize_t r = host_->stack().send(id_, spans, nullptr, 0, w.now());
        if (r > 0) return static_cast<size_t>(r);
        if (r != -EAGAIN) throw SocketError("send", r == 0 ? EIO : static_cast<int>(-r));
        w.block();
    }
}

void Socket::write_all(ConstBytes data) {
    while (!data.empty()) data = data.subspan(write_some(data));
}

size_t Socket::read_some(MutableBytes out) {
    World& w = host_->world();
    for (;;) {
        const MutableBytes spans[] = {out};
        const ssize_t r = host_->stack().recv(id_, spans, nullptr, 0, w.now());
        if (r >= 0) return static_cast<size_t>(r);
        if (r != -EAGAIN) throw SocketError("recv", static_cast<int>(-r));
        w.block();
    }
}

std::vector<std::byte> Socket::read_until_eof() {
    std::vector<std::byte> got;
    std::byte buf[16384];
    while (const size_t n = read_some(buf)) got.insert(got.end(), buf, buf + n);
    return got;
}

void Socket::shutdown_write() {
    if (int r = host_->stack().shutdown(id_, SHUT_WR, host_->world().now()); r < 0) throw SocketError("shutdown", -r);
}

Socket Listener::accept() {
    Host& h = socket_.host();
    for (;;) {
        const int r = h.stack().accept(socket_.id(), nullptr, h.world().now());
        if (r >= 0) return Socket(h, r);
        if (r != -EAGAIN) throw SocketError("accept", -r);
        h.world().block();
    }
}

}  // namespace ustack::sim

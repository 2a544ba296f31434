// A simulated host: one Stack on one SimDevice, and the blocking calls its tasks use.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "stack/sim/sim_device.h"
#include "stack/sim/socket.h"
#include "stack/sim/world.h"
#include "stack/stack.h"

namespace ustack::sim {

class Host {
public:
    Host(World& world, std::string name, const StackConfig& config, size_t mtu);
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    const std::string& name() const { return name_; }
    World& world() { return world_; }
    Stack& stack() { return *stack_; }
    SimDevice& device() { return device_; }
    Ipv4Addr address() const { return stack_->config().address.address; }

    // A task on this host (see World::spawn).
    TaskId spawn(std::string name, std::function<void()> body) { return world_.spawn(*this, std::move(name), std::move(body)); }

    // ---- blocking calls, for tasks running on this host ---------------------------------
    // Connects and waits for the handshake; throws SocketError if it fails.
    Socket tcp_connect(Endpoint remote);
    Listener tcp_listen(uint16_t port, int backlog = 16);
    void sleep(Duration d);
    void join(TaskId task);

private:
    World& world_;
    std::string name_;
    SimDevice device_;
    std::unique_ptr<Stack> stack_;
};

}  // namespace ustack::sim

// Blocking-style sockets for simulated applications. Each call loops over the non-blocking
// Stack call and, on -EAGAIN, blocks the calling task until the stack's readiness may have
// changed; so a test reads as plain code:
//   sim::Socket s = host.tcp_connect({server, 80});
//   s.write_all(data);
//   auto got = s.read_until_eof();
// Failures throw SocketError, which fails the run with the task's name and the errno.
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "stack/stack.h"

namespace ustack::sim {

class Host;

class SocketError : public std::runtime_error {
public:
    SocketError(const std::string& call, int err);
    int error() const { return error_; }

private:
    int error_;
};

// Owns a stack socket id; closes it when destroyed.
class Socket {
public:
    Socket(Host& host, int id) : host_(&host), id_(id) {}
    Socket(Socket&& o) noexcept : host_(o.host_), id_(o.id_) { o.id_ = -1; }
    Socket& operator=(Socket&& o) noexcept;
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket();

    int id() const { return id_; }
    Host& host() { return *host_; }

    // Waits until at least one byte is queued; returns how many were.
    size_t write_some(ConstBytes data);
    void write_all(ConstBytes data);
    // Waits for data or end of stream; returns bytes read, 0 at end of stream.
    size_t read_some(MutableBytes out);
    std::vector<std::byte> read_until_eof();
    void shutdown_write();
    // Releases the id (the connection closes in the background, as close(2) does).
    void close();

private:
    Host* host_;
    int id_;
};

class Listener {
public:
    Listener(Host& host, int id) : socket_(host, id) {}
    Socket accept();  // waits for a connection
    int id() const { return socket_.id(); }

private:
    Socket socket_;
};

}  // namespace ustack::sim

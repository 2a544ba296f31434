// Small socket helpers shared by the sockdiff cases. Every wait is bounded so a broken stack
// shows up as a differing line, never as a hang.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace sockdiff {

inline constexpr int kWaitMs = 2000;

// poll() one fd for `events` (restarting on EINTR); returns revents, or 0 on timeout.
short wait_for(int fd, short events, int timeout_ms = kWaitMs);

// Reads until `want` bytes, EOF or kWaitMs pass; returns what arrived.
std::string read_exact(int fd, size_t want);

sockaddr_in loopback4(uint16_t port_host_order);
// Bound (and for SOCK_STREAM listening) socket on 127.0.0.1:0; its port in *port.
int loopback_listener(int type, uint16_t* port);
// A connected TCP pair over 127.0.0.1: client and accepted server end. false on failure.
bool tcp_pair(int* client, int* server);

uint16_t local_port(int fd);
uint16_t peer_port(int fd);
int int_option(int fd, int level, int name);

}  // namespace sockdiff

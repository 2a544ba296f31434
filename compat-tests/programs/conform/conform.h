// conform: the differential conformance cases. Each case exercises ONE socket behaviour against
// conform_peer (peer.cc) and prints one line per observable result through Line, holding
// nothing that varies between runs: fds print as "fd", the two lab addresses as SELF and PEER,
// ports other than the fixed ones below as "eph". The runner (compat-tests/conform.sh) runs every
// case once on the kernel and once under the preload and diffs the two outputs.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "../sockdiff/report.h"

namespace conform {

using sockdiff::Line;

// The peer's fixed services (peer.cc says what each does).
enum : uint16_t {
    kEcho = 7001, kSink = 7002, kSource = 7003, kReset = 7004, kHello = 7005, kHold = 7006,
    kUdpEcho = 7007, kLate = 7008, kControl = 7009, kPeerUdpFrom = 7010, kOob = 7011,
    kResetNow = 7012, kOobRead = 7013, kClosedTcp = 7999, kClosedUdp = 7998,
};
inline constexpr size_t kSourceBytes = 200000;
inline constexpr int kWaitMs = 3000;  // bound on waiting for something that must happen

// Registration: CASE(name) { ... } defines a case the runner can select by name.
using CaseFn = void (*)();
struct Registrar {
    Registrar(const char* name, CaseFn fn);
};
#define CONFORM_CASE(name)                                              \
    static void conform_case_##name();                                  \
    static ::conform::Registrar conform_reg_##name(#name, conform_case_##name); \
    static void conform_case_##name()

// Addresses: set by main from --peer/--self.
sockaddr_in peer_addr(uint16_t port);
sockaddr_in self_addr(uint16_t port);
sockaddr_in any_addr(uint16_t port);
sockaddr_in unroutable_addr(uint16_t port);  // on the lab subnet, nobody answers ARP
sockaddr_in offlink_addr(uint16_t port);     // 192.0.2.1: no route
sockaddr_in loopback_addr(uint16_t port);
inline sockaddr* sa(sockaddr_in& a) { return reinterpret_cast<sockaddr*>(&a); }

// A port our side binds explicitly: fixed_port(n) = the run's base (--port-base, default
// 7500) + n, printed as "fixed+n", so two passes in one lab never meet each other's TIME-WAIT.
uint16_t fixed_port(int n);
// "SELF:eph", "PEER:7001", "0.0.0.0:0", "AF_INET6 ..." etc.
std::string show(const sockaddr_storage& ss, socklen_t len);
std::string show(const sockaddr_in& a);
Line& sockname(Line& l, int fd);  // getsockname result and address
Line& peername(Line& l, int fd);
int local_port_is(int fd, uint16_t port);  // 1 if fd's local port is port

int tcp_socket(int flags = 0);
int udp_socket(int flags = 0);
// Blocking connect to the peer's port; -1 (and a "dial_failed" line) on failure.
int dial(uint16_t port);
int udp_dial(uint16_t port);
// A listener on 0.0.0.0:0; its port in *port.
int listener(uint16_t* port, int backlog = 8);
// Asks the peer (over a new control connection) to connect to our port and run mode after
// delay_ms; returns the control fd. ctl_line reads one reply line (bounded wait).
int ask_peer(const std::string& command);
int peer_connects(uint16_t port, const std::string& mode, int delay_ms = 0);
std::string ctl_line(int ctl);
// A connection the peer opened to us in mode (listener closed afterwards). -1 on failure.
int accepted(const std::string& mode, int* ctl_out = nullptr);
// A connection the peer reset after reading our first byte, with the RST already received.
int reset_by_peer();

// Reads until n bytes, EOF/error or timeout_ms pass.
std::string read_n(int fd, size_t n, int timeout_ms = kWaitMs);
// Waits (bounded) until FIONREAD says at least n bytes are queued.
bool wait_inq(int fd, int n);
short poll1(int fd, short events, int timeout_ms);
std::string pattern(size_t offset, size_t n);  // the peer's source bytes
bool is_pattern(const std::string& got, size_t offset);

// Option helpers: "ret=.. errno=.. value=.. len=.."
Line& getopt_int(Line& l, int fd, int level, int name);
int setopt_int(int fd, int level, int name, int value);

// Signals: a counting handler installed with or without SA_RESTART.
extern std::atomic<int> g_signals;
void on_signal(int signo, bool restart);
void timer_ms(int ms);  // ITIMER_REAL one-shot (SIGALRM)
long elapsed_ms(const struct timespec& since);
struct timespec now();

std::string epoll_names(uint32_t events);

}  // namespace conform

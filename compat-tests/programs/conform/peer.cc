// conform_peer: the Linux side of the conformance suite. It runs on the kernel in the lab's
// peer namespace and serves the same fixed behaviours to both runs of every case (kernel and
// preload), so a difference in the case's output can only come from the stack under test.
//
// TCP ports (all on 0.0.0.0), one behaviour each, one thread per connection:
//   7001 echo     every byte comes back
//   7002 sink     counts bytes until EOF, then sends "got N\n" and closes
//   7003 source   sends 200000 pattern bytes (see pattern_byte) and closes
//   7004 reset    reads one byte, then closes with SO_LINGER {1, 0}: an RST
//   7012 rstnow   the same without waiting for a byte: the RST follows the handshake at once
//   7005 hello    sends "hello\n" and closes
//   7006 hold     never reads; closes on an RST from the client or after 30 s (not on its FIN)
//   7008 late     after 300 ms sends "late\n", then holds
//   7011 oob      sends "a", then "b" as urgent data (MSG_OOB), then holds
//   7013 oobread  waits for the client's urgent data (POLLPRI), reads the urgent byte with
//                 recv(MSG_OOB), then the stream until the client's FIN, and answers
//                 "oob=X stream=S\n" (oob=none if no urgent data came, oob=eN on an error)
//   7009 control  one command per line from a case:
//        "connect PORT MODE DELAY_MS": after DELAY_MS connect to the client's address:PORT and
//          run MODE (any of the above, or "watch": count bytes until EOF or error and report
//          "eof N" or "reset N" on the control connection; "hellowatch": send "hello\n" first,
//          then watch; "finwatch": shut down writing first (a half-close from the peer), then
//          watch, checking the bytes against the pattern; "stall": read nothing until the case
//          sends "go" on the control connection, then watch, checking the pattern), replies "ok"
//          or "err ERRNO_NAME". A checked watch reports "eof N match" or "eof N mismatch".
//        "blackhole PORT": from now on the peer's kernel silently drops everything it sends to
//          the client's PORT (a dead peer, for keepalive), until the control connection closes;
//          replies "ok" or "err tc"
//        "udp PORT TEXT": send TEXT from UDP port 7010 to the client's address:PORT; "ok"
// UDP port 7007: echo.
// Nothing is printed except "ready" once every port listens.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

constexpr int kIdleMs = 30000;  // a connection the client abandoned is dropped after this

unsigned char pattern_byte(size_t i) { return static_cast<unsigned char>((i * 31 + 7) & 0xff); }

void write_all(int fd, const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        p += w;
        n -= static_cast<size_t>(w);
    }
}

void say(int fd, const std::string& line) {
    if (fd >= 0) write_all(fd, line.data(), line.size());
}

// Waits up to kIdleMs for fd to become readable; false on timeout.
bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, kIdleMs) > 0;
}

// Holds the connection without reading: returns on an RST (POLLERR/POLLHUP) or after kIdleMs,
// never on the client's FIN, so a half-closed client keeps a half-open peer.
void hold(int fd) {
    pollfd p{fd, 0, 0};
    poll(&p, 1, kIdleMs);
}

// Reads fd until EOF or error, checking every byte against the pattern; the watch report.
std::string checked_watch(int fd) {
    char buf[65536];
    size_t total = 0;
    bool match = true;
    const char* end = "timeout ";
    while (readable(fd)) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            end = n == 0 ? "eof " : errno == ECONNRESET ? "reset " : "error ";
            break;
        }
        for (ssize_t i = 0; i < n; ++i) match = match && static_cast<unsigned char>(buf[i]) == pattern_byte(total + i);
        total += static_cast<size_t>(n);
    }
    return end + std::to_string(total) + (match ? " match\n" : " mismatch\n");
}

// Runs MODE on connection fd; report_fd gets the watch result.
void serve(int fd, const std::string& mode, int report_fd) {
    char buf[65536];
    if (mode == "finwatch" || mode == "stall") {
        if (mode == "finwatch") shutdown(fd, SHUT_WR);
        if (mode == "stall") {
            // Our receive queue fills, the window closes and the client's send blocks; it then
            // says "go" and we drain everything it sent.
            std::string go;
            char c;
            while (go.size() < 8 && readable(report_fd) && recv(report_fd, &c, 1, 0) == 1 && c != '\n') go += c;
        }
        say(report_fd, checked_watch(fd));
        close(fd);
        return;
    }
    int one = 1;  // no Nagle: an echo must never wait for our delayed ACK
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (mode == "echo") {
        while (readable(fd)) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            write_all(fd, buf, static_cast<size_t>(n));
        }
    } else if (mode == "sink" || mode == "watch" || mode == "hellowatch") {
        if (mode == "hellowatch") write_all(fd, "hello\n", 6);
        size_t total = 0;
        const char* end = "timeout ";
        while (readable(fd)) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                end = n == 0 ? "eof " : errno == ECONNRESET ? "reset " : "error ";
                break;
            }
            total += static_cast<size_t>(n);
        }
        if (mode == "sink") {
            say(fd, "got " + std::to_string(total) + "\n");
        } else {
            say(report_fd, end + std::to_string(total) + "\n");
        }
    } else if (mode == "source") {
        std::string data(200000, '\0');
        for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(pattern_byte(i));
        write_all(fd, data.data(), data.size());
    } else if (mode == "reset" || mode == "rstnow") {
        if (mode == "reset" && readable(fd)) recv(fd, buf, 1, 0);
        linger l{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    } else if (mode == "hello") {
        write_all(fd, "hello\n", 6);
    } else if (mode == "hold") {
        hold(fd);
    } else if (mode == "late") {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        write_all(fd, "late\n", 5);
        hold(fd);
    } else if (mode == "oob") {
        write_all(fd, "a", 1);
        send(fd, "b", 1, MSG_OOB | MSG_NOSIGNAL);
        hold(fd);
    } else if (mode == "oobread") {
        std::string oob = "none";
        pollfd p{fd, POLLPRI, 0};
        if (poll(&p, 1, kIdleMs) > 0 && (p.revents & POLLPRI)) {
            char c;
            const ssize_t n = recv(fd, &c, 1, MSG_OOB);
            oob = n == 1 ? std::string(1, c) : "e" + std::to_string(errno);
        }
        std::string stream;
        while (readable(fd)) {
            const ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            stream.append(buf, static_cast<size_t>(n));
        }
        say(fd, "oob=" + oob + " stream=" + stream + "\n");
    }
    close(fd);
}

// The interface that carries connection fd (the one holding its local address).
std::string interface_of(int fd) {
    sockaddr_in local{};
    socklen_t len = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    std::string name;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return name;
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
        if (reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr == local.sin_addr.s_addr) name = i->ifa_name;
    }
    freeifaddrs(list);
    return name;
}

// Drops the peer's own packets to the client's port, on egress, until the control connection
// closes. This kernel has no tc drop action and no netfilter: an HTB class whose queue is a
// zero-length pfifo drops everything the u32 filter steers into it; other traffic takes the
// default class.
void blackhole(int ctl, uint16_t port) {
    const std::string dev = interface_of(ctl);
    const std::string tc = "tc qdisc replace dev " + dev + " root handle 1: htb default 1";
    const std::string steps[] = {
        tc,
        "tc class add dev " + dev + " parent 1: classid 1:1 htb rate 100gbit",
        "tc class add dev " + dev + " parent 1: classid 1:2 htb rate 100gbit",
        "tc qdisc add dev " + dev + " parent 1:2 handle 2: pfifo limit 0",
        "tc filter add dev " + dev + " parent 1: protocol ip prio 1 u32 match ip dport " + std::to_string(port) +
            " 0xffff flowid 1:2",
    };
    bool ok = !dev.empty();
    for (const std::string& step : steps) {
        if (ok) ok = std::system((step + " >/dev/null 2>&1").c_str()) == 0;
    }
    say(ctl, ok ? "ok\n" : "err tc\n");
    char c;
    while (readable(ctl) && recv(ctl, &c, 1, 0) == 1) {
    }
    if (!dev.empty()) std::system(("tc qdisc del dev " + dev + " root >/dev/null 2>&1").c_str());
}

void control(int fd) {
    sockaddr_in client{};
    socklen_t len = sizeof client;
    getpeername(fd, reinterpret_cast<sockaddr*>(&client), &len);
    std::string line;
    char c;
    while (line.size() < 512 && readable(fd) && recv(fd, &c, 1, 0) == 1 && c != '\n') line += c;
    char mode[32] = {};
    char text[256] = {};
    int port = 0, delay = 0;
    if (std::sscanf(line.c_str(), "connect %d %31s %d", &port, mode, &delay) == 3) {
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        int s = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in to = client;
        to.sin_port = htons(static_cast<uint16_t>(port));
        if (connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
            say(fd, std::string("err ") + strerrorname_np(errno) + "\n");
            close(s);
        } else {
            say(fd, "ok\n");
            serve(s, mode, fd);
        }
    } else if (std::sscanf(line.c_str(), "blackhole %d", &port) == 1) {
        blackhole(fd, static_cast<uint16_t>(port));
    } else if (std::sscanf(line.c_str(), "udp %d %255s", &port, text) == 2) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in from{};
        from.sin_family = AF_INET;
        from.sin_port = htons(7010);
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        bind(s, reinterpret_cast<sockaddr*>(&from), sizeof from);
        sockaddr_in to = client;
        to.sin_port = htons(static_cast<uint16_t>(port));
        sendto(s, text, std::strlen(text), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        close(s);
        say(fd, "ok\n");
    } else {
        say(fd, "err EINVAL\n");
    }
    hold(fd);
    close(fd);
}

int listen_on(int type, uint16_t port) {
    int s = socket(AF_INET, type, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || (type == SOCK_STREAM && listen(s, 128) != 0)) {
        std::fprintf(stderr, "conform_peer: port %u: %s\n", port, std::strerror(errno));
        std::_Exit(1);
    }
    return s;
}

void accept_loop(int listener, std::string mode) {
    for (;;) {
        int fd = accept(listener, nullptr, nullptr);
        if (fd < 0) continue;
        if (mode == "control") {
            std::thread(control, fd).detach();
        } else {
            std::thread(serve, fd, mode, -1).detach();
        }
    }
}

void udp_echo(int s) {
    char buf[65536];
    for (;;) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n >= 0) sendto(s, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
}

}  // namespace

int main() {
    const std::pair<uint16_t, const char*> ports[] = {
        {7001, "echo"}, {7002, "sink"}, {7003, "source"}, {7004, "reset"}, {7005, "hello"},
        {7006, "hold"}, {7008, "late"}, {7011, "oob"},    {7012, "rstnow"}, {7009, "control"},
        {7013, "oobread"},
    };
    for (const auto& [port, mode] : ports) std::thread(accept_loop, listen_on(SOCK_STREAM, port), mode).detach();
    std::thread(udp_echo, listen_on(SOCK_DGRAM, 7007)).detach();
    std::printf("ready\n");
    std::fflush(stdout);
    for (;;) pause();
}

// TCP to 127.0.0.1: the preload must hand these sockets to the kernel and stay out of the way.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "cases.h"
#include "report.h"
#include "util.h"

namespace sockdiff {
namespace {

sockaddr* sa(sockaddr_in& sin) { return reinterpret_cast<sockaddr*>(&sin); }

Line& with_name(Line& line, int r, int fd, bool peer) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    r = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
             : getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    return line.ret(r).kv("addr", describe(ss, len));
}

}  // namespace

void tcp_loopback_exchange() {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    Line("tcp_exchange.socket").fd(listener);
    int one = 1;
    Line("tcp_exchange.reuseaddr").ret(setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    sockaddr_in any_port = loopback4(0);
    Line("tcp_exchange.bind").ret(bind(listener, sa(any_port), sizeof any_port));
    Line("tcp_exchange.listen").ret(listen(listener, 8));
    { Line l("tcp_exchange.listener_name"); with_name(l, 0, listener, false); }
    const uint16_t port = local_port(listener);
    Line("tcp_exchange.acceptconn").kv("value", int_option(listener, SOL_SOCKET, SO_ACCEPTCONN));

    int client = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to = loopback4(port);
    Line("tcp_exchange.connect").ret(connect(client, sa(to), sizeof to));
    { Line l("tcp_exchange.client_name"); with_name(l, 0, client, false); }
    { Line l("tcp_exchange.client_peer"); with_name(l, 0, client, true).kv("is_listener", peer_port(client) == port ? 1 : 0); }

    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    int server = accept(listener, sa(from), &from_len);
    Line("tcp_exchange.accept")
        .fd(server)
        .kv("from", describe(reinterpret_cast<sockaddr_storage&>(from), from_len))
        .kv("from_is_client", ntohs(from.sin_port) == local_port(client) ? 1 : 0);
    { Line l("tcp_exchange.server_name"); with_name(l, 0, server, false).kv("is_listener", local_port(server) == port ? 1 : 0); }

    Line("tcp_exchange.client_write").ret(write(client, "hello over tcp", 14));
    Line("tcp_exchange.server_read").data(read_exact(server, 14));
    Line("tcp_exchange.server_send").ret(send(server, "reply", 5, 0));
    Line("tcp_exchange.client_recv").data(read_exact(client, 5));

    Line("tcp_exchange.client_shutdown_wr").ret(shutdown(client, SHUT_WR));
    char buf[64];
    Line("tcp_exchange.server_read_eof").ret(read(server, buf, sizeof buf));
    Line("tcp_exchange.server_write_after_eof").ret(write(server, "half-open", 9));
    Line("tcp_exchange.client_read_half_open").data(read_exact(client, 9));
    Line("tcp_exchange.client_write_after_shutdown").ret(send(client, "x", 1, MSG_NOSIGNAL));
    close(server);
    Line("tcp_exchange.client_read_eof").ret(read(client, buf, sizeof buf));

    Line("tcp_exchange.so_error").kv("value", int_option(client, SOL_SOCKET, SO_ERROR));
    Line("tcp_exchange.so_type").kv("value", int_option(client, SOL_SOCKET, SO_TYPE));
    Line("tcp_exchange.so_domain").kv("value", int_option(client, SOL_SOCKET, SO_DOMAIN));
    Line("tcp_exchange.so_protocol").kv("value", int_option(client, SOL_SOCKET, SO_PROTOCOL));
    Line("tcp_exchange.client_acceptconn").kv("value", int_option(client, SOL_SOCKET, SO_ACCEPTCONN));
    Line("tcp_exchange.nodelay_set").ret(setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
    Line("tcp_exchange.nodelay_get").kv("value", int_option(client, IPPROTO_TCP, TCP_NODELAY));
    close(client);
    close(listener);
}

void tcp_loopback_bulk() {
    // 1 MiB each way through non-blocking sockets and poll, checked with a running hash.
    int client = -1, server = -1;
    Line("tcp_bulk.pair").kv("ok", tcp_pair(&client, &server) ? 1 : 0);
    fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK);
    fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK);
    constexpr size_t kTotal = 1 << 20;
    std::vector<char> out(kTotal);
    for (size_t i = 0; i < kTotal; ++i) out[i] = static_cast<char>((i * 7919) >> 3);
    size_t sent = 0, received = 0;
    uint32_t hash = 2166136261u;  // FNV-1a over what arrives
    char buf[65536];
    bool stalled = false;
    while (received < kTotal && !stalled) {
        pollfd p[2] = {{client, short(sent < kTotal ? POLLOUT : 0), 0}, {server, POLLIN, 0}};
        if (poll(p, 2, kWaitMs) <= 0) stalled = true;
        if (p[0].revents & POLLOUT) {
            ssize_t n = write(client, out.data() + sent, kTotal - sent);
            if (n > 0) sent += size_t(n);
        }
        if (p[1].revents & POLLIN) {
            ssize_t n = read(server, buf, sizeof buf);
            if (n <= 0) stalled = true;
            for (ssize_t i = 0; i < n; ++i) hash = (hash ^ uint8_t(buf[i])) * 16777619u;
            if (n > 0) received += size_t(n);
        }
    }
    Line("tcp_bulk.transfer").kv("sent", long(sent)).kv("received", long(received)).kv("fnv1a", long(hash));
    char empty;
    Line("tcp_bulk.read_drained").ret(read(server, &empty, 1));
    close(client);
    close(server);
}

void tcp_connect_refused() {
    // Hold a port with a bound, non-listening TCP socket: a SYN to it gets a RST, and no other
    // program can take the port meanwhile.
    int holder = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in any_port = loopback4(0);
    bind(holder, sa(any_port), sizeof any_port);
    const uint16_t port = local_port(holder);
    sockaddr_in to = loopback4(port);

    int s = socket(AF_INET, SOCK_STREAM, 0);
    Line("tcp_refused.connect").ret(connect(s, sa(to), sizeof to));
    Line("tcp_refused.so_error_after").kv("value", int_option(s, SOL_SOCKET, SO_ERROR));
    close(s);

    s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    Line("tcp_refused.nb_connect").ret(connect(s, sa(to), sizeof to));
    Line("tcp_refused.nb_poll").revents(wait_for(s, POLLOUT));
    Line("tcp_refused.nb_so_error").kv("value", errno_name(int_option(s, SOL_SOCKET, SO_ERROR)));
    Line("tcp_refused.nb_so_error_again").kv("value", int_option(s, SOL_SOCKET, SO_ERROR));
    close(s);
    close(holder);
}

void tcp_nonblocking_connect() {
    uint16_t port = 0;
    int listener = loopback_listener(SOCK_STREAM, &port);
    fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK);
    int nothing = accept(listener, nullptr, nullptr);
    Line("tcp_nonblocking.accept_empty").fd(nothing);

    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    Line("tcp_nonblocking.socket").fd(s).kv("o_nonblock", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0 ? 1 : 0);
    sockaddr_in to = loopback4(port);
    Line("tcp_nonblocking.connect").ret(connect(s, sa(to), sizeof to));
    Line("tcp_nonblocking.poll_out").revents(wait_for(s, POLLOUT));
    Line("tcp_nonblocking.so_error").kv("value", int_option(s, SOL_SOCKET, SO_ERROR));
    Line("tcp_nonblocking.connect_again").ret(connect(s, sa(to), sizeof to));

    Line("tcp_nonblocking.listener_poll").revents(wait_for(listener, POLLIN));
    int server = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    Line("tcp_nonblocking.accept4")
        .fd(server)
        .kv("o_nonblock", (fcntl(server, F_GETFL) & O_NONBLOCK) != 0 ? 1 : 0)
        .kv("cloexec", (fcntl(server, F_GETFD) & FD_CLOEXEC) != 0 ? 1 : 0);
    char buf[8];
    Line("tcp_nonblocking.read_empty").ret(read(server, buf, sizeof buf));
    Line("tcp_nonblocking.poll_in_now").revents(wait_for(server, POLLIN, 0));
    close(s);
    close(server);
    close(listener);
}

void tcp_poll_select_epoll() {
    int client = -1, server = -1;
    Line("tcp_readiness.pair").kv("ok", tcp_pair(&client, &server) ? 1 : 0);
    Line("tcp_readiness.poll_idle").revents(wait_for(client, POLLIN | POLLOUT | POLLRDHUP, 0));
    Line("tcp_readiness.server_write").ret(write(server, "x", 1));
    Line("tcp_readiness.poll_data").revents(wait_for(client, POLLIN | POLLRDHUP));

    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(client, &readable);
    timeval tv{2, 0};
    int r = select(client + 1, &readable, nullptr, nullptr, &tv);
    Line("tcp_readiness.select").ret(r).kv("readable", FD_ISSET(client, &readable) ? 1 : 0);
    Line("tcp_readiness.read").data(read_exact(client, 1));

    // One epoll set holding a TCP socket and an AF_UNIX socket, both made readable.
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    Line("tcp_readiness.epoll_create").fd(ep);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = 1;
    Line("tcp_readiness.epoll_add_tcp").ret(epoll_ctl(ep, EPOLL_CTL_ADD, client, &ev));
    ev.data.u32 = 2;
    Line("tcp_readiness.epoll_add_unix").ret(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
    Line("tcp_readiness.epoll_add_twice").ret(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
    epoll_event got[4];
    Line("tcp_readiness.epoll_idle").ret(epoll_wait(ep, got, 4, 0));
    write(server, "y", 1);
    write(sv[1], "z", 1);
    std::vector<std::string> seen;
    for (int rounds = 0; seen.size() < 2 && rounds < 4; ++rounds) {
        int n = epoll_wait(ep, got, 4, kWaitMs);
        if (n <= 0) break;
        seen.clear();
        for (int i = 0; i < n; ++i)
            seen.push_back(std::string(got[i].data.u32 == 1 ? "tcp:" : "unix:") + poll_names(short(got[i].events)));
    }
    std::sort(seen.begin(), seen.end());
    std::string joined;
    for (const auto& s : seen) joined += (joined.empty() ? "" : ",") + s;
    Line("tcp_readiness.epoll_wait").kv("events", joined.empty() ? "none" : joined);
    Line("tcp_readiness.epoll_del").ret(epoll_ctl(ep, EPOLL_CTL_DEL, client, nullptr));
    Line("tcp_readiness.epoll_del_again").ret(epoll_ctl(ep, EPOLL_CTL_DEL, client, nullptr));
    close(ep);
    close(sv[0]);
    close(sv[1]);

    Line("tcp_readiness.server_shutdown_wr").ret(shutdown(server, SHUT_WR));
    read_exact(client, 1);  // the "y"
    Line("tcp_readiness.poll_fin").revents(wait_for(client, POLLIN | POLLRDHUP));
    close(client);
    close(server);
}

void tcp_reset() {
    int client = -1, server = -1;
    Line("tcp_reset.pair").kv("ok", tcp_pair(&client, &server) ? 1 : 0);
    linger abortive{1, 0};  // close() with a zero linger time sends RST
    Line("tcp_reset.linger").ret(setsockopt(server, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive));
    close(server);
    Line("tcp_reset.poll").revents(wait_for(client, POLLIN));
    char buf[8];
    Line("tcp_reset.read").ret(read(client, buf, sizeof buf));
    Line("tcp_reset.read_again").ret(read(client, buf, sizeof buf));
    Line("tcp_reset.send").ret(send(client, "x", 1, MSG_NOSIGNAL));
    close(client);
}

void tcp_across_fork() {
    // The child makes its own loopback connection to a listener the parent holds.
    uint16_t port = 0;
    int listener = loopback_listener(SOCK_STREAM, &port);
    Line("tcp_fork.listener").fd(listener);
    pid_t child = fork();
    if (child == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in to = loopback4(port);
        bool ok = connect(s, sa(to), sizeof to) == 0 && write(s, "child-tcp", 9) == 9;
        _exit(ok ? 0 : 1);
    }
    int server = accept(listener, nullptr, nullptr);
    Line("tcp_fork.accept").fd(server);
    Line("tcp_fork.read").data(read_exact(server, 9));
    int status = 0;
    waitpid(child, &status, 0);
    Line("tcp_fork.child").kv("exited", WIFEXITED(status) ? 1 : 0).kv("status", WEXITSTATUS(status));
    close(server);
    close(listener);
}

void tcp_dup() {
    int client = -1, server = -1;
    Line("tcp_dup.pair").kv("ok", tcp_pair(&client, &server) ? 1 : 0);
    int copy = dup(client);
    Line("tcp_dup.dup").fd(copy);
    close(client);
    Line("tcp_dup.write_via_dup").ret(write(copy, "dup", 3));
    Line("tcp_dup.read").data(read_exact(server, 3));
    Line("tcp_dup.dup2").ret(dup2(copy, 200));
    close(copy);
    Line("tcp_dup.write_via_dup2").ret(write(200, "two", 3));
    Line("tcp_dup.read2").data(read_exact(server, 3));
    Line("tcp_dup.so_type_dup2").kv("value", int_option(200, SOL_SOCKET, SO_TYPE));
    close(200);
    char buf[4];
    Line("tcp_dup.read_eof").ret(read(server, buf, sizeof buf));
    Line("tcp_dup.write_closed_fd").ret(write(200, "x", 1));
    close(server);
}

}  // namespace sockdiff

// IPv6 loopback, netlink, and the errors the kernel gives for bad arguments and options.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
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

std::string name_of(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    return getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0 ? "error:" + errno_name(errno)
                                                                        : describe(ss, len);
}

}  // namespace

void ipv6_loopback() {
    // Whether ::1 exists depends on the namespace, not on the preload; both runs share one.
    int listener = socket(AF_INET6, SOCK_STREAM, 0);
    Line("ipv6_loopback.socket").fd(listener);
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = in6addr_loopback;
    int r = bind(listener, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6);
    Line("ipv6_loopback.bind").ret(r);
    if (r < 0) {
        close(listener);
        return;
    }
    Line("ipv6_loopback.listen").ret(listen(listener, 4));
    Line("ipv6_loopback.name").kv("addr", name_of(listener));
    sin6.sin6_port = htons(local_port(listener));
    int client = socket(AF_INET6, SOCK_STREAM, 0);
    Line("ipv6_loopback.connect").ret(connect(client, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6));
    int server = accept(listener, nullptr, nullptr);
    Line("ipv6_loopback.accept").fd(server).kv("addr", name_of(server));
    Line("ipv6_loopback.write").ret(write(client, "six", 3));
    Line("ipv6_loopback.read").data(read_exact(server, 3));
    Line("ipv6_loopback.so_domain").kv("value", int_option(client, SOL_SOCKET, SO_DOMAIN));
    close(client);
    close(server);
    close(listener);
}

void netlink_route() {
    int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    Line("netlink.socket").fd(nl);
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    Line("netlink.bind").ret(bind(nl, reinterpret_cast<sockaddr*>(&local), sizeof local));
    Line("netlink.name").kv("addr", name_of(nl));
    Line("netlink.so_type").kv("value", int_option(nl, SOL_SOCKET, SO_TYPE));

    struct {
        nlmsghdr hdr;
        ifinfomsg ifi;
    } req{};
    req.hdr.nlmsg_len = sizeof req;
    req.hdr.nlmsg_type = RTM_GETLINK;
    req.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.hdr.nlmsg_seq = 1;
    req.ifi.ifi_family = AF_UNSPEC;
    Line("netlink.send_getlink").ret(send(nl, &req, sizeof req, 0));

    // Collect interface names until NLMSG_DONE; the namespace's link list is fixed during a run.
    std::vector<std::string> names;
    alignas(nlmsghdr) char buf[32768];
    bool done = false;
    while (!done && (wait_for(nl, POLLIN) & POLLIN)) {
        ssize_t n = recv(nl, buf, sizeof buf, 0);
        if (n <= 0) break;
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n)); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
                done = true;
                break;
            }
            if (h->nlmsg_type != RTM_NEWLINK) continue;
            auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(h));
            int attr_len = static_cast<int>(IFLA_PAYLOAD(h));
            for (auto* a = IFLA_RTA(ifi); RTA_OK(a, attr_len); a = RTA_NEXT(a, attr_len))
                if (a->rta_type == IFLA_IFNAME) names.emplace_back(static_cast<const char*>(RTA_DATA(a)));
        }
    }
    std::sort(names.begin(), names.end());
    std::string joined;
    for (const auto& nm : names) joined += (joined.empty() ? "" : ",") + nm;
    Line("netlink.getlink").kv("done", done ? 1 : 0).kv("links", joined);
    close(nl);
}

void socket_argument_errors() {
    Line("socket_args.bad_family").fd(socket(12345, SOCK_STREAM, 0));
    Line("socket_args.bad_type").fd(socket(AF_INET, 99, 0));
    Line("socket_args.stream_udp").fd(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
    Line("socket_args.dgram_tcp").fd(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));

    int s = socket(AF_INET, SOCK_STREAM, 0);
    Line("socket_args.fresh_name").kv("addr", name_of(s));
    sockaddr_in lo = loopback4(0);
    Line("socket_args.bind_short_len").ret(bind(s, reinterpret_cast<sockaddr*>(&lo), 3));
    sockaddr_in wrong = lo;
    wrong.sin_family = AF_UNIX;
    Line("socket_args.connect_wrong_family").ret(connect(s, reinterpret_cast<sockaddr*>(&wrong), sizeof wrong));
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    Line("socket_args.getpeername_unconnected").ret(getpeername(s, reinterpret_cast<sockaddr*>(&ss), &len));
    char buf[4];
    Line("socket_args.recv_unconnected").ret(recv(s, buf, sizeof buf, MSG_DONTWAIT));
    Line("socket_args.send_unconnected").ret(send(s, "x", 1, MSG_NOSIGNAL));
    Line("socket_args.shutdown_unconnected").ret(shutdown(s, SHUT_RDWR));
    Line("socket_args.bind_loopback").ret(bind(s, reinterpret_cast<sockaddr*>(&lo), sizeof lo));
    Line("socket_args.bind_twice").ret(bind(s, reinterpret_cast<sockaddr*>(&lo), sizeof lo));
    close(s);

    int pipe_fds[2];
    pipe(pipe_fds);
    int value = 0;
    socklen_t value_len = sizeof value;
    Line("socket_args.getsockopt_on_pipe").ret(getsockopt(pipe_fds[0], SOL_SOCKET, SO_TYPE, &value, &value_len));
    Line("socket_args.shutdown_on_pipe").ret(shutdown(pipe_fds[0], SHUT_RD));
    Line("socket_args.getsockopt_bad_fd").ret(getsockopt(-1, SOL_SOCKET, SO_TYPE, &value, &value_len));
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

void sockopt_errors() {
    // The same questions to a fresh TCP, UDP and AF_UNIX socket; a fresh AF_INET socket is one
    // the preload may still own, and it must answer as the kernel does.
    struct Kind {
        const char* name;
        int domain, type;
    };
    for (Kind k : {Kind{"tcp", AF_INET, SOCK_STREAM}, Kind{"udp", AF_INET, SOCK_DGRAM}, Kind{"unix", AF_UNIX, SOCK_STREAM}}) {
        const std::string p = std::string("sockopt.") + k.name + ".";
        int s = socket(k.domain, k.type, 0);
        int one = 1;
        Line(p + "so_type").kv("value", int_option(s, SOL_SOCKET, SO_TYPE));
        Line(p + "so_error").kv("value", int_option(s, SOL_SOCKET, SO_ERROR));
        Line(p + "so_domain").kv("value", int_option(s, SOL_SOCKET, SO_DOMAIN));
        Line(p + "so_reuseaddr_default").kv("value", int_option(s, SOL_SOCKET, SO_REUSEADDR));
        Line(p + "so_reuseaddr_set").ret(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
        Line(p + "so_reuseaddr_get").kv("value", int_option(s, SOL_SOCKET, SO_REUSEADDR));
        Line(p + "so_reuseaddr_short").ret(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, 1));
        Line(p + "bogus_sol_socket").ret(setsockopt(s, SOL_SOCKET, 12345, &one, sizeof one));
        Line(p + "bogus_ipproto_ip").ret(setsockopt(s, IPPROTO_IP, 12345, &one, sizeof one));
        Line(p + "bogus_ipproto_tcp").ret(setsockopt(s, IPPROTO_TCP, 12345, &one, sizeof one));
        Line(p + "bogus_level").ret(setsockopt(s, 12345, 1, &one, sizeof one));
        int value = 0;
        socklen_t len = sizeof value;
        Line(p + "getsockopt_bogus").ret(getsockopt(s, SOL_SOCKET, 12345, &value, &len));
        Line(p + "tcp_nodelay_set").ret(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
        Line(p + "null_optval").ret(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, nullptr, sizeof one));
        Line(p + "o_nonblock").ret(fcntl(s, F_SETFL, O_NONBLOCK)).kv("flag", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0 ? 1 : 0);
        close(s);
    }
}

}  // namespace sockdiff

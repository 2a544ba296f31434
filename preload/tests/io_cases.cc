// io_cases ADDRESS PORT: data-path calls whose results a program can see, printed for a
// kernel-vs-preload diff. Needs a TCP echo server at ADDRESS:PORT and a UDP echo server at
// ADDRESS:PORT+1.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace {

sockaddr_in g_tcp{};
sockaddr_in g_udp{};

void die(const char* what) {
    std::printf("FATAL %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

void report(const char* label, long r) { std::printf("%s: %ld %s\n", label, r, r < 0 ? strerrorname_np(errno) : ""); }

int connect_to(const sockaddr_in& a, int type) {
    int fd = socket(AF_INET, type, 0);
    if (fd < 0) die("socket");
    if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) die("connect");
    return fd;
}

// Waits until fd has at least n bytes to read (the echo is back).
void wait_bytes(int fd, int n) {
    for (int i = 0; i < 300; ++i) {
        int q = 0;
        ioctl(fd, SIOCINQ, &q);
        if (q >= n) return;
        pollfd pf{fd, POLLIN, 0};
        poll(&pf, 1, 10);
    }
    std::printf("timed out waiting for %d bytes\n", n);
}

int int_opt(int fd, int level, int name) {
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, name, &v, &len) != 0) return -errno;
    return v;
}

void case_options() {
    std::printf("== options\n");
    int s = connect_to(g_tcp, SOCK_STREAM);
    std::printf("SO_DOMAIN %d SO_TYPE %d SO_PROTOCOL %d SO_ACCEPTCONN %d\n", int_opt(s, SOL_SOCKET, SO_DOMAIN),
                int_opt(s, SOL_SOCKET, SO_TYPE), int_opt(s, SOL_SOCKET, SO_PROTOCOL), int_opt(s, SOL_SOCKET, SO_ACCEPTCONN));
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::printf("TCP_NODELAY after set: %d\n", int_opt(s, IPPROTO_TCP, TCP_NODELAY) != 0);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    bind(l, reinterpret_cast<sockaddr*>(&any), sizeof any);
    listen(l, 4);
    std::printf("listener SO_ACCEPTCONN %d\n", int_opt(l, SOL_SOCKET, SO_ACCEPTCONN));
    int fresh = socket(AF_INET, SOCK_STREAM, 0);
    for (auto [name, fd] : {std::pair{"connected", s}, std::pair{"listening", l}, std::pair{"fresh", fresh}}) {
        tcp_info ti{};
        socklen_t len = sizeof ti;
        const int r = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
        std::printf("TCP_INFO %s: %d state %d full length %s\n", name, r, ti.tcpi_state, len == sizeof ti ? "yes" : "no");
    }
    close(fresh);
    int q = -1;
    report("SIOCINQ on a listener", ioctl(l, SIOCINQ, &q));
    close(l);
    close(s);
}

void case_peek_and_waitall() {
    std::printf("== MSG_PEEK, MSG_WAITALL, SIOCINQ, SIOCOUTQ\n");
    int s = connect_to(g_tcp, SOCK_STREAM);
    send(s, "abcdef", 6, 0);
    wait_bytes(s, 6);
    int q = 0;
    ioctl(s, SIOCINQ, &q);
    std::printf("SIOCINQ %d\n", q);
    char buf[16] = {};
    report("peek 4", recv(s, buf, 4, MSG_PEEK));
    std::printf("peeked %.4s\n", buf);
    report("read 2", recv(s, buf, 2, 0));
    std::printf("read %.2s\n", buf);
    // MSG_WAITALL for 8 with 4 queued: the rest comes after a second send.
    send(s, "ghij", 4, 0);
    report("waitall 8", recv(s, buf, 8, MSG_WAITALL));
    std::printf("got %.8s\n", buf);
    wait_bytes(s, 0);
    ioctl(s, SIOCOUTQ, &q);
    std::printf("SIOCOUTQ settles to 0: %s\n", q >= 0 ? "yes" : "no");
    report("nonblocking recv on empty", recv(s, buf, 1, MSG_DONTWAIT));
    close(s);
}

void case_rcvlowat() {
    std::printf("== SO_RCVLOWAT\n");
    int s = connect_to(g_tcp, SOCK_STREAM);
    int five = 5;
    report("set SO_RCVLOWAT 5", setsockopt(s, SOL_SOCKET, SO_RCVLOWAT, &five, sizeof five));
    std::printf("SO_RCVLOWAT %d\n", int_opt(s, SOL_SOCKET, SO_RCVLOWAT));
    send(s, "abc", 3, 0);
    wait_bytes(s, 3);
    pollfd pf{s, POLLIN, 0};
    report("poll with 3 of 5 bytes", poll(&pf, 1, 200));
    send(s, "de", 2, 0);
    pf.revents = 0;
    report("poll with 5 of 5 bytes", poll(&pf, 1, 3000));
    char buf[16];
    report("recv", recv(s, buf, sizeof buf, 0));
    send(s, "fg", 2, 0);
    wait_bytes(s, 2);
    report("nonblocking recv below the mark", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    close(s);
}

void case_shutdown() {
    std::printf("== shutdown\n");
    int s = connect_to(g_tcp, SOCK_STREAM);
    report("shutdown bad how", shutdown(s, 7));
    report("shutdown SHUT_WR", shutdown(s, SHUT_WR));
    report("send after SHUT_WR", send(s, "x", 1, MSG_NOSIGNAL));
    char c;
    report("recv sees the echo's FIN", recv(s, &c, 1, 0));
    close(s);
    int u = socket(AF_INET, SOCK_STREAM, 0);
    report("shutdown unconnected", shutdown(u, SHUT_RDWR));
    close(u);
}

void case_sendfile() {
    std::printf("== sendfile\n");
    char path[] = "/tmp/io_cases.XXXXXX";
    int file = mkstemp(path);
    if (file < 0) die("mkstemp");
    unlink(path);
    std::string data;
    for (int i = 0; i < 20000; ++i) data += static_cast<char>('a' + i % 26);
    if (write(file, data.data(), data.size()) != static_cast<ssize_t>(data.size())) die("write");
    int s = connect_to(g_tcp, SOCK_STREAM);
    off_t off = 100;
    report("sendfile 5000 from 100", sendfile(s, file, &off, 5000));
    std::printf("offset now %ld\n", static_cast<long>(off));
    lseek(file, 19990, SEEK_SET);
    report("sendfile past the end (position)", sendfile(s, file, nullptr, 100));
    std::printf("file position now %ld\n", static_cast<long>(lseek(file, 0, SEEK_CUR)));
    std::string got(5010, '\0');
    report("echoed", recv(s, got.data(), got.size(), MSG_WAITALL));
    std::printf("content matches: %s\n", got == data.substr(100, 5000) + data.substr(19990, 10) ? "yes" : "no");
    off = 0;
    report("sendfile from a socket", sendfile(file, s, &off, 10));
    close(s);
    close(file);
}

void case_mmsg() {
    std::printf("== sendmmsg, recvmmsg (UDP)\n");
    int u = connect_to(g_udp, SOCK_DGRAM);
    char out[3][8] = {"one", "two!", "three"};
    mmsghdr msgs[3] = {};
    iovec iov[3];
    for (int i = 0; i < 3; ++i) {
        iov[i] = {out[i], std::strlen(out[i])};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    report("sendmmsg", sendmmsg(u, msgs, 3, 0));
    std::printf("lengths %u %u %u\n", msgs[0].msg_len, msgs[1].msg_len, msgs[2].msg_len);
    char in[3][16] = {};
    mmsghdr rmsgs[3] = {};
    iovec riov[3];
    for (int i = 0; i < 3; ++i) {
        riov[i] = {in[i], sizeof in[i]};
        rmsgs[i].msg_hdr.msg_iov = &riov[i];
        rmsgs[i].msg_hdr.msg_iovlen = 1;
    }
    int total = 0;
    for (int tries = 0; tries < 50 && total < 3; ++tries) {
        pollfd pf{u, POLLIN, 0};
        poll(&pf, 1, 100);
        int r = recvmmsg(u, rmsgs + total, 3 - total, MSG_DONTWAIT, nullptr);
        if (r > 0) total += r;
    }
    // Sorted: the echo server forks a child per datagram, so the replies' order is its
    // scheduler's, not the stack's (it differed between two kernel runs).
    std::vector<std::string> got;
    for (int i = 0; i < total; ++i) got.emplace_back(in[i], rmsgs[i].msg_len);
    std::sort(got.begin(), got.end());
    std::printf("received %d:", total);
    for (const std::string& g : got) std::printf(" %s", g.c_str());
    std::printf("\n");
    report("recvmmsg on empty, nonblocking", recvmmsg(u, rmsgs, 3, MSG_DONTWAIT, nullptr));
    close(u);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: io_cases ADDRESS PORT\n");
        return 2;
    }
    setvbuf(stdout, nullptr, _IOLBF, 0);
    const int port = std::atoi(argv[2]);
    for (sockaddr_in* a : {&g_tcp, &g_udp}) {
        a->sin_family = AF_INET;
        if (inet_pton(AF_INET, argv[1], &a->sin_addr) != 1) return 2;
    }
    g_tcp.sin_port = htons(static_cast<uint16_t>(port));
    g_udp.sin_port = htons(static_cast<uint16_t>(port + 1));
    case_options();
    case_peek_and_waitall();
    case_rcvlowat();
    case_shutdown();
    case_sendfile();
    case_mmsg();
    std::printf("done\n");
    return 0;
}

// AF_UNIX cases: the preload must pass these straight to the kernel.
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>

#include "cases.h"
#include "report.h"
#include "util.h"

namespace sockdiff {

void unix_stream_pair() {
    int sv[2];
    Line("unix_stream_pair.socketpair").ret(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    Line("unix_stream_pair.write").ret(write(sv[0], "ping", 4));
    Line("unix_stream_pair.read").data(read_exact(sv[1], 4));
    Line("unix_stream_pair.shutdown_wr").ret(shutdown(sv[0], SHUT_WR));
    char buf[16];
    Line("unix_stream_pair.read_eof").ret(read(sv[1], buf, sizeof buf));
    Line("unix_stream_pair.write_back").ret(write(sv[1], "pong", 4));  // the other direction stays open
    Line("unix_stream_pair.read_back").data(read_exact(sv[0], 4));
    close(sv[0]);
    Line("unix_stream_pair.send_to_closed").ret(send(sv[1], "x", 1, MSG_NOSIGNAL));
    Line("unix_stream_pair.so_type").kv("value", int_option(sv[1], SOL_SOCKET, SO_TYPE));
    close(sv[1]);
}

void unix_dgram_pair() {
    int sv[2];
    Line("unix_dgram_pair.socketpair").ret(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    Line("unix_dgram_pair.send_one").ret(send(sv[0], "one", 3, 0));
    Line("unix_dgram_pair.send_two").ret(send(sv[0], "two", 3, 0));
    char buf[64];
    ssize_t n = recv(sv[1], buf, sizeof buf, 0);
    Line("unix_dgram_pair.recv_one").ret(n).data({buf, n > 0 ? size_t(n) : 0});
    n = recv(sv[1], buf, sizeof buf, 0);
    Line("unix_dgram_pair.recv_two").ret(n).data({buf, n > 0 ? size_t(n) : 0});
    Line("unix_dgram_pair.recv_empty").ret(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));

    Line("unix_dgram_pair.send_long").ret(send(sv[0], "truncate-me", 11, 0));
    iovec iov{buf, 4};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    n = recvmsg(sv[1], &msg, 0);
    Line("unix_dgram_pair.recvmsg_short")
        .ret(n)
        .data({buf, n > 0 ? size_t(n) : 0})
        .kv("msg_trunc", (msg.msg_flags & MSG_TRUNC) != 0 ? 1 : 0);
    Line("unix_dgram_pair.so_type").kv("value", int_option(sv[0], SOL_SOCKET, SO_TYPE));
    close(sv[0]);
    close(sv[1]);
}

void unix_abstract_listener() {
    sockaddr_un name{};
    name.sun_family = AF_UNIX;
    // Abstract names start with NUL; the pid keeps concurrent runs apart and is never printed.
    int path_len = std::snprintf(name.sun_path + 1, sizeof name.sun_path - 1, "ustack-sockdiff-%d", getpid());
    const socklen_t name_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + path_len);

    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    Line("unix_abstract.socket").fd(listener);
    Line("unix_abstract.bind").ret(bind(listener, reinterpret_cast<sockaddr*>(&name), name_len));
    Line("unix_abstract.listen").ret(listen(listener, 4));
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int r = getsockname(listener, reinterpret_cast<sockaddr*>(&ss), &len);
    Line("unix_abstract.getsockname")
        .ret(r)
        .kv("addr", describe(ss, len))
        .kv("same_name", len == name_len && std::memcmp(&ss, &name, name_len) == 0 ? 1 : 0);

    int client = socket(AF_UNIX, SOCK_STREAM, 0);
    Line("unix_abstract.connect").ret(connect(client, reinterpret_cast<sockaddr*>(&name), name_len));
    int server = accept(listener, nullptr, nullptr);
    Line("unix_abstract.accept").fd(server);
    len = sizeof ss;
    r = getpeername(server, reinterpret_cast<sockaddr*>(&ss), &len);
    Line("unix_abstract.server_getpeername").ret(r).kv("addr", describe(ss, len));
    len = sizeof ss;
    r = getpeername(client, reinterpret_cast<sockaddr*>(&ss), &len);
    Line("unix_abstract.client_getpeername").ret(r).kv("addr", describe(ss, len));

    ucred cred{};
    socklen_t cred_len = sizeof cred;
    r = getsockopt(server, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len);
    Line("unix_abstract.peercred").ret(r).kv("pid_is_self", cred.pid == getpid() ? 1 : 0);

    Line("unix_abstract.client_write").ret(write(client, "abstract", 8));
    Line("unix_abstract.server_read").data(read_exact(server, 8));
    Line("unix_abstract.server_write").ret(write(server, "reply", 5));
    Line("unix_abstract.client_read").data(read_exact(client, 5));
    close(client);
    close(server);
    close(listener);

    // Nobody listens on the name any more.
    client = socket(AF_UNIX, SOCK_STREAM, 0);
    Line("unix_abstract.connect_closed").ret(connect(client, reinterpret_cast<sockaddr*>(&name), name_len));
    close(client);

    sockaddr_un missing{};
    missing.sun_family = AF_UNIX;
    std::strcpy(missing.sun_path, "/nonexistent-ustack-dir/sock");
    client = socket(AF_UNIX, SOCK_STREAM, 0);
    Line("unix_path.connect_missing").ret(connect(client, reinterpret_cast<sockaddr*>(&missing), sizeof missing));
    close(client);
}

void unix_scm_rights() {
    // Pass a connected loopback TCP socket over AF_UNIX and use the received copy.
    int sv[2];
    Line("unix_scm_rights.socketpair").ret(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int client = -1, server = -1;
    Line("unix_scm_rights.tcp_pair").kv("ok", tcp_pair(&client, &server) ? 1 : 0);

    char byte = 'F';
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cm), &client, sizeof(int));
    Line("unix_scm_rights.sendmsg").ret(sendmsg(sv[0], &msg, 0));
    close(client);

    char got_byte = 0;
    iovec riov{&got_byte, 1};
    alignas(cmsghdr) char rcontrol[CMSG_SPACE(sizeof(int))] = {};
    msghdr rmsg{};
    rmsg.msg_iov = &riov;
    rmsg.msg_iovlen = 1;
    rmsg.msg_control = rcontrol;
    rmsg.msg_controllen = sizeof rcontrol;
    ssize_t n = recvmsg(sv[1], &rmsg, 0);
    int received = -1;
    cmsghdr* rcm = CMSG_FIRSTHDR(&rmsg);
    if (n > 0 && rcm != nullptr && rcm->cmsg_type == SCM_RIGHTS) std::memcpy(&received, CMSG_DATA(rcm), sizeof(int));
    Line("unix_scm_rights.recvmsg").ret(n).data({&got_byte, 1}).kv("got_fd", received >= 0 ? 1 : 0);
    Line("unix_scm_rights.so_type").kv("value", int_option(received, SOL_SOCKET, SO_TYPE));
    Line("unix_scm_rights.write_via_copy").ret(write(received, "passed", 6));
    Line("unix_scm_rights.server_read").data(read_exact(server, 6));
    close(received);
    close(server);
    close(sv[0]);
    close(sv[1]);
}

void unix_across_fork() {
    int sv[2];
    Line("unix_fork.socketpair").ret(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    pid_t child = fork();
    if (child == 0) {
        close(sv[0]);
        ssize_t n = write(sv[1], "from-child", 10);
        _exit(n == 10 ? 0 : 1);
    }
    close(sv[1]);
    Line("unix_fork.read").data(read_exact(sv[0], 10));
    int status = 0;
    waitpid(child, &status, 0);
    Line("unix_fork.child").kv("exited", WIFEXITED(status) ? 1 : 0).kv("status", WEXITSTATUS(status));
    close(sv[0]);
}

}  // namespace sockdiff

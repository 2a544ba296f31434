// Socket lifecycle, options and fd duplication for stack sockets.
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include <atomic>
#include <cstring>
#include <string_view>
#include <utility>

#include "preload/calls.h"
#include "preload/calls_internal.h"
#include "preload/epoll.h"
#include "preload/idle_socket.h"
#include "preload/inherited_options.h"
#include "preload/kernel_listener.h"
#include "preload/log.h"
#include "preload/real.h"
#include "preload/runtime.h"
#include "preload/signals.h"
#include "preload/sockaddr.h"

namespace ustack::preload::calls {

namespace {
// The kernel's default IP_MTU_DISCOVER for a new socket (inet_create): DONT when the
// net.ipv4.ip_no_pmtu_disc sysctl is set, else WANT. Read once, in this process's namespace.
PmtuDiscovery kernel_default_pmtu_discovery() {
    static const PmtuDiscovery mode = [] {
        char c = '0';
        const int fd = ::open("/proc/sys/net/ipv4/ip_no_pmtu_disc", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (real::read(fd, &c, 1) != 1) c = '0';
            real::close(fd);
        }
        return c == '0' ? PmtuDiscovery::kWant : PmtuDiscovery::kDont;
    }();
    return mode;
}
}  // namespace

long socket(int domain, int type, int protocol) {
    const int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    const bool tcp = base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP);
    const bool udp = base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP);
    if (domain != AF_INET || !(tcp || udp)) return kPassToKernel;
    Runtime& rt = Runtime::instance();
    if (!rt.stack_available()) return kPassToKernel;

    // The kernel socket of the same family and type: it holds the fd number, takes every
    // option first, and becomes the socket if it is handed to the kernel.
    const int fd = real::socket(domain, type, protocol);
    if (fd < 0) return -errno;
    if (!rt.fds().fits(fd)) return fd;
    const PmtuDiscovery pmtu_default = kernel_default_pmtu_discovery();

    StackLock l(rt);
    const int id = l.stack().socket(tcp ? SocketKind::kTcp : SocketKind::kUdp);
    if (id < 0) {
        USTACK_LOG_DEBUG("stack refused a socket (%s); fd %d is a kernel socket", strerrordesc_np(-id), fd);
        return fd;
    }
    auto* f = new SocketFile;
    f->sock = id;
    f->kind = tcp ? SocketKind::kTcp : SocketKind::kUdp;
    f->type = base;
    f->fd_refs = 1;
    f->nonblocking = (type & SOCK_NONBLOCK) != 0;
    f->options = l.stack().get_options(id);
    if (f->options.pmtu_discovery != pmtu_default) {
        f->options.pmtu_discovery = pmtu_default;
        l.stack().set_options(id, f->options);
    }
    rt.fds().exchange(fd, f);
    USTACK_LOG_DEBUG("fd %d: stack %s socket %d", fd, tcp ? "TCP" : "UDP", id);
    return fd;
}

// Moves a stack socket to the kernel: the stack socket is closed and every fd that shared
// it becomes a plain kernel fd (its kernel socket already carries every option we were
// given). Must not be called while another thread is blocked on the socket: such a thread
// wakes, finds the fd no longer a stack fd, and fails with EBADF.
void hand_over(StackLock& l, int fd, SocketFile* f) {
    Runtime& rt = l.runtime();
    (void)idle_socket::own(l, fd, f);  // renew() gave it its own; this is only a safeguard
    if (f->watchers != nullptr) epoll::file_handed_over(f);
    kernel_listener::release(f);  // the kernel socket itself stays, listening if it was
    if (f->fd_refs == 1) {
        rt.fds().exchange(fd, nullptr);
    } else {  // dup'ed: find the others (a scan of the table; rare)
        rt.fds().for_each([&](int other, SocketFile* e) {
            if (e == f) rt.fds().exchange(other, nullptr);
        });
    }
    if (f->sock > 0) l.stack().close(f->sock, l.now());
    f->sock = 0;
    f->fd_refs = 0;
    if (f->pins == 0) delete f;
}

namespace {
// Replaces f's stack socket by a fresh one with the same options, bound again where the
// program bound it (the kernel keeps a bind() the program made across a disconnect): how a
// listener stops listening and how connect(AF_UNSPEC) dissolves an association, which the
// stack has no call for. With reset_first, a TCP connection is aborted with RST (as
// tcp_disconnect does). Threads blocked on the old socket wake and look again.
int renew(StackLock& l, int fd, SocketFile* f, bool reset_first) {
    Stack& s = l.stack();
    // A fresh socket may bind, listen or move to the kernel: its kernel socket must be its own.
    if (int r = idle_socket::own(l, fd, f); r < 0) return r;
    kernel_listener::stop(fd, f);
    const SocketOptions kept = f->options;
    if (reset_first && f->kind == SocketKind::kTcp) {
        SocketOptions abort = kept;
        abort.linger = true;
        abort.linger_s = 0;
        s.set_options(f->sock, abort);
    }
    s.close(f->sock, l.now());
    const int id = s.socket(f->kind);
    if (id < 0) {
        f->sock = 0;  // every later call fails with EBADF, as for a socket the stack lost
        return id;
    }
    f->sock = id;
    f->listening = false;
    s.set_options(id, kept);
    if (f->bound && s.bind(id, f->bound_to) != 0) f->bound = false;  // the port went to another socket meanwhile
    return 0;
}

// The outcome of a blocking connect whose handshake ended. The kernel's connecting thread
// wakes on the SYN-ACK: a connection that got that far reports success even if an RST came
// right after (its error stays for the next call; an established connection's reset is
// ECONNRESET or EPIPE, a refused handshake's ECONNREFUSED). A handshake that failed leaves
// the socket fresh, as inet_stream_connect disconnects it (recv then gives ENOTCONN).
int finish_blocking_connect(StackLock& l, int fd, SocketFile* f) {
    const int pending = l.stack().pending_error(f->sock);
    if (pending == 0 || pending == ECONNRESET || pending == EPIPE) return 0;
    const int err = l.stack().take_error(f->sock);
    renew(l, fd, f, /*reset_first=*/false);
    return -err;
}
}  // namespace

long connect(int fd, const sockaddr* addr, socklen_t len) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) return forked_child_error(fd);
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;
    // AF_UNSPEC dissolves the association (inet_stream_connect, inet_dgram_connect): the
    // kernel socket is told too, as it answers getpeername-like questions for nothing here.
    if (addr != nullptr && static_cast<int>(len) >= static_cast<int>(sizeof(sa_family_t)) && addr->sa_family == AF_UNSPEC) {
        return renew(l, fd, f, /*reset_first=*/true);
    }
    Endpoint remote;
    if (int r = endpoint_from_sockaddr(addr, len, AddrUse::kConnect, &remote); r != 0) return r;

    if (!l.stack().routes(remote.addr)) {
        // Loopback, or no route: the kernel's. A socket bound on the stack can follow only if
        // it was bound to the wildcard address; the port comes along.
        if (f->bound && !f->bound_to.addr.is_unspecified()) return -ENETUNREACH;
        const uint16_t port = f->bound ? f->bound_to.port : 0;
        USTACK_LOG_DEBUG("fd %d: connect to %s is not routed by the stack; handing the socket to the kernel",
                         fd, remote.addr.to_string().c_str());
        hand_over(l, fd, f);
        if (port != 0) {
            sockaddr_in any = to_sockaddr_in(Endpoint{wire::Ipv4Addr::any(), port});
            if (real::bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0) return -errno;
        }
        return kPassToKernel;
    }

    int r = l.stack().connect(f->sock, remote, l.now());
    if (f->kind == SocketKind::kUdp) return r;
    if (r == -EISCONN && f->connect_pending) {
        // The first connect() after a handshake it left running completed: 0, then EISCONN
        // (__inet_stream_connect moves the socket to SS_CONNECTED only here).
        f->connect_pending = false;
        return 0;
    }
    if (r != -EALREADY) f->connect_pending = r == -EINPROGRESS;
    if (r != -EINPROGRESS) return r;
    if (f->nonblocking) return -EINPROGRESS;

    // A blocking connect: wait for the handshake's outcome.
    Pin pin(f);
    const auto deadline = deadline_after(l.now(), f->sndtimeo);
    for (;;) {
        const uint32_t ev = l.stack().poll_events(f->sock);
        if (ev & (readiness::kOut | readiness::kErr | readiness::kHup)) {
            f->connect_pending = false;
            return finish_blocking_connect(l, fd, f);
        }
        const int w = l.wait(deadline);
        if (l.file(fd) != f || f->sock == 0) return -EBADF;
        if (w == -ETIMEDOUT) return -EINPROGRESS;  // as the kernel does on SO_SNDTIMEO
        if (w == -EINTR && signals::restart(f->sndtimeo)) continue;  // the restarted connect waits on
        if (w < 0) return w;
    }
}

long bind(int fd, const sockaddr* addr, socklen_t len) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) return forked_child_error(fd);
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;
    Endpoint local;
    if (int r = endpoint_from_sockaddr(addr, len, AddrUse::kBind, &local); r != 0) return r;
    if (local.addr.is_unspecified() || l.stack().is_local_address(local.addr)) {
        int r = l.stack().bind(f->sock, local);
        if (r == 0) {
            f->bound = true;
            f->bound_to = local;
            Endpoint actual;
            if (l.stack().local_endpoint(f->sock, &actual) == 0) f->bound_to.port = actual.port;
        }
        return r;
    }
    // Loopback or another address of the host's: the kernel serves it.
    USTACK_LOG_DEBUG("fd %d: bind to %s is not the stack's address; handing the socket to the kernel",
                     fd, local.addr.to_string().c_str());
    hand_over(l, fd, f);
    return kPassToKernel;
}

long listen(int fd, int backlog) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) return forked_child_error(fd);
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;
    int r = l.stack().listen(f->sock, backlog);
    if (r == 0) {
        f->listening = true;
        kernel_listener::start(l, fd, f, backlog);
    }
    return r;
}

namespace {
// What an accepted socket takes from its listener (inherited_options.h): the options the
// program set on the listener, copied kernel socket to kernel socket (only those, so a plain
// listener costs no system call), and the preload's own per-socket settings.
void inherit_options(int lfd, const SocketFile* lf, int nfd, SocketFile* nf) {
    nf->rcvtimeo = lf->rcvtimeo;
    nf->sndtimeo = lf->sndtimeo;
    nf->rcvlowat = lf->rcvlowat;
    nf->inheritable_set = lf->inheritable_set;
    for (uint32_t bits = lf->inheritable_set; bits != 0; bits &= bits - 1) {
        const options::Inherited& o = options::kInherited[__builtin_ctz(bits)];
        alignas(8) unsigned char v[64];
        socklen_t n = sizeof v;
        if (real::getsockopt(lfd, o.level, o.name, v, &n) != 0) continue;
        if (o.level == SOL_SOCKET && (o.name == SO_RCVBUF || o.name == SO_SNDBUF) && n == sizeof(int)) {
            int half;  // the kernel reports twice what was set; setting it doubles again
            std::memcpy(&half, v, sizeof half);
            half /= 2;
            std::memcpy(v, &half, sizeof half);
        }
        real::setsockopt(nfd, o.level, o.name, v, n);
    }
}
}  // namespace

long accept(int fd, sockaddr* addr, socklen_t* len, int flags) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) return forked_child_error(fd);
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
    if (addr != nullptr && len == nullptr) return -EFAULT;
    if (addr != nullptr && static_cast<int>(*len) < 0) return -EINVAL;
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;
    Pin pin(f);
    const auto deadline = deadline_after(l.now(), f->rcvtimeo);
    for (;;) {
        Endpoint peer;
        const int id = l.stack().accept(f->sock, &peer, l.now());
        if (f->watchers != nullptr) epoll::received(f, 0, l.stack().poll_events(f->sock) & readiness::kIn);
        if (id >= 0) {
            // Options inherited from the listener live on a kernel socket of the connection's
            // own; otherwise a duplicate of the shared idle socket will do (idle_socket.h).
            const bool own_socket = f->inheritable_set != 0;
            int nfd = own_socket ? real::socket(AF_INET, SOCK_STREAM | flags, 0)
                                 : idle_socket::attach_shared(l, flags & SOCK_NONBLOCK, flags & SOCK_CLOEXEC);
            if (own_socket && nfd < 0) nfd = -errno;
            if (nfd < 0 || !rt.fds().fits(nfd)) {
                if (nfd >= 0) real::close(nfd);
                l.stack().close(id, l.now());  // the connection is lost, as when the kernel fails to allocate
                return nfd < 0 ? nfd : -EMFILE;
            }
            auto* nf = new SocketFile;
            nf->sock = id;
            nf->kind = SocketKind::kTcp;
            nf->type = SOCK_STREAM;
            nf->fd_refs = 1;
            nf->nonblocking = (flags & SOCK_NONBLOCK) != 0;
            nf->shares_idle_socket = !own_socket;
            nf->options = l.stack().get_options(id);
            inherit_options(fd, f, nfd, nf);
            rt.fds().exchange(nfd, nf);
            endpoint_to_sockaddr(peer, addr, len);
            return nfd;
        }
        if (id == -EAGAIN) {  // the kernel half's queue (kernel_listener.h)
            if (const long k = kernel_listener::accept(f, addr, len, flags); k != -EAGAIN) return k;
        }
        if (id != -EAGAIN || f->nonblocking) return id;
        // Sleeps on the kernel half too ([1] is the waiter's slot).
        pollfd kernel_half[2] = {{f->kernel_listener, POLLIN, 0}, {}};
        const int w = kernel_half[0].fd >= 0 ? l.wait(kernel_half, 1, deadline) : l.wait(deadline);
        if (l.file(fd) != f || f->sock == 0) return -EBADF;
        if (w == -ETIMEDOUT) return -EAGAIN;
        if (w == -EINTR && signals::restart(f->rcvtimeo)) continue;
        if (w < 0) return w;
    }
}

long shutdown(int fd, int how) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) return forked_child_error(fd);
    if (how < SHUT_RD || how > SHUT_RDWR) return -EINVAL;
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;
    if (f->listening) {
        // inet_shutdown: SHUT_WR leaves a listener alone; reading shut stops listening (the
        // pending connections are reset) and the socket is as after bind().
        if (how == SHUT_WR) return 0;
        return renew(l, fd, f, /*reset_first=*/false);
    }
    return l.stack().shutdown(f->sock, how, l.now());
}

namespace {
// SO_LINGER with a timeout: the last close of a TCP connection sends its FIN and waits until
// everything is acknowledged or the time is up (tcp_close -> sk_stream_wait_close), whether
// or not the socket is non-blocking. With unread data the stack resets at once instead, so
// there is nothing to wait for. A signal ends the wait early, as in the kernel.
void linger_on_close(StackLock& l, int fd, SocketFile* f) {
    Stack& s = l.stack();
    if (f->kind != SocketKind::kTcp || f->listening || s.recv_queue_bytes(f->sock) > 0) return;
    Endpoint peer;
    if (s.remote_endpoint(f->sock, &peer) != 0) return;
    s.shutdown(f->sock, SHUT_WR, l.now());
    Pin pin(f);
    const auto deadline = deadline_after(l.now(), seconds(f->options.linger_s));
    for (;;) {
        SocketInfo si;
        if (s.socket_info(f->sock, &si) != 0) return;
        const std::string_view st = si.state;
        if (st != "FIN-WAIT-1" && st != "CLOSING" && st != "LAST-ACK" && st != "ESTABLISHED" && st != "CLOSE-WAIT") return;
        if (l.wait(deadline) != 0 || l.file(fd) != f || f->sock == 0) return;
    }
}
}  // namespace

long close(int fd) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) {
        // Fork child: forget the parent's socket here; the parent's stack is untouched.
        rt.fds().exchange(fd, nullptr);
        return kPassToKernel;
    }
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;
    if (f->fd_refs == 1 && f->options.linger && f->options.linger_s > 0) linger_on_close(l, fd, f);
    if (l.file(fd) != f) return kPassToKernel;  // closed or handed over while we waited
    rt.fds().exchange(fd, nullptr);
    rt.release_file(f, l.now());
    // Still under the lock: the number must not be reused by another thread's socket()
    // before the table entry is cleared (it is now), and the kernel close is quick (the
    // kernel socket is never connected).
    return real::close(fd) == 0 ? 0 : -errno;
}

namespace {
// Records newfd as another fd of f (after the real dup made it).
long share(StackLock* l, int newfd, SocketFile* f) {
    Runtime& rt = Runtime::instance();
    if (!rt.fds().fits(newfd)) {
        real::close(newfd);
        return -EMFILE;
    }
    SocketFile* prev = rt.fds().exchange(newfd, f);
    if (l != nullptr) {
        ++f->fd_refs;
        if (prev != nullptr && prev != kInternalFd) rt.release_file(prev, l->now());
    }
    return newfd;
}
}  // namespace

long dup(int fd) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) {
        SocketFile* f = rt.peek(fd);
        int n = real::dup(fd);
        if (n < 0) return -errno;
        return f ? share(nullptr, n, f) : n;
    }
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;
    int n = real::dup(fd);
    if (n < 0) return -errno;
    return share(&l, n, f);
}

long dup3(int oldfd, int newfd, int flags, bool is_dup2) {
    Runtime& rt = Runtime::instance();
    if (rt.is_internal(newfd)) {
        USTACK_LOG_WARN("the program dup%s'ed fd %d onto fd %d, which ustack uses for its device or timers; refused with EBUSY",
                        is_dup2 ? "2" : "3", oldfd, newfd);
        return -EBUSY;
    }
    auto real_dup = [&]() -> int { return is_dup2 ? real::dup2(oldfd, newfd) : real::dup3(oldfd, newfd, flags); };
    if (rt.mode() != Mode::kActive) {
        SocketFile* f = rt.peek(oldfd);
        int n = real_dup();
        if (n < 0) return -errno;
        if (oldfd == newfd) return n;
        rt.fds().exchange(newfd, f);  // the child drops the parent's socket without touching the stack
        return n;
    }
    StackLock l(rt);
    SocketFile* f = l.file(oldfd);
    SocketFile* g = l.file(newfd);
    if (f == nullptr && g == nullptr) return kPassToKernel;
    int n = real_dup();
    if (n < 0) return -errno;
    if (oldfd == newfd) return n;
    if (f != nullptr) return share(&l, n, f);
    rt.fds().exchange(newfd, nullptr);
    rt.release_file(g, l.now());
    return n;
}

namespace {
// fcntl commands that read, or change only the fd (not the open file description or the
// socket), so a shared idle socket serves them as well as a socket of its own.
bool fcntl_leaves_kernel_side(int cmd) {
    switch (cmd) {
        case F_GETFD: case F_SETFD: case F_GETFL: case F_GETOWN: case F_GETOWN_EX: case F_GETSIG:
        case F_GETLK: case F_OFD_GETLK: case F_GETLEASE: case F_GETPIPE_SZ: case F_GET_SEALS:
            return true;
        default:
            return false;
    }
}
}  // namespace

long fcntl(int fd, int cmd, unsigned long arg, bool is64) {
    Runtime& rt = Runtime::instance();
    auto real_fcntl = [&]() -> int { return is64 ? real::fcntl64(fd, cmd, arg) : real::fcntl(fd, cmd, arg); };
    if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
        if (rt.mode() != Mode::kActive) {
            SocketFile* f = rt.peek(fd);
            int n = real_fcntl();
            if (n < 0) return -errno;
            return f ? share(nullptr, n, f) : n;
        }
        StackLock l(rt);
        SocketFile* f = l.file(fd);
        if (f == nullptr) return kPassToKernel;
        int n = real_fcntl();
        if (n < 0) return -errno;
        return share(&l, n, f);
    }
    if (rt.mode() != Mode::kActive || fcntl_leaves_kernel_side(cmd)) return kPassToKernel;
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;
    if (cmd == F_SETFL) {
        // The kernel fd gets the flags too (it is what F_GETFL reports, and what a handed-over
        // socket keeps); the open file description's O_NONBLOCK is what stack calls obey.
        const bool nonblocking = (arg & O_NONBLOCK) != 0;
        constexpr unsigned long kOtherSettable = O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME;  // setfl()
        if ((arg & kOtherSettable) == 0 && idle_socket::set_nonblocking_shared(l, fd, f, nonblocking)) return 0;
        if (int r = idle_socket::own(l, fd, f); r < 0) return r;
        if (real_fcntl() != 0) return -errno;
        f->nonblocking = nonblocking;
        return 0;
    }
    // F_SETOWN, F_SETSIG, leases, locks...: they would change the shared idle socket.
    if (int r = idle_socket::own(l, fd, f); r < 0) return r;
    return kPassToKernel;
}

long ioctl(int fd, unsigned long request, void* arg) {
    Runtime& rt = Runtime::instance();
    const bool ours = request == FIONBIO || request == FIONREAD || request == SIOCOUTQ || request == SIOCATMARK;
    if (!ours && rt.mode() != Mode::kActive) return kPassToKernel;
    if (rt.mode() != Mode::kActive) return forked_child_error(fd);
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;
    if (!ours) {  // the kernel socket answers; it may change it, so it must be f's own
        if (int r = idle_socket::own(l, fd, f); r < 0) return r;
        return kPassToKernel;
    }
    if (request == FIONBIO) {
        if (arg == nullptr) return -EFAULT;
        int on = 0;
        std::memcpy(&on, arg, sizeof on);
        if (idle_socket::set_nonblocking_shared(l, fd, f, on != 0)) return 0;
        if (int r = idle_socket::own(l, fd, f); r < 0) return r;
        if (real::ioctl(fd, request, arg) != 0) return -errno;
        f->nonblocking = on != 0;
        return 0;
    }
    if (arg == nullptr) return -EFAULT;
    if (request == SIOCATMARK) {
        if (f->kind != SocketKind::kTcp) return kPassToKernel;  // the idle UDP socket answers as the kernel would
        const int v = l.stack().at_urgent_mark(f->sock) ? 1 : 0;
        std::memcpy(arg, &v, sizeof v);
        return 0;
    }
    if (f->listening) return -EINVAL;  // as tcp_ioctl for a listening socket
    const size_t bytes = request == FIONREAD ? l.stack().readable_bytes(f->sock) : l.stack().send_queue_bytes(f->sock);
    const int v = static_cast<int>(std::min<size_t>(bytes, INT_MAX));
    std::memcpy(arg, &v, sizeof v);
    return 0;
}

namespace {
uint8_t linux_tcp_state(std::string_view st) {
    static constexpr std::pair<std::string_view, uint8_t> kStates[] = {
        {"ESTABLISHED", TCP_ESTABLISHED}, {"SYN-SENT", TCP_SYN_SENT},   {"SYN-RECEIVED", TCP_SYN_RECV},
        {"FIN-WAIT-1", TCP_FIN_WAIT1},    {"FIN-WAIT-2", TCP_FIN_WAIT2}, {"TIME-WAIT", TCP_TIME_WAIT},
        {"CLOSE-WAIT", TCP_CLOSE_WAIT},   {"LAST-ACK", TCP_LAST_ACK},    {"LISTEN", TCP_LISTEN},
        {"CLOSING", TCP_CLOSING},
    };
    for (const auto& [name, v] : kStates) if (name == st) return v;
    return TCP_CLOSE;
}

uint32_t micros(Duration d) { return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()); }

// TCP_INFO from the stack's snapshot of the connection. Fields the stack does not track
// (packet counts: unacked, sacked, lost; rcv_mss, which Linux estimates from the largest
// segment seen; the byte and delivery counters) stay zero, except rcv_mss, reported as
// Linux's initial estimate (536, capped by the send MSS).
tcp_info stack_tcp_info(StackLock& l, SocketFile* f) {
    tcp_info ti{};
    SocketInfo si;
    if (l.stack().socket_info(f->sock, &si) != 0) {
        ti.tcpi_state = TCP_CLOSE;
        return ti;
    }
    ti.tcpi_state = linux_tcp_state(si.state);
    ti.tcpi_ca_state = 0;  // TCP_CA_Open
    ti.tcpi_retransmits = static_cast<uint8_t>(std::min(si.backoff, 255));
    ti.tcpi_backoff = static_cast<uint8_t>(std::min(si.backoff, 255));
    if (si.ts_ok) ti.tcpi_options |= TCPI_OPT_TIMESTAMPS;
    if (si.sack_ok) ti.tcpi_options |= TCPI_OPT_SACK;
    if (si.wscale_ok) {
        ti.tcpi_options |= TCPI_OPT_WSCALE;
        ti.tcpi_snd_wscale = si.snd_wscale & 0xf;
        ti.tcpi_rcv_wscale = si.rcv_wscale & 0xf;
    }
    if (ti.tcpi_state == TCP_LISTEN || ti.tcpi_state == TCP_CLOSE) return ti;
    constexpr uint32_t kLinuxDefaultMss = 536;  // TCP_MSS_DEFAULT
    ti.tcpi_rto = micros(si.rto);
    ti.tcpi_ato = 40000;  // TCP_ATO_MIN, the delayed-ACK timer's floor
    ti.tcpi_snd_mss = si.snd_mss;
    ti.tcpi_rcv_mss = si.snd_mss > 0 ? std::min(si.snd_mss, kLinuxDefaultMss) : 0;
    ti.tcpi_rtt = micros(si.srtt);
    ti.tcpi_rttvar = micros(si.rttvar);
    const uint32_t mss = si.snd_mss > 0 ? si.snd_mss : kLinuxDefaultMss;
    ti.tcpi_snd_cwnd = si.cwnd / mss;
    ti.tcpi_snd_ssthresh = si.ssthresh == UINT32_MAX ? 0x7fffffff : si.ssthresh / mss;  // TCP_INFINITE_SSTHRESH
    ti.tcpi_total_retrans = si.retransmits;
    ti.tcpi_pmtu = static_cast<uint32_t>(l.stack().path_mtu(si.remote.addr));
    return ti;
}
}  // namespace

long getsockopt(int fd, int level, int name, void* val, socklen_t* len) {
    Runtime& rt = Runtime::instance();
    const bool tcp_info_opt = level == IPPROTO_TCP && name == TCP_INFO;
    const bool maxseg_opt = level == IPPROTO_TCP && name == TCP_MAXSEG;
    const bool mtu_opt = level == IPPROTO_IP && name == IP_MTU;
    const bool ours =
        (level == SOL_SOCKET && (name == SO_ERROR || name == SO_ACCEPTCONN)) || tcp_info_opt || maxseg_opt || mtu_opt;
    if (!ours) return kPassToKernel;  // the kernel socket holds every option we were given
    if (rt.mode() != Mode::kActive) return forked_child_error(fd);
    if (len == nullptr || val == nullptr) return -EFAULT;
    if (static_cast<int>(*len) < 0) return -EINVAL;
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;
    if (tcp_info_opt) {
        if (f->kind != SocketKind::kTcp) return kPassToKernel;  // the kernel's EOPNOTSUPP
        const tcp_info ti = stack_tcp_info(l, f);
        const socklen_t n = std::min<socklen_t>(*len, sizeof ti);
        std::memcpy(val, &ti, n);
        *len = n;
        return 0;
    }
    if (maxseg_opt) {
        // Connected: the MSS in use (do_tcp_getsockopt's mss_cache); before that the kernel
        // socket knows (the user's value or 536).
        SocketInfo si;
        if (f->kind != SocketKind::kTcp || l.stack().socket_info(f->sock, &si) != 0 || si.remote.port == 0 || si.snd_mss == 0 ||
            f->listening) {
            return kPassToKernel;
        }
        const int v = static_cast<int>(si.snd_mss);
        const socklen_t n = std::min<socklen_t>(*len, sizeof v);
        std::memcpy(val, &v, n);
        *len = n;
        return 0;
    }
    if (mtu_opt) {
        // The MTU of the route the socket has cached (do_ip_getsockopt: sk_dst_get), which a
        // connected socket has and a listening or unconnected one does not.
        SocketInfo si;
        if (f->listening || l.stack().socket_info(f->sock, &si) != 0 || si.remote.port == 0) return -ENOTCONN;
        const int v = static_cast<int>(l.stack().path_mtu(si.remote.addr));
        const socklen_t n = std::min<socklen_t>(*len, sizeof v);
        std::memcpy(val, &v, n);
        *len = n;
        return 0;
    }
    const int v = name == SO_ERROR ? l.stack().take_error(f->sock) : (f->listening ? 1 : 0);
    const socklen_t n = std::min<socklen_t>(*len, sizeof v);
    std::memcpy(val, &v, n);
    *len = n;
    return 0;
}

long setsockopt(int fd, int level, int name, const void* val, socklen_t len) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) return real::setsockopt(fd, level, name, val, len) == 0 ? 0 : -errno;
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    // The kernel socket stores the option (getsockopt asks it): it must be this socket's own.
    if (f != nullptr) {
        if (int r = idle_socket::own(l, fd, f); r < 0) return r;
    }
    // The kernel is the oracle for validation: if it refuses the option, so do we.
    if (real::setsockopt(fd, level, name, val, len) != 0) return -errno;
    if (f == nullptr) return 0;
    const bool timeouts = level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO);
    const bool lowat = level == SOL_SOCKET && name == SO_RCVLOWAT;
    const bool stack_option =
        (level == SOL_SOCKET && (name == SO_REUSEADDR || name == SO_REUSEPORT || name == SO_BROADCAST || name == SO_KEEPALIVE ||
                                 name == SO_RCVBUF || name == SO_SNDBUF || name == SO_LINGER || name == SO_OOBINLINE)) ||
        (level == IPPROTO_TCP && (name == TCP_NODELAY || name == TCP_CORK || name == TCP_KEEPIDLE || name == TCP_KEEPINTVL ||
                                  name == TCP_KEEPCNT || name == TCP_USER_TIMEOUT || name == TCP_MAXSEG)) ||
        (level == IPPROTO_IP && (name == IP_TTL || name == IP_TOS || name == IP_MTU_DISCOVER));
    const uint32_t inherit_bit = options::inherited_bit(level, name);
    if (!timeouts && !stack_option && !lowat && inherit_bit == 0) return 0;
    f->inheritable_set |= inherit_bit;
    if (timeouts) {
        timeval tv{};
        std::memcpy(&tv, val, std::min<size_t>(len, sizeof tv));
        const Duration d = seconds(tv.tv_sec) + microseconds(tv.tv_usec);
        (name == SO_RCVTIMEO ? f->rcvtimeo : f->sndtimeo) = d;
        return 0;
    }
    if (lowat) {  // sock_setsockopt: negative means INT_MAX, 0 means 1
        int v = 0;
        std::memcpy(&v, val, std::min<size_t>(len, sizeof v));
        f->rcvlowat = v < 0 ? INT_MAX : (v == 0 ? 1 : v);
        return 0;
    }
    if (!stack_option) return 0;
    SocketOptions o = f->options;
    if (level == SOL_SOCKET && name == SO_LINGER) {
        linger lg{};
        std::memcpy(&lg, val, std::min<size_t>(len, sizeof lg));
        o.linger = lg.l_onoff != 0;
        o.linger_s = std::max(lg.l_linger, 0);
    } else {
        int v = 0;
        if (len >= sizeof(int)) {
            std::memcpy(&v, val, sizeof v);
        } else if (len >= 1) {
            v = *static_cast<const unsigned char*>(val);
        }
        if (level == SOL_SOCKET) {
            if (name == SO_REUSEADDR) o.reuse_addr = v != 0;
            if (name == SO_REUSEPORT) o.reuse_port = v != 0;
            if (name == SO_BROADCAST) o.broadcast = v != 0;
            if (name == SO_KEEPALIVE) o.keepalive = v != 0;
            if (name == SO_OOBINLINE) o.oob_inline = v != 0;
            if (name == SO_RCVBUF) o.rcvbuf = v;
            if (name == SO_SNDBUF) o.sndbuf = v;
        } else if (level == IPPROTO_TCP) {
            if (name == TCP_NODELAY) o.tcp_nodelay = v != 0;
            if (name == TCP_CORK) o.tcp_cork = v != 0;
            if (name == TCP_KEEPIDLE) o.keepidle_s = v;
            if (name == TCP_KEEPINTVL) o.keepintvl_s = v;
            if (name == TCP_KEEPCNT) o.keepcnt = v;
            if (name == TCP_USER_TIMEOUT) o.user_timeout_ms = static_cast<uint32_t>(v);
            if (name == TCP_MAXSEG) o.maxseg = static_cast<uint16_t>(v);
        } else if (name == IP_TTL) {
            o.ttl = static_cast<uint8_t>(v == -1 ? 64 : v);  // -1: the default
        } else if (name == IP_MTU_DISCOVER) {
            // The kernel accepted it, so v is IP_PMTUDISC_DONT..OMIT, the stack's order.
            o.pmtu_discovery = static_cast<PmtuDiscovery>(v);
        } else {
            o.tos = static_cast<uint8_t>(v);
        }
    }
    if (int r = l.stack().set_options(f->sock, o); r < 0) return r;
    f->options = o;
    return 0;
}

namespace {
// getsockname and getpeername: the stack's endpoint of the socket, in the caller's buffer.
long endpoint_call(int fd, sockaddr* addr, socklen_t* len, int (Stack::*which)(int, Endpoint*) const) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) return forked_child_error(fd);
    if (addr == nullptr || len == nullptr) return -EFAULT;
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;
    Endpoint ep;
    if (int r = (l.stack().*which)(f->sock, &ep); r < 0) return r;
    return endpoint_to_sockaddr(ep, addr, len);
}
}  // namespace

long getsockname(int fd, sockaddr* addr, socklen_t* len) { return endpoint_call(fd, addr, len, &Stack::local_endpoint); }

long getpeername(int fd, sockaddr* addr, socklen_t* len) { return endpoint_call(fd, addr, len, &Stack::remote_endpoint); }

long forked_child_error(int fd) {
    static std::atomic<bool> said{false};
    if (!said.exchange(true)) {
        USTACK_LOG_WARN("fd %d is a socket of the parent process's user-space stack, which a forked child cannot use; "
                        "calls on it fail with ENETDOWN (make sockets after fork, or run without ustack)", fd);
    }
    return -ENETDOWN;
}

}  // namespace ustack::preload::calls

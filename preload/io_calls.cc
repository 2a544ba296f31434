// Data transfer on stack sockets: every send/recv/read/write variant funnels into sendv/recvv.
#include <arpa/inet.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "preload/calls.h"
#include "preload/calls_internal.h"
#include "preload/epoll.h"
#include "preload/fault_guard.h"
#include "preload/real.h"
#include "preload/runtime.h"
#include "preload/signals.h"
#include "preload/sockaddr.h"

namespace ustack::preload::calls {
namespace {

// An iovec array as the stack's spans, consumable from the front (a blocking TCP send or
// MSG_WAITALL recv continues where the last call stopped). Small arrays live on the stack.
template <class Span>
class IoSpans {
public:
    using Byte = std::conditional_t<std::is_const_v<typename Span::element_type>, const std::byte, std::byte>;

    IoSpans(const iovec* iov, int n) : n_(n) {
        if (n_ > kInline) heap_.resize(n_);
        Span* s = data();
        for (int i = 0; i < n_; ++i) {
            s[i] = Span(static_cast<Byte*>(iov[i].iov_base), iov[i].iov_len);
            total_ += iov[i].iov_len;
        }
    }
    size_t total() const { return total_; }
    std::span<const Span> remaining() const { return {data() + first_, static_cast<size_t>(n_ - first_)}; }
    void consume(size_t bytes) {
        Span* s = data();
        while (bytes > 0 && first_ < n_) {
            const size_t take = std::min(bytes, s[first_].size());
            s[first_] = s[first_].subspan(take);
            bytes -= take;
            if (s[first_].empty()) ++first_;
        }
    }

private:
    static constexpr int kInline = 16;
    Span* data() { return n_ > kInline ? heap_.data() : inline_; }
    const Span* data() const { return n_ > kInline ? heap_.data() : inline_; }
    int n_;
    int first_ = 0;
    size_t total_ = 0;
    Span inline_[kInline];
    std::vector<Span, heap::Allocator<Span>> heap_;
};

int check_iov(const iovec* iov, int n) {
    if (n < 0 || n > IOV_MAX) return -EINVAL;
    if (n > 0 && iov == nullptr) return -EFAULT;
    size_t total = 0;
    for (int i = 0; i < n; ++i) {
        if (iov[i].iov_len > static_cast<size_t>(SSIZE_MAX) - total) return -EINVAL;
        total += iov[i].iov_len;
    }
    return 0;
}

// For MSG_TRUNC on TCP: iovecs that all point at one scratch buffer, as many as cover the
// program's length. The stack's bytes land there and are forgotten. Used under the stack lock
// only, so one buffer serves every thread.
class DiscardIov {
public:
    void cover(const iovec* iov, int n) {
        size_t total = 0;
        for (int i = 0; i < n; ++i) total += iov[i].iov_len;
        total = std::min<size_t>(total, kMaxRwCount);
        v_.resize(std::max<size_t>(1, (total + kScratch - 1) / kScratch));
        for (size_t i = 0; i < v_.size(); ++i) {
            v_[i] = iovec{scratch_, std::min(kScratch, total - i * kScratch)};
        }
        if (total == 0) v_[0].iov_len = 0;
    }
    const iovec* iov() const { return v_.data(); }
    int count() const { return static_cast<int>(v_.size()); }

private:
    static constexpr size_t kScratch = 64 * 1024;
    static constexpr size_t kMaxRwCount = 0x7ffff000;  // the kernel's MAX_RW_COUNT
    static inline std::byte scratch_[kScratch];
    std::vector<iovec, heap::Allocator<iovec>> v_;
};

// Whether the program's buffers take the bytes the next stack recv will copy (the first
// `done` are already filled): the queued bytes, or the next datagram, up to `total`.
bool writable_for_next(StackLock& l, SocketFile* f, const iovec* iov, int iovcnt, size_t done, size_t total) {
    const size_t queued = l.stack().recv_queue_bytes(f->sock);
    if (queued == 0 || done >= total) return true;
    return fault_guard::probe(iov, iovcnt, done + std::min(total - done, queued), true) == 0;
}

long sendv_locked(int fd, const iovec* iov, int iovcnt, const sockaddr* dest, socklen_t destlen, int flags) {
    Runtime& rt = Runtime::instance();
    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;
    if ((flags & MSG_OOB) && f->kind == SocketKind::kUdp) return -EOPNOTSUPP;  // udp_sendmsg

    Endpoint to;
    const Endpoint* top = nullptr;
    // TCP ignores a destination (tcp_sendmsg never reads msg_name); UDP validates it.
    if (dest != nullptr && f->kind == SocketKind::kUdp) {
        const int r = endpoint_from_sockaddr(dest, destlen, AddrUse::kSendTo, &to);
        if (r < 0) return r;
        if (r == 0) {
            top = &to;
            if (!l.stack().routes(to.addr)) {
                // Not ours to carry (loopback, no route): an unbound socket moves to the kernel
                // for good; one bound on the stack cannot follow without losing its port.
                if (f->bound) return -ENETUNREACH;
                hand_over(l, fd, f);
                return kPassToKernel;
            }
        }
    }

    IoSpans<ConstBytes> spans(iov, iovcnt);
    if (fault_guard::probe(iov, iovcnt, spans.total(), false) != 0) return -EFAULT;
    const int sflags = ((flags & MSG_MORE) ? msgflags::kMore : 0) | ((flags & MSG_NOSIGNAL) ? msgflags::kNoSignal : 0) |
                       ((flags & MSG_OOB) ? msgflags::kOob : 0);
    const bool nonblock = f->nonblocking || (flags & MSG_DONTWAIT);
    const auto deadline = deadline_after(l.now(), f->sndtimeo);
    Pin pin(f);
    size_t sent = 0;
    for (;;) {
        const ssize_t r = l.stack().send(f->sock, spans.remaining(), top, sflags, l.now());
        if (f->watchers != nullptr && (r == -EAGAIN || (r >= 0 && sent + static_cast<size_t>(r) < spans.total()))) {
            epoll::send_blocked(f);
        }
        if (r >= 0) {
            sent += static_cast<size_t>(r);
            spans.consume(static_cast<size_t>(r));
            // A blocking stream send queues everything before it returns, as the kernel's does.
            if (f->kind == SocketKind::kUdp || sent >= spans.total() || nonblock) return static_cast<long>(sent);
        } else if (r != -EAGAIN || nonblock) {
            return sent > 0 ? static_cast<long>(sent) : r;
        }
        const int w = l.wait(deadline);
        if (l.file(fd) != f || f->sock == 0) return sent > 0 ? static_cast<long>(sent) : -EBADF;
        if (w == -ETIMEDOUT) return sent > 0 ? static_cast<long>(sent) : -EAGAIN;
        // Interrupted after some bytes went: the kernel returns the count; before: restart or EINTR.
        if (w == -EINTR && sent == 0 && signals::restart(f->sndtimeo)) continue;
        if (w < 0) return sent > 0 ? static_cast<long>(sent) : w;
    }
}

}  // namespace

long sendv(int fd, const iovec* iov, int iovcnt, const sockaddr* dest, socklen_t destlen, int flags) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) return forked_child_error(fd);
    if (int r = check_iov(iov, iovcnt); r < 0) return r;
    const long r = sendv_locked(fd, iov, iovcnt, dest, destlen, flags);
    // As the kernel: writing to a connection that cannot send any more raises SIGPIPE, after
    // the lock is released (the handler may call into us).
    if (r == -EPIPE && !(flags & MSG_NOSIGNAL)) raise(SIGPIPE);
    return r;
}

// The file is read in chunks of kChunk into a buffer on the stack heap and each chunk goes
// through sendv, so blocking, O_NONBLOCK, SO_SNDTIMEO and SIGPIPE are those of send(). The
// kernel moves pages without this copy; a zero-copy path would need the stack to take
// references to file pages. A non-seekable input (a pipe) is read with read(): on a partial
// send of a non-blocking socket the unsent rest of that chunk is lost, so for those the
// chunk is sent with the socket treated as blocking.
long sendfile(int out_fd, int in_fd, off_t* offset, size_t count) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) return forked_child_error(out_fd);
    if (rt.peek(in_fd) != nullptr) return -EINVAL;  // the kernel cannot splice from a socket either
    if (offset != nullptr && *offset < 0) return -EINVAL;
    constexpr size_t kChunk = 64 * 1024;
    count = std::min<size_t>(count, 0x7ffff000);  // the kernel's MAX_RW_COUNT
    off_t pos = offset != nullptr ? *offset : lseek(in_fd, 0, SEEK_CUR);
    const bool seekable = pos >= 0;
    if (!seekable && offset != nullptr) return -ESPIPE;
    std::byte* buf = static_cast<std::byte*>(heap::allocate(std::min(count, kChunk) + 1));
    size_t total = 0;
    long err = 0;
    while (total < count) {
        const size_t want = std::min(count - total, kChunk);
        const ssize_t n = seekable ? pread(in_fd, buf, want, pos) : real::read(in_fd, buf, want);
        if (n <= 0) {
            if (n < 0) err = -errno;
            break;
        }
        iovec iov{buf, static_cast<size_t>(n)};
        size_t sent = 0;
        while (sent < static_cast<size_t>(n)) {
            iov.iov_base = buf + sent;
            iov.iov_len = static_cast<size_t>(n) - sent;
            const long s = sendv(out_fd, &iov, 1, nullptr, 0, 0);
            if (s == kPassToKernel) {
                err = -EBADF;  // the socket went to the kernel mid-call (handover); rare
                break;
            }
            if (s < 0) {
                if (s == -EAGAIN && !seekable) continue;  // a pipe's bytes cannot be put back
                err = s;
                break;
            }
            sent += static_cast<size_t>(s);
            if (seekable && sent < static_cast<size_t>(n)) break;  // non-blocking and full: stop here
        }
        total += sent;
        if (seekable) pos += static_cast<off_t>(sent);
        if (err != 0 || sent < static_cast<size_t>(n)) break;
    }
    heap::deallocate(buf);
    if (seekable) {
        if (offset != nullptr) *offset = pos;
        else lseek(in_fd, pos, SEEK_SET);
    }
    if (total > 0) return static_cast<long>(total);
    return err;
}

namespace {
// The ifindex IP_PKTINFO reports: the interface USTACK_DEVICE names (tap:NAME, packet:NAME).
unsigned device_ifindex() {
    static const unsigned index = [] {
        const char* dev = getenv("USTACK_DEVICE");
        const char* colon = dev != nullptr ? strchr(dev, ':') : nullptr;
        return colon != nullptr ? if_nametoindex(colon + 1) : 0u;
    }();
    return index;
}

// Appends one control message as Linux's put_cmsg: one that does not fit is left out and
// flagged MSG_CTRUNC.
void put_cmsg(RecvControl& c, int* msg_flags, int level, int type, const void* data, size_t len) {
    const size_t space = c.cap - c.used >= CMSG_SPACE(len) ? CMSG_SPACE(len) : CMSG_LEN(len);
    if (c.cap - c.used < space) {
        if (msg_flags) *msg_flags |= MSG_CTRUNC;
        return;
    }
    auto* h = reinterpret_cast<cmsghdr*>(static_cast<char*>(c.buf) + c.used);
    h->cmsg_len = CMSG_LEN(len);
    h->cmsg_level = level;
    h->cmsg_type = type;
    std::memcpy(CMSG_DATA(h), data, len);
    c.used += space;
}

// The IP-level control messages of a datagram, in Linux's order (ip_cmsg_recv_offset). Which
// ones the program asked for is read from the idle kernel socket, which took its setsockopt.
void udp_control(int fd, const DatagramMeta& meta, wire::Ipv4Addr self, RecvControl& c, int* msg_flags) {
    auto enabled = [fd](int name) {
        int v = 0;
        socklen_t len = sizeof v;
        return real::getsockopt(fd, IPPROTO_IP, name, &v, &len) == 0 && v != 0;
    };
    if (enabled(IP_PKTINFO)) {
        in_pktinfo p{};
        p.ipi_ifindex = static_cast<int>(device_ifindex());
        p.ipi_spec_dst.s_addr = self.to_network();
        p.ipi_addr.s_addr = meta.dst.to_network();
        put_cmsg(c, msg_flags, IPPROTO_IP, IP_PKTINFO, &p, sizeof p);
    }
    if (enabled(IP_RECVTTL)) {
        const int ttl = meta.ttl;
        put_cmsg(c, msg_flags, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
    }
    if (enabled(IP_RECVTOS)) {
        const uint8_t tos = meta.tos;
        put_cmsg(c, msg_flags, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    }
}
}  // namespace

long recvv(int fd, const iovec* iov, int iovcnt, sockaddr* from, socklen_t* fromlen, int flags, int* msg_flags,
           RecvControl* control) {
    Runtime& rt = Runtime::instance();
    if (rt.mode() != Mode::kActive) return forked_child_error(fd);
    if (int r = check_iov(iov, iovcnt); r < 0) return r;
    if (flags & MSG_ERRQUEUE) return -EAGAIN;     // the stack queues no errors
    if (from != nullptr && fromlen == nullptr) return -EFAULT;
    if (msg_flags) *msg_flags = 0;

    StackLock l(rt);
    SocketFile* f = l.file(fd);
    if (f == nullptr) return kPassToKernel;

    const bool udp = f->kind == SocketKind::kUdp;
    // TCP with MSG_TRUNC reads without copying (tcp_recvmsg skips the copy): the bytes go to
    // a scratch buffer and the program's pointer is never touched (it may be null).
    DiscardIov discard;
    const bool discarding = !udp && (flags & MSG_TRUNC);
    if (discarding) {
        discard.cover(iov, iovcnt);
        iov = discard.iov();
        iovcnt = discard.count();
    }
    IoSpans<MutableBytes> spans(iov, iovcnt);
    if ((flags & MSG_OOB) && !udp) {  // the urgent byte (tcp_recv_urg): never waits; UDP ignores the flag
        if (!discarding && fault_guard::probe(iov, iovcnt, std::min<size_t>(spans.total(), 1), true) != 0) return -EFAULT;
        const int oflags = msgflags::kOob | ((flags & MSG_PEEK) ? msgflags::kPeek : 0);
        const ssize_t r = l.stack().recv(f->sock, spans.remaining(), nullptr, oflags, l.now());
        if (r > 0 && msg_flags) *msg_flags |= MSG_OOB;
        if (r >= 0 && from != nullptr) *fromlen = 0;
        return r;
    }
    if (!udp && spans.total() == 0) return 0;  // tcp_recvmsg with len 0 returns at once
    // For UDP always ask the datagram's real length, to report MSG_TRUNC.
    const int rflags = ((flags & MSG_PEEK) ? msgflags::kPeek : 0) | (udp ? msgflags::kTrunc : 0);
    const bool nonblock = f->nonblocking || (flags & MSG_DONTWAIT);
    const bool waitall = !udp && (flags & MSG_WAITALL) && !(flags & MSG_PEEK);
    const auto deadline = deadline_after(l.now(), f->rcvtimeo);
    Pin pin(f);
    size_t got = 0;
    for (;;) {
        if (!discarding && !writable_for_next(l, f, iov, iovcnt, got, spans.total())) {
            // The kernel fails the copy: TCP keeps the bytes; UDP has dequeued the datagram
            // and drops it (unless peeking).
            if (udp && !(flags & MSG_PEEK)) l.stack().recv(f->sock, {}, nullptr, 0, l.now());
            return got > 0 ? static_cast<long>(got) : -EFAULT;
        }
        Endpoint peer;
        DatagramMeta meta;
        const ssize_t r = l.stack().recv(f->sock, spans.remaining(), from ? &peer : nullptr, rflags, l.now(),
                                         udp && control != nullptr ? &meta : nullptr);
        if (f->watchers != nullptr && !(rflags & msgflags::kPeek)) {
            epoll::received(f, l.stack().recv_queue_bytes(f->sock), l.stack().poll_events(f->sock) & readiness::kIn);
        }
        if (r >= 0) {
            if (from != nullptr && (udp || got == 0)) {
                if (udp) endpoint_to_sockaddr(peer, from, fromlen); else *fromlen = 0;
            }
            if (udp) {
                if (control != nullptr && control->cap > 0) udp_control(fd, meta, l.stack().config().address.address, *control, msg_flags);
                const size_t len = static_cast<size_t>(r);
                if (len > spans.total() && msg_flags) *msg_flags |= MSG_TRUNC;
                return static_cast<long>((flags & MSG_TRUNC) ? len : std::min(len, spans.total()));
            }
            got += static_cast<size_t>(r);
            spans.consume(static_cast<size_t>(r));
            // tcp_recvmsg's target: everything with MSG_WAITALL, else SO_RCVLOWAT bytes.
            // (A peek looks once: a second look would copy the same bytes again.)
            const size_t lowat = (flags & MSG_PEEK) ? 1 : static_cast<size_t>(f->rcvlowat);
            const size_t target = waitall ? spans.total() : std::min(spans.total(), lowat);
            if (r == 0 || got >= target || nonblock) return static_cast<long>(got);
            // tcp_recvmsg stops at the urgent mark once it has read something, whatever the target.
            if (l.stack().at_urgent_mark(f->sock)) return static_cast<long>(got);
            // Look again before sleeping: end of stream (or more data) may already be queued
            // behind what this call read, and nothing would wake us for it.
            continue;
        } else if (r != -EAGAIN || nonblock) {
            return got > 0 ? static_cast<long>(got) : r;
        }
        const int w = l.wait(deadline);
        if (l.file(fd) != f || f->sock == 0) return got > 0 ? static_cast<long>(got) : -EBADF;
        if (w == -ETIMEDOUT) return got > 0 ? static_cast<long>(got) : -EAGAIN;
        if (w == -EINTR && got == 0 && signals::restart(f->rcvtimeo)) continue;
        if (w < 0) return got > 0 ? static_cast<long>(got) : w;
    }
}

}  // namespace ustack::preload::calls

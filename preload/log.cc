#include "preload/log.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstring>

#include "preload/log_format.h"

namespace ustack::preload {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kWarn)};
std::atomic<int> g_fd{2};

// Where the log file's fd goes: high, away from the small numbers programs dup2 onto and
// from the runtime's own band just below 4096 (or below the soft RLIMIT_NOFILE).
constexpr rlim_t kLogFdFloor = 3000;
constexpr rlim_t kLogFdBelowLimit = 128;

constexpr size_t kLineMax = 512;

// Raw system calls throughout: write() and close() are interposed, and this must work before
// the real functions are resolved.
void write_all(const char* buf, size_t len) {
    const int fd = g_fd.load(std::memory_order_relaxed);
    size_t off = 0;
    while (off < len) {
        long w = syscall(SYS_write, fd, buf + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += static_cast<size_t>(w);
    }
}

void emit(const char* fmt, va_list ap, uint64_t suppressed) {
    const int saved_errno = errno;
    // One buffer, one write(2): the suppression note and the line stay together even when
    // several threads or processes share the file.
    char buf[2 * kLineMax];
    size_t len = 0;
    if (suppressed > 0) {
        len = format_log_args(buf, kLineMax, "ustack: %llu messages like the next were suppressed\n",
                              static_cast<unsigned long long>(suppressed));
    }
    static constexpr char kPrefix[] = "ustack: ";
    std::memcpy(buf + len, kPrefix, sizeof kPrefix - 1);
    len += sizeof kPrefix - 1;
    len += format_log(buf + len, kLineMax - (sizeof kPrefix - 1) - 1, fmt, ap);
    buf[len++] = '\n';
    write_all(buf, len);
    errno = saved_errno;
}

int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

void set_log_level(LogLevel level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

bool log_enabled(LogLevel level) {
    return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed);
}

bool set_log_file(const char* path) {
    const int saved_errno = errno;
    int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (fd < 0) {
        errno = saved_errno;
        return false;
    }
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t floor = kLogFdFloor;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < floor + kLogFdBelowLimit) {
        floor = rl.rlim_cur > 2 * kLogFdBelowLimit ? rl.rlim_cur - 2 * kLogFdBelowLimit : 0;
    }
    const int high = floor > static_cast<rlim_t>(fd) ? static_cast<int>(syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, static_cast<int>(floor))) : -1;
    if (high >= 0) {
        syscall(SYS_close, fd);
        fd = high;
    }
    const int old = g_fd.exchange(fd, std::memory_order_relaxed);
    if (old != 2) syscall(SYS_close, old);
    errno = saved_errno;
    return true;
}

int log_fd() { return g_fd.load(std::memory_order_relaxed); }

void log_line(LogLevel level, const char* fmt, ...) {
    if (!log_enabled(level)) return;
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap, 0);
    va_end(ap);
}

void log_line_limited(LogRateLimit& limit, LogLevel level, const char* fmt, ...) {
    if (!log_enabled(level)) return;
    const LogRateLimit::Decision d = limit.admit(monotonic_ns());
    if (!d.emit) return;
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap, d.suppressed);
    va_end(ap);
}

}  // namespace ustack::preload

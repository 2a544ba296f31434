#include "preload/log.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace ustack::preload {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kWarn)};
}

void set_log_level(LogLevel level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

bool log_enabled(LogLevel level) {
    return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed);
}

void log_line(LogLevel level, const char* fmt, ...) {
    if (!log_enabled(level)) return;
    const int saved_errno = errno;
    char buf[512];
    static constexpr char kPrefix[] = "ustack: ";
    size_t len = sizeof(kPrefix) - 1;
    std::memcpy(buf, kPrefix, len);
    va_list ap;
    va_start(ap, fmt);
    int n = std::vsnprintf(buf + len, sizeof(buf) - len - 1, fmt, ap);
    va_end(ap);
    if (n > 0) len += std::min(static_cast<size_t>(n), sizeof(buf) - len - 2);
    buf[len++] = '\n';
    // The raw system call: write() itself is interposed, and this must work before the
    // real functions are resolved.
    size_t off = 0;
    while (off < len) {
        long w = syscall(SYS_write, 2, buf + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += static_cast<size_t>(w);
    }
    errno = saved_errno;
}

}  // namespace ustack::preload

// Diagnostics, usable anywhere (constructors, signal handlers, under the stack lock): the line
// is formatted into a buffer on the stack (log_format.h: no malloc, no stdio, no locks) and
// written with one write(2) to stderr, or to USTACK_LOG_FILE when set. Never to stdout, which
// belongs to the program.
//
// Every call site of USTACK_LOG_ERROR/WARN/INFO has its own LogRateLimit (10 lines per 5 s);
// what it suppresses is reported as "ustack: N messages like the next were suppressed" before
// the next line it lets through. Debug lines, asked for explicitly, are not limited.
#pragma once

#include "preload/config.h"
#include "preload/log_rate_limit.h"

namespace ustack::preload {

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);

// Sends log lines to path (opened O_APPEND, mode 0644, close-on-exec, moved to a high fd
// number). Returns false, and leaves them on stderr, when it cannot be opened.
bool set_log_file(const char* path);
// The fd lines go to: 2, or the USTACK_LOG_FILE fd.
int log_fd();

// Writes "ustack: <formatted>\n" when level is enabled. Lines longer than 512 bytes are cut.
void log_line(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// The same, through a call site's limiter.
void log_line_limited(LogRateLimit& limit, LogLevel level, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace ustack::preload

#define USTACK_LOG_LIMITED_(level, ...)                                                         \
    do {                                                                                        \
        if (::ustack::preload::log_enabled(level)) {                                            \
            static constinit ::ustack::preload::LogRateLimit ustack_log_limit_;                 \
            ::ustack::preload::log_line_limited(ustack_log_limit_, level, __VA_ARGS__);         \
        }                                                                                       \
    } while (0)
#define USTACK_LOG_ERROR(...) USTACK_LOG_LIMITED_(::ustack::preload::LogLevel::kError, __VA_ARGS__)
#define USTACK_LOG_WARN(...) USTACK_LOG_LIMITED_(::ustack::preload::LogLevel::kWarn, __VA_ARGS__)
#define USTACK_LOG_INFO(...) USTACK_LOG_LIMITED_(::ustack::preload::LogLevel::kInfo, __VA_ARGS__)
#define USTACK_LOG_DEBUG(...)                                                                   \
    do {                                                                                        \
        if (::ustack::preload::log_enabled(::ustack::preload::LogLevel::kDebug))                \
            ::ustack::preload::log_line(::ustack::preload::LogLevel::kDebug, __VA_ARGS__);      \
    } while (0)

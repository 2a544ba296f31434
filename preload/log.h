// Diagnostics on stderr, usable anywhere (constructors, signal handlers, under the stack
// lock): the line is formatted into a buffer on the stack and written with one write(2) to
// fd 2. Never to stdout, which belongs to the program.
#pragma once

#include "preload/config.h"

namespace ustack::preload {

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);

// Writes "ustack: <formatted>\n" when level is enabled. Lines longer than 512 bytes are cut.
void log_line(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace ustack::preload

#define USTACK_LOG_ERROR(...) ::ustack::preload::log_line(::ustack::preload::LogLevel::kError, __VA_ARGS__)
#define USTACK_LOG_WARN(...) ::ustack::preload::log_line(::ustack::preload::LogLevel::kWarn, __VA_ARGS__)
#define USTACK_LOG_INFO(...) ::ustack::preload::log_line(::ustack::preload::LogLevel::kInfo, __VA_ARGS__)
#define USTACK_LOG_DEBUG(...)                                                                   \
    do {                                                                                        \
        if (::ustack::preload::log_enabled(::ustack::preload::LogLevel::kDebug))                \
            ::ustack::preload::log_line(::ustack::preload::LogLevel::kDebug, __VA_ARGS__);      \
    } while (0)

// The logger's printf: formats into a caller's buffer with no allocation, no locale and no
// stdio, so that a line can be built inside a signal handler or under the stack lock (glibc's
// vsnprintf may allocate and takes locale locks). It knows what ustack's log lines use:
// %d %i %u %x %X %p %s %c %% with the length modifiers hh h l ll z j t, a width, the flags
// '-' and '0', and a precision for %s (including %.*s). Anything else is copied as written.
#pragma once

#include <cstdarg>
#include <cstddef>

namespace ustack::preload {

// Writes at most cap - 1 bytes of the formatted text into out and a terminating NUL (when
// cap > 0). Returns the number of bytes written, not counting the NUL: a line that does not
// fit is cut, never overrun.
size_t format_log(char* out, size_t cap, const char* fmt, va_list ap);
size_t format_log_args(char* out, size_t cap, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace ustack::preload

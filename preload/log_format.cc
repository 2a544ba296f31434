#include "preload/log_format.h"

#include <cstdint>

namespace ustack::preload {
namespace {

// Appends to a fixed buffer, dropping what does not fit.
class Sink {
public:
    Sink(char* out, size_t cap) : out_(out), cap_(cap) {}
    void put(char c) {
        if (len_ + 1 < cap_) out_[len_++] = c;
    }
    void put(const char* s, size_t n) {
        for (size_t i = 0; i < n; ++i) put(s[i]);
    }
    void pad(char c, size_t n) {
        for (size_t i = 0; i < n; ++i) put(c);
    }
    size_t finish() {
        if (cap_ > 0) out_[len_] = '\0';
        return len_;
    }

private:
    char* out_;
    size_t cap_;
    size_t len_ = 0;
};

struct Spec {
    bool left = false;       // '-'
    bool zero = false;       // '0'
    size_t width = 0;
    long precision = -1;     // -1: none
};

// Writes digits (already in text, most significant first) with sign and padding.
void put_field(Sink& sink, const Spec& spec, const char* sign, const char* digits, size_t n) {
    size_t sign_len = 0;
    while (sign[sign_len] != '\0') ++sign_len;
    const size_t body = sign_len + n;
    const size_t fill = spec.width > body ? spec.width - body : 0;
    if (!spec.left && !spec.zero) sink.pad(' ', fill);
    sink.put(sign, sign_len);
    if (!spec.left && spec.zero) sink.pad('0', fill);
    sink.put(digits, n);
    if (spec.left) sink.pad(' ', fill);
}

void put_unsigned(Sink& sink, const Spec& spec, uintmax_t v, unsigned base, bool upper, const char* sign) {
    const char* digit_chars = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[3 * sizeof(uintmax_t) + 1];
    size_t n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = digit_chars[v % base];
        v /= base;
    } while (v != 0);
    put_field(sink, spec, sign, tmp + sizeof tmp - n, n);
}

enum class Length { kInt, kChar, kShort, kLong, kLongLong, kSize, kMax, kPtrdiff };

intmax_t take_signed(va_list& ap, Length len) {
    switch (len) {
        case Length::kChar: return static_cast<signed char>(va_arg(ap, int));
        case Length::kShort: return static_cast<short>(va_arg(ap, int));
        case Length::kLong: return va_arg(ap, long);
        case Length::kLongLong: return va_arg(ap, long long);
        case Length::kSize: return va_arg(ap, ptrdiff_t);  // %zd: the signed type of size_t's width
        case Length::kMax: return va_arg(ap, intmax_t);
        case Length::kPtrdiff: return va_arg(ap, ptrdiff_t);
        case Length::kInt: break;
    }
    return va_arg(ap, int);
}

uintmax_t take_unsigned(va_list& ap, Length len) {
    switch (len) {
        case Length::kChar: return static_cast<unsigned char>(va_arg(ap, unsigned));
        case Length::kShort: return static_cast<unsigned short>(va_arg(ap, unsigned));
        case Length::kLong: return va_arg(ap, unsigned long);
        case Length::kLongLong: return va_arg(ap, unsigned long long);
        case Length::kSize: return va_arg(ap, size_t);
        case Length::kMax: return va_arg(ap, uintmax_t);
        case Length::kPtrdiff: return static_cast<uintmax_t>(va_arg(ap, ptrdiff_t));
        case Length::kInt: break;
    }
    return va_arg(ap, unsigned);
}

}  // namespace

size_t format_log(char* out, size_t cap, const char* fmt, va_list ap_in) {
    Sink sink(out, cap);
    va_list ap;
    va_copy(ap, ap_in);
    for (const char* p = fmt; *p != '\0'; ++p) {
        if (*p != '%') {
            sink.put(*p);
            continue;
        }
        const char* start = p++;
        Spec spec;
        for (;; ++p) {
            if (*p == '-') spec.left = true;
            else if (*p == '0') spec.zero = true;
            else break;
        }
        if (*p == '*') {
            const int w = va_arg(ap, int);
            if (w < 0) spec.left = true;
            spec.width = static_cast<size_t>(w < 0 ? -static_cast<long>(w) : w);
            ++p;
        } else {
            while (*p >= '0' && *p <= '9') spec.width = spec.width * 10 + static_cast<size_t>(*p++ - '0');
        }
        if (*p == '.') {
            ++p;
            spec.precision = 0;
            if (*p == '*') {
                const int pr = va_arg(ap, int);
                spec.precision = pr < 0 ? -1 : pr;
                ++p;
            } else {
                while (*p >= '0' && *p <= '9') spec.precision = spec.precision * 10 + (*p++ - '0');
            }
        }
        Length len = Length::kInt;
        if (p[0] == 'h' && p[1] == 'h') { len = Length::kChar; p += 2; }
        else if (p[0] == 'h') { len = Length::kShort; ++p; }
        else if (p[0] == 'l' && p[1] == 'l') { len = Length::kLongLong; p += 2; }
        else if (p[0] == 'l') { len = Length::kLong; ++p; }
        else if (p[0] == 'z') { len = Length::kSize; ++p; }
        else if (p[0] == 'j') { len = Length::kMax; ++p; }
        else if (p[0] == 't') { len = Length::kPtrdiff; ++p; }

        switch (*p) {
            case 'd':
            case 'i': {
                const intmax_t v = take_signed(ap, len);
                const uintmax_t mag = v < 0 ? static_cast<uintmax_t>(0) - static_cast<uintmax_t>(v) : static_cast<uintmax_t>(v);
                put_unsigned(sink, spec, mag, 10, false, v < 0 ? "-" : "");
                break;
            }
            case 'u': put_unsigned(sink, spec, take_unsigned(ap, len), 10, false, ""); break;
            case 'x': put_unsigned(sink, spec, take_unsigned(ap, len), 16, false, ""); break;
            case 'X': put_unsigned(sink, spec, take_unsigned(ap, len), 16, true, ""); break;
            case 'p': {
                const auto v = reinterpret_cast<uintptr_t>(va_arg(ap, void*));
                put_unsigned(sink, spec, v, 16, false, "0x");
                break;
            }
            case 'c': {
                const char c = static_cast<char>(va_arg(ap, int));
                put_field(sink, Spec{spec.left, false, spec.width, -1}, "", &c, 1);
                break;
            }
            case 's': {
                const char* s = va_arg(ap, const char*);
                if (s == nullptr) s = "(null)";
                size_t n = 0;
                while (s[n] != '\0' && (spec.precision < 0 || n < static_cast<size_t>(spec.precision))) ++n;
                put_field(sink, Spec{spec.left, false, spec.width, -1}, "", s, n);
                break;
            }
            case '%': sink.put('%'); break;
            default:
                // Not a conversion we know: show it as written rather than guess at the arguments.
                if (*p == '\0') {
                    sink.put(start, static_cast<size_t>(p - start));
                    va_end(ap);
                    return sink.finish();
                }
                sink.put(start, static_cast<size_t>(p - start + 1));
                break;
        }
    }
    va_end(ap);
    return sink.finish();
}

size_t format_log_args(char* out, size_t cap, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const size_t n = format_log(out, cap, fmt, ap);
    va_end(ap);
    return n;
}

}  // namespace ustack::preload

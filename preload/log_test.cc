// The logger's pure parts: the signal-safe formatter and the per-call-site rate limit.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "preload/log_format.h"
#include "preload/log_rate_limit.h"

namespace ustack::preload {
namespace {

template <typename... Args>
std::string fmt(const char* f, Args... args) {
    char buf[256];
    const size_t n = format_log_args(buf, sizeof buf, f, args...);
    EXPECT_EQ(buf[n], '\0');
    return std::string(buf, n);
}

// What the C library prints for the same format: the formatter must agree with it on every
// conversion the log lines use.
template <typename... Args>
std::string libc(const char* f, Args... args) {
    char buf[256];
    std::snprintf(buf, sizeof buf, f, args...);
    return buf;
}

TEST(LogFormat, IntegersMatchPrintf) {
    EXPECT_EQ(fmt("fd %d", 7), "fd 7");
    EXPECT_EQ(fmt("%d %i", INT_MIN, INT_MAX), libc("%d %i", INT_MIN, INT_MAX));
    EXPECT_EQ(fmt("%u", 4000000000u), "4000000000");
    EXPECT_EQ(fmt("%llu", 18446744073709551615ull), "18446744073709551615");
    EXPECT_EQ(fmt("%lld", LLONG_MIN), libc("%lld", LLONG_MIN));
    EXPECT_EQ(fmt("%ld %lu", -5L, 5UL), "-5 5");
    EXPECT_EQ(fmt("%zu %zd", size_t{123}, ssize_t{-4}), "123 -4");
    EXPECT_EQ(fmt("%hhu %hd", 300, 70000), libc("%hhu %hd", 300, 70000));
    EXPECT_EQ(fmt("%x %X %lx", 0xbeefu, 0xbeefu, 0xdeadbeefUL), "beef BEEF deadbeef");
}

TEST(LogFormat, WidthAndFlagsMatchPrintf) {
    EXPECT_EQ(fmt("[%5d][%-5d][%05d][%05d]", 42, 42, 42, -42), libc("[%5d][%-5d][%05d][%05d]", 42, 42, 42, -42));
    EXPECT_EQ(fmt("[%02x:%02x]", 0xa, 0xbc), "[0a:bc]");
    EXPECT_EQ(fmt("[%*d]", 4, 7), "[   7]");
    EXPECT_EQ(fmt("[%-6s][%6s]", "ab", "cd"), "[ab    ][    cd]");
}

TEST(LogFormat, StringsCharsPercentAndPointers) {
    EXPECT_EQ(fmt("%s=%c%%", "load", 'x'), "load=x%");
    EXPECT_EQ(fmt("%.3s|%.*s", "abcdef", 2, "xyz"), "abc|xy");
    EXPECT_EQ(fmt("%s", static_cast<const char*>(nullptr)), "(null)");
    int x = 0;
    EXPECT_EQ(fmt("%p", static_cast<void*>(&x)), libc("%p", static_cast<void*>(&x)));
}

TEST(LogFormat, UnknownConversionIsCopiedAsWritten) {
    EXPECT_EQ(fmt("a %f b"), "a %f b");
    EXPECT_EQ(fmt("trailing %"), "trailing %");
}

TEST(LogFormat, LongOutputIsCutToTheBufferNeverOverrun) {
    char buf[8];
    std::memset(buf, 'Z', sizeof buf);
    const size_t n = format_log_args(buf, 6, "%s-%d", "abcdef", 12345);
    EXPECT_EQ(n, 5u);
    EXPECT_STREQ(buf, "abcde");
    EXPECT_EQ(buf[6], 'Z');  // nothing past cap
    EXPECT_EQ(format_log_args(buf, 0, "x"), 0u);
    EXPECT_EQ(buf[0], 'a');  // cap 0: not even the NUL
}

constexpr int64_t kSecond = 1'000'000'000;

TEST(LogRateLimit, BurstPassesThenLinesAreSuppressed) {
    LogRateLimit limit(5 * kSecond, 3);
    for (int i = 0; i < 3; ++i) {
        const auto d = limit.admit(i);
        EXPECT_TRUE(d.emit) << i;
        EXPECT_EQ(d.suppressed, 0u);
    }
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(limit.admit(kSecond + i).emit);
}

TEST(LogRateLimit, NextIntervalReportsHowManyWereSuppressed) {
    LogRateLimit limit(5 * kSecond, 2);
    limit.admit(0);
    limit.admit(1);
    for (int i = 0; i < 7; ++i) limit.admit(2 + i);
    const auto d = limit.admit(5 * kSecond);
    EXPECT_TRUE(d.emit);
    EXPECT_EQ(d.suppressed, 7u);
    EXPECT_EQ(limit.admit(5 * kSecond + 1).suppressed, 0u);  // reported once
}

TEST(LogRateLimit, IntervalIsMeasuredFromItsFirstLine) {
    LogRateLimit limit(5 * kSecond, 1);
    EXPECT_TRUE(limit.admit(100 * kSecond).emit);  // a first line long after the clock's zero
    EXPECT_FALSE(limit.admit(104 * kSecond).emit);
    EXPECT_TRUE(limit.admit(105 * kSecond).emit);
}

TEST(LogRateLimit, DefaultIsTenLinesPerFiveSeconds) {
    LogRateLimit limit;
    int emitted = 0;
    for (int i = 0; i < 50; ++i) emitted += limit.admit(i * (kSecond / 100)).emit ? 1 : 0;
    EXPECT_EQ(emitted, 10);
}

}  // namespace
}  // namespace ustack::preload

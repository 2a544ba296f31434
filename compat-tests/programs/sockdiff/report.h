// How sockdiff prints what it observed: one line per step, "case.step: key=value ...", holding
// only values that are the same on every run (no fd numbers, ports or ephemeral names), so two
// runs of the same binary can be compared with diff.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <string>
#include <string_view>

namespace sockdiff {

class Line {
public:
    explicit Line(std::string_view step);
    ~Line();  // prints the line and flushes, so a fork never duplicates buffered output
    Line(const Line&) = delete;
    Line& operator=(const Line&) = delete;

    // "ret=R errno=NAME" (errno=0 when R >= 0). Reads errno first, so pass the call directly.
    Line& ret(long r);
    // Same for calls returning a new fd: "ret=fd" instead of the number, which varies.
    Line& fd(long r);
    Line& data(std::string_view bytes);   // data="..." with non-printables escaped
    Line& revents(short revents);         // revents=POLLIN|POLLOUT or revents=0
    Line& kv(std::string_view key, std::string_view value);
    Line& kv(std::string_view key, long value);

private:
    std::string text_;
};

std::string errno_name(int err);
std::string poll_names(short revents);
// "AF_INET 127.0.0.1 port=nonzero", "AF_UNIX abstract", "AF_UNIX unnamed", ...
std::string describe(const sockaddr_storage& ss, socklen_t len);

}  // namespace sockdiff

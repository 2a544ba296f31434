#include "report.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sockdiff {

Line::Line(std::string_view step) : text_(step) { text_ += ':'; }

Line::~Line() {
    std::printf("%s\n", text_.c_str());
    std::fflush(stdout);
}

Line& Line::ret(long r) {
    const int err = errno;
    kv("ret", r);
    return kv("errno", r < 0 ? errno_name(err) : "0");
}

Line& Line::fd(long r) {
    const int err = errno;
    if (r >= 0) return kv("ret", "fd").kv("errno", "0");
    kv("ret", r);
    return kv("errno", errno_name(err));
}

Line& Line::data(std::string_view bytes) {
    std::string quoted = "\"";
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            quoted += static_cast<char>(c);
        } else {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\x%02x", c);
            quoted += esc;
        }
    }
    quoted += '"';
    return kv("data", quoted);
}

Line& Line::revents(short r) { return kv("revents", poll_names(r)); }

Line& Line::kv(std::string_view key, std::string_view value) {
    text_ += ' ';
    text_ += key;
    text_ += '=';
    text_ += value;
    return *this;
}

Line& Line::kv(std::string_view key, long value) { return kv(key, std::to_string(value)); }

std::string errno_name(int err) {
    const char* name = strerrorname_np(err);
    return name != nullptr ? name : "errno" + std::to_string(err);
}

std::string poll_names(short revents) {
    static constexpr struct { short bit; const char* name; } kBits[] = {
        {POLLIN, "POLLIN"},   {POLLPRI, "POLLPRI"},   {POLLOUT, "POLLOUT"},       {POLLERR, "POLLERR"},
        {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"}, {POLLRDNORM, "POLLRDNORM"}, {POLLWRNORM, "POLLWRNORM"},
        {POLLRDHUP, "POLLRDHUP"},
    };
    std::string out;
    for (const auto& b : kBits) {
        if ((revents & b.bit) == 0) continue;
        if (!out.empty()) out += '|';
        out += b.name;
        revents = static_cast<short>(revents & ~b.bit);
    }
    if (revents != 0) out += (out.empty() ? "" : "|") + std::to_string(revents);
    return out.empty() ? "0" : out;
}

std::string describe(const sockaddr_storage& ss, socklen_t len) {
    if (len < sizeof(sa_family_t)) return "len=" + std::to_string(len);
    switch (ss.ss_family) {
    case AF_INET: {
        const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof buf);
        return std::string("AF_INET ") + buf + (sin.sin_port != 0 ? " port=nonzero" : " port=0");
    }
    case AF_INET6: {
        const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &sin6.sin6_addr, buf, sizeof buf);
        return std::string("AF_INET6 ") + buf + (sin6.sin6_port != 0 ? " port=nonzero" : " port=0");
    }
    case AF_UNIX: {
        const auto& sun = reinterpret_cast<const sockaddr_un&>(ss);
        if (len == sizeof(sa_family_t)) return "AF_UNIX unnamed";
        // Abstract names carry our pid; say only that it is one.
        if (sun.sun_path[0] == '\0') return "AF_UNIX abstract";
        return std::string("AF_UNIX path=") + sun.sun_path;
    }
    case AF_NETLINK:
        return "AF_NETLINK";
    default:
        return "family=" + std::to_string(ss.ss_family);
    }
}

}  // namespace sockdiff

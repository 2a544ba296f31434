#include "stack/sim/trace.h"

#include <cinttypes>
#include <cstdio>

#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace ustack::sim {

std::string format_time(Duration d) {
    const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s%" PRId64 ".%06" PRId64, us < 0 ? "-" : "", (us < 0 ? -us : us) / 1000000,
                  (us < 0 ? -us : us) % 1000000);
    return buf;
}

std::string describe_frame(std::span<const std::byte> frame) {
    auto eth = wire::EthernetView::parse(frame);
    if (!eth) return "short frame (" + std::to_string(frame.size()) + " bytes)";
    if (eth->ethertype() == 0x0806) return "arp";
    if (eth->ethertype() != 0x0800) return "ethertype " + std::to_string(eth->ethertype());
    auto ip = wire::Ipv4View::parse(eth->payload());
    if (!ip) return "malformed ipv4";
    if (ip->protocol() != 6) return ip->src().to_string() + " > " + ip->dst().to_string() + " proto " + std::to_string(ip->protocol());
    auto tcp = wire::TcpView::parse(ip->payload());
    if (!tcp) return "malformed tcp";
    const wire::TcpFlags f = tcp->flags();
    std::string flags;
    if (f.syn()) flags += 'S';
    if (f.fin()) flags += 'F';
    if (f.rst()) flags += 'R';
    if (f.psh()) flags += 'P';
    if (f.ack()) flags += '.';
    char buf[160];
    std::snprintf(buf, sizeof buf, ":%u > %s:%u [%s] seq=%u ack=%u win=%u len=%zu", tcp->src_port(), ip->dst().to_string().c_str(),
                  tcp->dst_port(), flags.c_str(), tcp->seq().raw(), tcp->ack().raw(), tcp->window(), tcp->payload().size());
    return ip->src().to_string() + buf;
}

}  // namespace ustack::sim

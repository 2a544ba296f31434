#include "stack/tcp/testing/segment.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ustack::tcp::testing {

using wire::TcpFlags;

std::string flag_string(TcpFlags f) {
    std::string s;
    if (f.syn()) s += 'S';
    if (f.fin()) s += 'F';
    if (f.rst()) s += 'R';
    if (f.psh()) s += 'P';
    if (f.urg()) s += 'U';
    if (f.ack()) s += '.';
    return s.empty() ? "none" : s;
}

uint8_t parse_flags(const char* s) {
    if (s == nullptr || std::strcmp(s, "none") == 0) return 0;
    uint8_t bits = 0;
    for (const char* p = s; *p; ++p) {
        switch (*p) {
            case 'S': bits |= TcpFlags::kSyn; break;
            case 'F': bits |= TcpFlags::kFin; break;
            case 'R': bits |= TcpFlags::kRst; break;
            case 'P': bits |= TcpFlags::kPsh; break;
            case 'U': bits |= TcpFlags::kUrg; break;
            case '.': bits |= TcpFlags::kAck; break;
            default:
                std::fprintf(stderr, "scripted test: unknown flag letter '%c' in \"%s\"\n", *p, s);
                std::abort();
        }
    }
    return bits;
}

std::string option_layout(const std::vector<uint8_t>& o) {
    std::string out;
    auto add = [&](const char* name) {
        if (!out.empty()) out += ',';
        out += name;
    };
    for (size_t i = 0; i < o.size();) {
        const uint8_t kind = o[i];
        if (kind == 0) {
            add("eol");
            break;
        }
        if (kind == 1) {
            add("nop");
            ++i;
            continue;
        }
        switch (kind) {
            case 2: add("mss"); break;
            case 3: add("wscale"); break;
            case 4: add("sackOK"); break;
            case 5: add("sack"); break;
            case 8: add("TS"); break;
            default: add(("kind" + std::to_string(kind)).c_str()); break;
        }
        const size_t len = i + 1 < o.size() ? o[i + 1] : 0;
        if (len < 2) break;
        i += len;
    }
    return out;
}

std::string describe(const Segment& s, wire::SeqNum stack_iss, wire::SeqNum peer_iss, Instant t0) {
    const wire::SeqNum own = s.from_stack ? stack_iss : peer_iss;
    const wire::SeqNum other = s.from_stack ? peer_iss : stack_iss;
    const auto& t = s.tcp;
    char buf[160];
    const double secs = std::chrono::duration<double>(s.at - t0).count();
    std::snprintf(buf, sizeof buf, "%9.3fs %s %-4s seq %u", secs, s.from_stack ? "stack > peer" : "peer > stack",
                  flag_string(t.flags).c_str(), t.seq.raw() - own.raw());
    std::string line = buf;
    if (s.len() > 0) line += ":" + std::to_string(t.seq.raw() - own.raw() + s.len()) + " (" + std::to_string(s.len()) + ")";
    if (t.flags.ack()) line += " ack " + std::to_string(t.ack.raw() - other.raw());
    line += " win " + std::to_string(t.window);
    if (t.flags.urg()) line += " urg " + std::to_string(t.urgent_pointer);
    std::string opts;
    auto add = [&](const std::string& x) { opts += (opts.empty() ? "" : ",") + x; };
    const auto& o = t.options;
    if (o.mss) add("mss " + std::to_string(*o.mss));
    if (o.sack_permitted) add("sackOK");
    if (o.timestamps) add("TS val " + std::to_string(o.timestamps->tsval) + " ecr " + std::to_string(o.timestamps->tsecr));
    if (o.window_scale) add("wscale " + std::to_string(*o.window_scale));
    for (uint8_t i = 0; i < o.sack_count; ++i) {
        add("sack " + std::to_string(o.sack_blocks[i].left.raw() - other.raw()) + ":" +
            std::to_string(o.sack_blocks[i].right.raw() - other.raw()));
    }
    if (!opts.empty()) line += " <" + opts + ">";
    std::snprintf(buf, sizeof buf, "   [abs seq %u ack %u]", t.seq.raw(), t.ack.raw());
    line += buf;
    return line;
}

}  // namespace ustack::tcp::testing

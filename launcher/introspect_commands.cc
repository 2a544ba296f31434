#include "launcher/introspect_commands.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "launcher/exit_codes.h"
#include "launcher/introspect_format.h"
#include "launcher/stats_reader.h"
#include "launcher/usage.h"

namespace ustack::launcher {
namespace {

int usage(const std::string& message, std::string_view command) {
    std::fprintf(stderr, "ustack: %s; see 'ustack %.*s --help'\n", message.c_str(), static_cast<int>(command.size()),
                 command.data());
    return kExitUsage;
}

void print(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

std::optional<double> parse_seconds(std::string_view text) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !(v > 0) || v > 86400) return std::nullopt;
    return v;
}

int64_t monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void sleep_ns(int64_t ns) {
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

// A snapshot on the heap (it is ~70 KiB); null with a message if the page never settles.
std::unique_ptr<stats::Snapshot> take(const MappedPage& page) {
    auto s = std::make_unique<stats::Snapshot>();
    // A page just created has not been published yet: give it a few publish intervals.
    for (int i = 0; i < 10 && page.page().seq.load(std::memory_order_acquire) == 0; ++i) sleep_ns(stats::kPublishIntervalNs / 2);
    if (!page.snapshot(*s)) {
        std::fprintf(stderr, "ustack: process %d has not published its stats yet (try again)\n", page.page().pid);
        return nullptr;
    }
    if (int64_t age = page_age_ns(*s); age > 5'000'000'000) {
        std::fprintf(stderr, "ustack: warning: process %d last published %.1f s ago (stopped, or it exec'd "
                     "another program)\n", page.page().pid, static_cast<double>(age) / 1e9);
    }
    return s;
}

volatile sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

void catch_stop_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

}  // namespace

int ss_command(std::span<const std::string_view> args) {
    bool info = false, tcp = false, udp = false, header = true;
    std::optional<pid_t> pid;
    for (std::string_view a : args) {
        if (a == "-h" || a == "--help") {
            print(kSsUsage);
            return 0;
        }
        if (a.size() > 1 && a[0] == '-' && a[1] != '-') {
            for (char c : a.substr(1)) {
                if (c == 'i') info = true;
                else if (c == 't') tcp = true;
                else if (c == 'u') udp = true;
                else if (c == 'H') header = false;
                else if (c == 'n' || c == 'a') {  // accepted for `ss -tuna` habits: we never resolve names and always show all
                } else return usage("unknown option '-" + std::string(1, c) + "' for ss", "ss");
            }
        } else if (a == "--info") {
            info = true;
        } else if (!pid && (pid = parse_pid(a))) {
        } else {
            return usage("unexpected argument '" + std::string(a) + "' for ss", "ss");
        }
    }
    if (!tcp && !udp) tcp = udp = true;
    std::vector<PageFile> pages = find_pages(pid);
    if (pid && pages.empty()) {
        int code;
        open_process_page(pid, false, &code);  // prints why
        return code;
    }
    if (header) std::printf("%s\n", ss_header().c_str());
    for (const PageFile& pf : pages) {
        std::string error;
        std::unique_ptr<MappedPage> page = MappedPage::open(pf.path, false, &error);
        if (!page) {
            std::fprintf(stderr, "ustack: %s\n", error.c_str());
            continue;
        }
        std::unique_ptr<stats::Snapshot> s = take(*page);
        if (!s) continue;
        for (uint32_t i = 0; i < s->sockets_shown && i < stats::kMaxSockets; ++i) {
            const stats::SocketRecord& r = s->sockets[i];
            if ((r.protocol == 6 && !tcp) || (r.protocol == 17 && !udp)) continue;
            std::printf("%s\n", ss_row(r, page->page().pid, page->page().command).c_str());
            if (info && r.protocol == 6) std::printf("%s\n", ss_info(r).c_str());
        }
        if (s->sockets_total > s->sockets_shown) {
            std::fprintf(stderr, "ustack: process %d has %u sockets; the first %u are shown\n", pf.pid,
                         s->sockets_total, s->sockets_shown);
        }
    }
    std::fflush(stdout);
    return 0;
}

namespace {

void print_stat(const MappedPage& page, const stats::Snapshot& s) {
    const stats::Page& p = page.page();
    std::printf("ustack pid %d (%s) %s %s\n", p.pid, p.command, s.device.name, p.address);
    std::printf("Counters:\n");
    const uint32_t n = std::min<uint32_t>(p.counter_count, stats::kMaxCounters);
    for (uint32_t i = 0; i < n; ++i) {
        std::printf("%s\n", stat_line(p.counter_names[i], p.counter_help[i], s.counters[i]).c_str());
    }
    std::printf("Device %s:\n", s.device.name);
    std::printf("%s\n", stat_line("rx_frames", "frames received", s.device.rx_frames).c_str());
    std::printf("%s\n", stat_line("tx_frames", "frames sent", s.device.tx_frames).c_str());
    std::printf("%s\n", stat_line("rx_oversize", "frames dropped on receive: too long", s.device.rx_oversize).c_str());
    std::printf("%s\n", stat_line("rx_dropped", "frames dropped on receive: other reasons", s.device.rx_dropped).c_str());
    std::printf("%s\n", stat_line("tx_dropped", "frames accepted for sending but lost", s.device.tx_dropped).c_str());
    std::printf("Sockets: %u\n", s.sockets_total);
}

}  // namespace

int stat_command(std::span<const std::string_view> args) {
    std::optional<pid_t> pid;
    std::optional<double> interval;
    long count = -1;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "-h" || a == "--help") {
            print(kStatUsage);
            return 0;
        }
        if (a == "--interval" || a == "-i" || a == "--count" || a == "-c") {
            if (i + 1 >= args.size()) return usage("option " + std::string(a) + " needs a value", "stat");
            std::string_view v = args[++i];
            if (a == "--interval" || a == "-i") {
                if (!(interval = parse_seconds(v))) return usage("--interval needs seconds > 0, e.g. 1 or 0.5", "stat");
            } else {
                std::optional<pid_t> c = parse_pid(v);
                if (!c) return usage("--count needs a number > 0", "stat");
                count = *c;
            }
        } else if (!pid && (pid = parse_pid(a))) {
        } else {
            return usage("unexpected argument '" + std::string(a) + "' for stat", "stat");
        }
    }
    int code = 0;
    std::unique_ptr<MappedPage> page = open_process_page(pid, false, &code);
    if (!page) return code;
    std::unique_ptr<stats::Snapshot> prev = take(*page);
    if (!prev) return kExitNoProcess;
    print_stat(*page, *prev);
    if (!interval) return 0;
    catch_stop_signals();
    const auto step = static_cast<int64_t>(*interval * 1e9);
    for (long shown = 0; (count < 0 || shown < count) && !g_stop; ++shown) {
        sleep_ns(step);
        if (g_stop) break;
        if (kill(page->page().pid, 0) != 0 && errno == ESRCH) {
            std::fprintf(stderr, "ustack: process %d has exited\n", page->page().pid);
            return 0;
        }
        std::unique_ptr<stats::Snapshot> cur = take(*page);
        if (!cur) return kExitNoProcess;
        std::printf("--- +%.3fs\n", static_cast<double>(cur->updated_ns - prev->updated_ns) / 1e9);
        for (const std::string& line : stat_deltas(page->page(), *prev, *cur)) std::printf("%s\n", line.c_str());
        std::fflush(stdout);
        prev = std::move(cur);
    }
    return 0;
}

int capture_command(std::span<const std::string_view> args) {
    std::optional<double> duration;
    std::vector<std::string_view> positional;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "-h" || a == "--help") {
            print(kCaptureUsage);
            return 0;
        }
        if (a == "--duration" || a == "-d") {
            if (i + 1 >= args.size() || !(duration = parse_seconds(args[i + 1]))) {
                return usage("--duration needs seconds > 0", "capture");
            }
            ++i;
        } else {
            positional.push_back(a);
        }
    }
    if (positional.size() != 2) return usage("capture needs PID and FILE", "capture");
    std::optional<pid_t> pid = parse_pid(positional[0]);
    if (!pid) return usage("'" + std::string(positional[0]) + "' is not a PID", "capture");
    std::error_code ec;
    std::filesystem::path file = std::filesystem::absolute(std::string(positional[1]), ec);
    if (ec || file.string().size() >= stats::kPathLen) return usage("capture file name is too long", "capture");

    int code = 0;
    std::unique_ptr<MappedPage> page = open_process_page(pid, true, &code);
    if (!page) return code;
    stats::CaptureControl& c = page->mutable_page().control;
    const int64_t now = monotonic_ns();
    if (c.state.load() == stats::kCaptureRecording && c.lease_until_ns.load() > now) {
        std::fprintf(stderr, "ustack: process %d is already being captured (stop that 'ustack capture' first)\n", *pid);
        return kExitCapture;
    }
    constexpr int64_t kLease = 3'000'000'000;  // the process stops recording this long after we vanish
    constexpr int64_t kRenew = 500'000'000;
    constexpr int64_t kAnswerWithin = 5'000'000'000;

    bool exited = false;
    auto request = [&](int64_t lease) -> bool {  // true once the process has applied it (or exited)
        c.lease_until_ns.store(lease, std::memory_order_relaxed);
        const uint64_t id = c.request.fetch_add(1, std::memory_order_release) + 1;
        const int64_t give_up = monotonic_ns() + kAnswerWithin;
        while (c.applied.load(std::memory_order_acquire) != id) {
            if (kill(*pid, 0) != 0 && errno == ESRCH) {
                exited = true;  // its frames up to its exit are in the file (flushed per burst)
                return true;
            }
            if (monotonic_ns() > give_up) return false;
            sleep_ns(20'000'000);
        }
        return true;
    };

    catch_stop_signals();
    std::memset(c.path, 0, sizeof c.path);
    std::memcpy(c.path, file.c_str(), file.string().size());
    if (!request(monotonic_ns() + kLease) || exited) {
        std::fprintf(stderr, "ustack: process %d did not answer the capture request (is it stopped?)\n", *pid);
        return kExitCapture;
    }
    if (c.state.load() != stats::kCaptureRecording) {
        std::fprintf(stderr, "ustack: process %d could not start the capture: %.*s\n", *pid,
                     static_cast<int>(strnlen(c.error, sizeof c.error)), c.error);
        return kExitCapture;
    }
    std::fprintf(stderr, "ustack: capturing process %d to %s; stop with Ctrl-C\n", *pid, file.c_str());
    const int64_t end = duration ? monotonic_ns() + static_cast<int64_t>(*duration * 1e9) : INT64_MAX;
    while (!g_stop && monotonic_ns() < end) {
        if (kill(*pid, 0) != 0 && errno == ESRCH) {
            exited = true;
            break;
        }
        c.lease_until_ns.store(monotonic_ns() + kLease, std::memory_order_relaxed);
        sleep_ns(std::min<int64_t>(kRenew, std::max<int64_t>(end - monotonic_ns(), 1)));
    }
    if (!exited && !request(0)) {
        std::fprintf(stderr, "ustack: process %d did not confirm the end of the capture; %s may be incomplete\n",
                     *pid, file.c_str());
        return kExitCapture;
    }
    if (exited) std::fprintf(stderr, "ustack: process %d exited; the capture ends with it\n", *pid);
    std::fprintf(stderr, "ustack: %" PRIu64 " frames written to %s\n", c.frames.load(), file.c_str());
    return 0;
}

}  // namespace ustack::launcher

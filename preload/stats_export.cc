#include "preload/stats_export.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "netdev/pcap_lib.h"
#include "preload/capture_device.h"
#include "preload/log.h"
#include "preload/runtime.h"
#include "preload/stats_page.h"
#include "preload/thread_state.h"
#include "stack/core/counters.h"

namespace ustack::preload::stats_export {
namespace {

#define USTACK_COUNT_ONE(name, help) +1
static_assert(0 USTACK_COUNTERS(USTACK_COUNT_ONE) USTACK_RUNTIME_COUNTERS(USTACK_COUNT_ONE) <= stats::kMaxCounters,
              "the stats page has room for kMaxCounters counters");
#undef USTACK_COUNT_ONE

// Raw system calls: open/close are interposed, and these fds are never the program's.
int raw_open(const char* path, int flags, mode_t mode) { return static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, flags, mode)); }
void raw_close(int fd) { syscall(SYS_close, fd); }

stats::Page* g_page = nullptr;
CaptureDevice* g_capture = nullptr;  // owned by the stack; used under the stack lock only
pid_t g_owner = 0;
char g_path[256];

int64_t clock_ns(clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void copy_str(char* dst, size_t cap, const char* src) {
    std::strncpy(dst, src, cap - 1);
    dst[cap - 1] = '\0';
}

// Opens <dir>/<pid>.stats fresh. dir is created when missing: /run/ustack world-writable and
// sticky like /tmp (each file is 0600), other directories private to this user.
int create_in(const std::string& dir) {
    const bool shared = dir == "/run/ustack";
    if (mkdir(dir.c_str(), shared ? 01777 : 0700) == 0 && shared) chmod(dir.c_str(), 01777);
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return -1;
    if (!shared && std::getenv("USTACK_RUN_DIR") == nullptr && st.st_uid != getuid()) return -1;
    std::snprintf(g_path, sizeof g_path, "%s/%d.stats", dir.c_str(), static_cast<int>(getpid()));
    unlink(g_path);  // a stale page of an earlier process with our pid
    return raw_open(g_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

bool create_page() {
    int fd = -1;
    for (const std::string& dir : stats::candidate_dirs(getuid())) {
        fd = create_in(dir);
        if (fd >= 0) break;
    }
    if (fd < 0) {
        USTACK_LOG_INFO("no stats page: cannot create one in /run/ustack or /tmp/ustack-%u (set USTACK_RUN_DIR)", getuid());
        return false;
    }
    void* mem = MAP_FAILED;
    if (ftruncate(fd, sizeof(stats::Page)) == 0) {
        mem = mmap(nullptr, sizeof(stats::Page), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    }
    raw_close(fd);
    if (mem == MAP_FAILED) {
        unlink(g_path);
        USTACK_LOG_INFO("no stats page: cannot map %s", g_path);
        return false;
    }
    auto* p = static_cast<stats::Page*>(mem);  // zero-filled by ftruncate
    std::memcpy(p->magic, stats::kMagic, sizeof p->magic);
    p->version = stats::kVersion;
    p->page_bytes = sizeof(stats::Page);
    p->pid = getpid();
    p->uid = getuid();
    p->max_sockets = stats::kMaxSockets;
    p->started_realtime_ns = clock_ns(CLOCK_REALTIME);
    if (const char* a = std::getenv("USTACK_ADDRESS")) copy_str(p->address, sizeof p->address, a);
    int cfd = raw_open("/proc/self/comm", O_RDONLY | O_CLOEXEC, 0);
    if (cfd >= 0) {
        ssize_t n = syscall(SYS_read, cfd, p->command, sizeof p->command - 1);
        if (n > 0 && p->command[n - 1] == '\n') p->command[n - 1] = '\0';
        raw_close(cfd);
    }
    uint32_t i = 0;
#define USTACK_NAME_COUNTER(name, help)                                                   \
    copy_str(p->counter_names[i], stats::kCounterNameLen, #name);                         \
    copy_str(p->counter_help[i], stats::kCounterHelpLen, help);                           \
    ++i;
    USTACK_COUNTERS(USTACK_NAME_COUNTER)
    USTACK_RUNTIME_COUNTERS(USTACK_NAME_COUNTER)
#undef USTACK_NAME_COUNTER
    p->counter_count = i;
    g_page = p;
    g_owner = getpid();
    return true;
}

void remove_page() {
    if (g_page != nullptr && getpid() == g_owner) {
        unlink(g_path);
        g_owner = 0;
    }
}

// Under the stack lock.
void publish(Stack& stack) {
    stats::Page& p = *g_page;
    stats::Snapshot& s = p.snapshot;
    const uint64_t seq = p.seq.load(std::memory_order_relaxed);
    p.seq.store(seq + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);

    s.updated_ns = clock_ns(CLOCK_MONOTONIC);
    ++s.publications;
    const Counters& c = stack.counters();
    uint32_t i = 0;
#define USTACK_COPY_COUNTER(name, help) s.counters[i++] = c.name;
    USTACK_COUNTERS(USTACK_COPY_COUNTER)
#undef USTACK_COPY_COUNTER
    const preload::RuntimeCounters& rc = preload::Runtime::instance().counters();
#define USTACK_COPY_RUNTIME_COUNTER(name, help) s.counters[i++] = rc.name;
    USTACK_RUNTIME_COUNTERS(USTACK_COPY_RUNTIME_COUNTER)
#undef USTACK_COPY_RUNTIME_COUNTER
    netdev::Device& dev = stack.device();
    const netdev::DeviceCounters dc = dev.counters();
    copy_str(s.device.name, sizeof s.device.name, dev.name().c_str());
    s.device.rx_frames = dc.rx_frames;
    s.device.tx_frames = dc.tx_frames;
    s.device.rx_oversize = dc.rx_oversize;
    s.device.rx_dropped = dc.rx_dropped;
    s.device.tx_dropped = dc.tx_dropped;
    uint32_t shown = 0;
    const size_t total = stack.for_each_socket(stats::kMaxSockets, [&](const SocketInfo& info) {
        stats::SocketRecord& r = s.sockets[shown++];
        r = {};
        r.protocol = info.kind == SocketKind::kTcp ? 6 : 17;
        r.user_open = info.user_open ? 1 : 0;
        r.local_addr = info.local.addr.value;
        r.local_port = info.local.port;
        r.remote_addr = info.remote.addr.value;
        r.remote_port = info.remote.port;
        copy_str(r.state, sizeof r.state, info.state);
        r.recv_q = info.recv_q;
        r.send_q = info.send_q;
        r.srtt_ns = static_cast<uint64_t>(info.srtt.count());
        r.rttvar_ns = static_cast<uint64_t>(info.rttvar.count());
        r.rto_ns = static_cast<uint64_t>(info.rto.count());
        r.cwnd = info.cwnd;
        r.ssthresh = info.ssthresh;
        r.snd_mss = info.snd_mss;
        r.snd_wnd = info.snd_wnd;
        r.backoff = info.backoff;
        copy_str(r.cc, sizeof r.cc, info.cc);
    });
    s.sockets_total = static_cast<uint32_t>(std::min<size_t>(total, UINT32_MAX));
    s.sockets_shown = shown;

    std::atomic_thread_fence(std::memory_order_release);
    p.seq.store(seq + 2, std::memory_order_release);
}

// Under the stack lock: starts or stops recording as the control block asks.
void serve_capture() {
    stats::CaptureControl& c = g_page->control;
    const uint64_t request = c.request.load(std::memory_order_acquire);
    const int64_t now = clock_ns(CLOCK_MONOTONIC);
    if (request != c.applied.load(std::memory_order_relaxed)) {
        const int64_t lease = c.lease_until_ns.load(std::memory_order_relaxed);
        if (lease > now) {
            char path[stats::kPathLen];
            std::memcpy(path, c.path, sizeof path);
            path[sizeof path - 1] = '\0';
            std::string err = g_capture->start(path);
            if (err.empty()) {
                c.state.store(stats::kCaptureRecording, std::memory_order_relaxed);
                USTACK_LOG_INFO("capture started: %s", path);
            } else {
                copy_str(c.error, sizeof c.error, err.c_str());
                c.state.store(stats::kCaptureFailed, std::memory_order_relaxed);
                USTACK_LOG_WARN("%s", err.c_str());
            }
        } else {
            g_capture->stop();
            c.state.store(stats::kCaptureOff, std::memory_order_relaxed);
        }
        c.frames.store(g_capture->frames(), std::memory_order_relaxed);
        c.applied.store(request, std::memory_order_release);
        return;
    }
    if (g_capture->recording()) {
        c.frames.store(g_capture->frames(), std::memory_order_relaxed);
        if (c.lease_until_ns.load(std::memory_order_relaxed) <= now) {  // the reader is gone
            g_capture->stop();
            c.state.store(stats::kCaptureOff, std::memory_order_relaxed);
            USTACK_LOG_INFO("capture stopped: its lease expired");
        }
    }
}

void* exporter_main(void*) {
    thread_state().in_runtime = true;
    pthread_setname_np(pthread_self(), "ustack-stats");
    Runtime& rt = Runtime::instance();
    const timespec tick{0, stats::kPublishIntervalNs};
    for (;;) {
        nanosleep(&tick, nullptr);
        const Mode m = rt.mode();
        if (m == Mode::kUnset) continue;  // bring-up still running
        if (m != Mode::kActive) break;    // bring-up failed: nothing to show
        // A capture request loads libpcap here, before the stack lock: dlopen() takes the
        // loader's lock and runs constructors, which must not wait behind the stack.
        const stats::CaptureControl& c = g_page->control;
        if (c.request.load(std::memory_order_acquire) != c.applied.load(std::memory_order_relaxed)) {
            (void)netdev::pcap_lib(nullptr);
        }
        StackLock lock(rt);
        publish(lock.stack());
        serve_capture();
    }
    remove_page();
    return nullptr;
}

}  // namespace

std::unique_ptr<netdev::Device> start(std::unique_ptr<netdev::Device> device) {
    if (const char* v = std::getenv("USTACK_STATS"); v != nullptr && std::strcmp(v, "off") == 0) return device;
    if (!create_page()) return device;
    auto capture = std::make_unique<CaptureDevice>(std::move(device));
    g_capture = capture.get();

    // Like the service thread: no program signal may land on it.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t tid;
    const int rc = pthread_create(&tid, nullptr, exporter_main, nullptr);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (rc != 0) {
        remove_page();
        USTACK_LOG_INFO("no stats page: cannot start its thread (%s)", strerrordesc_np(rc));
    } else {
        pthread_detach(tid);
        std::atexit(remove_page);
    }
    return capture;
}

}  // namespace ustack::preload::stats_export

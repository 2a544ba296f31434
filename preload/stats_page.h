// The stats page: how a process running under ustack shows its counters, its device and its
// sockets to `ustack ss`, `ustack stat` and `ustack capture`, without the program's hot path
// paying for it. Documented for users in ustack(7), section STATS PAGE.
//
// Where: one file per process, <dir>/<pid>.stats, mode 0600, owned by the process's user.
// <dir> is $USTACK_RUN_DIR when set; otherwise /run/ustack (created mode 01777 by the first
// process that may) and, when that is not writable, /tmp/ustack-<uid> (mode 0700). Readers
// look in the same places. The process removes its file at exit(); a file whose pid is gone
// (the process was killed) is stale and readers ignore (and remove) it.
//
// Who writes what:
//  * The process creates the file, fills the header once, then republishes everything from
//    `seq` on every kPublishInterval from a thread of its own (never from the program's
//    threads) while holding the stack lock briefly.
//  * Readers map it read-only. `ustack capture` maps it read-write and writes only the
//    `control` block (see CaptureControl).
//
// Torn reads: everything after `seq` is published under a seqlock. The writer makes seq odd,
// writes, then makes it even again (release). A reader copies the block between two loads of
// seq and retries while seq is odd or changed.
//
// Layout: fixed-size, native byte order, no pointers; `version` changes with any layout change.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace ustack::stats {

inline constexpr char kMagic[8] = {'U', 'S', 'T', 'K', 'S', 'T', 'A', 'T'};
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kMaxCounters = 128;
inline constexpr size_t kCounterNameLen = 48;
inline constexpr size_t kCounterHelpLen = 96;
inline constexpr size_t kMaxSockets = 512;          // a snapshot shows at most this many sockets
inline constexpr int64_t kPublishIntervalNs = 200'000'000;  // how often the process republishes
inline constexpr size_t kPathLen = 1024;

// One socket, as Stack::for_each_socket() describes it.
struct SocketRecord {
    uint8_t protocol;          // 6 = TCP, 17 = UDP (the IP protocol numbers)
    uint8_t user_open;         // 0: closed by the program, still closing
    uint16_t local_port;
    uint16_t remote_port;
    uint16_t reserved;
    uint32_t local_addr;       // IPv4, host byte order (10.77.0.2 is 0x0a4d0002)
    uint32_t remote_addr;
    char state[16];            // "ESTABLISHED", "LISTEN", ... ; UDP: "UNCONN" or "ESTAB"
    uint64_t recv_q;           // bytes to read; LISTEN: connections waiting for accept()
    uint64_t send_q;           // bytes not yet acknowledged; LISTEN: the backlog
    uint64_t srtt_ns;          // smoothed RTT (RFC 6298); 0 before the first sample
    uint64_t rttvar_ns;
    uint64_t rto_ns;
    uint32_t cwnd;             // bytes
    uint32_t ssthresh;         // bytes; UINT32_MAX until the first loss
    uint32_t snd_mss;
    uint32_t snd_wnd;
    int32_t backoff;           // consecutive retransmission timeouts not yet recovered
    char cc[12];               // congestion control, e.g. "reno"
};

// The device's own counters (netdev::DeviceCounters), by name.
struct DeviceRecord {
    char name[48];             // "tap:tap0", "packet:pkt0", "fd:3"
    uint64_t rx_frames;
    uint64_t tx_frames;
    uint64_t rx_oversize;
    uint64_t rx_dropped;
    uint64_t tx_dropped;
};

// Live capture. A reader starts one by writing path and lease_until_ns, then incrementing
// request (release). On its next publish the process sees request != applied, starts (or
// stops) recording, and stores applied = request with state and error set. Recording lasts
// while CLOCK_MONOTONIC < lease_until_ns: the reader renews the lease, so a capture whose
// reader died stops by itself. To stop: lease_until_ns = 0, then increment request.
struct CaptureControl {
    std::atomic<uint64_t> request;         // written by the reader
    std::atomic<int64_t> lease_until_ns;   // written by the reader; CLOCK_MONOTONIC
    char path[kPathLen];                   // written by the reader: absolute pcap file path
    std::atomic<uint64_t> applied;         // written by the process
    std::atomic<uint32_t> state;           // written by the process: CaptureState
    std::atomic<uint64_t> frames;          // written by the process: frames written so far
    char error[256];                       // written by the process when state is kFailed
};
enum CaptureState : uint32_t { kCaptureOff = 0, kCaptureRecording = 1, kCaptureFailed = 2 };

// Everything from updated_ns on is published under Page::seq.
struct Snapshot {
    int64_t updated_ns;                    // CLOCK_MONOTONIC of this publication
    uint64_t publications;
    uint64_t counters[kMaxCounters];       // in counter_names order (USTACK_COUNTERS)
    DeviceRecord device;
    uint32_t sockets_total;                // sockets the stack has
    uint32_t sockets_shown;                // the first sockets_shown are in sockets[]
    SocketRecord sockets[kMaxSockets];
};

struct Page {
    char magic[8];
    uint32_t version;
    uint32_t page_bytes;                   // sizeof(Page) of the writer
    int32_t pid;
    uint32_t uid;
    uint32_t counter_count;
    uint32_t max_sockets;
    int64_t started_realtime_ns;           // when the stack came up (CLOCK_REALTIME)
    char command[64];                      // /proc/self/comm
    char address[32];                      // USTACK_ADDRESS, e.g. "10.77.0.2/24"
    char counter_names[kMaxCounters][kCounterNameLen];
    char counter_help[kMaxCounters][kCounterHelpLen];
    CaptureControl control;
    alignas(64) std::atomic<uint64_t> seq;  // odd while the process writes the snapshot
    Snapshot snapshot;
};

static_assert(std::atomic<uint64_t>::is_always_lock_free, "the seqlock is shared between processes");

// The directories pages may be in, most preferred first (see the top of this file).
inline std::vector<std::string> candidate_dirs(unsigned uid) {
    if (const char* d = std::getenv("USTACK_RUN_DIR"); d != nullptr && *d != '\0') return {d};
    return {"/run/ustack", "/tmp/ustack-" + std::to_string(uid)};
}

}  // namespace ustack::stats

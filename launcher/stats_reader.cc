#include "launcher/stats_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "launcher/exit_codes.h"

namespace ustack::launcher {
namespace {

bool process_alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

std::vector<std::string> dirs_to_scan() {
    std::vector<std::string> dirs = stats::candidate_dirs(getuid());
    if (std::getenv("USTACK_RUN_DIR") == nullptr && getuid() == 0) {
        if (DIR* d = opendir("/tmp")) {
            while (dirent* e = readdir(d)) {
                std::string name = e->d_name;
                std::string path = "/tmp/" + name;
                if (name.starts_with("ustack-") && std::find(dirs.begin(), dirs.end(), path) == dirs.end()) {
                    dirs.push_back(path);
                }
            }
            closedir(d);
        }
    }
    return dirs;
}

}  // namespace

std::optional<pid_t> parse_pid(std::string_view text) {
    int v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v <= 0) return std::nullopt;
    return static_cast<pid_t>(v);
}

std::unique_ptr<MappedPage> MappedPage::open(const std::string& path, bool writable, std::string* error) {
    int fd = ::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        *error = "cannot open " + path + ": " + std::strerror(errno) +
                 (errno == EACCES ? " (run as the process's user or as root)" : "");
        return nullptr;
    }
    struct stat st {};
    if (fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) < sizeof(stats::Page)) {
        ::close(fd);
        *error = path + " is not a ustack stats page of this version (too short)";
        return nullptr;
    }
    void* mem = mmap(nullptr, sizeof(stats::Page), writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (mem == MAP_FAILED) {
        *error = "cannot map " + path + ": " + std::strerror(errno);
        return nullptr;
    }
    auto* page = static_cast<stats::Page*>(mem);
    if (std::memcmp(page->magic, stats::kMagic, sizeof page->magic) != 0 || page->version != stats::kVersion ||
        page->page_bytes != sizeof(stats::Page)) {
        munmap(mem, sizeof(stats::Page));
        *error = path + " is not a ustack stats page of this version (the process runs another ustack build)";
        return nullptr;
    }
    return std::unique_ptr<MappedPage>(new MappedPage(page, path));
}

MappedPage::~MappedPage() { munmap(page_, sizeof(stats::Page)); }

bool MappedPage::snapshot(stats::Snapshot& out) const {
    for (int attempt = 0; attempt < 1000; ++attempt) {
        const uint64_t before = page_->seq.load(std::memory_order_acquire);
        if (before & 1) {
            sched_yield();
            continue;
        }
        std::memcpy(static_cast<void*>(&out), &page_->snapshot, sizeof out);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (page_->seq.load(std::memory_order_relaxed) == before) return before != 0;
    }
    return false;
}

int64_t page_age_ns(const stats::Snapshot& s) {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec - s.updated_ns;
}

std::vector<PageFile> find_pages(std::optional<pid_t> only) {
    std::vector<PageFile> out;
    for (const std::string& dir : dirs_to_scan()) {
        DIR* d = opendir(dir.c_str());
        if (d == nullptr) continue;
        while (dirent* e = readdir(d)) {
            std::string_view name = e->d_name;
            if (!name.ends_with(".stats")) continue;
            std::optional<pid_t> pid = parse_pid(name.substr(0, name.size() - 6));
            if (!pid || (only && *pid != *only)) continue;
            std::string path = dir + "/" + std::string(name);
            if (!process_alive(*pid)) {
                unlink(path.c_str());  // stale: its process was killed before it could remove it
                continue;
            }
            if (std::none_of(out.begin(), out.end(), [&](const PageFile& p) { return p.pid == *pid; })) {
                out.push_back({*pid, path});
            }
        }
        closedir(d);
    }
    std::sort(out.begin(), out.end(), [](const PageFile& a, const PageFile& b) { return a.pid < b.pid; });
    return out;
}

std::unique_ptr<MappedPage> open_process_page(std::optional<pid_t> pid, bool writable, int* exit_code) {
    *exit_code = kExitNoProcess;
    std::vector<PageFile> pages = find_pages(pid);
    if (pages.empty()) {
        if (pid) {
            std::fprintf(stderr, "ustack: process %d is not running under ustack (no stats page; see 'ustack ss' "
                         "for those that are, and USTACK_STATS in ustack(7))\n", static_cast<int>(*pid));
        } else {
            std::fprintf(stderr, "ustack: no process is running under ustack (start one with 'ustack run')\n");
        }
        return nullptr;
    }
    if (!pid && pages.size() > 1) {
        std::fprintf(stderr, "ustack: %zu processes run under ustack; name one by PID (see 'ustack ss')\n", pages.size());
        return nullptr;
    }
    std::string error;
    std::unique_ptr<MappedPage> page = MappedPage::open(pages.front().path, writable, &error);
    if (!page) std::fprintf(stderr, "ustack: %s\n", error.c_str());
    return page;
}

}  // namespace ustack::launcher

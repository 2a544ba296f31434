// Finding and reading the stats pages of running ustack processes (preload/stats_page.h).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "preload/stats_page.h"

namespace ustack::launcher {

// A page mapped from its file. Readers map it read-only; `ustack capture` read-write.
class MappedPage {
public:
    static std::unique_ptr<MappedPage> open(const std::string& path, bool writable, std::string* error);
    ~MappedPage();
    MappedPage(const MappedPage&) = delete;
    MappedPage& operator=(const MappedPage&) = delete;

    const stats::Page& page() const { return *page_; }
    stats::Page& mutable_page() { return *page_; }
    const std::string& path() const { return path_; }

    // Copies the published snapshot without tearing (seqlock). False if the writer kept
    // writing for the whole attempt (it never does for long).
    bool snapshot(stats::Snapshot& out) const;

private:
    MappedPage(stats::Page* page, std::string path) : page_(page), path_(std::move(path)) {}
    stats::Page* page_;
    std::string path_;
};

struct PageFile {
    pid_t pid = 0;
    std::string path;
};

// Pages of live processes, by pid, in the directories stats::candidate_dirs() names (and,
// for root, every /tmp/ustack-<uid>). A page whose process is gone is stale: it is removed
// when we may, and never listed. only: just that pid.
std::vector<PageFile> find_pages(std::optional<pid_t> only = std::nullopt);

// Nanoseconds since the page was last published (CLOCK_MONOTONIC).
int64_t page_age_ns(const stats::Snapshot& s);

// Opens the page of pid (or, with no pid, of the only ustack process running). On failure,
// prints one line and returns null; *exit_code is kExitNoProcess.
std::unique_ptr<MappedPage> open_process_page(std::optional<pid_t> pid, bool writable, int* exit_code);

// Parses a PID argument; nullopt if it is not a positive number.
std::optional<pid_t> parse_pid(std::string_view text);

}  // namespace ustack::launcher

// The simulated world: a virtual clock, hosts (each a Stack on a SimDevice), the links that
// join them, and a scheduler running application code as fibers. Nothing here reads a real
// clock, starts a thread or iterates an unordered container, so a run is a pure function of
// its seed and configuration.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stack/core/rng.h"
#include "stack/core/time.h"
#include "stack/sim/link.h"
#include "stack/wire/ipv4_addr.h"

namespace ustack::sim {

class Host;
struct Task;  // a fiber and what it waits for; defined in world.cc
using TaskId = size_t;

class World {
public:
    static constexpr Instant kStart{std::chrono::seconds(1)};  // 0 means "off" to some timers

    explicit World(uint64_t seed);
    ~World();
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    Instant now() const { return now_; }
    Duration elapsed() const { return now_ - kStart; }
    const Instant& clock() const { return now_; }
    uint64_t seed() const { return seed_; }
    // For the test's own choices (payload bytes, sizes): a stream apart from the links' and the
    // stacks', so drawing more here never changes what the network does.
    Rng& rng() { return test_rng_; }

    // A host with a stack at address (e.g. 10.0.0.1/24); its MAC is 02:00:00:00:00:<n>.
    Host& add_host(std::string name, wire::Ipv4Cidr address, size_t mtu = 1500);
    // Joins a and b with a cable: a_to_b carries what a sends. A host has one cable.
    void connect(Host& a, Host& b, const LinkConfig& a_to_b, const LinkConfig& b_to_a);
    const std::vector<std::unique_ptr<Link>>& links() const { return links_; }
    const std::vector<std::unique_ptr<Host>>& hosts() const { return hosts_; }

    // Fails a run once the links together have been offered this many frames: a packet storm
    // (an ACK war) then ends in a second of real time instead of a minute. 0: no limit.
    void set_frame_limit(uint64_t frames) { frame_limit_ = frames; }

    // Writes one line per frame event on every link (and links connected later) to out.
    void set_trace(std::ostream* out);

    // A fiber on host running body; it starts the next time the scheduler looks. body may call
    // blocking operations (Host, Socket). An exception escaping body fails the run.
    TaskId spawn(Host& host, std::string name, std::function<void()> body);
    bool finished(TaskId id) const;

    // Runs until every task has finished: true. False when the run fails instead, and failure()
    // says why: virtual time would pass now + limit, a task threw, or tasks wait on something
    // that can never happen (no frame in flight, no timer armed, no task sleeping).
    bool run(Duration limit);
    // The same, stopping as soon as pred() holds (checked whenever something happened).
    bool run_until(const std::function<bool()>& pred, Duration limit);
    // Runs everything due within d and leaves the clock at now + d. False if a task threw.
    bool advance(Duration d);
    const std::string& failure() const { return failure_; }

    // ---- for code running inside a task -------------------------------------------------
    // Suspends the calling task until its host's stack generation moves, any task finishes,
    // or deadline passes. Wakeups may be spurious: callers re-check and loop.
    void block(std::optional<Instant> deadline = std::nullopt);
    bool in_task() const { return current_ != nullptr; }
    Host& current_host();

private:
    enum class Stop { kPredicate, kAllDone, kTimeLimit, kDeadlock, kTaskFailed };
    Stop drive(const std::function<bool()>& pred, Instant end, bool stop_when_all_done);
    bool runnable(const Task& t) const;
    void resume(Task& t);
    std::optional<Instant> next_event() const;
    std::string describe_waiting() const;
    void observe(Link& link);

    uint64_t seed_;
    Rng world_rng_;   // seeds for links and stacks, drawn in creation order
    Rng test_rng_;
    Instant now_ = kStart;
    std::ostream* trace_ = nullptr;
    uint64_t frame_limit_ = 0;
    uint64_t finished_tasks_ = 0;  // moves whenever a task finishes; joins wait on it
    std::string failure_;
    Task* current_ = nullptr;
    const void* scheduler_stack_bottom_ = nullptr;  // for the sanitizer's stack-switch annotations
    size_t scheduler_stack_size_ = 0;
    // Declared so that tasks (whose unwinding closes sockets) go before hosts, and hosts
    // (whose devices point at links) before links.
    std::vector<std::unique_ptr<Link>> links_;
    std::vector<std::unique_ptr<Host>> hosts_;
    std::vector<std::unique_ptr<Task>> tasks_;
};

}  // namespace ustack::sim

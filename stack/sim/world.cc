#include "stack/sim/world.h"

#include <boost/context/fiber.hpp>
#include <boost/context/fixedsize_stack.hpp>

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "stack/sim/host.h"
#include "stack/sim/trace.h"

namespace ustack::sim {

namespace ctx = boost::context;

// AddressSanitizer must be told about every stack switch, or it mistakes a fiber's stack for
// the thread's and reports false errors when an exception unwinds (Debian's Boost.Context has
// no annotated ucontext backend, so the scheduler annotates its own switches).
#if defined(__SANITIZE_ADDRESS__)
extern "C" {
void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom, size_t size);
void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old, size_t* size_old);
}
#define USTACK_START_SWITCH(save, bottom, size) __sanitizer_start_switch_fiber(save, bottom, size)
#define USTACK_FINISH_SWITCH(save, bottom, size) __sanitizer_finish_switch_fiber(save, bottom, size)
#else
#define USTACK_START_SWITCH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define USTACK_FINISH_SWITCH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#endif

namespace {
constexpr size_t kFiberStackBytes = 256 * 1024;
// Rounds at one instant without time moving before the run is declared a livelock.
constexpr uint64_t kMaxRoundsPerInstant = 1'000'000;
}  // namespace

struct Task {
    std::string name;
    Host* host = nullptr;
    std::function<void()> body;
    ctx::fiber fiber;      // the task's context while it is suspended
    ctx::fiber scheduler;  // the scheduler's context while the task runs
    bool started = false;
    bool finished = false;
    bool cancelled = false;  // the world is going away: block() throws Cancelled
    const void* stack_bottom = nullptr;
    size_t stack_size = 0;
    void* asan_fake_stack = nullptr;
    // What a blocked task waits for: any of these moving wakes it.
    uint64_t seen_generation = 0;
    uint64_t seen_finished = 0;
    std::optional<Instant> deadline;
};

namespace {

// Thrown out of block() in a task the world cancels, so the task unwinds (closing its sockets)
// by the ordinary exception path rather than by Boost's forced unwinding.
struct Cancelled {};

// A fixed-size fiber stack whose bounds the task records, for the sanitizer annotations.
struct RecordingStack {
    Task* task;
    ctx::fixedsize_stack inner{kFiberStackBytes};
    ctx::stack_context allocate() {
        ctx::stack_context sc = inner.allocate();
        task->stack_bottom = static_cast<char*>(sc.sp) - sc.size;
        task->stack_size = sc.size;
        return sc;
    }
    void deallocate(ctx::stack_context& sc) noexcept { inner.deallocate(sc); }
};

}  // namespace

World::World(uint64_t seed) : seed_(seed), world_rng_(seed), test_rng_(seed ^ 0x5eed5eed5eed5eedull) {}

World::~World() {
    // Unfinished tasks unwind first, closing their sockets while the hosts still exist.
    for (auto& t : tasks_) {
        if (t->finished) continue;
        t->cancelled = true;
        resume(*t);
    }
    tasks_.clear();
    hosts_.clear();
    links_.clear();
}

Host& World::add_host(std::string name, wire::Ipv4Cidr address, size_t mtu) {
    const auto n = static_cast<uint8_t>(hosts_.size() + 1);
    StackConfig cfg{address, std::nullopt, wire::MacAddr{{0x02, 0, 0, 0, 0, n}}, world_rng_.next()};
    hosts_.push_back(std::make_unique<Host>(*this, std::move(name), cfg, mtu));
    return *hosts_.back();
}

void World::connect(Host& a, Host& b, const LinkConfig& a_to_b, const LinkConfig& b_to_a) {
    links_.push_back(std::make_unique<Link>(a.name() + "->" + b.name(), a_to_b, world_rng_.next()));
    Link* ab = links_.back().get();
    links_.push_back(std::make_unique<Link>(b.name() + "->" + a.name(), b_to_a, world_rng_.next()));
    Link* ba = links_.back().get();
    a.device().attach(ab, ba);
    b.device().attach(ba, ab);
    observe(*ab);
    observe(*ba);
}

void World::set_trace(std::ostream* out) {
    trace_ = out;
    for (auto& l : links_) observe(*l);
}

void World::observe(Link& link) {
    if (trace_ == nullptr) {
        link.set_observer(nullptr);
        return;
    }
    link.set_observer([this, &link](FrameEvent e, std::span<const std::byte> frame, Instant t) {
        *trace_ << format_time(t - kStart) << ' ' << link.name() << ' ' << frame_event_name(e) << ' '
                << describe_frame(frame) << '\n';
    });
}

TaskId World::spawn(Host& host, std::string name, std::function<void()> body) {
    auto t = std::make_unique<Task>();
    t->name = std::move(name);
    t->host = &host;
    t->body = std::move(body);
    Task* task = t.get();
    t->fiber = ctx::fiber(std::allocator_arg, RecordingStack{task}, [this, task](ctx::fiber&& sched) {
        USTACK_FINISH_SWITCH(nullptr, &scheduler_stack_bottom_, &scheduler_stack_size_);
        task->scheduler = std::move(sched);
        try {
            if (!task->cancelled) task->body();
        } catch (const Cancelled&) {
        } catch (const std::exception& e) {
            if (failure_.empty()) failure_ = "task '" + task->name + "' on " + task->host->name() + " threw: " + e.what();
        }
        task->finished = true;
        ++finished_tasks_;
        USTACK_START_SWITCH(nullptr, scheduler_stack_bottom_, scheduler_stack_size_);  // this stack is done
        return std::move(task->scheduler);
    });
    tasks_.push_back(std::move(t));
    return tasks_.size() - 1;
}

bool World::finished(TaskId id) const { return tasks_.at(id)->finished; }

Host& World::current_host() { return *current_->host; }

void World::block(std::optional<Instant> deadline) {
    Task& t = *current_;
    t.seen_generation = t.host->stack().generation();
    t.seen_finished = finished_tasks_;
    t.deadline = deadline;
    USTACK_START_SWITCH(&t.asan_fake_stack, scheduler_stack_bottom_, scheduler_stack_size_);
    t.scheduler = std::move(t.scheduler).resume();
    USTACK_FINISH_SWITCH(t.asan_fake_stack, nullptr, nullptr);
    if (t.cancelled) throw Cancelled{};
}

bool World::runnable(const Task& t) const {
    if (t.finished) return false;
    if (!t.started) return true;
    return t.host->stack().generation() != t.seen_generation || finished_tasks_ != t.seen_finished ||
           (t.deadline && *t.deadline <= now_);
}

void World::resume(Task& t) {
    t.started = true;
    t.deadline.reset();
    current_ = &t;
    void* fake_stack = nullptr;
    USTACK_START_SWITCH(&fake_stack, t.stack_bottom, t.stack_size);
    t.fiber = std::move(t.fiber).resume();
    USTACK_FINISH_SWITCH(fake_stack, nullptr, nullptr);
    current_ = nullptr;
}

std::optional<Instant> World::next_event() const {
    std::optional<Instant> next;
    auto consider = [&](std::optional<Instant> when) {
        if (when && (!next || *when < *next)) next = when;
    };
    for (const auto& l : links_) consider(l->next_delivery());
    for (const auto& h : hosts_) consider(h->stack().next_deadline());
    for (const auto& t : tasks_) {
        if (!t->finished) consider(t->deadline);
    }
    return next;
}

std::string World::describe_waiting() const {
    std::string s;
    for (const auto& t : tasks_) {
        if (t->finished) continue;
        if (!s.empty()) s += ", ";
        s += "'" + t->name + "' on " + t->host->name();
    }
    return s;
}

World::Stop World::drive(const std::function<bool()>& pred, Instant end, bool stop_when_all_done) {
    uint64_t rounds_here = 0;
    for (;;) {
        // Everything due now: frames and timers, then every task that can go on, until quiet.
        bool progress = true;
        while (progress) {
            progress = false;
            for (auto& h : hosts_) h->stack().poll(now_);
            for (size_t i = 0; i < tasks_.size(); ++i) {  // by index: tasks may spawn tasks
                if (!runnable(*tasks_[i])) continue;
                resume(*tasks_[i]);
                progress = true;
                if (!failure_.empty()) return Stop::kTaskFailed;
            }
            if (pred && pred()) return Stop::kPredicate;
            if (stop_when_all_done &&
                std::all_of(tasks_.begin(), tasks_.end(), [](const auto& t) { return t->finished; })) {
                return Stop::kAllDone;
            }
            if (frame_limit_ != 0) {
                uint64_t offered = 0;
                for (const auto& l : links_) offered += l->stats().offered;
                if (offered > frame_limit_) {
                    failure_ = "packet storm: more than " + std::to_string(frame_limit_) + " frames offered by " +
                               format_time(now_ - kStart) + "; still waiting: " + describe_waiting();
                    return Stop::kTaskFailed;
                }
            }
            if (++rounds_here > kMaxRoundsPerInstant) {
                failure_ = "livelock: virtual time stuck at " + format_time(now_ - kStart);
                return Stop::kTaskFailed;
            }
        }
        const std::optional<Instant> next = next_event();
        if (!next) return Stop::kDeadlock;
        if (*next > end) return Stop::kTimeLimit;
        if (*next > now_) {
            now_ = *next;
            rounds_here = 0;
        }
    }
}

bool World::run(Duration limit) { return run_until(nullptr, limit); }

bool World::run_until(const std::function<bool()>& pred, Duration limit) {
    const Instant end = now_ + limit;
    switch (drive(pred, end, !pred)) {
        case Stop::kPredicate:
        case Stop::kAllDone:
            return true;
        case Stop::kTimeLimit:
            failure_ = "virtual-time limit of " + format_time(limit) + " reached at " + format_time(now_ - kStart) +
                       "; still waiting: " + describe_waiting();
            return false;
        case Stop::kDeadlock:
            failure_ = "deadlock at " + format_time(now_ - kStart) +
                       ": no frame in flight, no timer armed, and still waiting: " + describe_waiting();
            return false;
        case Stop::kTaskFailed:
            return false;
    }
    return false;
}

bool World::advance(Duration d) {
    const Instant end = now_ + d;
    const Stop s = drive(nullptr, end, false);
    if (s == Stop::kTaskFailed) return false;
    now_ = end;
    for (auto& h : hosts_) h->stack().poll(now_);
    return true;
}

}  // namespace ustack::sim

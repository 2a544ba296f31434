// One direction of a simulated cable: a drop-tail queue in front of a serialiser of fixed
// bandwidth, then a wire of fixed latency whose impairments (loss, reordering, duplication,
// corruption, jitter) are drawn from a seed, so every run replays exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "stack/core/rng.h"
#include "stack/core/time.h"

namespace ustack::sim {

// What the wire does to frames after they leave the queue. Every frame draws its fate
// independently; probabilities are in [0, 1].
struct Impairments {
    double loss = 0;       // the frame vanishes
    double duplicate = 0;  // a second copy arrives right after the first
    double corrupt = 0;    // one random byte (anywhere, Ethernet header included) is flipped; per copy
    // ARP has no checksum, so a corrupted reply would poison the neighbour cache with a wrong
    // MAC: a real link's FCS drops such frames. Off by default so that corruption tests what
    // checksums catch; turn it on to test the ARP cache's own recovery.
    bool corrupt_arp = false;
    double reorder = 0;    // the frame is held reorder_delay longer, so frames behind it overtake it
    Duration reorder_delay = std::chrono::milliseconds(5);
    // Every frame's propagation delay grows by a uniform draw in [0, jitter]. Jitter alone never
    // reorders (a frame is not delivered before the one sent ahead of it), as on a real path
    // where the variation comes from queues; reordering is its own impairment above.
    Duration jitter{0};
};

struct LinkConfig {
    Duration latency = std::chrono::milliseconds(1);  // one-way propagation delay
    uint64_t bits_per_second = 100'000'000;           // serialisation rate; 0 means infinite
    // Frames the link holds that have not finished serialising (the one on the wire included).
    // A frame arriving to a full queue is dropped (drop-tail).
    size_t queue_limit = 128;
    Impairments impair;
};

struct LinkStats {
    uint64_t offered = 0;      // frames handed to transmit()
    uint64_t queue_drops = 0;  // dropped at the tail of a full queue
    uint64_t lost = 0;         // dropped by the loss impairment
    uint64_t duplicated = 0;
    uint64_t corrupted = 0;    // copies with a flipped byte
    uint64_t reordered = 0;
    uint64_t delivered = 0;    // copies handed out by pop_due()
    uint64_t delivered_bytes = 0;
};

// What happened to a frame, for traces.
enum class FrameEvent { kQueueDrop, kLost, kDuplicated, kCorrupted, kReordered, kDelivered };
const char* frame_event_name(FrameEvent e);

class Link {
public:
    using Frame = std::vector<std::byte>;
    // Called for each event with the frame's bytes as they are at that point and the virtual
    // time of the event; for traces. May be empty.
    using Observer = std::function<void(FrameEvent, std::span<const std::byte>, Instant)>;

    Link(std::string name, const LinkConfig& config, uint64_t seed);

    // A frame handed to the link at time now (non-decreasing across calls).
    void transmit(std::span<const std::byte> frame, Instant now);

    // The earliest time a frame in flight arrives; nullopt when none is in flight.
    std::optional<Instant> next_delivery() const;

    // Removes and returns the first frame due at or before now, in arrival order (equal times
    // in the order they were scheduled).
    std::optional<Frame> pop_due(Instant now);

    // The serialisation time of a frame of this many bytes: ceil(bits * 1e9 / rate) ns.
    Duration serialisation_delay(size_t bytes) const;

    const std::string& name() const { return name_; }
    const LinkConfig& config() const { return config_; }
    const LinkStats& stats() const { return stats_; }
    size_t in_flight() const { return in_flight_.size(); }
    void set_observer(Observer o) { observer_ = std::move(o); }

private:
    bool chance(double p);
    void schedule(Frame frame, Instant arrival);
    void note(FrameEvent e, std::span<const std::byte> frame, Instant t) {
        if (observer_) observer_(e, frame, t);
    }

    std::string name_;
    LinkConfig config_;
    Rng rng_;
    LinkStats stats_;
    Observer observer_;
    Instant busy_until_{0};              // when the serialiser finishes its last queued frame
    std::deque<Instant> departures_;     // finish times of frames still queued, oldest first
    Instant last_in_order_arrival_{0};   // keeps jitter from reordering
    uint64_t next_order_ = 0;            // ties in arrival time keep scheduling order
    std::map<std::pair<Instant, uint64_t>, Frame> in_flight_;
};

}  // namespace ustack::sim

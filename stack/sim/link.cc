#include "stack/sim/link.h"

#include <algorithm>

namespace ustack::sim {

const char* frame_event_name(FrameEvent e) {
    switch (e) {
        case FrameEvent::kQueueDrop: return "queue-drop";
        case FrameEvent::kLost: return "lost";
        case FrameEvent::kDuplicated: return "duplicated";
        case FrameEvent::kCorrupted: return "corrupted";
        case FrameEvent::kReordered: return "reordered";
        case FrameEvent::kDelivered: return "delivered";
    }
    return "?";
}

Link::Link(std::string name, const LinkConfig& config, uint64_t seed)
    : name_(std::move(name)), config_(config), rng_(seed) {}

bool Link::chance(double p) {
    // Always draw, so that one impairment's probability does not shift the others' draws.
    const double u = static_cast<double>(rng_.next() >> 11) * 0x1.0p-53;
    return u < p;
}

Duration Link::serialisation_delay(size_t bytes) const {
    if (config_.bits_per_second == 0) return Duration{0};
    const uint64_t bits = uint64_t{bytes} * 8;
    return Duration{static_cast<int64_t>((bits * 1'000'000'000ull + config_.bits_per_second - 1) / config_.bits_per_second)};
}

void Link::transmit(std::span<const std::byte> frame, Instant now) {
    ++stats_.offered;
    while (!departures_.empty() && departures_.front() <= now) departures_.pop_front();
    if (departures_.size() >= config_.queue_limit) {
        ++stats_.queue_drops;
        note(FrameEvent::kQueueDrop, frame, now);
        return;
    }
    busy_until_ = std::max(busy_until_, now) + serialisation_delay(frame.size());
    departures_.push_back(busy_until_);
    const Instant departed = busy_until_;

    const Impairments& im = config_.impair;
    // Draw every fate up front in a fixed order, so a run replays from its seed.
    const bool lost = chance(im.loss);
    const bool duplicated = chance(im.duplicate);
    const bool reordered = chance(im.reorder);
    const Duration jitter = im.jitter.count() > 0
                                ? Duration{static_cast<int64_t>(rng_.next() % (static_cast<uint64_t>(im.jitter.count()) + 1))}
                                : Duration{0};
    if (lost) {
        ++stats_.lost;
        note(FrameEvent::kLost, frame, departed);
        return;
    }
    Instant arrival = std::max(departed + config_.latency + jitter, last_in_order_arrival_);
    if (reordered) {
        ++stats_.reordered;
        note(FrameEvent::kReordered, frame, departed);
        arrival += im.reorder_delay;
    } else {
        last_in_order_arrival_ = arrival;
    }
    const int copies = duplicated ? 2 : 1;
    if (duplicated) {
        ++stats_.duplicated;
        note(FrameEvent::kDuplicated, frame, departed);
    }
    for (int i = 0; i < copies; ++i) {
        Frame copy(frame.begin(), frame.end());
        const bool is_arp = copy.size() >= 14 && copy[12] == std::byte{0x08} && copy[13] == std::byte{0x06};
        if (chance(im.corrupt) && !copy.empty() && (im.corrupt_arp || !is_arp)) {
            // XOR with a non-zero value: the byte always changes.
            const size_t at = rng_.below(static_cast<uint32_t>(copy.size()));
            copy[at] ^= static_cast<std::byte>(1 + rng_.below(255));
            ++stats_.corrupted;
            note(FrameEvent::kCorrupted, copy, departed);
        }
        schedule(std::move(copy), arrival);
    }
}

void Link::schedule(Frame frame, Instant arrival) {
    in_flight_.emplace(std::make_pair(arrival, next_order_++), std::move(frame));
}

std::optional<Instant> Link::next_delivery() const {
    if (in_flight_.empty()) return std::nullopt;
    return in_flight_.begin()->first.first;
}

std::optional<Link::Frame> Link::pop_due(Instant now) {
    if (in_flight_.empty() || in_flight_.begin()->first.first > now) return std::nullopt;
    auto node = in_flight_.extract(in_flight_.begin());
    ++stats_.delivered;
    stats_.delivered_bytes += node.mapped().size();
    note(FrameEvent::kDelivered, node.mapped(), node.key().first);
    return std::move(node.mapped());
}

}  // namespace ustack::sim

// IPv4 fragment reassembly: see reassembly.h for the rules (RFC 791, RFC 815, Linux ip_fragment.c).
#include "stack/ip/reassembly.h"

#include <algorithm>
#include <cstring>

#include "stack/wire/checksum.h"

namespace ustack::ip {

struct Reassembler::Fragment {
    uint32_t offset;
    uint32_t len;
    uint32_t end() const { return offset + len; }
    std::byte* data() { return reinterpret_cast<std::byte*>(this + 1); }
};

struct Reassembler::Queue : heap::HeapObject {
    Key key;
    Instant created;
    Queue* prev = nullptr;          // older
    Queue* next = nullptr;          // newer
    heap::Vector<Fragment*> frags;  // by offset, never overlapping
    uint32_t len = 0;               // highest end seen; the datagram's length once last_in
    uint32_t meat = 0;              // payload bytes held
    bool last_in = false;           // the fragment with MF clear has arrived
    uint8_t header_len = 0;         // of the first fragment; 0 until it arrives
    std::byte header[60];
    size_t charge = 0;              // bytes charged against the memory limit
};

size_t Reassembler::KeyHash::operator()(const Key& k) const {
    uint64_t a = (uint64_t{k.src} << 32) | k.dst;
    a ^= ((uint64_t{k.ident} << 8) | k.protocol) * 0x9e3779b97f4a7c15ull;
    a ^= a >> 29;
    return static_cast<size_t>(a * 0xbf58476d1ce4e5b9ull);
}

Reassembler::Reassembler(Counters& counters, ReassemblyLimits limits) : counters_(counters), limits_(limits) {}

Reassembler::~Reassembler() {
    while (oldest_ != nullptr) kill(oldest_);
}

Reassembler::Queue* Reassembler::find_or_create(const wire::Ipv4View& frag, Instant now) {
    const Key key{frag.src().value, frag.dst().value, frag.ident(), frag.protocol()};
    if (auto it = table_.find(key); it != table_.end()) return it->second;
    auto* q = new Queue;
    q->key = key;
    q->created = now;
    q->prev = newest_;
    if (newest_ != nullptr) newest_->next = q; else oldest_ = q;
    newest_ = q;
    table_.emplace(key, q);
    ++count_;
    return q;
}

void Reassembler::kill(Queue* q) {
    table_.erase(q->key);
    if (q->prev != nullptr) q->prev->next = q->next; else oldest_ = q->next;
    if (q->next != nullptr) q->next->prev = q->prev; else newest_ = q->prev;
    for (Fragment* f : q->frags) heap::deallocate(f);
    memory_ -= q->charge;
    --count_;
    delete q;
}

std::optional<ConstBytes> Reassembler::add(const wire::Ipv4View& frag, Instant now) {
    ++counters_.ip_reasm_reqds;
    const ConstBytes payload = frag.payload();
    const uint32_t offset = frag.fragment_offset_bytes();
    uint32_t end = offset + static_cast<uint32_t>(payload.size());
    Queue* q = find_or_create(frag, now);
    auto discard = [&] {  // Linux ip_frag_queue's discard_qp
        kill(q);
        ++counters_.ip_reasm_fails;
        return std::nullopt;
    };
    if (!frag.more_fragments()) {
        // The last fragment fixes the length: nothing may lie beyond it, and a second last
        // fragment must agree.
        if (end < q->len || (q->last_in && end != q->len)) return discard();
        q->last_in = true;
        q->len = end;
    } else {
        end &= ~uint32_t{7};  // RFC 791: every fragment but the last carries 8-byte units
        if (end > q->len) {
            if (q->last_in) return discard();  // data beyond the end: corrupt
            q->len = end;
        }
    }
    if (end == offset) return discard();

    // Where it goes: the first fragment ending after our offset.
    auto& frags = q->frags;
    auto at = std::upper_bound(frags.begin(), frags.end(), offset,
                               [](uint32_t off, const Fragment* f) { return off < f->end(); });
    if (at != frags.end() && (*at)->offset < end) {
        // It meets held data. A pure repeat of bytes held contiguously is ignored (Linux
        // IPFRAG_DUP); anything else is an overlap and the whole datagram goes.
        uint32_t covered = (*at)->offset <= offset ? (*at)->end() : offset;
        for (auto j = at + 1; covered < end && j != frags.end() && (*j)->offset == covered; ++j) covered = (*j)->end();
        if ((*at)->offset <= offset && covered >= end) {
            ++counters_.ip_reasm_duplicates;
            return std::nullopt;
        }
        ++counters_.ip_reasm_overlaps;
        return discard();
    }
    const uint32_t len = end - offset;
    auto* f = static_cast<Fragment*>(heap::allocate(sizeof(Fragment) + len, alignof(Fragment)));
    f->offset = offset;
    f->len = len;
    std::memcpy(f->data(), payload.data(), len);
    frags.insert(at, f);
    q->meat += len;
    const size_t charge = len + kFragmentOverhead;
    q->charge += charge;
    memory_ += charge;
    if (offset == 0) {
        q->header_len = static_cast<uint8_t>(frag.header_len());
        std::memcpy(q->header, frag.header().data(), frag.header_len());
    }

    // Over the memory limit: the oldest datagrams go first (each counts as a failure).
    while (memory_ > limits_.high_thresh) {
        Queue* victim = oldest_ != q ? oldest_ : q->next;
        if (victim == nullptr) break;
        kill(victim);
        ++counters_.ip_reasm_fails;
    }
    if (memory_ > limits_.high_thresh) return discard();

    if (!q->last_in || q->header_len == 0 || q->meat != q->len) return std::nullopt;
    if (q->header_len + q->len > 65535) return discard();  // Linux ip_frag_reasm: out_oversize
    const ConstBytes whole = assemble(*q);
    kill(q);
    ++counters_.ip_reasm_oks;
    return whole;
}

namespace {
// Rewrites the total length and fragment fields of a header held in buf and its checksum.
void finish_header(std::span<std::byte> header, size_t total_len, bool keep_fragment_fields) {
    wire::store_be16(header, 2, static_cast<uint16_t>(total_len));
    if (!keep_fragment_fields) wire::store_be16(header, 6, 0);
    wire::store_be16(header, 10, 0);
    wire::store_be16(header, 10, wire::internet_checksum(header));
}
}  // namespace

ConstBytes Reassembler::assemble(Queue& q) {
    const size_t total = q.header_len + q.len;
    out_.resize(total);
    std::memcpy(out_.data(), q.header, q.header_len);
    for (Fragment* f : q.frags) std::memcpy(out_.data() + q.header_len + f->offset, f->data(), f->len);
    finish_header(std::span(out_).first(q.header_len), total, false);
    return std::span(out_);
}

void Reassembler::expire(Instant now, FunctionRef<void(const wire::Ipv4View& first)> on_timeout) {
    while (oldest_ != nullptr && oldest_->created + limits_.timeout <= now) {
        Queue* q = oldest_;
        ++counters_.ip_reasm_timeouts;
        ++counters_.ip_reasm_fails;
        if (q->header_len != 0) {
            // The first fragment as it arrived (MF set), for the ICMP quote.
            const Fragment& f = *q->frags.front();
            const size_t total = q->header_len + f.len;
            out_.resize(total);
            std::memcpy(out_.data(), q->header, q->header_len);
            std::memcpy(out_.data() + q->header_len, const_cast<Fragment&>(f).data(), f.len);
            finish_header(std::span(out_).first(q->header_len), total, true);
            if (auto v = wire::Ipv4View::parse(std::span<const std::byte>(out_))) on_timeout(*v);
        }
        kill(q);
    }
}

std::optional<Instant> Reassembler::next_deadline() const {
    if (oldest_ == nullptr) return std::nullopt;
    return oldest_->created + limits_.timeout;
}

}  // namespace ustack::ip

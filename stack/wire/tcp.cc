#include "stack/wire/tcp.h"

#include <algorithm>

#include "stack/wire/checksum.h"
#include "stack/wire/ipv4.h"

namespace ustack::wire {
namespace {

namespace kind {
constexpr uint8_t kEol = 0;
constexpr uint8_t kNop = 1;
constexpr uint8_t kMss = 2;             // RFC 9293 3.2
constexpr uint8_t kWindowScale = 3;     // RFC 7323 2.2
constexpr uint8_t kSackPermitted = 4;   // RFC 2018 2
constexpr uint8_t kSack = 5;            // RFC 2018 3
constexpr uint8_t kTimestamps = 8;      // RFC 7323 3.2
}  // namespace kind

constexpr size_t kMssLen = 4, kWindowScaleLen = 3, kSackPermittedLen = 2, kTimestampsLen = 10;
constexpr size_t kSackBlockLen = 8;

// Space each part of Linux's layout takes, NOP padding included.
constexpr size_t kMssSpace = 4;          // MSS
constexpr size_t kTimestampsSpace = 12;  // (SACK-permitted | NOP NOP) + TS
constexpr size_t kSackPermSpace = 4;     // NOP NOP SACK-permitted
constexpr size_t kWindowScaleSpace = 4;  // NOP + window scale
constexpr size_t kSackHeadSpace = 4;     // NOP NOP + kind + length

size_t space_before_sack(const TcpOptions& o) {
    size_t n = 0;
    if (o.mss) n += kMssSpace;
    if (o.timestamps) n += kTimestampsSpace;
    else if (o.sack_permitted) n += kSackPermSpace;
    if (o.window_scale) n += kWindowScaleSpace;
    return n;
}

// SACK blocks that emit() writes: as many as were asked for and fit in the 40 bytes left.
size_t sack_blocks_to_emit(const TcpOptions& o) {
    size_t used = space_before_sack(o);
    if (o.sack_count == 0 || used + kSackHeadSpace + kSackBlockLen > TcpOptions::kMaxLen) return 0;
    size_t fit = (TcpOptions::kMaxLen - used - kSackHeadSpace) / kSackBlockLen;
    return std::min({size_t{o.sack_count}, fit, TcpOptions::kMaxSackBlocks});
}

}  // namespace

std::optional<TcpOptions> TcpOptions::parse(ConstBytes options) {
    TcpOptions o;
    size_t i = 0;
    while (i < options.size()) {
        uint8_t k = load_u8(options, i);
        if (k == kind::kEol) break;  // RFC 9293 3.2: end of the option list
        if (k == kind::kNop) {
            ++i;
            continue;
        }
        // Every other kind has a length octet covering kind and length themselves.
        if (i + 1 >= options.size()) return std::nullopt;
        size_t len = load_u8(options, i + 1);
        if (len < 2 || len > options.size() - i) return std::nullopt;
        ConstBytes body = options.subspan(i + 2, len - 2);
        switch (k) {
            case kind::kMss:
                if (len != kMssLen) return std::nullopt;
                o.mss = load_be16(body, 0);
                break;
            case kind::kWindowScale:
                if (len != kWindowScaleLen) return std::nullopt;
                o.window_scale = load_u8(body, 0);  // kept as sent; clamping is the receiver's job
                break;
            case kind::kSackPermitted:
                if (len != kSackPermittedLen) return std::nullopt;
                o.sack_permitted = true;
                break;
            case kind::kSack: {
                // RFC 2018 3: length is 2 + 8n; n blocks, at most 4 in a 40-byte option area.
                size_t n = body.size() / kSackBlockLen;
                if (body.size() % kSackBlockLen != 0 || n == 0 || n > kMaxSackBlocks) return std::nullopt;
                o.sack_blocks = {};
                for (size_t b = 0; b < n; ++b) {
                    o.sack_blocks[b] = {SeqNum(load_be32(body, b * 8)), SeqNum(load_be32(body, b * 8 + 4))};
                }
                o.sack_count = static_cast<uint8_t>(n);
                break;
            }
            case kind::kTimestamps:
                if (len != kTimestampsLen) return std::nullopt;
                o.timestamps = TcpTimestamps{load_be32(body, 0), load_be32(body, 4)};
                break;
            default:
                break;  // RFC 9293 3.2: unknown options are skipped by their length
        }
        i += len;
    }
    return o;
}

size_t TcpOptions::emitted_len() const {
    size_t blocks = sack_blocks_to_emit(*this);
    return space_before_sack(*this) + (blocks ? kSackHeadSpace + blocks * kSackBlockLen : 0);
}

void TcpOptions::emit(MutableBytes out) const {
    size_t at = 0;
    auto put8 = [&](uint8_t v) { store_u8(out, at++, v); };
    auto put16 = [&](uint16_t v) { store_be16(out, at, v); at += 2; };
    auto put32 = [&](uint32_t v) { store_be32(out, at, v); at += 4; };

    if (mss) {
        put8(kind::kMss); put8(kMssLen); put16(*mss);
    }
    if (timestamps) {
        if (sack_permitted) {
            put8(kind::kSackPermitted); put8(kSackPermittedLen);
        } else {
            put8(kind::kNop); put8(kind::kNop);
        }
        put8(kind::kTimestamps); put8(kTimestampsLen); put32(timestamps->tsval); put32(timestamps->tsecr);
    } else if (sack_permitted) {
        put8(kind::kNop); put8(kind::kNop); put8(kind::kSackPermitted); put8(kSackPermittedLen);
    }
    if (window_scale) {
        put8(kind::kNop); put8(kind::kWindowScale); put8(kWindowScaleLen); put8(*window_scale);
    }
    if (size_t blocks = sack_blocks_to_emit(*this)) {
        put8(kind::kNop); put8(kind::kNop); put8(kind::kSack);
        put8(static_cast<uint8_t>(2 + blocks * kSackBlockLen));
        for (size_t b = 0; b < blocks; ++b) {
            put32(sack_blocks[b].left.raw());
            put32(sack_blocks[b].right.raw());
        }
    }
}

std::optional<TcpView> TcpView::parse(ConstBytes segment) {
    if (segment.size() < kMinHeaderLen) return std::nullopt;
    size_t data_offset = (load_u8(segment, 12) >> 4) * 4u;
    if (data_offset < kMinHeaderLen || data_offset > segment.size()) return std::nullopt;
    return TcpView(segment);
}

uint32_t TcpView::seg_len() const {
    // RFC 9293 3.4: SYN and FIN each occupy one sequence number.
    return static_cast<uint32_t>(payload().size()) + (flags().syn() ? 1 : 0) + (flags().fin() ? 1 : 0);
}

bool TcpView::checksum_valid(Ipv4Addr src, Ipv4Addr dst) const {
    uint32_t sum = pseudo_header_sum(src, dst, ipproto::kTcp, static_cast<uint16_t>(bytes_.size()));
    return checksum_finish(checksum_accumulate(sum, bytes_)) == 0;
}

std::optional<TcpRepr> TcpRepr::from(const TcpView& v) {
    auto options = TcpOptions::parse(v.options());
    if (!options) return std::nullopt;
    return TcpRepr{
        .src_port = v.src_port(),
        .dst_port = v.dst_port(),
        .seq = v.seq(),
        .ack = v.ack(),
        .flags = v.flags(),
        .window = v.window(),
        .urgent_pointer = v.urgent_pointer(),
        .options = *options,
    };
}

void TcpRepr::emit(MutableBytes out, Ipv4Addr src, Ipv4Addr dst, size_t payload_len) const {
    size_t hlen = header_len();
    store_be16(out, 0, src_port);
    store_be16(out, 2, dst_port);
    store_be32(out, 4, seq.raw());
    store_be32(out, 8, ack.raw());
    store_u8(out, 12, static_cast<uint8_t>((hlen / 4) << 4));
    store_u8(out, 13, flags.bits);
    store_be16(out, 14, window);
    store_be16(out, 16, 0);
    store_be16(out, 18, urgent_pointer);
    options.emit(out.subspan(TcpView::kMinHeaderLen, hlen - TcpView::kMinHeaderLen));
    auto length = static_cast<uint16_t>(hlen + payload_len);
    uint32_t sum = pseudo_header_sum(src, dst, ipproto::kTcp, length);
    if (checksum_partial) {
        store_be16(out, 16, static_cast<uint16_t>(~checksum_finish(sum)));
        return;
    }
    store_be16(out, 16, checksum_finish(checksum_accumulate(sum, out.first(length))));
}

}  // namespace ustack::wire

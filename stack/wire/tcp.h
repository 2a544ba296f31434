// The TCP header and options (RFC 9293 3.1; MSS RFC 9293 3.7.1; SACK RFC 2018;
// window scale and timestamps RFC 7323).
#pragma once

#include <array>
#include <optional>

#include "stack/wire/bytes.h"
#include "stack/wire/ipv4_addr.h"
#include "stack/wire/seq.h"

namespace ustack::wire {

struct TcpFlags {
    static constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10,
                             kUrg = 0x20, kEce = 0x40, kCwr = 0x80;
    uint8_t bits = 0;

    bool fin() const { return bits & kFin; }
    bool syn() const { return bits & kSyn; }
    bool rst() const { return bits & kRst; }
    bool psh() const { return bits & kPsh; }
    bool ack() const { return bits & kAck; }
    bool urg() const { return bits & kUrg; }
    friend bool operator==(TcpFlags, TcpFlags) = default;
};

struct SackBlock {
    SeqNum left;   // first sequence number of the block
    SeqNum right;  // one past the last
    friend bool operator==(const SackBlock&, const SackBlock&) = default;
};

struct TcpTimestamps {
    uint32_t tsval = 0;
    uint32_t tsecr = 0;
    friend bool operator==(const TcpTimestamps&, const TcpTimestamps&) = default;
};

struct TcpOptions {
    static constexpr size_t kMaxSackBlocks = 4;
    static constexpr size_t kMaxLen = 40;

    std::optional<uint16_t> mss;
    std::optional<uint8_t> window_scale;  // shift count as sent; receivers clamp to 14 (RFC 7323 2.3)
    bool sack_permitted = false;
    std::optional<TcpTimestamps> timestamps;
    std::array<SackBlock, kMaxSackBlocks> sack_blocks{};
    uint8_t sack_count = 0;

    // Parses the options area. Unknown kinds are skipped by their length. nullopt when an
    // option runs past the end, has a length below 2, or a known kind has the wrong length.
    static std::optional<TcpOptions> parse(ConstBytes options);

    // Bytes emit() writes: a multiple of 4, at most kMaxLen. SACK blocks beyond what fits
    // are not written (3 fit beside timestamps, 4 without).
    size_t emitted_len() const;

    // Linux's order and padding, so captures compare with a Linux peer's:
    //   MSS; then with timestamps  SACK-permitted (or NOP NOP) + TS;
    //   without timestamps         NOP NOP SACK-permitted (if set);
    //   NOP + window scale (if set); NOP NOP + SACK blocks (if any).
    // A SYN with all of them reads "mss, sackOK, TS, nop, wscale".
    void emit(MutableBytes out) const;

    friend bool operator==(const TcpOptions&, const TcpOptions&) = default;
};

// A segment inside a buffer we do not own. parse() requires 20 <= data offset * 4 <= length.
class TcpView {
public:
    static constexpr size_t kMinHeaderLen = 20;
    static constexpr size_t kMaxHeaderLen = 60;
    static std::optional<TcpView> parse(ConstBytes segment);

    uint16_t src_port() const { return load_be16(bytes_, 0); }
    uint16_t dst_port() const { return load_be16(bytes_, 2); }
    SeqNum seq() const { return SeqNum(load_be32(bytes_, 4)); }
    SeqNum ack() const { return SeqNum(load_be32(bytes_, 8)); }
    size_t header_len() const { return (load_u8(bytes_, 12) >> 4) * 4u; }
    TcpFlags flags() const { return {load_u8(bytes_, 13)}; }
    uint16_t window() const { return load_be16(bytes_, 14); }  // unscaled, as on the wire
    uint16_t checksum() const { return load_be16(bytes_, 16); }
    uint16_t urgent_pointer() const { return load_be16(bytes_, 18); }
    ConstBytes options() const { return bytes_.subspan(kMinHeaderLen, header_len() - kMinHeaderLen); }
    ConstBytes payload() const { return bytes_.subspan(header_len()); }
    // Sequence space the segment occupies: payload plus one each for SYN and FIN.
    uint32_t seg_len() const;
    bool checksum_valid(Ipv4Addr src, Ipv4Addr dst) const;

private:
    explicit TcpView(ConstBytes b) : bytes_(b) {}
    ConstBytes bytes_;
};

struct TcpRepr {
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    SeqNum seq;
    SeqNum ack;
    TcpFlags flags;
    uint16_t window = 0;  // as on the wire: the sender has already applied its scale shift
    uint16_t urgent_pointer = 0;
    TcpOptions options;
    // Leave the checksum to the device (netdev::Offloads::tx_checksum): emit() writes the
    // folded pseudo-header sum, not complemented, as Linux does for CHECKSUM_PARTIAL.
    bool checksum_partial = false;

    // nullopt when the options are malformed.
    static std::optional<TcpRepr> from(const TcpView& v);
    size_t header_len() const { return TcpView::kMinHeaderLen + options.emitted_len(); }
    // The payload is already in out[header_len(), header_len() + payload_len). Writes the
    // header, options and checksum.
    void emit(MutableBytes out, Ipv4Addr src, Ipv4Addr dst, size_t payload_len) const;
};

}  // namespace ustack::wire

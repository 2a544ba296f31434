#include "stack/wire/checksum.h"

#include <gtest/gtest.h>

#include <vector>

#include "stack/wire/ipv4.h"
#include "stack/wire/linux_captures_test.h"

namespace ustack::wire {
namespace {

// The RFC 1071 definition, one 16-bit word at a time: the reference the fast loop must match.
uint16_t reference_checksum(ConstBytes data) {
    uint64_t sum = 0;
    for (size_t i = 0; i + 1 < data.size(); i += 2) sum += load_be16(data, i);
    if (data.size() % 2) sum += uint32_t{load_u8(data, data.size() - 1)} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum & 0xffff);
}

std::vector<std::byte> pattern(size_t n, uint32_t seed) {
    std::vector<std::byte> v(n);
    for (auto& b : v) {
        seed = seed * 1103515245u + 12345u;
        b = std::byte(seed >> 16);
    }
    return v;
}

TEST(InternetChecksum, Rfc1071Section3ExampleSumsToDdf2) {
    // RFC 1071 3: bytes 00 01 f2 03 f4 f5 f6 f7 have the one's-complement sum ddf2.
    const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(checksum_finish(checksum_accumulate(0, as_bytes(data, 8))), 0x220d);
    EXPECT_EQ(internet_checksum(as_bytes(data, 8)), 0x220d);
}

TEST(InternetChecksum, OddLengthPadsTheLastByteOnTheRight) {
    // RFC 1071 4.1: an odd final byte is the high half of a word whose low half is zero.
    const uint8_t seven[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6};
    EXPECT_EQ(internet_checksum(as_bytes(seven, 7)), 0x2304);  // sum 0001+f203+f4f5+f600 = dcfb
    const uint8_t one[] = {0xab};
    EXPECT_EQ(internet_checksum(as_bytes(one, 1)), 0x54ff);    // sum ab00
}

TEST(InternetChecksum, EmptyDataGivesAllOnes) {
    EXPECT_EQ(internet_checksum({}), 0xffff);
}

TEST(InternetChecksum, CarriesWrapAround) {
    // 0xffff + 0xffff + 0x0002 = 0x20000 -> 0x0002 after end-around carry -> ~ = 0xfffd.
    const uint8_t data[] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x02};
    EXPECT_EQ(internet_checksum(as_bytes(data, 6)), 0xfffd);
}

TEST(InternetChecksum, MatchesTheWordAtATimeDefinitionForEveryLengthAndAlignment) {
    auto buf = pattern(300, 7);
    for (size_t offset = 0; offset < 8; ++offset) {
        for (size_t len = 0; len + offset <= buf.size(); ++len) {
            ConstBytes data(buf.data() + offset, len);
            ASSERT_EQ(internet_checksum(data), reference_checksum(data)) << "offset " << offset << " len " << len;
        }
    }
}

TEST(InternetChecksum, AllOnesDataDoesNotOverflowTheAccumulator) {
    std::vector<std::byte> ones(65536, std::byte{0xff});
    EXPECT_EQ(internet_checksum(ones), reference_checksum(ones));
    EXPECT_EQ(internet_checksum(ones), 0x0000);
}

TEST(InternetChecksum, ChainedEvenChunksEqualOneSum) {
    auto buf = pattern(1501, 3);
    ConstBytes all(buf);
    uint32_t sum = checksum_accumulate(0, all.first(100));
    sum = checksum_accumulate(sum, all.subspan(100, 1000));
    sum = checksum_accumulate(sum, all.subspan(1100));  // odd-length last chunk
    EXPECT_EQ(checksum_finish(sum), internet_checksum(all));
}

TEST(InternetChecksum, ChainingOntoANonZeroStartAddsIt) {
    const uint8_t data[] = {0x12, 0x34};
    EXPECT_EQ(checksum_finish(checksum_accumulate(0x1111, as_bytes(data, 2))), static_cast<uint16_t>(~0x2345));
}

TEST(InternetChecksum, OverAHeaderHoldingItsChecksumIsZero) {
    auto ip = testdata::frame(testdata::kIcmpEchoRequest).subspan(testdata::kEth, 20);
    EXPECT_EQ(internet_checksum(ip), 0);
}

TEST(PseudoHeaderSum, ReproducesTheChecksumOfARealTcpSyn) {
    // The captured SYN's TCP checksum covers the pseudo-header plus the 40-byte segment.
    auto tcp = testdata::frame(testdata::kTcpSyn).subspan(testdata::kEthIp);
    uint32_t ph = pseudo_header_sum(Ipv4Addr::from_octets(10, 99, 0, 1), Ipv4Addr::from_octets(10, 99, 0, 2),
                                    ipproto::kTcp, static_cast<uint16_t>(tcp.size()));
    EXPECT_EQ(checksum_finish(checksum_accumulate(ph, tcp)), 0);
}

TEST(PseudoHeaderSum, IsTheSumOfItsWords) {
    // 0a63 + 0001 + 0a63 + 0002 + 0006 + 0028 = 14f7
    uint32_t ph = pseudo_header_sum(Ipv4Addr::from_octets(10, 99, 0, 1), Ipv4Addr::from_octets(10, 99, 0, 2), 6, 40);
    EXPECT_EQ(checksum_finish(ph), static_cast<uint16_t>(~0x14f7));
}

}  // namespace
}  // namespace ustack::wire

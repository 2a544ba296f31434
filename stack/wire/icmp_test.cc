#include "stack/wire/icmp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "stack/wire/linux_captures_test.h"

namespace ustack::wire {
namespace {

ConstBytes echo_request() { return testdata::frame(testdata::kIcmpEchoRequest).subspan(testdata::kEthIp); }
ConstBytes echo_reply() { return testdata::frame(testdata::kIcmpEchoReply).subspan(testdata::kEthIp); }

TEST(IcmpView, ParsesLinuxPingRequest) {
    auto v = IcmpView::parse(echo_request());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->type(), icmptype::kEchoRequest);
    EXPECT_EQ(v->code(), 0);
    EXPECT_EQ(v->checksum(), 0x68b9);
    EXPECT_EQ(v->echo_ident(), 0x194a);
    EXPECT_EQ(v->echo_seq(), 1);
    EXPECT_EQ(v->rest_of_header(), 0x194a0001u);
    EXPECT_EQ(v->payload().size(), 56u);  // ping's default: timeval + 0x10.. pattern
    EXPECT_TRUE(v->checksum_valid());
}

TEST(IcmpView, CorruptedPayloadFailsTheChecksum) {
    std::vector<std::byte> m(echo_request().begin(), echo_request().end());
    m.back() ^= std::byte{1};
    EXPECT_FALSE(IcmpView::parse(m)->checksum_valid());
}

TEST(IcmpView, RejectsShorterThanTheHeader) {
    for (size_t n = 0; n < IcmpView::kHeaderLen; ++n) EXPECT_FALSE(IcmpView::parse(echo_request().first(n))) << n;
    EXPECT_TRUE(IcmpView::parse(echo_request().first(IcmpView::kHeaderLen)));
}

TEST(IcmpRepr, EchoReplyBuiltFromTheRequestMatchesLinuxReply) {
    // RFC 792: the reply echoes identifier, sequence number and data.
    auto req = *IcmpView::parse(echo_request());
    IcmpRepr reply{icmptype::kEchoReply, 0, req.rest_of_header(), req.payload()};
    std::vector<std::byte> out(reply.len());
    reply.emit(out);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), echo_reply().begin(), echo_reply().end()));
}

TEST(IcmpRepr, EmitInPlaceOverTheRequest) {
    std::vector<std::byte> buf(echo_request().begin(), echo_request().end());
    auto req = *IcmpView::parse(buf);
    IcmpRepr reply{icmptype::kEchoReply, 0, req.rest_of_header(), req.payload()};
    reply.emit(buf);
    EXPECT_TRUE(std::equal(buf.begin(), buf.end(), echo_reply().begin(), echo_reply().end()));
}

TEST(IcmpRepr, FragmentationNeededCarriesNextHopMtu) {
    // RFC 1191: next-hop MTU in the low 16 bits of the rest-of-header word.
    std::byte quoted[28]{};
    IcmpRepr r{icmptype::kDestUnreachable, icmpcode::kFragmentationNeeded, 1400, quoted};
    std::vector<std::byte> out(r.len());
    r.emit(out);
    auto v = IcmpView::parse(out);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->type(), icmptype::kDestUnreachable);
    EXPECT_EQ(v->code(), icmpcode::kFragmentationNeeded);
    EXPECT_EQ(v->next_hop_mtu(), 1400);
    EXPECT_EQ(v->payload().size(), 28u);
    EXPECT_TRUE(v->checksum_valid());
}

TEST(IcmpRepr, EmptyPayloadRoundTrips) {
    IcmpRepr r{icmptype::kEchoRequest, 0, 0x12345678, {}};
    std::byte out[IcmpRepr::kHeaderLen];
    r.emit(out);
    auto v = IcmpView::parse(out);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->checksum_valid());
    EXPECT_EQ(v->echo_ident(), 0x1234);
    EXPECT_EQ(v->echo_seq(), 0x5678);
}

}  // namespace
}  // namespace ustack::wire

// USTACK_DEVICE errors that need no privileges: each is one line naming the cause and the fix.
#include <gtest/gtest.h>
#include <unistd.h>

#include "netdev/device.h"

namespace ustack::netdev {
namespace {

void expect_one_line_error(const OpenResult& r, const std::string& needle) {
    EXPECT_EQ(r.device, nullptr);
    EXPECT_NE(r.error.find(needle), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find('\n'), std::string::npos) << r.error;
}

TEST(OpenDevice, UnknownKindNamesTheAcceptedForms) {
    auto r = open_device("eth0");
    EXPECT_EQ(r.error, "USTACK_DEVICE=eth0: expected tap:NAME, packet:IFACE or fd:N");
    EXPECT_EQ(r.device, nullptr);
    expect_one_line_error(open_device("veth:x"), "USTACK_DEVICE=veth:x: expected tap:NAME, packet:IFACE or fd:N");
}

TEST(OpenDevice, EmptyNameIsASyntaxError) {
    expect_one_line_error(open_device("tap:"), "USTACK_DEVICE=tap:: expected tap:NAME, packet:IFACE or fd:N");
    expect_one_line_error(open_device(""), "expected tap:NAME, packet:IFACE or fd:N");
}

TEST(OpenDevice, FdMustBeADecimalNumber) {
    expect_one_line_error(open_device("fd:three"), "USTACK_DEVICE=fd:three: expected tap:NAME, packet:IFACE or fd:N");
    expect_one_line_error(open_device("fd:-1"), "expected tap:NAME, packet:IFACE or fd:N");
    expect_one_line_error(open_device("fd:3x"), "expected tap:NAME, packet:IFACE or fd:N");
}

TEST(OpenDevice, FdThatIsNotATapSaysSo) {
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    const std::string spec = "fd:" + std::to_string(p[0]);
    expect_one_line_error(open_device(spec), "USTACK_DEVICE=" + spec + ": fd " + std::to_string(p[0]) +
                                                 " is not a TAP device");
    close(p[0]);
    close(p[1]);
}

TEST(OpenDevice, FdThatIsNotOpenSaysSo) {
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    close(p[0]);
    close(p[1]);
    expect_one_line_error(open_device("fd:" + std::to_string(p[0])), "is not open");
}

TEST(OpenDevice, MissingPacketInterfaceIsNamed) {
    expect_one_line_error(open_device("packet:nonexistent0"),
                          "USTACK_DEVICE=packet:nonexistent0: no interface named nonexistent0 in this network namespace");
}

TEST(OpenDevice, InvalidInterfaceNamesAreRejectedBeforeAnySyscall) {
    expect_one_line_error(open_device("tap:a/b"), "not a valid interface name");
    expect_one_line_error(open_device("packet:averyveryverylongname"), "not a valid interface name");
}

}  // namespace
}  // namespace ustack::netdev

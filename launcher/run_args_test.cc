#include "launcher/run_args.h"

#include <gtest/gtest.h>

#include <vector>

namespace ustack::launcher {
namespace {

RunParse parse(std::vector<std::string_view> args) { return parse_run_args(args); }

TEST(RunArgs, EachOptionSetsItsVariable) {
    RunParse p = parse({"--device", "tap:tap0", "--address", "10.77.0.2/24", "--gateway", "10.77.0.1",
                        "--mac", "02:00:00:00:00:02", "--pcap", "x.pcap", "--log", "debug", "--log-file", "u.log", "--busy-poll", "50", "--", "curl"});
    ASSERT_EQ(p.error, "");
    std::vector<std::pair<std::string_view, std::string>> got;
    for (const Setting& s : p.request.settings) got.emplace_back(s.variable, s.value);
    std::vector<std::pair<std::string_view, std::string>> want{
        {"USTACK_DEVICE", "tap:tap0"}, {"USTACK_ADDRESS", "10.77.0.2/24"}, {"USTACK_GATEWAY", "10.77.0.1"},
        {"USTACK_MAC", "02:00:00:00:00:02"}, {"USTACK_PCAP", "x.pcap"}, {"USTACK_LOG", "debug"},
        {"USTACK_LOG_FILE", "u.log"}, {"USTACK_BUSY_POLL", "50"}};
    EXPECT_EQ(got, want);
    EXPECT_EQ(p.request.command, std::vector<std::string>{"curl"});
}

TEST(RunArgs, EqualsFormTakesTheRestOfTheWordAsValue) {
    RunParse p = parse({"--address=10.77.0.2/24", "--pcap=a=b.pcap", "--", "true"});
    ASSERT_EQ(p.error, "");
    ASSERT_EQ(p.request.settings.size(), 2u);
    EXPECT_EQ(p.request.settings[0].value, "10.77.0.2/24");
    EXPECT_EQ(p.request.settings[1].value, "a=b.pcap");
}

TEST(RunArgs, DoubleDashPassesDashWordsToTheCommand) {
    RunParse p = parse({"--", "ls", "--address", "-l"});
    ASSERT_EQ(p.error, "");
    EXPECT_TRUE(p.request.settings.empty());
    EXPECT_EQ(p.request.command, (std::vector<std::string>{"ls", "--address", "-l"}));
}

TEST(RunArgs, FirstNonOptionWordStartsTheCommand) {
    RunParse p = parse({"--log", "info", "curl", "--log", "x"});
    ASSERT_EQ(p.error, "");
    ASSERT_EQ(p.request.settings.size(), 1u);
    EXPECT_EQ(p.request.command, (std::vector<std::string>{"curl", "--log", "x"}));
}

TEST(RunArgs, ValueMayLookLikeAnOption) {
    RunParse p = parse({"--pcap", "--odd-name", "--", "true"});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.request.settings.at(0).value, "--odd-name");
}

TEST(RunArgs, LibraryOptionIsNotAVariable) {
    RunParse p = parse({"--library", "/x/libustack.so", "--", "true"});
    ASSERT_EQ(p.error, "");
    EXPECT_TRUE(p.request.settings.empty());
    EXPECT_EQ(p.request.library, "/x/libustack.so");
}

TEST(RunArgs, UnknownOptionIsAUsageError) {
    RunParse p = parse({"--adress", "10.77.0.2/24", "--", "true"});
    EXPECT_NE(p.error.find("unknown option '--adress'"), std::string::npos) << p.error;
}

TEST(RunArgs, OptionWithoutValueIsAUsageError) {
    RunParse p = parse({"--device"});
    EXPECT_NE(p.error.find("--device needs a value"), std::string::npos) << p.error;
}

TEST(RunArgs, MissingCommandIsAUsageError) {
    EXPECT_NE(parse({"--device", "tap:tap0", "--"}).error, "");
    EXPECT_NE(parse({}).error, "");
}

TEST(RunArgs, HelpWinsAndRunsNothing) {
    RunParse p = parse({"--device", "tap:tap0", "--help"});
    EXPECT_TRUE(p.request.help);
    EXPECT_EQ(p.error, "");
}

}  // namespace
}  // namespace ustack::launcher

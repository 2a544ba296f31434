#include "launcher/config_file.h"

#include <gtest/gtest.h>

namespace ustack::launcher {
namespace {

TEST(ConfigFile, VariablesCommentsAndBlankLines) {
    ConfigFile f = parse_config_text("f", "# lab\n\nUSTACK_DEVICE=tap:tap0\n  USTACK_ADDRESS = 10.77.0.2/24 \n");
    ASSERT_EQ(f.error, "");
    ASSERT_EQ(f.settings.size(), 2u);
    EXPECT_EQ(f.settings[0], (std::pair<std::string, std::string>{"USTACK_DEVICE", "tap:tap0"}));
    EXPECT_EQ(f.settings[1], (std::pair<std::string, std::string>{"USTACK_ADDRESS", "10.77.0.2/24"}));
}

TEST(ConfigFile, LineWithoutEqualsNamesFileAndLine) {
    ConfigFile f = parse_config_text("/etc/u.conf", "USTACK_LOG=info\nUSTACK_DEVICE tap:tap0\n");
    EXPECT_NE(f.error.find("/etc/u.conf line 2"), std::string::npos) << f.error;
    EXPECT_TRUE(f.settings.empty());
}

TEST(ConfigFile, UnknownVariableIsAnError) {
    EXPECT_NE(parse_config_text("f", "PATH=/bin\n").error, "");
}

TEST(ConfigFile, MissingFileSaysCannotRead) {
    ConfigFile f = read_config_file("/nonexistent/ustack.conf");
    EXPECT_NE(f.error.find("cannot read configuration file /nonexistent/ustack.conf"), std::string::npos) << f.error;
}

}  // namespace
}  // namespace ustack::launcher

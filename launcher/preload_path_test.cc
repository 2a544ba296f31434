#include "launcher/preload_path.h"

#include <gtest/gtest.h>

namespace ustack::launcher {
namespace {

TEST(PreloadPath, LibraryGoesFirstInAnEmptyPreload) {
    EXPECT_EQ(prepend_preload("/b/lib/libustack.so", ""), "/b/lib/libustack.so");
}

TEST(PreloadPath, ExistingEntriesFollowInOrder) {
    EXPECT_EQ(prepend_preload("/u.so", "/a.so:/b.so /c.so"), "/u.so:/a.so:/b.so:/c.so");
}

TEST(PreloadPath, ExistingCopyOfTheLibraryIsDropped) {
    EXPECT_EQ(prepend_preload("/u.so", "/a.so:/u.so"), "/u.so:/a.so");
}

TEST(PreloadPath, EmptyEntriesAreDropped) {
    EXPECT_EQ(prepend_preload("/u.so", "::/a.so  "), "/u.so:/a.so");
}

TEST(PreloadPath, DefaultIsLibNextToTheBinDirectory) {
    EXPECT_EQ(choose_library(std::nullopt, nullptr, "/r/build/bin"), "/r/build/lib/libustack.so");
}

TEST(PreloadPath, EnvironmentOverridesDefault) {
    EXPECT_EQ(choose_library(std::nullopt, "/e/lib.so", "/r/build/bin"), "/e/lib.so");
}

TEST(PreloadPath, EmptyEnvironmentValueMeansDefault) {
    EXPECT_EQ(choose_library(std::nullopt, "", "/r/build/bin"), "/r/build/lib/libustack.so");
}

TEST(PreloadPath, OptionOverridesEnvironment) {
    EXPECT_EQ(choose_library(std::string("/o/lib.so"), "/e/lib.so", "/r/build/bin"), "/o/lib.so");
}

TEST(PreloadPath, RelativeChoiceBecomesAbsolute) {
    std::filesystem::path p = choose_library(std::string("x/../lib.so"), nullptr, "/r/build/bin");
    EXPECT_TRUE(p.is_absolute());
    EXPECT_EQ(p, (std::filesystem::current_path() / "lib.so").lexically_normal());
}

}  // namespace
}  // namespace ustack::launcher

// The README is the user's manual: it must list every setting with its
// default, and CI must run the test command it gives.
#include <yooni/config/settings.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace {

std::string read(const std::string& rel) {
    std::ifstream f{std::string{YOONI_SOURCE_DIR} + "/" + rel};
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

TEST(Readme, ListsEverySettingWithItsDefault) {
    const auto readme = read("README.md");
    for (const auto& v : yooni::config::variables()) {
        const std::string row = "| `" + v.name + "` | " + (v.default_text.empty() ? "(none)" : "`" + v.default_text + "`");
        EXPECT_NE(readme.find(row), std::string::npos) << "README lacks the row for " << v.name;
    }
}

TEST(Readme, CiRunsTheReadmeTestCommand) {
    const auto readme = read("README.md");
    const auto ci = read(".ci/run");
    EXPECT_NE(readme.find("\nscripts/test.sh\n"), std::string::npos);
    EXPECT_NE(ci.find("\nscripts/test.sh\n"), std::string::npos);
}

}  // namespace

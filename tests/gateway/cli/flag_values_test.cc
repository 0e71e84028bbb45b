#include "gateway/cli/flag_values.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace execgw::cli {
namespace {

using ::testing::HasSubstr;

TEST(DurationFlagTest, ReadsDurationsWithUnits) {
  EXPECT_EQ(*ParseDurationFlag("timeout", "30s"), absl::Seconds(30));
  EXPECT_EQ(*ParseDurationFlag("timeout", "500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseDurationFlag("timeout", "1m30s"), absl::Seconds(90));
}

TEST(DurationFlagTest, ANumberWithoutAUnitSaysAUnitIsNeeded) {
  for (const char* text : {"2", "0", "1.5", "-3"}) {
    auto d = ParseDurationFlag("timeout", text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(d.status().message(),
              absl::StrCat("--timeout: \"", text, "\" needs a unit, such as 2s or 500ms"));
  }
}

TEST(DurationFlagTest, OtherMistakesSayWhatToWrite) {
  EXPECT_EQ(ParseDurationFlag("timeout", "soon").status().message(),
            "--timeout: \"soon\" is not a duration, such as 30s, 500ms or 1m30s");
  EXPECT_EQ(ParseDurationFlag("run_timeout", "").status().message(),
            "--run_timeout: \"\" is not a duration, such as 30s, 500ms or 1m30s");
  EXPECT_THAT(std::string(ParseDurationFlag("timeout", "-5s").status().message()),
              HasSubstr("--timeout: \"-5s\" must be more than 0"));
  EXPECT_THAT(std::string(ParseDurationFlag("timeout", "0s").status().message()),
              HasSubstr("must be more than 0"));
  EXPECT_THAT(std::string(ParseDurationFlag("timeout", "inf").status().message()),
              HasSubstr("--timeout: \"inf\""));
}

TEST(ViewFlagTest, BasicOrFull) {
  EXPECT_EQ(*ParseViewFlag(""), v1::EXECUTION_VIEW_UNSPECIFIED);
  EXPECT_EQ(*ParseViewFlag("basic"), v1::EXECUTION_VIEW_BASIC);
  EXPECT_EQ(*ParseViewFlag("FULL"), v1::EXECUTION_VIEW_FULL);
  EXPECT_EQ(ParseViewFlag("everything").status().message(),
            "--view: \"everything\" must be basic or full");
}

}  // namespace
}  // namespace execgw::cli

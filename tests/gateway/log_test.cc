#include "gateway/log.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::gateway {
namespace {

using ::execgw::testing::SimulatedEventLoop;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class RateLimitedLogTest : public ::testing::Test {
 protected:
  RateLimitedLog Log(int per_second) {
    return RateLimitedLog({.max_lines_per_second = per_second, .clock = &clock_},
                          [this](absl::string_view line) { lines_.emplace_back(line); });
  }

  SimulatedEventLoop clock_;
  std::vector<std::string> lines_;
};

TEST_F(RateLimitedLogTest, AtMostTheLimitEachSecondThenOneLineCountingTheDropped) {
  RateLimitedLog log = Log(3);
  for (int i = 0; i < 10; ++i) log.Write(absl::StrCat("line ", i));
  EXPECT_THAT(lines_, ElementsAre("line 0", "line 1", "line 2"));
  clock_.Advance(absl::Milliseconds(999));
  log.Write("still the same second");
  EXPECT_EQ(lines_.size(), 3u);

  clock_.Advance(absl::Milliseconds(1));
  log.Write("next second");
  EXPECT_THAT(lines_, ElementsAre("line 0", "line 1", "line 2",
                                  "execgw: WARNING: 8 log lines dropped (more than 3 a second)",
                                  "next second"));
  // The count starts again once reported.
  log.Write("a");
  log.Write("b");
  log.Write("dropped");
  clock_.Advance(absl::Seconds(5));
  log.Write("later");
  EXPECT_THAT(std::vector<std::string>(lines_.begin() + 5, lines_.end()),
              ElementsAre("a", "b", "execgw: WARNING: 1 log lines dropped (more than 3 a second)",
                          "later"));
}

TEST_F(RateLimitedLogTest, QuietLogsLoseNothing) {
  RateLimitedLog log = Log(2);
  for (int i = 0; i < 6; ++i) {
    log.Write(absl::StrCat("line ", i));
    clock_.Advance(absl::Milliseconds(600));
  }
  EXPECT_EQ(lines_.size(), 6u);
  for (const std::string& line : lines_) EXPECT_THAT(line, Not(HasSubstr("dropped")));
}

TEST_F(RateLimitedLogTest, ClockSetBackStartsANewSecond) {
  RateLimitedLog log = Log(1);
  log.Write("a");
  log.Write("dropped");
  clock_.Advance(-absl::Hours(1));
  log.Write("b");
  EXPECT_THAT(lines_,
              ElementsAre("a", "execgw: WARNING: 1 log lines dropped (more than 1 a second)", "b"));
}

// Protobuf's own log lines go through the gateway's log: labelled, and
// rate-limited (5 a second).
TEST(ProtobufLoggingTest, GoesThroughTheGatewayLog) {
  RouteProtobufLogging();
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 50; ++i) GOOGLE_LOG(ERROR) << "protobuf complains " << i;
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr(R"("level":"error","msg":"protobuf ()"));
  EXPECT_THAT(err, HasSubstr("protobuf complains 0"));
  EXPECT_THAT(err, Not(HasSubstr("[libprotobuf")));
  EXPECT_THAT(err, Not(HasSubstr("protobuf complains 49")));
}

// Lines written while it lives, instead of stderr.
class CapturedLog {
 public:
  CapturedLog() {
    SetLogSinkForTesting([this](absl::string_view line) { lines.emplace_back(line); });
  }
  ~CapturedLog() {
    SetLogSinkForTesting(nullptr);
    SetLogLevel(LogSeverity::kInfo);
  }
  std::vector<std::string> lines;
};

TEST(LogLineTest, OneJsonObjectWithTimeLevelMsgAndMembersEscapedAndBounded) {
  CapturedLog log;
  Write(LogLine(LogSeverity::kWarning, "upstream")
            .Str("name", std::string("a\"b\n\x01c\xff") + std::string(500, 'x'), 20)
            .Int("attempt", 2)
            .Double("latency_ms", 1.5));
  ASSERT_EQ(log.lines.size(), 1u);
  rapidjson::Document doc;
  doc.Parse(log.lines[0].data(), log.lines[0].size());
  ASSERT_FALSE(doc.HasParseError()) << log.lines[0];
  EXPECT_STREQ(doc["level"].GetString(), "warn");
  EXPECT_STREQ(doc["msg"].GetString(), "upstream");
  EXPECT_EQ(doc["attempt"].GetInt(), 2);
  EXPECT_DOUBLE_EQ(doc["latency_ms"].GetDouble(), 1.5);
  EXPECT_LE(std::string(doc["name"].GetString()).size(), 40u);
  EXPECT_THAT(doc["name"].GetString(), ::testing::StartsWith("a\"b"));
  EXPECT_THAT(doc["time"].GetString(),
              ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z"));
  EXPECT_EQ(log.lines[0].find('\n'), std::string::npos);
}

TEST(LogLineTest, TheLevelFiltersLines) {
  CapturedLog log;
  SetLogLevel(LogSeverity::kWarning);
  Write(LogLine(LogSeverity::kInfo, "rpc"));
  Write(LogLine(LogSeverity::kDebug, "rpc"));
  Write(LogLine(LogSeverity::kWarning, "upstream"));
  Log(LogSeverity::kInfo, "left out");
  // (Log's lines are rate-limited process-wide: Write is not.)
  Write(LogLine(LogSeverity::kError, "kept"));
  ASSERT_EQ(log.lines.size(), 2u);
  EXPECT_THAT(log.lines[0], HasSubstr(R"("msg":"upstream")"));
  EXPECT_THAT(log.lines[1], HasSubstr(R"("level":"error","msg":"kept")"));
  SetLogLevel(LogSeverity::kDebug);
  Write(LogLine(LogSeverity::kDebug, "rpc"));
  EXPECT_EQ(log.lines.size(), 3u);
}

TEST(LogLineTest, ParsesTheLevelNames) {
  EXPECT_EQ(ParseLogLevel("debug"), LogSeverity::kDebug);
  EXPECT_EQ(ParseLogLevel("info"), LogSeverity::kInfo);
  EXPECT_EQ(ParseLogLevel("warn"), LogSeverity::kWarning);
  EXPECT_EQ(ParseLogLevel("error"), LogSeverity::kError);
  EXPECT_EQ(ParseLogLevel("WARN"), std::nullopt);
  EXPECT_EQ(ParseLogLevel("warning"), std::nullopt);
  EXPECT_EQ(ParseLogLevel(""), std::nullopt);
}

}  // namespace
}  // namespace execgw::gateway

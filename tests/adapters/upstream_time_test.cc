#include "adapters/upstream_time.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace execgw {
namespace {

struct TimeCase {
  const char* text;
  bool ok;
  int64_t unix_seconds;
  int64_t nanos;
};

class UpstreamTimeTest : public ::testing::TestWithParam<TimeCase> {};

TEST_P(UpstreamTimeTest, Parses) {
  const TimeCase& c = GetParam();
  auto t = ParseUpstreamTime(c.text);
  ASSERT_EQ(t.has_value(), c.ok) << c.text;
  if (!c.ok) return;
  auto ts = ToProtoTimestamp(*t);
  EXPECT_EQ(ts.seconds(), c.unix_seconds) << c.text;
  EXPECT_EQ(ts.nanos(), c.nanos) << c.text;
}

// 2025-12-19T22:36:29Z is 1766183789.
INSTANTIATE_TEST_SUITE_P(
    Styles, UpstreamTimeTest,
    ::testing::Values(TimeCase{"2025-12-19T22:36:29Z", true, 1766183789, 0},
                      TimeCase{"2025-12-19T22:36:29.3Z", true, 1766183789, 300000000},
                      TimeCase{"2025-12-19T22:36:29.33Z", true, 1766183789, 330000000},
                      TimeCase{"2025-12-19T22:36:29.336Z", true, 1766183789, 336000000},
                      TimeCase{"2025-12-19T22:36:29.336304Z", true, 1766183789, 336304000},
                      TimeCase{"2025-12-19T22:36:29.336304095Z", true, 1766183789, 336304095},
                      TimeCase{"2025-12-19T22:36:29.336304+00:00", true, 1766183789, 336304000},
                      TimeCase{"2025-12-19T23:36:29+01:00", true, 1766183789, 0},
                      TimeCase{"2025-12-19T17:36:29.5-05:00", true, 1766183789, 500000000},
                      TimeCase{"", false, 0, 0}, TimeCase{"   ", false, 0, 0},
                      TimeCase{"0001-01-01T00:00:00Z", false, 0, 0},
                      TimeCase{"not a time", false, 0, 0}, TimeCase{"2025-12-19", false, 0, 0},
                      TimeCase{"2025-13-19T22:36:29Z", false, 0, 0},
                      TimeCase{"2025-12-19T22:36:29", false, 0, 0},
                      TimeCase{"1766183789", false, 0, 0}));

// What absl::ParseTime alone makes of `text` (with the range, zero-time and
// nanosecond rules): ParseUpstreamTime reads the common shape itself, and
// must agree.
std::optional<absl::Time> ReferenceParse(const std::string& text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d%ET%H:%M:%E*S%Ez", text, &t, &err)) return std::nullopt;
  const int64_t secs = absl::ToUnixSeconds(t);
  if (secs < -62135596800 || secs > 253402300799) return std::nullopt;
  if (t == absl::FromUnixSeconds(-62135596800)) return std::nullopt;
  // Finer than a nanosecond: more than 9 fractional digits.
  if (const size_t dot = text.find('.'); dot != std::string::npos) {
    size_t end = dot + 1;
    while (end < text.size() && absl::ascii_isdigit(text[end])) ++end;
    if (end - dot - 1 > 9) return std::nullopt;
  }
  return t;
}

TEST(UpstreamTimeTest, AgreesWithAbslParseTimeOnEdgeCases) {
  const std::vector<std::string> dates = {
      "2024-02-29", "2023-02-29", "2100-02-29",  "2000-02-29", "2025-04-31",  "2025-04-30",
      "2025-00-10", "2025-12-00", "2025-12-32",  "0000-01-01", "0001-01-01",  "9999-12-31",
      "2025-1-05",  "2025-01-5",  "20250-01-01", "2025/01/01", "+2025-01-01", "2025-0a-01"};
  const std::vector<std::string> clocks = {"00:00:00", "23:59:59", "24:00:00", "23:60:00",
                                           "23:59:60", "7:05:09",  "07:05:9",  "07:05:09"};
  const std::vector<std::string> fractions = {"",        ".",          ".0",          ".5",
                                              ".123456", ".123456789", ".1234567891", ".12a"};
  const std::vector<std::string> zones = {"Z",      "z",      "+00:00", "-00:00", "+05:30",
                                          "-12:45", "+23:59", "+24:00", "+05:60", "+0530",
                                          "+05",    "",       " Z",     "Z ",     "+5:30"};
  for (const std::string& d : dates) {
    for (const std::string& c : clocks) {
      for (const std::string& f : fractions) {
        for (const std::string& z : zones) {
          for (const char* t : {"T", "t", " "}) {
            const std::string text = absl::StrCat(d, t, c, f, z);
            EXPECT_EQ(ParseUpstreamTime(text), ReferenceParse(text)) << text;
          }
        }
      }
    }
  }
}

// Found by tests/fuzz (list_filter): a filter bound between two
// nanoseconds matched what its canonical spelling did not.
TEST(UpstreamTimeTest, RefusesTimesFinerThanANanosecond) {
  EXPECT_FALSE(ParseUpstreamTime("2025-12-19T22:36:02.3396304105Z").has_value());
  EXPECT_FALSE(ParseUpstreamTime("2025-12-19T22:36:02.0000000001+00:00").has_value());
  EXPECT_FALSE(ParseUpstreamTime("2025-12-19T22:36:02.3396304100Z").has_value());
  const std::optional<absl::Time> t = ParseUpstreamTime("2025-12-19T22:36:02.339630410Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, absl::FromUnixSeconds(1766183762) + absl::Nanoseconds(339630410));
}

TEST(UpstreamDurationTest, GoStyle) {
  EXPECT_EQ(ParseUpstreamDuration("30m"), absl::Minutes(30));
  EXPECT_EQ(ParseUpstreamDuration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(ParseUpstreamDuration("45s"), absl::Seconds(45));
  EXPECT_EQ(ParseUpstreamDuration("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(ParseUpstreamDuration("0"), absl::ZeroDuration());
  EXPECT_FALSE(ParseUpstreamDuration("").has_value());
  EXPECT_FALSE(ParseUpstreamDuration("-5s").has_value());
  EXPECT_FALSE(ParseUpstreamDuration("inf").has_value());
  EXPECT_FALSE(ParseUpstreamDuration("thirty minutes").has_value());
}

TEST(RetryAfterTest, SecondsAndHttpDate) {
  const absl::Time now = absl::FromUnixSeconds(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(ParseRetryAfter("7", now), absl::Seconds(7));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now), absl::ZeroDuration());
  EXPECT_FALSE(ParseRetryAfter("soon", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("-3", now).has_value());
}

TEST(ProtoConversionTest, RoundTrips) {
  const absl::Time t = absl::FromUnixNanos(1766183789336304095);
  EXPECT_EQ(FromProtoTimestamp(ToProtoTimestamp(t)), t);
  const absl::Duration d = absl::Milliseconds(1500);
  auto pd = ToProtoDuration(d);
  EXPECT_EQ(pd.seconds(), 1);
  EXPECT_EQ(pd.nanos(), 500000000);
  EXPECT_EQ(FromProtoDuration(pd), d);
  EXPECT_EQ(FormatRfc3339(t), "2025-12-19T22:36:29.336304095Z");
  EXPECT_EQ(FormatRfc3339(absl::FromUnixSeconds(1766183789)), "2025-12-19T22:36:29Z");
}

}  // namespace
}  // namespace execgw

#include "adapters/upstream_time.h"

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

#include "adapters/upstream_time.h"

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace execgw {
namespace {

// google.protobuf.Timestamp's valid range: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

}  // namespace

std::optional<absl::Time> ParseUpstreamTime(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return std::nullopt;
  absl::Time t;
  std::string err;
  // %E*S takes any number of fractional digits; %Ez takes `Z` or +hh:mm.
  if (!absl::ParseTime("%Y-%m-%d%ET%H:%M:%E*S%Ez", std::string(text), &t, &err)) {
    return std::nullopt;
  }
  const int64_t secs = absl::ToUnixSeconds(t);
  if (secs < kMinSeconds || secs > kMaxSeconds) return std::nullopt;
  if (secs == kMinSeconds && t == absl::FromUnixSeconds(kMinSeconds)) return std::nullopt;
  return t;
}

std::optional<absl::Duration> ParseUpstreamDuration(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return std::nullopt;
  absl::Duration d;
  if (!absl::ParseDuration(std::string(text), &d)) return std::nullopt;
  if (d < absl::ZeroDuration() || d == absl::InfiniteDuration()) return std::nullopt;
  return d;
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view text, absl::Time now) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return std::nullopt;
  int64_t seconds;
  if (absl::SimpleAtoi(text, &seconds)) {
    if (seconds < 0) return std::nullopt;
    return absl::Seconds(seconds);
  }
  absl::Time when;
  std::string err;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(text), &when, &err)) {
    return std::nullopt;
  }
  return when > now ? when - now : absl::ZeroDuration();
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t secs = absl::ToUnixSeconds(t);
  ts.set_seconds(secs);
  ts.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(secs))));
  return ts;
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t secs = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(secs);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace execgw

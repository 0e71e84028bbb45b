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

// The value of the `n` ASCII digits at `p`, or -1 if any is not a digit.
int Digits(const char* p, int n) {
  int value = 0;
  for (int i = 0; i < n; ++i) {
    if (p[i] < '0' || p[i] > '9') return -1;
    value = value * 10 + (p[i] - '0');
  }
  return value;
}

bool IsLeapYear(int y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

// Days from 1970-01-01 to the proleptic Gregorian date y-m-d (H. Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// The shape nearly every upstream time has, `YYYY-MM-DDTHH:MM:SS`, then 0
// to 9 fractional digits after a `.`, then `Z` or `+hh:mm`/`-hh:mm`, with
// every field in range (no leap second): read directly, in a fraction of
// what absl::ParseTime costs (a third of a translation's time went there).
// Anything else is nullopt here and left to absl::ParseTime, which gives
// the same time for every text this accepts.
std::optional<absl::Time> ParseCanonicalTime(absl::string_view text) {
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const char* p = text.data();
  const int year = Digits(p, 4), month = Digits(p + 5, 2), day = Digits(p + 8, 2);
  const int hour = Digits(p + 11, 2), minute = Digits(p + 14, 2), second = Digits(p + 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return std::nullopt;
  }
  size_t i = 19;
  int64_t nanos = 0;
  if (text[i] == '.') {
    const size_t first = ++i;
    while (i < text.size() && i - first < 10 && text[i] >= '0' && text[i] <= '9') {
      nanos = nanos * 10 + (text[i] - '0');
      ++i;
    }
    const size_t digits = i - first;
    if (digits == 0 || digits > 9) return std::nullopt;
    for (size_t d = digits; d < 9; ++d) nanos *= 10;
  }
  int offset_seconds = 0;
  if (i + 1 == text.size() && text[i] == 'Z') {
    // UTC
  } else if (i + 6 == text.size() && (text[i] == '+' || text[i] == '-') && text[i + 3] == ':') {
    const int oh = Digits(p + i + 1, 2), om = Digits(p + i + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset_seconds = (oh * 60 + om) * 60 * (text[i] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  const int64_t seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
}

}  // namespace

std::optional<absl::Time> ParseUpstreamTime(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return std::nullopt;
  absl::Time t;
  if (std::optional<absl::Time> canonical = ParseCanonicalTime(text)) {
    t = *canonical;
  } else {
    // %E*S takes any number of fractional digits, and rounds past a
    // quarter nanosecond: more than 9 is finer than a Timestamp holds (and
    // a filter bound there matched what its own canonical spelling did not).
    if (const size_t dot = text.find('.'); dot != absl::string_view::npos) {
      size_t end = dot + 1;
      while (end < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[end]))) ++end;
      if (end - dot - 1 > 9) return std::nullopt;
    }
    std::string err;
    // %Ez takes `Z` or +hh:mm.
    if (!absl::ParseTime("%Y-%m-%d%ET%H:%M:%E*S%Ez", std::string(text), &t, &err)) {
      return std::nullopt;
    }
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

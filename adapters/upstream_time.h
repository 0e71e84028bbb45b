#ifndef EXECGW_ADAPTERS_UPSTREAM_TIME_H_
#define EXECGW_ADAPTERS_UPSTREAM_TIME_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace execgw {

// The one parser for times that upstreams send. Accepts RFC 3339 with a `Z`
// or a numeric offset (`+00:00`) and 0 to 9 fractional digits, such as
// `2025-12-19T22:36:29.336304095Z` or `2026-02-24T19:45:54.123456+00:00`.
// Returns nullopt for the empty string, for the Go zero time
// `0001-01-01T00:00:00Z` (a placeholder meaning "unset"), and for anything
// unparseable or outside the range of google.protobuf.Timestamp (more than
// 9 fractional digits included).
std::optional<absl::Time> ParseUpstreamTime(absl::string_view text);

// Parses a Go-style duration (`30m`, `1h30m`, `45s`, `1.5h`, `500ms`, `0`).
// Returns nullopt for empty, negative, infinite or unparseable text.
std::optional<absl::Duration> ParseUpstreamDuration(absl::string_view text);

// Parses an HTTP `Retry-After` value: delay seconds, or an HTTP date
// (`Wed, 21 Oct 2015 07:28:00 GMT`) taken relative to `now`. A date in the
// past gives zero. Returns nullopt when unparseable.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view text, absl::Time now);

// Formats `t` as RFC 3339 UTC with as many fractional digits as needed.
std::string FormatRfc3339(absl::Time t);

// Conversions to the protobuf well-known types.
google::protobuf::Timestamp ToProtoTimestamp(absl::Time t);
google::protobuf::Duration ToProtoDuration(absl::Duration d);
absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& ts);
absl::Duration FromProtoDuration(const google::protobuf::Duration& d);

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_UPSTREAM_TIME_H_

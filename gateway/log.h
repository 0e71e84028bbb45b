#ifndef EXECGW_GATEWAY_LOG_H_
#define EXECGW_GATEWAY_LOG_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/event_loop.h"

namespace execgw::gateway {

// Lines written to a sink, at most `max_lines_per_second` in each second of
// the clock: what callers can trigger at will (a malformed request makes
// protobuf log a line) must not flood the log or cost a write each. Lines
// over the limit are dropped and counted; the next line admitted is
// preceded by one line saying how many were dropped. Thread-safe; the sink
// is called under a lock, so it must not log.
class RateLimitedLog {
 public:
  struct Options {
    int max_lines_per_second = 5;
    const Clock* clock = WallClock();
  };
  using Sink = absl::AnyInvocable<void(absl::string_view line)>;

  RateLimitedLog(Options options, Sink sink);

  // Writes `line` (without a trailing newline) unless this second's lines
  // are used up.
  void Write(absl::string_view line);

 private:
  const Options options_;
  absl::Mutex mu_;
  Sink sink_ ABSL_GUARDED_BY(mu_);
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int written_in_window_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

enum class LogSeverity { kInfo, kWarning, kError };

// The gateway's one log: "execgw: <SEVERITY>: <text>" lines on stderr,
// rate-limited (RateLimitedLog, 5 lines a second). `text` is cut to 1,000
// bytes. Never give it request contents or anything that may hold a secret.
void Log(LogSeverity severity, absl::string_view text);

// Sends protobuf's own log lines (for example "String field ... contains
// invalid UTF-8 data", once per malformed request) through Log instead of
// protobuf's unthrottled stderr writer. Process-wide; idempotent.
void RouteProtobufLogging();

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_LOG_H_

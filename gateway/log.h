#ifndef EXECGW_GATEWAY_LOG_H_
#define EXECGW_GATEWAY_LOG_H_

#include <cstdint>
#include <functional>
#include <optional>
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
    // The line saying how many were dropped; empty: plain text
    // ("execgw: WARNING: N log lines dropped (more than L a second)").
    std::function<std::string(uint64_t dropped, int limit)> dropped_line;
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

enum class LogSeverity { kDebug, kInfo, kWarning, kError };

// "debug", "info", "warn" or "error" (config Logging.level, --log_level).
std::optional<LogSeverity> ParseLogLevel(absl::string_view level);
// The least severe lines written from now on (process-wide; default info).
void SetLogLevel(LogSeverity level);
bool LogEnabled(LogSeverity severity);

// One JSON log line, built member by member: {"time": RFC 3339 UTC with
// milliseconds, "level", "msg", then the members added, in order}. Strings
// are JSON-escaped (invalid UTF-8 replaced) and cut to `max_bytes`.
class LogLine {
 public:
  LogLine(LogSeverity severity, absl::string_view msg);
  LogLine& Str(absl::string_view key, absl::string_view value, size_t max_bytes = 256);
  LogLine& Int(absl::string_view key, int64_t value);
  LogLine& Double(absl::string_view key, double value);
  LogSeverity severity() const { return severity_; }
  // The line's text (one JSON object, no newline).
  std::string Text() const;

 private:
  LogSeverity severity_;
  std::string members_;
};

// The gateway's one log: JSON lines on stderr (LogLine), those below the
// log level left out. Log() writes {"msg": text}, rate-limited
// (RateLimitedLog, 5 lines a second); `text` is cut to 1,000 bytes. Never
// give it request contents or anything that may hold a secret.
void Log(LogSeverity severity, absl::string_view text);

// Writes a line that is not rate-limited: the per-call and per-upstream-
// failure lines, which come at the rate of traffic (the level filters them).
void Write(const LogLine& line);

// Sends every line to `sink` instead of stderr (nullptr: stderr again), for
// tests. The sink is called under a lock and must not log.
void SetLogSinkForTesting(std::function<void(absl::string_view line)> sink);

// Sends protobuf's own log lines (for example "String field ... contains
// invalid UTF-8 data", once per malformed request) through Log instead of
// protobuf's unthrottled stderr writer. Process-wide; idempotent.
void RouteProtobufLogging();

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_LOG_H_

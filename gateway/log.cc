#include "gateway/log.h"

#include <atomic>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "adapters/resource_name.h"
#include "google/protobuf/stubs/logging.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace execgw::gateway {
namespace {

constexpr size_t kMaxLogTextBytes = 1000;

std::atomic<int> log_level{static_cast<int>(LogSeverity::kInfo)};

absl::Mutex sink_mu(absl::kConstInit);
std::function<void(absl::string_view)>* test_sink ABSL_GUARDED_BY(sink_mu) = nullptr;

// Every line ends here: one write per line, under one lock, so lines from
// different threads never interleave.
void WriteLine(absl::string_view line) {
  absl::MutexLock lock(&sink_mu);
  if (test_sink != nullptr) {
    (*test_sink)(line);
    return;
  }
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
}

absl::string_view SeverityName(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kDebug:
      return "debug";
    case LogSeverity::kInfo:
      return "info";
    case LogSeverity::kWarning:
      return "warn";
    case LogSeverity::kError:
      return "error";
  }
  return "error";
}

RateLimitedLog& StderrLog() {
  static RateLimitedLog* log =
      new RateLimitedLog({.dropped_line =
                              [](uint64_t dropped, int limit) {
                                return LogLine(LogSeverity::kWarning, "log lines dropped")
                                    .Int("dropped", static_cast<int64_t>(dropped))
                                    .Int("limit_per_second", limit)
                                    .Text();
                              }},
                         [](absl::string_view line) { WriteLine(line); });
  return *log;
}

// A JSON string: escaped, cut to `max_bytes` on a UTF-8 boundary, invalid
// UTF-8 replaced.
std::string JsonString(absl::string_view value, size_t max_bytes) {
  const std::string bounded = BoundedEcho(value, max_bytes);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                    rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>
      writer(buffer);
  if (!writer.String(bounded.data(), static_cast<rapidjson::SizeType>(bounded.size()))) {
    return "\"(not UTF-8)\"";
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

void ProtobufLogHandler(google::protobuf::LogLevel level, const char* filename, int line,
                        const std::string& message) {
  LogSeverity severity = LogSeverity::kError;
  if (level == google::protobuf::LOGLEVEL_INFO) severity = LogSeverity::kInfo;
  if (level == google::protobuf::LOGLEVEL_WARNING) severity = LogSeverity::kWarning;
  Log(severity, absl::StrCat("protobuf (", filename, ":", line, "): ", message));
}

}  // namespace

RateLimitedLog::RateLimitedLog(Options options, Sink sink)
    : options_(options), sink_(std::move(sink)) {}

void RateLimitedLog::Write(absl::string_view line) {
  const absl::Time now = options_.clock->Now();
  absl::MutexLock lock(&mu_);
  if (now - window_start_ >= absl::Seconds(1) || now < window_start_) {
    window_start_ = now;
    written_in_window_ = 0;
  }
  if (written_in_window_ >= options_.max_lines_per_second) {
    ++dropped_;
    return;
  }
  ++written_in_window_;
  if (dropped_ > 0) {
    sink_(options_.dropped_line != nullptr
              ? options_.dropped_line(dropped_, options_.max_lines_per_second)
              : absl::StrCat("execgw: WARNING: ", dropped_, " log lines dropped (more than ",
                             options_.max_lines_per_second, " a second)"));
    dropped_ = 0;
  }
  sink_(line);
}

std::optional<LogSeverity> ParseLogLevel(absl::string_view level) {
  if (level == "debug") return LogSeverity::kDebug;
  if (level == "info") return LogSeverity::kInfo;
  if (level == "warn") return LogSeverity::kWarning;
  if (level == "error") return LogSeverity::kError;
  return std::nullopt;
}

void SetLogLevel(LogSeverity level) { log_level.store(static_cast<int>(level)); }

bool LogEnabled(LogSeverity severity) {
  return static_cast<int>(severity) >= log_level.load(std::memory_order_relaxed);
}

LogLine::LogLine(LogSeverity severity, absl::string_view msg) : severity_(severity) {
  Str("msg", msg, kMaxLogTextBytes);
}

LogLine& LogLine::Str(absl::string_view key, absl::string_view value, size_t max_bytes) {
  absl::StrAppend(&members_, ",", JsonString(key, 64), ":", JsonString(value, max_bytes));
  return *this;
}

LogLine& LogLine::Int(absl::string_view key, int64_t value) {
  absl::StrAppend(&members_, ",", JsonString(key, 64), ":", value);
  return *this;
}

LogLine& LogLine::Double(absl::string_view key, double value) {
  absl::StrAppend(&members_, ",", JsonString(key, 64), ":", absl::StrFormat("%.3f", value));
  return *this;
}

std::string LogLine::Text() const {
  const std::string time =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  return absl::StrCat("{\"time\":\"", time, "\",\"level\":\"", SeverityName(severity_), "\"",
                      members_, "}");
}

void Log(LogSeverity severity, absl::string_view text) {
  if (!LogEnabled(severity)) return;
  StderrLog().Write(LogLine(severity, text).Text());
}

void Write(const LogLine& line) {
  if (!LogEnabled(line.severity())) return;
  WriteLine(line.Text());
}

void SetLogSinkForTesting(std::function<void(absl::string_view line)> sink) {
  absl::MutexLock lock(&sink_mu);
  delete test_sink;
  test_sink =
      sink != nullptr ? new std::function<void(absl::string_view)>(std::move(sink)) : nullptr;
}

void RouteProtobufLogging() { google::protobuf::SetLogHandler(&ProtobufLogHandler); }

}  // namespace execgw::gateway

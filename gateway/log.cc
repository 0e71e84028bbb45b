#include "gateway/log.h"

#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/resource_name.h"
#include "google/protobuf/stubs/logging.h"

namespace execgw::gateway {
namespace {

constexpr size_t kMaxLogTextBytes = 1000;

RateLimitedLog& StderrLog() {
  static RateLimitedLog* log = new RateLimitedLog({}, [](absl::string_view line) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  });
  return *log;
}

absl::string_view SeverityName(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kInfo:
      return "INFO";
    case LogSeverity::kWarning:
      return "WARNING";
    case LogSeverity::kError:
      return "ERROR";
  }
  return "ERROR";
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
    sink_(absl::StrCat("execgw: WARNING: ", dropped_, " log lines dropped (more than ",
                       options_.max_lines_per_second, " a second)"));
    dropped_ = 0;
  }
  sink_(line);
}

void Log(LogSeverity severity, absl::string_view text) {
  StderrLog().Write(
      absl::StrCat("execgw: ", SeverityName(severity), ": ", BoundedEcho(text, kMaxLogTextBytes)));
}

void RouteProtobufLogging() { google::protobuf::SetLogHandler(&ProtobufLogHandler); }

}  // namespace execgw::gateway

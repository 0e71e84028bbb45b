#include "gateway/cli/watch_text.h"

#include "absl/strings/str_cat.h"
#include "adapters/execution_state.h"
#include "adapters/upstream_error.h"
#include "adapters/upstream_time.h"
#include "gateway/cli/execution_text.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace execgw::cli {
namespace {

std::string TimeOf(const google::protobuf::Timestamp& ts) {
  return FormatRfc3339(FromProtoTimestamp(ts));
}

}  // namespace

std::string FormatWatchLine(const v1::WatchExecutionResponse& message) {
  const v1::Execution& e = message.execution();
  std::string when = "-";
  if (e.has_update_time()) {
    when = TimeOf(e.update_time());
  } else if (message.has_confirm_time()) {
    when = TimeOf(message.confirm_time());
  }
  std::string line = absl::StrCat(when, "  ", StateLabel(e));
  if (!e.raw_status().empty()) absl::StrAppend(&line, " (", e.raw_status(), ")");
  const v1::TaskStats& t = e.task_stats();
  if (t.total() > 0) {
    absl::StrAppend(&line, "  tasks ", t.succeeded(), "/", t.total(), " succeeded");
    if (t.running() > 0) absl::StrAppend(&line, ", ", t.running(), " running");
    if (t.failed() > 0) absl::StrAppend(&line, ", ", t.failed(), " failed");
    if (t.cancelled() > 0) absl::StrAppend(&line, ", ", t.cancelled(), " cancelled");
    if (t.retried() > 0) absl::StrAppend(&line, ", ", t.retried(), " retried");
  }
  if (!e.error_message().empty() && IsTerminal(e.state())) {
    absl::StrAppend(&line, "  error: ", e.error_message());
  }
  return absl::StrCat(line, "\n");
}

WatchPrinter::Output WatchPrinter::Take(const v1::WatchExecutionResponse& message) {
  Output o;
  if (message.has_upstream_error() && !failing_) {
    failing_ = true;
    const v1::UpstreamError& u = message.upstream_error();
    o.err = absl::StrCat("execgw-cli: the upstream is failing",
                         u.has_since() ? absl::StrCat(" since ", TimeOf(u.since())) : "", ": ",
                         u.message(),
                         message.has_confirm_time()
                             ? absl::StrCat("; last confirmed ", TimeOf(message.confirm_time()))
                             : "",
                         "\n");
  } else if (!message.has_upstream_error() && failing_) {
    failing_ = false;
    o.err = "execgw-cli: the upstream answers again\n";
  }
  if (message.has_execution()) {
    last_etag_ = message.execution().etag();
    o.out = FormatWatchLine(message);
    if (IsTerminal(message.execution().state())) {
      finished_ = true;
      final_state_ = message.execution().state();
    }
  }
  return o;
}

std::string WatchPrinter::TakeFinishedBeforeResume(const v1::Execution& execution,
                                                   const std::string& resumed_etag) {
  if (finished_ || resumed_etag.empty() || execution.etag() != resumed_etag ||
      !IsTerminal(execution.state())) {
    return "";
  }
  finished_ = true;
  final_state_ = execution.state();
  last_etag_ = execution.etag();
  return absl::StrCat("execgw-cli: the execution had already ended: ", StateLabel(execution), "\n");
}

int WatchPrinter::ExitCode(const grpc::Status& status) const {
  if (!status.ok() || !finished_) return kWatchFailedCall;
  switch (final_state_) {
    case v1::Execution::STATE_SUCCEEDED:
      return kWatchSucceeded;
    case v1::Execution::STATE_FAILED:
      return kWatchFailed;
    case v1::Execution::STATE_CANCELLED:
      return kWatchCancelled;
    case v1::Execution::STATE_TIMED_OUT:
      return kWatchTimedOut;
    default:
      return kWatchFailedCall;
  }
}

std::string ResumeEtag(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return "";
  google::rpc::Status rich;
  if (!rich.ParseFromString(status.error_details())) return "";
  for (const auto& any : rich.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info) && info.reason() == reason::kGatewayShuttingDown) {
      auto it = info.metadata().find("etag");
      if (it != info.metadata().end()) return it->second;
    }
  }
  return "";
}

std::string ResumeHint(const std::string& name, const grpc::Status& status) {
  const std::string etag = ResumeEtag(status);
  if (etag.empty()) return "";
  return absl::StrCat("execgw-cli: the gateway is shutting down; resume with: execgw-cli watch ",
                      name, " --etag=", etag, "\n");
}

}  // namespace execgw::cli

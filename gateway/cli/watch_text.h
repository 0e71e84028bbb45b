#ifndef EXECGW_GATEWAY_CLI_WATCH_TEXT_H_
#define EXECGW_GATEWAY_CLI_WATCH_TEXT_H_

#include <optional>
#include <string>

#include "execgw/v1/execution_service.pb.h"
#include "grpcpp/support/status.h"

namespace execgw::cli {

// Exit codes of `execgw-cli watch`: from the final state, or the stream's
// failure.
inline constexpr int kWatchSucceeded = 0;
inline constexpr int kWatchFailedCall = 1;  // the stream failed, or ended without a final state
inline constexpr int kWatchFailed = 3;
inline constexpr int kWatchCancelled = 4;
inline constexpr int kWatchTimedOut = 5;

// Reads a watch stream's messages for a person: one line per execution
// message, a line to stderr when the upstream starts or stops failing.
// Heartbeats alone print nothing.
class WatchPrinter {
 public:
  struct Output {
    std::string out;  // for stdout
    std::string err;  // for stderr
  };

  // What to print for `message`.
  Output Take(const v1::WatchExecutionResponse& message);

  // The last execution message's etag (to resume with), and whether its
  // state is terminal.
  const std::string& last_etag() const { return last_etag_; }
  bool finished() const { return finished_; }
  // The exit code for a stream that ended with `status`.
  int ExitCode(const grpc::Status& status) const;

  // For a resume whose stream ended OK without an execution message (the
  // execution had already ended with the etag resumed from): `execution`,
  // read with GetExecution, gives the final state if it is terminal and
  // still has that etag. Returns the line for stderr ("" if it does not).
  std::string TakeFinishedBeforeResume(const v1::Execution& execution,
                                       const std::string& resumed_etag);

 private:
  std::string last_etag_;
  bool finished_ = false;
  v1::Execution::State final_state_ = v1::Execution::STATE_UNSPECIFIED;
  bool failing_ = false;
};

// One line for an execution message: its update time (or when the gateway
// read it), state with the upstream's own word, and task progress when the
// execution has tasks: "2026-01-01T00:00:03Z  RUNNING (running)  tasks 1/3
// succeeded, 1 running".
std::string FormatWatchLine(const v1::WatchExecutionResponse& message);

// The etag a GATEWAY_SHUTTING_DOWN error says to resume from ("" if none).
std::string ResumeEtag(const grpc::Status& status);

// For a stream that ended with `status`: the command to resume the watch of
// `name` with, for stderr, when the gateway shut down; "" otherwise.
std::string ResumeHint(const std::string& name, const grpc::Status& status);

}  // namespace execgw::cli

#endif  // EXECGW_GATEWAY_CLI_WATCH_TEXT_H_

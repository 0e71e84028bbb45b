#include "gateway/cli/watch_text.h"

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace execgw::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::WatchExecutionResponse ExecutionMessage(v1::Execution::State state, const std::string& raw,
                                            const std::string& etag) {
  v1::WatchExecutionResponse m;
  m.mutable_execution()->set_state(state);
  m.mutable_execution()->set_raw_status(raw);
  m.mutable_execution()->set_etag(etag);
  m.mutable_confirm_time()->set_seconds(1767225600);  // 2026-01-01T00:00:00Z
  return m;
}

TEST(WatchTextTest, ALineHasTheTimeStateAndTaskProgress) {
  auto m = ExecutionMessage(v1::Execution::STATE_RUNNING, "running", "e1");
  m.mutable_execution()->mutable_update_time()->set_seconds(1767225603);
  auto* t = m.mutable_execution()->mutable_task_stats();
  t->set_total(5);
  t->set_succeeded(2);
  t->set_running(2);
  t->set_failed(1);
  EXPECT_EQ(FormatWatchLine(m),
            "2026-01-01T00:00:03Z  RUNNING (running)  tasks 2/5 succeeded, 2 running, 1 failed\n");
  // Without an update time: when the gateway read it.
  auto p = ExecutionMessage(v1::Execution::STATE_QUEUED, "queued", "e0");
  EXPECT_EQ(FormatWatchLine(p), "2026-01-01T00:00:00Z  QUEUED (queued)\n");
}

TEST(WatchTextTest, AFinishedExecutionShowsItsError) {
  auto m = ExecutionMessage(v1::Execution::STATE_FAILED, "failed", "e2");
  m.mutable_execution()->set_error_message("step raised");
  EXPECT_THAT(FormatWatchLine(m), HasSubstr("FAILED (failed)  error: step raised"));
}

TEST(WatchTextTest, TheExitCodeComesFromTheFinalState) {
  const std::pair<v1::Execution::State, int> cases[] = {
      {v1::Execution::STATE_SUCCEEDED, kWatchSucceeded},
      {v1::Execution::STATE_FAILED, kWatchFailed},
      {v1::Execution::STATE_CANCELLED, kWatchCancelled},
      {v1::Execution::STATE_TIMED_OUT, kWatchTimedOut},
  };
  for (const auto& [state, code] : cases) {
    WatchPrinter printer;
    printer.Take(ExecutionMessage(v1::Execution::STATE_RUNNING, "running", "a"));
    EXPECT_FALSE(printer.finished());
    printer.Take(ExecutionMessage(state, "x", "b"));
    EXPECT_TRUE(printer.finished());
    EXPECT_EQ(printer.last_etag(), "b");
    EXPECT_EQ(printer.ExitCode(grpc::Status::OK), code) << state;
    EXPECT_EQ(printer.ExitCode(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x")), kWatchFailedCall);
  }
  // A stream that ends OK without a final state is a failure too.
  WatchPrinter unfinished;
  unfinished.Take(ExecutionMessage(v1::Execution::STATE_RUNNING, "running", "a"));
  EXPECT_EQ(unfinished.ExitCode(grpc::Status::OK), kWatchFailedCall);
}

TEST(WatchTextTest, UpstreamFailuresAreToldOnceWhenTheyStartAndOnceWhenTheyEnd) {
  WatchPrinter printer;
  EXPECT_EQ(printer.Take(ExecutionMessage(v1::Execution::STATE_RUNNING, "running", "a")).err, "");
  v1::WatchExecutionResponse failing;
  failing.mutable_heartbeat();
  failing.mutable_confirm_time()->set_seconds(1767225600);
  failing.mutable_upstream_error()->set_code(14);
  failing.mutable_upstream_error()->set_message("backend \"px\" is unavailable");
  failing.mutable_upstream_error()->mutable_since()->set_seconds(1767225610);
  const auto first = printer.Take(failing);
  EXPECT_EQ(first.out, "");
  EXPECT_EQ(first.err,
            "execgw-cli: the upstream is failing since 2026-01-01T00:00:10Z: backend \"px\" is "
            "unavailable; last confirmed 2026-01-01T00:00:00Z\n");
  EXPECT_EQ(printer.Take(failing).err, "");
  v1::WatchExecutionResponse ok;
  ok.mutable_heartbeat();
  EXPECT_EQ(printer.Take(ok).err, "execgw-cli: the upstream answers again\n");
  EXPECT_EQ(printer.Take(ok).err, "");
}

TEST(WatchTextTest, EveryTerminalStateHasItsLine) {
  const std::pair<v1::Execution::State, const char*> cases[] = {
      {v1::Execution::STATE_SUCCEEDED, "2026-01-01T00:00:00Z  SUCCEEDED (completed)\n"},
      {v1::Execution::STATE_FAILED, "2026-01-01T00:00:00Z  FAILED (failed)\n"},
      {v1::Execution::STATE_CANCELLED, "2026-01-01T00:00:00Z  CANCELLED (cancelled)\n"},
      {v1::Execution::STATE_TIMED_OUT, "2026-01-01T00:00:00Z  TIMED_OUT (timeout)\n"},
  };
  const char* raw[] = {"completed", "failed", "cancelled", "timeout"};
  int i = 0;
  for (const auto& [state, line] : cases) {
    WatchPrinter printer;
    EXPECT_EQ(printer.Take(ExecutionMessage(state, raw[i++], "z")).out, line);
  }
  // Progress of a finished execution with every kind of task outcome; its
  // error is shown only once it has ended.
  auto m = ExecutionMessage(v1::Execution::STATE_FAILED, "failed", "f");
  m.mutable_execution()->set_error_message("2 tasks failed");
  auto* t = m.mutable_execution()->mutable_task_stats();
  t->set_total(6);
  t->set_succeeded(2);
  t->set_failed(2);
  t->set_cancelled(2);
  t->set_retried(1);
  EXPECT_EQ(FormatWatchLine(m),
            "2026-01-01T00:00:00Z  FAILED (failed)  tasks 2/6 succeeded, 2 failed, 2 cancelled, "
            "1 retried  error: 2 tasks failed\n");
  m.mutable_execution()->set_state(v1::Execution::STATE_RUNNING);
  EXPECT_THAT(FormatWatchLine(m), Not(HasSubstr("error:")));
}

TEST(WatchTextTest, HeartbeatsPrintNothing) {
  WatchPrinter printer;
  v1::WatchExecutionResponse beat;
  beat.mutable_heartbeat();
  beat.mutable_confirm_time()->set_seconds(1767225600);
  const auto o = printer.Take(beat);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "");
  EXPECT_FALSE(printer.finished());
  EXPECT_EQ(printer.ExitCode(grpc::Status::OK), kWatchFailedCall);
}

grpc::Status ShuttingDown(const std::string& etag) {
  google::rpc::Status rich;
  rich.set_code(grpc::StatusCode::UNAVAILABLE);
  rich.set_message("the gateway is shutting down");
  google::rpc::ErrorInfo info;
  info.set_reason("GATEWAY_SHUTTING_DOWN");
  info.set_domain("execgw");
  if (!etag.empty()) (*info.mutable_metadata())["etag"] = etag;
  rich.add_details()->PackFrom(info);
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, rich.message(), rich.SerializeAsString());
}

TEST(WatchTextTest, AShutdownSaysHowToResume) {
  EXPECT_EQ(ResumeEtag(ShuttingDown("abc123")), "abc123");
  EXPECT_EQ(ResumeHint("backends/px/executions/e1", ShuttingDown("abc123")),
            "execgw-cli: the gateway is shutting down; resume with: execgw-cli watch "
            "backends/px/executions/e1 --etag=abc123\n");
  // Before any execution was delivered there is no etag: watch again plainly.
  EXPECT_EQ(ResumeHint("backends/px/executions/e1", ShuttingDown("")), "");
  // Other errors carry no hint.
  EXPECT_EQ(ResumeHint("n", grpc::Status(grpc::StatusCode::UNAVAILABLE, "down")), "");
  EXPECT_EQ(ResumeHint("n", grpc::Status(grpc::StatusCode::NOT_FOUND, "no", "garbage")), "");
  EXPECT_EQ(ResumeHint("n", grpc::Status::OK), "");
}

TEST(WatchTextTest, AResumeOfAnExecutionThatHadEndedTakesItsFinalState) {
  v1::Execution done;
  done.set_state(v1::Execution::STATE_CANCELLED);
  done.set_etag("last");
  {
    WatchPrinter printer;
    EXPECT_EQ(printer.TakeFinishedBeforeResume(done, "last"),
              "execgw-cli: the execution had already ended: CANCELLED\n");
    EXPECT_TRUE(printer.finished());
    EXPECT_EQ(printer.ExitCode(grpc::Status::OK), kWatchCancelled);
  }
  {
    // It changed since (or was never that etag): nothing learnt.
    WatchPrinter printer;
    EXPECT_EQ(printer.TakeFinishedBeforeResume(done, "other"), "");
    EXPECT_EQ(printer.ExitCode(grpc::Status::OK), kWatchFailedCall);
  }
  {
    WatchPrinter printer;
    v1::Execution running = done;
    running.set_state(v1::Execution::STATE_RUNNING);
    EXPECT_EQ(printer.TakeFinishedBeforeResume(running, "last"), "");
    EXPECT_EQ(printer.ExitCode(grpc::Status::OK), kWatchFailedCall);
  }
}

}  // namespace
}  // namespace execgw::cli

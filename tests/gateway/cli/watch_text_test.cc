#include "gateway/cli/watch_text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace execgw::cli {
namespace {

using ::testing::HasSubstr;

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

}  // namespace
}  // namespace execgw::cli

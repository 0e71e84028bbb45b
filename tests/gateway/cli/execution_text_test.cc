#include "gateway/cli/execution_text.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace execgw::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::Execution Sample() {
  v1::Execution e;
  e.set_name("backends/demo-polos/executions/6f1c2d3e-0000-4000-8000-000000000001");
  e.set_backend("demo-polos");
  e.set_backend_kind(v1::BACKEND_KIND_POLOS);
  e.set_workload("summarize");
  e.set_state(v1::Execution::STATE_TIMED_OUT);
  e.set_raw_status("cancelled");
  e.mutable_create_time()->set_seconds(1766183789);
  e.mutable_timeout()->set_seconds(90);
  e.set_retry_count(2);
  e.mutable_result()->set_string_value("done");
  e.mutable_polos()->set_cancelled_by("timeout");
  (*e.mutable_unparsed_fields())["started_at"] = "not-a-time";
  e.set_etag("abc");
  return e;
}

TEST(ExecutionTextTest, ShowsSetFieldsReadably) {
  const std::string text = FormatExecution(Sample());
  EXPECT_THAT(text, HasSubstr("state: TIMED_OUT (upstream: \"cancelled\")"));
  EXPECT_THAT(text, HasSubstr("backend: demo-polos (polos)"));
  EXPECT_THAT(text, HasSubstr("workflow: summarize"));
  EXPECT_THAT(text, HasSubstr("created: 2025-12-19T22:36:29Z"));
  EXPECT_THAT(text, HasSubstr("timeout: 1m30s"));
  EXPECT_THAT(text, HasSubstr("retries: 2"));
  EXPECT_THAT(text, HasSubstr("result: \"done\""));
  EXPECT_THAT(text, HasSubstr("cancelled by: timeout"));
  EXPECT_THAT(text, HasSubstr("unparsed started_at: \"not-a-time\""));
  EXPECT_THAT(text, Not(HasSubstr("started:")));  // unset fields are left out
  EXPECT_THAT(text, Not(HasSubstr("queue:")));
}

TEST(ExecutionTextTest, BlaxelTasks) {
  v1::Execution e;
  e.set_backend_kind(v1::BACKEND_KIND_BLAXEL);
  e.set_workload("nightly");
  e.set_state(v1::Execution::STATE_FAILED);
  auto* t = e.add_tasks();
  t->set_name("task-0");
  t->set_state(v1::Task::STATE_FAILED);
  t->set_raw_status("failed");
  auto* c = t->add_conditions();
  c->set_type("CONDITION_SUCCEEDED");
  c->set_reason("NON_ZERO_EXIT_CODE");
  c->set_severity("ERROR");
  const std::string text = FormatExecution(e);
  EXPECT_THAT(text, HasSubstr("job: nightly"));
  EXPECT_THAT(text, HasSubstr("  task task-0: FAILED (\"failed\")"));
  EXPECT_THAT(text, HasSubstr("    condition: CONDITION_SUCCEEDED NON_ZERO_EXIT_CODE ERROR"));
}

TEST(ExecutionTextTest, SummaryIsOneLine) {
  const std::string line = FormatSummary(Sample());
  EXPECT_THAT(line, HasSubstr("backends/demo-polos/executions/6f1c2d3e"));
  EXPECT_THAT(line, HasSubstr("TIMED_OUT"));
  EXPECT_THAT(line, HasSubstr("2025-12-19T22:36:29Z"));
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  v1::Execution no_time;
  no_time.set_name("n");
  no_time.set_state(v1::Execution::STATE_QUEUED);
  EXPECT_THAT(FormatSummary(no_time), HasSubstr("QUEUED"));
}

TEST(ExecutionTextTest, TaskAlone) {
  v1::Task t;
  t.set_name("task-3");
  t.set_state(v1::Task::STATE_RECONCILING);
  t.mutable_timeout()->set_seconds(1800);
  EXPECT_EQ(FormatTask(t), "  task task-3: RECONCILING\n    timeout: 30m\n");
}

TEST(ExecutionTextTest, JsonRoundTrips) {
  const std::string json = ExecutionToJson(Sample());
  EXPECT_THAT(json, HasSubstr("\"state\": \"STATE_TIMED_OUT\""));
  v1::Execution back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &back).ok());
  EXPECT_EQ(back.SerializeAsString(), Sample().SerializeAsString());
}

}  // namespace
}  // namespace execgw::cli

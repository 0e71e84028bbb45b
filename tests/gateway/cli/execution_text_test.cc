#include "gateway/cli/execution_text.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
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
  // Each value says what it is; empty ones are left out.
  EXPECT_THAT(text, HasSubstr("    condition: type=CONDITION_SUCCEEDED reason=NON_ZERO_EXIT_CODE "
                              "severity=ERROR\n"));
}

TEST(ExecutionTextTest, ConditionValuesAreLabelled) {
  v1::Task t;
  t.set_name("task-0");
  t.set_state(v1::Task::STATE_FAILED);
  auto* c = t.add_conditions();
  // The line outside testing read `CONDITION_SUCCEEDED CONDITION_SUCCEEDED INFO ...`.
  c->set_type("CONDITION_SUCCEEDED");
  c->set_state("CONDITION_SUCCEEDED");
  c->set_reason("NON_ZERO_EXIT_CODE");
  c->set_execution_reason("EXITED");
  c->set_severity("INFO");
  c->set_message("Task exited with code 1: \"boom\"");
  EXPECT_EQ(FormatTask(t),
            "  task task-0: FAILED\n"
            "    condition: type=CONDITION_SUCCEEDED state=CONDITION_SUCCEEDED "
            "reason=NON_ZERO_EXIT_CODE execution_reason=EXITED severity=INFO "
            "message=\"Task exited with code 1: \\\"boom\\\"\"\n");
}

// Maps and JSON objects come out of protobuf in hash order, which changes
// from one process (and one message) to the next; the CLI sorts them.
v1::Execution WithManyKeys(bool reversed) {
  std::vector<std::string> keys;
  for (char c = 'a'; c <= 'p'; ++c) keys.push_back(std::string(3, c));
  if (reversed) std::reverse(keys.begin(), keys.end());
  v1::Execution e;
  e.set_backend_kind(v1::BACKEND_KIND_BLAXEL);
  auto* input = e.mutable_input()->mutable_struct_value();
  auto* nested = (*input->mutable_fields())["nested"].mutable_struct_value();
  for (const std::string& k : keys) {
    (*input->mutable_fields())[k].set_number_value(1);
    (*nested->mutable_fields())[k].set_string_value(k);
    (*e.mutable_blaxel()->mutable_env_override())[k] = "***";
    (*e.mutable_blaxel()->mutable_extra_fields()->mutable_fields())[k].set_bool_value(true);
    (*e.mutable_unparsed_fields())[absl::StrCat("metadata.", k)] = "odd";
  }
  return e;
}

// Whether `keys` appear in `text` in the order given.
bool InOrder(const std::string& text, const std::vector<std::string>& keys) {
  size_t at = 0;
  for (const std::string& k : keys) {
    at = text.find(k, at);
    if (at == std::string::npos) return false;
  }
  return true;
}

TEST(ExecutionTextTest, KeysPrintSortedInTextAndJson) {
  std::vector<std::string> sorted;
  for (char c = 'a'; c <= 'p'; ++c) sorted.push_back(absl::StrCat("\"", std::string(3, c)));
  for (const bool reversed : {false, true}) {
    const v1::Execution e = WithManyKeys(reversed);
    const std::string text = FormatExecution(e);
    EXPECT_EQ(text, FormatExecution(WithManyKeys(!reversed)));
    const std::string json = MessageToJson(e);
    EXPECT_EQ(json, MessageToJson(WithManyKeys(!reversed)));

    // Each map and object, in the text and in the JSON, holds its keys sorted.
    const std::string input = text.substr(text.find("input: "));
    EXPECT_TRUE(InOrder(input, sorted)) << input;
    EXPECT_TRUE(InOrder(input.substr(input.find("\"nested\"")), sorted)) << input;
    std::vector<std::string> env, unparsed;
    for (char c = 'a'; c <= 'p'; ++c) {
      env.push_back(absl::StrCat("env ", std::string(3, c), ":"));
      unparsed.push_back(absl::StrCat("unparsed metadata.", std::string(3, c), ":"));
    }
    EXPECT_TRUE(InOrder(text, env)) << text;
    EXPECT_TRUE(InOrder(text, unparsed)) << text;
    EXPECT_TRUE(InOrder(text.substr(text.find("extra fields: ")), sorted)) << text;
    for (const char* object : {"\"input\"", "\"nested\"", "\"envOverride\"", "\"extraFields\""}) {
      EXPECT_TRUE(InOrder(json.substr(json.find(object)), sorted)) << object << "\n" << json;
    }
    std::vector<std::string> unparsed_json;
    for (char c = 'a'; c <= 'p'; ++c) {
      unparsed_json.push_back(absl::StrCat("\"metadata.", std::string(3, c), "\""));
    }
    EXPECT_TRUE(InOrder(json.substr(json.find("\"unparsedFields\"")), unparsed_json)) << json;
  }
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
  const std::string json = MessageToJson(Sample());
  EXPECT_THAT(json, HasSubstr("\"state\": \"STATE_TIMED_OUT\""));
  v1::Execution back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &back).ok());
  EXPECT_EQ(back.SerializeAsString(), Sample().SerializeAsString());
}

}  // namespace
}  // namespace execgw::cli

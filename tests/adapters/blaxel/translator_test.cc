// Translator tests: every status and timestamp style, odd-but-valid
// documents from tests/fixtures/blaxel, etags.
#include "adapters/blaxel/translator.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "adapters/json_value.h"
#include "adapters/upstream_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/odd_values.h"

namespace execgw::blaxel {
namespace {

using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

std::string ReadFixture(const std::string& name) {
  const char* dir = std::getenv("EXECGW_FIXTURES");
#ifdef EXECGW_BLAXEL_FIXTURES_FALLBACK
  if (dir == nullptr) dir = EXECGW_BLAXEL_FIXTURES_FALLBACK;
#endif
  if (dir == nullptr) {
    ADD_FAILURE() << "EXECGW_FIXTURES is not set (CTest sets it to tests/fixtures)";
    return "{}";
  }
  std::ifstream in(absl::StrCat(dir, "/blaxel/", name));
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

v1::Execution TranslateText(const std::string& json, absl::string_view job_hint = "hint-job",
                            absl::string_view id_hint = "") {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(json);
  EXPECT_TRUE(doc.ok()) << doc.status() << "\n" << json;
  if (!doc.ok()) return {};
  return TranslateJobExecution(*doc, "bx", job_hint, id_hint);
}

v1::Execution TranslateFixture(const std::string& name) { return TranslateText(ReadFixture(name)); }

absl::Time At(const google::protobuf::Timestamp& ts) { return FromProtoTimestamp(ts); }

absl::Time Rfc(absl::string_view text) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &err)) << err;
  return t;
}

// ------------------------------------------------------------- status tables

struct StatusRow {
  const char* raw;
  v1::Execution::State state;
  bool terminal;
};

TEST(ExecutionStatusTable, EveryBlaxelStatus) {
  const StatusRow rows[] = {
      {"queued", v1::Execution::STATE_QUEUED, false},
      {"pending", v1::Execution::STATE_PENDING, false},
      {"running", v1::Execution::STATE_RUNNING, false},
      {"cancelling", v1::Execution::STATE_CANCELLING, false},
      {"cancelled", v1::Execution::STATE_CANCELLED, true},
      {"failed", v1::Execution::STATE_FAILED, true},
      {"succeeded", v1::Execution::STATE_SUCCEEDED, true},
      {"completed", v1::Execution::STATE_SUCCEEDED, true},  // docs prose and one SDK test
      {"timeout", v1::Execution::STATE_TIMED_OUT, true},    // terminal, unlike the SDK helpers
      {"Succeeded", v1::Execution::STATE_SUCCEEDED, true},
      {"paused", v1::Execution::STATE_UNRECOGNIZED, false},
      {"", v1::Execution::STATE_UNRECOGNIZED, false},
      {"timed_out", v1::Execution::STATE_UNRECOGNIZED, false},
  };
  for (const StatusRow& row : rows) {
    SCOPED_TRACE(row.raw);
    v1::Execution e = TranslateText(
        absl::StrCat(R"({"metadata":{"id":"e1","job":"j"},"spec":{},"status":")", row.raw, "\"}"));
    EXPECT_EQ(e.state(), row.state);
    EXPECT_EQ(e.raw_status(), row.raw);
    EXPECT_TRUE(e.unparsed_fields().empty());
  }
}

TEST(ExecutionStatusTable, AbsentOrNonStringStatusIsUnrecognized) {
  v1::Execution absent = TranslateText(R"({"metadata":{"id":"e1"}})");
  EXPECT_EQ(absent.state(), v1::Execution::STATE_UNRECOGNIZED);
  EXPECT_EQ(absent.raw_status(), "");
  v1::Execution number = TranslateText(R"({"metadata":{"id":"e1"},"status":3})");
  EXPECT_EQ(number.state(), v1::Execution::STATE_UNRECOGNIZED);
  EXPECT_EQ(number.raw_status(), "3");
  EXPECT_THAT(number.unparsed_fields(), UnorderedElementsAre(Pair("status", "3")));
}

TEST(TaskStatusTable, EveryBlaxelTaskStatus) {
  const std::pair<const char*, v1::Task::State> rows[] = {
      {"unspecified", v1::Task::STATE_UNREPORTED},
      {"pending", v1::Task::STATE_PENDING},
      {"reconciling", v1::Task::STATE_RECONCILING},
      {"running", v1::Task::STATE_RUNNING},
      {"succeeded", v1::Task::STATE_SUCCEEDED},
      {"failed", v1::Task::STATE_FAILED},
      {"cancelled", v1::Task::STATE_CANCELLED},
      {"hibernating", v1::Task::STATE_UNRECOGNIZED},
      {"", v1::Task::STATE_UNREPORTED},
  };
  for (const auto& [raw, state] : rows) {
    SCOPED_TRACE(raw);
    v1::Execution e = TranslateText(absl::StrCat(
        R"({"metadata":{"id":"e1"},"status":"running","tasks":[{"status":")", raw, "\"}]}"));
    ASSERT_EQ(e.tasks_size(), 1);
    EXPECT_EQ(e.tasks(0).state(), state);
    EXPECT_EQ(e.tasks(0).raw_status(), raw);
  }
  v1::Execution none = TranslateText(R"({"metadata":{"id":"e1"},"tasks":[{}]})");
  EXPECT_EQ(none.tasks(0).state(), v1::Task::STATE_UNREPORTED);
}

// The shared table of odd values (tests/testing/odd_values.h): the same odd
// value reads the same from every backend.
TEST(SharedOddValues, CreationTimes) {
  for (const ::execgw::testing::OddTime& row : ::execgw::testing::kOddTimes) {
    SCOPED_TRACE(absl::StrCat("\"", row.text, "\""));
    v1::Execution e = TranslateText(absl::StrCat(R"({"metadata":{"id":"e1","createdAt":")",
                                                 row.text, R"("},"status":"running"})"));
    EXPECT_EQ(e.has_create_time(), row.sets_time);
    if (row.sets_time) {
      EXPECT_EQ(At(e.create_time()), Rfc(row.expected));
    }
    if (row.kept_raw) {
      EXPECT_THAT(e.unparsed_fields(), UnorderedElementsAre(Pair("metadata.createdAt", row.text)));
    } else {
      EXPECT_THAT(e.unparsed_fields(), IsEmpty());
    }
  }
}

TEST(SharedOddValues, Statuses) {
  for (const ::execgw::testing::OddStatus& row : ::execgw::testing::kOddStatuses) {
    SCOPED_TRACE(absl::StrCat("\"", row.word, "\""));
    v1::Execution e = TranslateText(
        absl::StrCat(R"({"metadata":{"id":"e1","job":"j"},"status":")", row.word, "\"}"));
    EXPECT_EQ(e.state(), row.blaxel);
    EXPECT_EQ(e.raw_status(), row.word);  // as sent
  }
}

TEST(EndTime, AFinishedExecutionWithoutCompletedAtEndsAtItsLastUpdate) {
  for (const char* completed :
       std::vector<const char*>{"", "0001-01-01T00:00:00Z", "soon", nullptr}) {
    for (const char* status : {"succeeded", "failed", "cancelled", "TIMEOUT", "completed"}) {
      SCOPED_TRACE(absl::StrCat(status, " / ", completed ? completed : "(absent)"));
      const std::string completed_member =
          completed ? absl::StrCat(R"(,"completedAt":")", completed, "\"") : "";
      v1::Execution e =
          TranslateText(absl::StrCat(R"({"metadata":{"id":"e1","updatedAt":"2026-02-24T19:45:54Z")",
                                     completed_member, R"(},"status":")", status, "\"}"));
      ASSERT_TRUE(e.has_end_time());
      EXPECT_EQ(At(e.end_time()), Rfc("2026-02-24T19:45:54Z"));
    }
  }
  // A usable completedAt wins; unfinished executions have no end time.
  v1::Execution done =
      TranslateText(R"({"metadata":{"id":"e1","updatedAt":"2026-02-24T19:45:54Z",)"
                    R"("completedAt":"2026-02-24T19:40:00Z"},"status":"succeeded"})");
  EXPECT_EQ(At(done.end_time()), Rfc("2026-02-24T19:40:00Z"));
  v1::Execution running = TranslateText(
      R"({"metadata":{"id":"e1","updatedAt":"2026-02-24T19:45:54Z"},"status":"running"})");
  EXPECT_FALSE(running.has_end_time());
}

TEST(Names, IdsNoNameCanHoldLeaveTheNameEmptyAndIdsWithSpacesAreEscaped) {
  v1::Execution spaced = TranslateText(R"({"metadata":{"id":"my exec/1","job":"j"}})");
  EXPECT_EQ(spaced.name(), "backends/bx/jobs/j/executions/my%20exec%2F1");
  EXPECT_EQ(spaced.execution_id(), "my exec/1");
  for (const std::string& id : {std::string(".."), std::string("."), std::string(201, 'x')}) {
    SCOPED_TRACE(id);
    v1::Execution e = TranslateText(absl::StrCat(R"({"metadata":{"id":")", id, R"(","job":"j"}})"));
    EXPECT_EQ(e.name(), "");
    EXPECT_EQ(e.execution_id(), id);  // as sent
  }
  // No id at all (and no hint): no name either.
  EXPECT_EQ(TranslateText(R"({"metadata":{"job":"j"}})").name(), "");
}

// ------------------------------------------------------------- times

struct TimeRow {
  const char* text;
  std::optional<const char*> expect;  // nullopt: unset
  bool kept_raw;                      // in unparsed_fields
};

TEST(TimestampStyles, EveryStyle) {
  const TimeRow rows[] = {
      {"2025-12-19T22:36:29Z", "2025-12-19T22:36:29Z", false},
      {"2025-12-19T22:36:29.3Z", "2025-12-19T22:36:29.3Z", false},
      {"2025-12-19T22:36:29.33Z", "2025-12-19T22:36:29.33Z", false},
      {"2025-12-19T22:36:29.336Z", "2025-12-19T22:36:29.336Z", false},
      {"2025-12-19T22:36:29.3363Z", "2025-12-19T22:36:29.3363Z", false},
      {"2025-12-19T22:36:29.33630Z", "2025-12-19T22:36:29.3363Z", false},
      {"2025-12-19T22:36:29.336304Z", "2025-12-19T22:36:29.336304Z", false},
      {"2025-12-19T22:36:29.3363040Z", "2025-12-19T22:36:29.336304Z", false},
      {"2025-12-19T22:36:29.33630409Z", "2025-12-19T22:36:29.33630409Z", false},
      {"2025-12-19T22:36:29.336304095Z", "2025-12-19T22:36:29.336304095Z", false},
      {"2026-02-24T19:45:54.123456+00:00", "2026-02-24T19:45:54.123456Z", false},
      {"2026-02-24T21:45:54+02:00", "2026-02-24T19:45:54Z", false},
      {"", std::nullopt, false},
      // Go's zero time, a placeholder: unset, and kept raw like any other
      // unparseable time (ReadUpstreamTimeText, the rule of every adapter).
      {"0001-01-01T00:00:00Z", std::nullopt, true},
      {"garbage", std::nullopt, true},
      {"2025-13-45T25:61:61Z", std::nullopt, true},
      {"N/A", std::nullopt, true},
  };
  for (const TimeRow& row : rows) {
    SCOPED_TRACE(row.text);
    const std::string json = absl::StrCat(
        R"({"metadata":{"id":"e1","startedAt":")", row.text,
        R"("},"status":"running","tasks":[{"metadata":{"name":"a"}},{"metadata":{"startedAt":")",
        row.text, R"("}}]})");
    v1::Execution e = TranslateText(json);
    ASSERT_EQ(e.tasks_size(), 2);
    EXPECT_EQ(e.has_start_time(), row.expect.has_value());
    EXPECT_EQ(e.tasks(1).has_start_time(), row.expect.has_value());
    if (row.expect.has_value()) {
      EXPECT_EQ(At(e.start_time()), Rfc(*row.expect));
      EXPECT_EQ(At(e.tasks(1).start_time()), Rfc(*row.expect));
    }
    if (row.kept_raw) {
      EXPECT_THAT(e.unparsed_fields(),
                  UnorderedElementsAre(Pair("metadata.startedAt", row.text),
                                       Pair("tasks[1].metadata.startedAt", row.text)));
    } else {
      EXPECT_THAT(e.unparsed_fields(), IsEmpty());
    }
  }
}

// ------------------------------------------------------------- fixtures

TEST(TranslatorFixtures, Full) {
  v1::Execution e = TranslateFixture("execution_full.json");
  EXPECT_EQ(e.name(), "backends/bx/jobs/data-processing-job/executions/exec-abc123");
  EXPECT_EQ(e.execution_id(), "exec-abc123");
  EXPECT_EQ(e.backend(), "bx");
  EXPECT_EQ(e.backend_kind(), v1::BACKEND_KIND_BLAXEL);
  EXPECT_EQ(e.workload(), "data-processing-job");
  EXPECT_EQ(e.state(), v1::Execution::STATE_FAILED);
  EXPECT_EQ(e.raw_status(), "failed");
  EXPECT_EQ(At(e.create_time()), Rfc("2025-12-19T22:36:29.336304095Z"));
  EXPECT_EQ(At(e.start_time()), Rfc("2025-12-19T22:36:31.1Z"));
  EXPECT_EQ(At(e.end_time()), Rfc("2025-12-19T22:41:02.5Z"));
  EXPECT_EQ(At(e.update_time()), Rfc("2025-12-19T22:41:02.500001Z"));
  EXPECT_EQ(At(e.expire_time()), Rfc("2025-12-26T22:41:02Z"));
  EXPECT_FALSE(e.has_cancel_time());
  EXPECT_EQ(FromProtoDuration(e.timeout()), absl::Hours(1));
  EXPECT_EQ(e.retry_count(), 1);
  EXPECT_FALSE(e.has_input());
  EXPECT_EQ(e.task_stats().total(), 2);
  EXPECT_EQ(e.task_stats().succeeded(), 1);
  EXPECT_EQ(e.task_stats().failed(), 1);
  EXPECT_EQ(e.task_stats().running(), 0);
  EXPECT_EQ(e.task_stats().cancelled(), 0);
  EXPECT_EQ(e.task_stats().retried(), 1);
  ASSERT_TRUE(e.has_blaxel());
  EXPECT_EQ(e.blaxel().workspace(), "my-workspace");
  EXPECT_EQ(e.blaxel().cluster(), "us-pdx-1");
  EXPECT_FALSE(e.blaxel().has_delete_time());  // "" means unset
  EXPECT_THAT(e.blaxel().env_override(),
              UnorderedElementsAre(Pair("MY_VAR", "***"), Pair("BATCH_SIZE", "***")));
  EXPECT_EQ(e.blaxel().memory_override_mb(), 2048);
  EXPECT_EQ(e.blaxel().parallelism(), 2);
  EXPECT_EQ(e.blaxel().extra_fields().fields_size(), 0);
  EXPECT_THAT(e.unparsed_fields(), IsEmpty());
  ASSERT_EQ(e.tasks_size(), 2);
  const v1::Task& t0 = e.tasks(0);
  EXPECT_EQ(t0.name(), "task-0");
  EXPECT_EQ(t0.state(), v1::Task::STATE_SUCCEEDED);
  EXPECT_EQ(At(t0.create_time()), Rfc("2025-12-19T22:36:29.336304095Z"));
  EXPECT_EQ(At(t0.schedule_time()), Rfc("2025-12-19T22:36:31.1Z"));
  EXPECT_EQ(At(t0.start_time()), Rfc("2025-12-19T22:36:31.4Z"));
  EXPECT_EQ(At(t0.end_time()), Rfc("2025-12-19T22:36:35.4Z"));
  EXPECT_EQ(At(t0.update_time()), Rfc("2025-12-19T22:36:35.4Z"));
  EXPECT_EQ(t0.max_retries(), 1);
  EXPECT_EQ(FromProtoDuration(t0.timeout()), absl::Hours(1));
  const v1::Task& t1 = e.tasks(1);
  EXPECT_EQ(t1.state(), v1::Task::STATE_FAILED);
  EXPECT_EQ(FromProtoDuration(t1.timeout()), absl::Minutes(90));
  ASSERT_EQ(t1.conditions_size(), 1);
  EXPECT_EQ(t1.conditions(0).type(), "CONDITION_SUCCEEDED");
  EXPECT_EQ(t1.conditions(0).state(), "CONDITION_FAILED");
  EXPECT_EQ(t1.conditions(0).reason(), "NON_ZERO_EXIT_CODE");
  EXPECT_EQ(t1.conditions(0).execution_reason(), "NON_ZERO_EXIT_CODE");
  EXPECT_EQ(t1.conditions(0).severity(), "ERROR");
  EXPECT_EQ(t1.conditions(0).message(), "Task task-1 exited with code 1 (attempt 2 of 2).");
  EXPECT_FALSE(e.etag().empty());
}

TEST(TranslatorFixtures, NullsEverywhere) {
  v1::Execution e = TranslateFixture("execution_nulls.json");
  EXPECT_EQ(e.execution_id(), "exec-nulls");
  EXPECT_EQ(e.workload(), "hint-job");  // metadata.job null: the request's job
  EXPECT_EQ(e.name(), "backends/bx/jobs/hint-job/executions/exec-nulls");
  EXPECT_EQ(e.state(), v1::Execution::STATE_UNRECOGNIZED);
  EXPECT_FALSE(e.has_create_time());
  EXPECT_FALSE(e.has_start_time());
  EXPECT_FALSE(e.has_end_time());
  EXPECT_FALSE(e.has_timeout());
  EXPECT_EQ(e.retry_count(), 0);
  EXPECT_EQ(e.task_stats().total(), 0);
  EXPECT_EQ(e.blaxel().env_override_size(), 0);
  EXPECT_THAT(e.unparsed_fields(), IsEmpty());
  EXPECT_EQ(e.blaxel().extra_fields().fields_size(), 0);
  ASSERT_EQ(e.tasks_size(), 3);
  EXPECT_EQ(e.tasks(0).name(), "task-0");
  EXPECT_EQ(e.tasks(0).state(), v1::Task::STATE_UNREPORTED);
  EXPECT_EQ(e.tasks(1).name(), "task-1");
  EXPECT_EQ(e.tasks(1).state(), v1::Task::STATE_RUNNING);
  EXPECT_EQ(e.tasks(1).conditions_size(), 1);  // the null item is skipped, the other kept
  EXPECT_EQ(e.tasks(2).name(), "task-2");
}

TEST(TranslatorFixtures, MissingMetadataSpecStats) {
  v1::Execution e = TranslateFixture("execution_minimal.json");
  EXPECT_EQ(e.execution_id(), "exec-minimal");
  EXPECT_EQ(e.workload(), "hint-job");
  EXPECT_EQ(e.state(), v1::Execution::STATE_QUEUED);
  EXPECT_FALSE(e.has_task_stats());
  EXPECT_EQ(e.tasks_size(), 0);
  EXPECT_FALSE(e.has_input());

  v1::Execution empty = TranslateText("{}", "job-a", "exec-from-request");
  EXPECT_EQ(empty.name(), "backends/bx/jobs/job-a/executions/exec-from-request");
  EXPECT_EQ(empty.state(), v1::Execution::STATE_UNRECOGNIZED);
  EXPECT_FALSE(empty.etag().empty());
}

TEST(TranslatorFixtures, ExtraFieldsArePreserved) {
  v1::Execution e = TranslateFixture("execution_extra_fields.json");
  EXPECT_EQ(e.state(), v1::Execution::STATE_SUCCEEDED);
  EXPECT_EQ(FromProtoDuration(e.timeout()), absl::Minutes(1));
  const auto& extra = e.blaxel().extra_fields().fields();
  std::vector<std::string> keys;
  for (const auto& [k, v] : extra) keys.push_back(k);
  EXPECT_THAT(
      keys, UnorderedElementsAre("metadata.labels", "metadata.displayName", "spec.priority",
                                 "spec.region", "stats.skipped", "tasks[0].metadata.attempt",
                                 "tasks[0].spec.image", "tasks[0].conditions[0].lastTransitionTime",
                                 "tasks[0].exitCode", "events", "owner", "version"));
  EXPECT_EQ(extra.at("metadata.labels").struct_value().fields().at("team").string_value(), "data");
  EXPECT_EQ(extra.at("spec.priority").string_value(), "high");
  EXPECT_EQ(extra.at("spec.region").struct_value().fields().at("name").string_value(), "eu");
  EXPECT_EQ(extra.at("stats.skipped").number_value(), 3);
  EXPECT_EQ(extra.at("events").list_value().values_size(), 1);
  EXPECT_EQ(extra.at("owner").string_value(), "ops@example.com");
  EXPECT_EQ(extra.at("version").number_value(), 7);
  EXPECT_THAT(e.unparsed_fields(), IsEmpty());
}

TEST(TranslatorFixtures, OddValuesAreKeptRaw) {
  v1::Execution e = TranslateFixture("execution_odd.json");
  EXPECT_EQ(e.state(), v1::Execution::STATE_UNRECOGNIZED);
  EXPECT_EQ(e.raw_status(), "paused");
  EXPECT_EQ(At(e.create_time()), Rfc("2026-01-01T00:00:00.5Z"));
  EXPECT_FALSE(e.has_start_time());
  EXPECT_FALSE(e.has_end_time());
  EXPECT_FALSE(e.has_update_time());
  EXPECT_FALSE(e.has_expire_time());
  EXPECT_FALSE(e.blaxel().has_delete_time());
  EXPECT_FALSE(e.has_timeout());
  EXPECT_EQ(e.blaxel().workspace(), "");
  // The spec's own envOverride example: a JSON-encoded string.
  EXPECT_THAT(e.blaxel().env_override(),
              UnorderedElementsAre(Pair("MY_VAR", "***"), Pair("BATCH_SIZE", "***")));
  EXPECT_EQ(e.blaxel().memory_override_mb(), 2048);  // numeric string accepted
  EXPECT_EQ(e.blaxel().parallelism(), 0);
  EXPECT_EQ(e.task_stats().total(), 3);
  EXPECT_EQ(e.retry_count(), 0);
  EXPECT_THAT(
      e.unparsed_fields(),
      UnorderedElementsAre(
          Pair("metadata.startedAt", "not-a-time"), Pair("metadata.updatedAt", "1767225600"),
          Pair("metadata.expiredAt", "0001-01-01T00:00:00Z"),
          Pair("metadata.deletedAt", "2026-13-45T99:00:00Z"), Pair("metadata.workspace", "42"),
          Pair("spec.parallelism", "1.5"), Pair("spec.timeout", "forever"),
          Pair("stats.success", "true"), Pair("stats.retried", "99999999999"),
          Pair("tasks[0].metadata.startedAt", "yesterday"), Pair("tasks[1].spec.timeout", "soon"),
          Pair("tasks[1].spec.maxRetries", "x"), Pair("tasks[1].status", "3")));
  ASSERT_EQ(e.tasks_size(), 3);
  EXPECT_EQ(e.tasks(0).state(), v1::Task::STATE_UNRECOGNIZED);
  EXPECT_EQ(e.tasks(0).raw_status(), "hibernating");
  EXPECT_EQ(FromProtoDuration(e.tasks(0).timeout()), absl::Seconds(90));  // bare seconds
  EXPECT_EQ(e.tasks(1).name(), "task-1");
  EXPECT_EQ(e.tasks(1).state(), v1::Task::STATE_UNRECOGNIZED);
  EXPECT_EQ(At(e.tasks(1).start_time()), Rfc("2026-01-01T00:00:01Z"));
  EXPECT_EQ(e.blaxel().extra_fields().fields().at("tasks[2]").string_value(), "not-a-task");
}

TEST(TranslatorFixtures, WrongShapesAreKeptAsExtraFields) {
  v1::Execution e = TranslateFixture("execution_wrong_shapes.json");
  EXPECT_EQ(e.state(), v1::Execution::STATE_RUNNING);
  EXPECT_EQ(e.raw_status(), "RUNNING");
  EXPECT_EQ(e.tasks_size(), 0);
  const auto& extra = e.blaxel().extra_fields().fields();
  EXPECT_EQ(extra.at("metadata").string_value(), "exec-shapes");
  EXPECT_EQ(extra.at("spec").list_value().values_size(), 2);
  EXPECT_EQ(extra.at("stats").number_value(), 5);
  EXPECT_TRUE(extra.at("tasks").has_struct_value());
}

TEST(TranslatorFixtures, EnvOverrideGarbageAndTaskParameters) {
  v1::Execution e = TranslateFixture("execution_env_garbage.json");
  EXPECT_EQ(e.state(), v1::Execution::STATE_SUCCEEDED);
  EXPECT_EQ(e.raw_status(), "completed");
  EXPECT_EQ(e.blaxel().env_override_size(), 0);
  EXPECT_THAT(e.unparsed_fields(), UnorderedElementsAre(Pair("spec.envOverride", "MY_VAR=***")));
  // spec.tasks holding bare parameter objects is the execution's input.
  ASSERT_TRUE(e.has_input());
  ASSERT_EQ(e.input().list_value().values_size(), 2);
  EXPECT_EQ(e.input().list_value().values(1).struct_value().fields().at("file").string_value(),
            "b.csv");
  EXPECT_EQ(e.tasks_size(), 0);
}

TEST(TranslatorFixtures, SpecTasksAreTheFallback) {
  v1::Execution e = TranslateFixture("execution_spec_tasks_only.json");
  EXPECT_EQ(e.state(), v1::Execution::STATE_TIMED_OUT);
  ASSERT_EQ(e.tasks_size(), 2);
  EXPECT_EQ(e.tasks(0).name(), "t-a");
  EXPECT_EQ(e.tasks(0).state(), v1::Task::STATE_PENDING);
  EXPECT_EQ(e.tasks(1).name(), "task-1");
  EXPECT_EQ(e.tasks(1).state(), v1::Task::STATE_UNREPORTED);
  EXPECT_FALSE(e.has_input());
}

TEST(TranslatorFixtures, DifferentSpecTasksBesideTopLevelTasksAreKept) {
  v1::Execution e =
      TranslateText(R"({"metadata":{"id":"e"},"status":"running","tasks":[{"status":"running"}],)"
                    R"("spec":{"tasks":[{"status":"pending"}]}})");
  ASSERT_EQ(e.tasks_size(), 1);
  EXPECT_EQ(e.tasks(0).state(), v1::Task::STATE_RUNNING);
  EXPECT_TRUE(e.blaxel().extra_fields().fields().contains("spec.tasks"));
}

TEST(TranslatorFixtures, NonObjectDocumentNeverCrashes) {
  for (const char* text : {"[]", "null", "\"x\"", "42", "[{\"status\":\"running\"}]"}) {
    SCOPED_TRACE(text);
    v1::Execution e = TranslateText(text, "j", "e");
    EXPECT_EQ(e.name(), "backends/bx/jobs/j/executions/e");
    EXPECT_EQ(e.state(), v1::Execution::STATE_UNRECOGNIZED);
  }
}

TEST(TranslateTask, StandaloneListItem) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(
      R"({"metadata":{"startedAt":"bad"},"spec":{"timeout":"45s","maxRetries":2},"status":"reconciling"})");
  ASSERT_TRUE(doc.ok());
  v1::Execution sink;
  v1::Task t = TranslateTask(*doc, "data[3]", 3, &sink);
  EXPECT_EQ(t.name(), "task-3");
  EXPECT_EQ(t.state(), v1::Task::STATE_RECONCILING);
  EXPECT_EQ(FromProtoDuration(t.timeout()), absl::Seconds(45));
  EXPECT_EQ(t.max_retries(), 2);
  EXPECT_THAT(sink.unparsed_fields(),
              UnorderedElementsAre(Pair("data[3].metadata.startedAt", "bad")));
  v1::Task discarded = TranslateTask(*doc, "x", -1, nullptr);
  EXPECT_EQ(discarded.name(), "");
}

// ------------------------------------------------------------- etags

TEST(TranslatorEtag, StableForSameContent) {
  const std::string text = ReadFixture("execution_full.json");
  v1::Execution a = TranslateText(text);
  v1::Execution b = TranslateText(text);
  EXPECT_EQ(a.etag(), b.etag());
  EXPECT_EQ(a.etag().size(), 32u);
  // Key order and whitespace are not content.
  v1::Execution c = TranslateText(R"({"status":"queued","metadata":{"job":"j","id":"e"}})");
  v1::Execution d =
      TranslateText(R"({ "metadata" : { "id" : "e" , "job" : "j" } , "status" : "queued" })");
  EXPECT_EQ(c.etag(), d.etag());
}

TEST(TranslatorEtag, ChangesWithAnyField) {
  const std::string base = ReadFixture("execution_full.json");
  const std::string base_etag = TranslateText(base).etag();
  const std::pair<const char*, const char*> edits[] = {
      {"\"status\": \"failed\"", "\"status\": \"running\""},
      {"2025-12-19T22:41:02.500001Z", "2025-12-19T22:41:02.500002Z"},
      {"\"retried\": 1", "\"retried\": 2"},
      {"\"running\": 0", "\"running\": 1"},
      {"\"MY_VAR\": \"***\"", "\"MY_VAR2\": \"***\""},
      {"\"parallelism\": 2", "\"parallelism\": 3"},
      {"\"memoryOverride\": 2048", "\"memoryOverride\": 1024"},
      {"\"timeout\": 3600", "\"timeout\": 3601"},
      {"\"timeout\": \"1h30m\"", "\"timeout\": \"1h31m\""},
      {"attempt 2 of 2", "attempt 1 of 2"},
      {"\"cluster\": \"us-pdx-1\"", "\"cluster\": \"us-pdx-2\""},
      {"\"deletedAt\": \"\"", "\"deletedAt\": \"garbage\""},
      {"\"workspace\": \"my-workspace\"", "\"workspace\": \"my-workspace\", \"x\": 1"},
  };
  for (const auto& [from, to] : edits) {
    SCOPED_TRACE(from);
    const std::string edited = absl::StrReplaceAll(base, {{from, to}});
    ASSERT_NE(edited, base) << "edit did not apply";
    EXPECT_NE(TranslateText(edited).etag(), base_etag);
  }
}

}  // namespace
}  // namespace execgw::blaxel

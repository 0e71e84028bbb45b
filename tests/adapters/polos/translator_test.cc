#include "adapters/polos/translator.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "adapters/upstream_time.h"
#include "gtest/gtest.h"
#include "tests/adapters/polos/test_util.h"
#include "tests/testing/odd_values.h"

namespace execgw::polos {
namespace {

using testing::Fixture;
using testing::Parse;
using State = v1::Execution::State;

absl::Time Utc(int y, int mo, int d, int h, int mi, int s, int64_t micros = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone()) +
         absl::Microseconds(micros);
}

v1::Execution FromJson(const std::string& json, absl::string_view backend = "polos-prod") {
  rapidjson::Document doc = Parse(json);
  return TranslateExecution(doc, backend);
}

// A minimal valid document with `status` and `cancelled_by` substituted.
std::string WithStatus(absl::string_view status_json, absl::string_view cancelled_by_json) {
  return absl::StrCat(R"({"id":"6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60","workflow_id":"w",)",
                      R"("payload":{},"created_at":"2026-02-24T19:45:54.123456+00:00",)",
                      R"("retry_count":0,"status":)", status_json, R"(,"cancelled_by":)",
                      cancelled_by_json, "}");
}

struct StatusCase {
  const char* status_json;
  const char* cancelled_by_json;
  State state;
  const char* raw_status;
};

class PolosStatusTableTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(PolosStatusTableTest, MapsPerTheProtoTable) {
  const StatusCase& c = GetParam();
  v1::Execution e = FromJson(WithStatus(c.status_json, c.cancelled_by_json));
  EXPECT_EQ(e.state(), c.state) << c.status_json << " / " << c.cancelled_by_json;
  EXPECT_EQ(e.raw_status(), c.raw_status);
}

INSTANTIATE_TEST_SUITE_P(
    AllStatuses, PolosStatusTableTest,
    ::testing::Values(
        StatusCase{R"("queued")", "null", v1::Execution::STATE_QUEUED, "queued"},
        StatusCase{R"("claimed")", "null", v1::Execution::STATE_PENDING, "claimed"},
        StatusCase{R"("pending")", "null", v1::Execution::STATE_PENDING, "pending"},
        StatusCase{R"("running")", "null", v1::Execution::STATE_RUNNING, "running"},
        StatusCase{R"("waiting")", "null", v1::Execution::STATE_WAITING, "waiting"},
        StatusCase{R"("pending_cancel")", R"("manual")", v1::Execution::STATE_CANCELLING,
                   "pending_cancel"},
        // pending_cancel stays CANCELLING whoever asked.
        StatusCase{R"("pending_cancel")", R"("timeout")", v1::Execution::STATE_CANCELLING,
                   "pending_cancel"},
        StatusCase{R"("completed")", "null", v1::Execution::STATE_SUCCEEDED, "completed"},
        StatusCase{R"("failed")", "null", v1::Execution::STATE_FAILED, "failed"},
        StatusCase{R"("cancelled")", R"("manual")", v1::Execution::STATE_CANCELLED, "cancelled"},
        StatusCase{R"("cancelled")", "null", v1::Execution::STATE_CANCELLED, "cancelled"},
        StatusCase{R"("cancelled")", R"("user")", v1::Execution::STATE_CANCELLED, "cancelled"},
        StatusCase{R"("cancelled")", R"("timeout")", v1::Execution::STATE_TIMED_OUT, "cancelled"},
        // Statuses match case-insensitively (field_rules.h; it used to be
        // UNRECOGNIZED); raw_status keeps the word as sent.
        StatusCase{R"("Completed")", "null", v1::Execution::STATE_SUCCEEDED, "Completed"},
        StatusCase{R"("CANCELLED")", R"("TIMEOUT")", v1::Execution::STATE_TIMED_OUT, "CANCELLED"},
        StatusCase{R"("succeeded")", "null", v1::Execution::STATE_UNRECOGNIZED, "succeeded"},
        StatusCase{R"("paused")", "null", v1::Execution::STATE_UNRECOGNIZED, "paused"},
        StatusCase{R"("")", "null", v1::Execution::STATE_UNRECOGNIZED, ""},
        StatusCase{"null", "null", v1::Execution::STATE_UNRECOGNIZED, ""},
        StatusCase{"7", "null", v1::Execution::STATE_UNRECOGNIZED, ""}));

TEST(PolosStatusTable, UnknownStatusKeepsEverythingElse) {
  v1::Execution e = FromJson(WithStatus(R"("hibernating")", "null"));
  EXPECT_EQ(e.state(), v1::Execution::STATE_UNRECOGNIZED);
  EXPECT_EQ(e.raw_status(), "hibernating");
  EXPECT_EQ(e.execution_id(), "6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60");
  EXPECT_TRUE(e.has_create_time());
}

TEST(PolosStatusTable, NonStringStatusIsKeptAsUnparsed) {
  v1::Execution e = FromJson(WithStatus("7", "null"));
  EXPECT_EQ(e.unparsed_fields().at("status"), "7");
}

struct TimeCase {
  const char* text;
  bool parses;
  absl::Time expected;
};

class PolosTimestampStyleTest : public ::testing::TestWithParam<TimeCase> {};

TEST_P(PolosTimestampStyleTest, CreatedAtAndStartedAt) {
  const TimeCase& c = GetParam();
  const std::string json = absl::StrCat(
      R"({"id":"6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60","workflow_id":"w","status":"running",)",
      R"("payload":{},"retry_count":0,"created_at":")", c.text, R"(","started_at":")", c.text,
      R"(","completed_at":")", c.text, R"(","cancelled_at":")", c.text, R"("})");
  v1::Execution e = FromJson(json);
  if (c.parses) {
    EXPECT_EQ(FromProtoTimestamp(e.create_time()), c.expected) << c.text;
    EXPECT_EQ(FromProtoTimestamp(e.start_time()), c.expected) << c.text;
    EXPECT_EQ(FromProtoTimestamp(e.end_time()), c.expected) << c.text;
    EXPECT_EQ(FromProtoTimestamp(e.cancel_time()), c.expected) << c.text;
    EXPECT_TRUE(e.unparsed_fields().empty());
  } else {
    EXPECT_FALSE(e.has_create_time()) << c.text;
    EXPECT_FALSE(e.has_start_time()) << c.text;
    EXPECT_FALSE(e.has_end_time()) << c.text;
    EXPECT_FALSE(e.has_cancel_time()) << c.text;
    for (const char* key : {"created_at", "started_at", "completed_at", "cancelled_at"}) {
      ASSERT_TRUE(e.unparsed_fields().contains(key)) << key << " for " << c.text;
      EXPECT_EQ(e.unparsed_fields().at(key), c.text);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Styles, PolosTimestampStyleTest,
    ::testing::Values(
        TimeCase{"2026-02-24T19:45:54.123456+00:00", true, Utc(2026, 2, 24, 19, 45, 54, 123456)},
        TimeCase{"2026-02-24T19:45:54.123456Z", true, Utc(2026, 2, 24, 19, 45, 54, 123456)},
        TimeCase{"2026-02-24T19:45:54Z", true, Utc(2026, 2, 24, 19, 45, 54)},
        TimeCase{"2026-02-24T19:45:54+00:00", true, Utc(2026, 2, 24, 19, 45, 54)},
        TimeCase{"2026-02-24T19:45:54.1Z", true, Utc(2026, 2, 24, 19, 45, 54, 100000)},
        TimeCase{"2026-02-24T19:45:54.123+00:00", true, Utc(2026, 2, 24, 19, 45, 54, 123000)},
        TimeCase{"2025-12-19T22:36:29.336304095Z", true,
                 Utc(2025, 12, 19, 22, 36, 29) + absl::Nanoseconds(336304095)},
        TimeCase{"2026-02-24T21:45:54.5+02:00", true, Utc(2026, 2, 24, 19, 45, 54, 500000)},
        TimeCase{"garbage", false, absl::InfinitePast()},
        TimeCase{"2026-02-24 19:45:54", false, absl::InfinitePast()},
        TimeCase{"0001-01-01T00:00:00Z", false, absl::InfinitePast()}));

// The shared table of odd values (tests/testing/odd_values.h): the same odd
// value reads the same from every backend.
TEST(PolosOddValues, TimesReadByTheSharedRule) {
  for (const ::execgw::testing::OddTime& c : ::execgw::testing::kOddTimes) {
    const std::string json = absl::StrCat(
        R"({"id":"6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60","workflow_id":"w","status":"running",)",
        R"("payload":{},"retry_count":0,"created_at":")", c.text, R"("})");
    v1::Execution e = FromJson(json);
    EXPECT_EQ(e.has_create_time(), c.sets_time) << "\"" << c.text << "\"";
    if (c.sets_time) {
      EXPECT_EQ(FormatRfc3339(FromProtoTimestamp(e.create_time())), c.expected) << c.text;
    }
    EXPECT_EQ(e.unparsed_fields().contains("created_at"), c.kept_raw) << "\"" << c.text << "\"";
    if (c.kept_raw) EXPECT_EQ(e.unparsed_fields().at("created_at"), c.text);
  }
}

TEST(PolosOddValues, StatusesReadByTheSharedRule) {
  for (const ::execgw::testing::OddStatus& c : ::execgw::testing::kOddStatuses) {
    v1::Execution e = FromJson(WithStatus(absl::StrCat("\"", c.word, "\""), "null"));
    EXPECT_EQ(e.state(), c.polos) << "\"" << c.word << "\"";
    EXPECT_EQ(e.raw_status(), c.word);
  }
}

TEST(PolosTranslate, TerminalRunWithoutCompletedAtEndsWhenCancelled) {
  // The timeout monitor cancels without setting completed_at.
  v1::Execution timed_out = FromJson(
      R"({"id":"6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60","workflow_id":"w","status":"cancelled",)"
      R"("cancelled_by":"timeout","payload":{},"retry_count":0,)"
      R"("created_at":"2026-02-24T19:45:54.123456+00:00","completed_at":null,)"
      R"("cancelled_at":"2026-02-24T19:55:54.5+00:00"})");
  EXPECT_EQ(timed_out.state(), v1::Execution::STATE_TIMED_OUT);
  ASSERT_TRUE(timed_out.has_end_time());
  EXPECT_EQ(FromProtoTimestamp(timed_out.end_time()), Utc(2026, 2, 24, 19, 55, 54, 500000));
  EXPECT_EQ(FromProtoTimestamp(timed_out.end_time()), FromProtoTimestamp(timed_out.cancel_time()));
  // Not terminal yet: pending_cancel has a cancel time but has not ended.
  v1::Execution cancelling =
      FromJson(R"({"id":"6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60","workflow_id":"w",)"
               R"("status":"pending_cancel","payload":{},"retry_count":0,)"
               R"("created_at":"2026-02-24T19:45:54.123456+00:00",)"
               R"("cancelled_at":"2026-02-24T19:55:54.5+00:00"})");
  EXPECT_FALSE(cancelling.has_end_time());
  // A completed_at, when there is one, wins.
  v1::Execution both = FromJson(
      R"({"id":"6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60","workflow_id":"w","status":"cancelled",)"
      R"("payload":{},"retry_count":0,"created_at":"2026-02-24T19:45:54.123456+00:00",)"
      R"("completed_at":"2026-02-24T19:56:00+00:00","cancelled_at":"2026-02-24T19:55:54+00:00"})");
  EXPECT_EQ(FromProtoTimestamp(both.end_time()), Utc(2026, 2, 24, 19, 56, 0));
}

TEST(PolosTranslate, NamesAreCanonicalAndOnlyForUuids) {
  v1::Execution upper = FromJson(
      R"({"id":"6F1C2A4E-9B0D-4C3E-8F7A-1B2C3D4E5F60","workflow_id":"w","status":"queued",)"
      R"("payload":{},"retry_count":0,"created_at":"2026-02-24T19:45:54+00:00",)"
      R"("parent_execution_id":"not a uuid",)"
      R"("root_execution_id":"AB2C3D4E-0000-4000-8000-00000000000A"})",
      "p");
  EXPECT_EQ(upper.execution_id(), "6F1C2A4E-9B0D-4C3E-8F7A-1B2C3D4E5F60");  // as sent
  EXPECT_EQ(upper.name(), "backends/p/executions/6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60");
  EXPECT_EQ(upper.lineage().parent_execution(), "");
  EXPECT_EQ(upper.polos().parent_execution_id(), "not a uuid");
  EXPECT_EQ(upper.lineage().root_execution(),
            "backends/p/executions/ab2c3d4e-0000-4000-8000-00000000000a");
  for (const char* id : {"string", "", "my exec", "6f1c2a4e9b0d4c3e8f7a1b2c3d4e5f60"}) {
    v1::Execution odd =
        FromJson(absl::StrCat(R"({"id":")", id, R"(","workflow_id":"w","status":"queued",)",
                              R"("payload":{},"retry_count":0})"),
                 "p");
    EXPECT_EQ(odd.execution_id(), id);
    EXPECT_EQ(odd.name(), "") << id;
  }
}

TEST(PolosTranslateFixture, CompletedMapsEveryField) {
  v1::Execution e = FromJson(Fixture("execution_completed.json"), "polos-prod");
  EXPECT_EQ(e.name(), "backends/polos-prod/executions/6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60");
  EXPECT_EQ(e.execution_id(), "6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60");
  EXPECT_EQ(e.backend(), "polos-prod");
  EXPECT_EQ(e.backend_kind(), v1::BACKEND_KIND_POLOS);
  EXPECT_EQ(e.workload(), "order-pipeline");
  EXPECT_EQ(e.state(), v1::Execution::STATE_SUCCEEDED);
  EXPECT_EQ(e.raw_status(), "completed");
  EXPECT_EQ(FromProtoTimestamp(e.create_time()), Utc(2026, 2, 24, 19, 45, 54, 123456));
  EXPECT_EQ(FromProtoTimestamp(e.start_time()), Utc(2026, 2, 24, 19, 45, 55, 1));
  EXPECT_EQ(FromProtoTimestamp(e.end_time()), Utc(2026, 2, 24, 19, 46, 10, 500000));
  EXPECT_FALSE(e.has_cancel_time());
  EXPECT_FALSE(e.has_update_time());
  EXPECT_EQ(FromProtoDuration(e.timeout()), absl::Seconds(600));
  EXPECT_EQ(e.retry_count(), 0);
  EXPECT_EQ(e.input().struct_value().fields().at("order_id").string_value(), "ord-1042");
  EXPECT_EQ(e.input().struct_value().fields().at("items").number_value(), 3);
  EXPECT_EQ(e.result().struct_value().fields().at("tracking").string_value(), "1Z999");
  EXPECT_EQ(e.error_message(), "");
  EXPECT_EQ(e.lineage().parent_execution(),
            "backends/polos-prod/executions/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  EXPECT_EQ(e.lineage().root_execution(),
            "backends/polos-prod/executions/11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(e.lineage().batch_id(), "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e");
  EXPECT_EQ(e.lineage().session_id(), "c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f");
  EXPECT_EQ(e.lineage().user_id(), "user-42");
  EXPECT_EQ(e.queueing().queue(), "order-pipeline");
  EXPECT_EQ(e.queueing().concurrency_key(), "customer-7");
  EXPECT_EQ(e.queueing().deployment_id(), "deploy-2026-02-20");
  EXPECT_EQ(e.queueing().assigned_worker(), "worker-3f9a");
  ASSERT_TRUE(e.has_polos());
  EXPECT_EQ(e.polos().parent_execution_id(), "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  EXPECT_EQ(e.polos().root_execution_id(), "11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(e.polos().output_schema_name(), "OrderResult");
  EXPECT_EQ(e.polos().step_key(), "ship");
  EXPECT_EQ(e.polos().cancelled_by(), "");
  EXPECT_TRUE(e.polos().extra_fields().fields().empty());
  EXPECT_TRUE(e.unparsed_fields().empty());
  EXPECT_FALSE(e.etag().empty());
}

TEST(PolosTranslateFixture, ErrorIsKeptWhileQueuedAgainAfterARetry) {
  v1::Execution e = FromJson(Fixture("execution_retry_queued.json"));
  EXPECT_EQ(e.state(), v1::Execution::STATE_QUEUED);
  EXPECT_EQ(e.retry_count(), 1);
  EXPECT_EQ(e.error_message(), "ConnectionError: crm.example.com timed out");
  EXPECT_FALSE(e.has_result());
  EXPECT_FALSE(e.has_end_time());
  EXPECT_EQ(e.lineage().parent_execution(), "");
}

TEST(PolosTranslateFixture, NullsEverywhereNullable) {
  v1::Execution e = FromJson(Fixture("execution_nulls.json"));
  EXPECT_EQ(e.state(), v1::Execution::STATE_QUEUED);
  EXPECT_FALSE(e.has_start_time());
  EXPECT_FALSE(e.has_end_time());
  EXPECT_FALSE(e.has_cancel_time());
  EXPECT_FALSE(e.has_timeout());
  EXPECT_FALSE(e.has_result());
  // payload is required; a JSON null there is the input the caller gave.
  ASSERT_TRUE(e.has_input());
  EXPECT_EQ(e.input().kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_EQ(e.error_message(), "");
  EXPECT_FALSE(e.has_lineage());
  EXPECT_FALSE(e.has_queueing());
  ASSERT_TRUE(e.has_polos());
  EXPECT_EQ(e.polos().ByteSizeLong(), 0u);
  EXPECT_TRUE(e.unparsed_fields().empty());
}

TEST(PolosTranslateFixture, MissingOptionalFields) {
  v1::Execution e = FromJson(Fixture("execution_minimal.json"));
  EXPECT_EQ(e.state(), v1::Execution::STATE_WAITING);
  EXPECT_EQ(FromProtoTimestamp(e.create_time()), Utc(2026, 2, 24, 19, 45, 54));
  EXPECT_FALSE(e.has_result());
  EXPECT_FALSE(e.has_timeout());
  EXPECT_TRUE(e.has_input());
  EXPECT_TRUE(e.has_polos());
  EXPECT_TRUE(e.unparsed_fields().empty());
}

TEST(PolosTranslateFixture, AbsentPayloadLeavesInputUnset) {
  v1::Execution e = FromJson(R"({"id":"6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60","status":"queued"})");
  EXPECT_FALSE(e.has_input());
  EXPECT_FALSE(e.has_create_time());
  EXPECT_EQ(e.workload(), "");
}

TEST(PolosTranslateFixture, ExtraFieldsArePreserved) {
  v1::Execution e = FromJson(Fixture("execution_extra_fields.json"));
  EXPECT_EQ(e.state(), v1::Execution::STATE_RUNNING);
  const auto& extra = e.polos().extra_fields().fields();
  ASSERT_EQ(extra.size(), 4u);
  EXPECT_EQ(extra.at("workflow_type").string_value(), "agent");
  EXPECT_EQ(extra.at("otel_trace_id").string_value(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(extra.at("metadata").struct_value().fields().at("team").string_value(), "search");
  EXPECT_EQ(extra.at("metadata").struct_value().fields().at("priority").number_value(), 2);
  EXPECT_EQ(extra.at("tags").list_value().values(1).string_value(), "eu");
  // Known fields never leak into extra_fields.
  EXPECT_FALSE(extra.contains("status"));
  EXPECT_FALSE(extra.contains("started_at"));
}

TEST(PolosTranslateFixture, WrongTypesAreKeptRawNeverFatal) {
  v1::Execution e = FromJson(Fixture("execution_wrong_types.json"));
  EXPECT_EQ(e.state(), v1::Execution::STATE_RUNNING);
  EXPECT_EQ(e.execution_id(), "be6f7a8b-9c0d-4e1f-8a2b-4c5d6e7f8091");
  // Numeric strings are tolerated for integers.
  EXPECT_EQ(e.retry_count(), 2);
  // Any JSON is a valid payload and result.
  EXPECT_EQ(e.input().string_value(), "just a string");
  EXPECT_EQ(e.result().number_value(), 42);
  EXPECT_FALSE(e.has_create_time());
  EXPECT_FALSE(e.has_start_time());
  EXPECT_FALSE(e.has_end_time());
  EXPECT_FALSE(e.has_cancel_time());
  EXPECT_FALSE(e.has_timeout());
  const auto& u = e.unparsed_fields();
  EXPECT_EQ(u.at("created_at"), "1771962354");
  EXPECT_EQ(u.at("started_at"), "not a time");
  // Empty means unset and is not recorded (field_rules.h; it used to be).
  EXPECT_FALSE(u.contains("completed_at"));
  EXPECT_EQ(u.at("cancelled_at"), "0001-01-01T00:00:00Z");
  EXPECT_EQ(u.at("run_timeout_seconds"), "\"ten minutes\"");
  EXPECT_EQ(u.at("error"), R"({"message":"not a string"})");
  EXPECT_EQ(u.at("session_id"), "12345");
  EXPECT_EQ(u.at("queue_name"), R"(["a","b"])");
  EXPECT_EQ(u.at("user_id"), "true");
  EXPECT_FALSE(u.contains("retry_count"));
  EXPECT_EQ(e.error_message(), "");
  EXPECT_EQ(e.lineage().session_id(), "");
}

TEST(PolosTranslateFixture, NonPositiveTimeoutIsKeptRaw) {
  v1::Execution e = FromJson(
      R"({"id":"6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60","status":"running","run_timeout_seconds":0})");
  EXPECT_FALSE(e.has_timeout());
  EXPECT_EQ(e.unparsed_fields().at("run_timeout_seconds"), "0");
}

TEST(PolosTranslateFixture, TimedOutRun) {
  v1::Execution e = FromJson(Fixture("execution_timed_out.json"));
  EXPECT_EQ(e.state(), v1::Execution::STATE_TIMED_OUT);
  EXPECT_EQ(e.raw_status(), "cancelled");
  EXPECT_EQ(e.polos().cancelled_by(), "timeout");
  EXPECT_EQ(FromProtoTimestamp(e.cancel_time()), Utc(2026, 2, 24, 19, 46, 54, 123456));
  EXPECT_EQ(FromProtoTimestamp(e.end_time()), Utc(2026, 2, 24, 19, 46, 54, 200000));
  EXPECT_EQ(FromProtoDuration(e.timeout()), absl::Seconds(60));
}

TEST(PolosTranslateFixture, NonObjectDocumentDoesNotCrash) {
  for (const char* json : {"[]", "null", "\"x\"", "42"}) {
    v1::Execution e = FromJson(json);
    EXPECT_EQ(e.state(), v1::Execution::STATE_UNRECOGNIZED) << json;
    EXPECT_EQ(e.backend_kind(), v1::BACKEND_KIND_POLOS);
    EXPECT_FALSE(e.etag().empty());
  }
}

TEST(PolosEtag, ChangesWithContentAndIsStable) {
  const std::string json = Fixture("execution_retry_queued.json");
  v1::Execution a = FromJson(json);
  v1::Execution b = FromJson(json);
  EXPECT_EQ(a.etag(), b.etag());
  v1::Execution c =
      FromJson(absl::StrReplaceAll(json, {{R"("retry_count": 1)", R"("retry_count": 2)"}}));
  EXPECT_EQ(c.retry_count(), 2);
  EXPECT_NE(a.etag(), c.etag());
  v1::Execution d = FromJson(json, "other-backend");
  EXPECT_NE(a.etag(), d.etag());
}

TEST(PolosRunSummary, TranslatesListItems) {
  rapidjson::Document doc = Parse(Fixture("runs_list.json"));
  ASSERT_TRUE(doc.IsArray());
  ASSERT_EQ(doc.Size(), 2u);
  v1::Execution first = TranslateRunSummary(doc[0], "polos-prod");
  EXPECT_EQ(first.name(), "backends/polos-prod/executions/6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60");
  EXPECT_EQ(first.state(), v1::Execution::STATE_SUCCEEDED);
  EXPECT_EQ(first.workload(), "order-pipeline");
  EXPECT_EQ(first.lineage().session_id(), "c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f");
  EXPECT_EQ(first.result().struct_value().fields().at("status").string_value(), "shipped");
  EXPECT_EQ(FromProtoTimestamp(first.end_time()), Utc(2026, 2, 24, 19, 46, 10, 500000));
  EXPECT_FALSE(first.etag().empty());

  v1::Execution second = TranslateRunSummary(doc[1], "polos-prod");
  EXPECT_EQ(second.state(), v1::Execution::STATE_CANCELLING);
  EXPECT_EQ(second.lineage().root_execution(),
            "backends/polos-prod/executions/6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60");
  EXPECT_EQ(second.polos().root_execution_id(), "6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60");
  EXPECT_EQ(second.input().kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_FALSE(second.has_result());
  EXPECT_TRUE(second.unparsed_fields().empty());
  EXPECT_TRUE(second.polos().extra_fields().fields().empty());
}

}  // namespace
}  // namespace execgw::polos

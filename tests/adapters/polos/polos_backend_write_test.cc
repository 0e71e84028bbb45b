// PolosBackend's CreateExecution, CancelExecution and ListExecutionTasks
// over real loopback HTTP (backend_fixture.h).

#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "adapters/http/resilient_http_client.h"
#include "adapters/polos/execution_id.h"
#include "adapters/polos/polos_backend.h"
#include "adapters/upstream_error.h"
#include "adapters/upstream_time.h"
#include "gtest/gtest.h"
#include "tests/adapters/polos/backend_fixture.h"

namespace execgw::polos {
namespace {

using testing::kBackend;
using testing::kMissingId;
using testing::PolosBackendTest;

v1::CreateExecutionRequest WithInput() {
  v1::CreateExecutionRequest r;
  (*r.mutable_input()->mutable_struct_value()->mutable_fields())["order"].set_string_value("ord-7");
  return r;
}

// ---------------------------------------------------------------------------
// ListExecutionTasks

TEST_F(PolosBackendTest, TasksAreAFailedPreconditionWithoutCallingPolos) {
  const std::string id = Add(Scenario{});
  absl::StatusOr<TaskPage> tasks = Tasks(Name(id));
  ASSERT_FALSE(tasks.ok());
  EXPECT_EQ(tasks.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReasonOf(tasks.status()), reason::kFailedPrecondition);
  EXPECT_EQ(tasks.status().message(),
            "Polos executions have no tasks; ListExecutionTasks applies to Blaxel executions");
  // Even for an execution Polos does not have: the answer never depends on it.
  tasks = Tasks(Name(kMissingId));
  EXPECT_EQ(tasks.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(client_->sent().empty());
}

TEST_F(PolosBackendTest, TasksOfAWrongFormNameAreInvalid) {
  absl::StatusOr<TaskPage> tasks =
      Tasks(ExecutionName{std::string(kBackend), "nightly", std::string(kMissingId)});
  ASSERT_FALSE(tasks.ok());
  EXPECT_EQ(tasks.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(tasks.status()), reason::kWrongBackendKind);
  EXPECT_TRUE(absl::StartsWith(tasks.status().message(), "parent: ")) << tasks.status();
  tasks = Tasks(Name("not-a-uuid"));
  EXPECT_EQ(tasks.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(tasks.status()), reason::kInvalidArgument);
  EXPECT_TRUE(client_->sent().empty());
}

// ---------------------------------------------------------------------------
// CreateExecution

TEST_F(PolosBackendTest, CreateReturnsTheFullExecution) {
  EXPECT_FALSE(backend_->deduplicates_creates());
  v1::CreateExecutionRequest request = WithInput();
  request.mutable_timeout()->set_seconds(90);
  request.set_queue("orders");
  request.set_concurrency_key("customer-9");
  request.set_session_id("sess-1");
  request.set_user_id("user-42");
  request.set_deployment_id("dep-3");
  request.set_request_id("req-1");  // the gateway's business, not Polos'
  absl::StatusOr<v1::Execution> e = Create(Workflow("order-pipeline"), request);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->name(), absl::StrCat("backends/", kBackend, "/executions/", e->execution_id()));
  EXPECT_EQ(e->workload(), "order-pipeline");
  EXPECT_EQ(e->state(), v1::Execution::STATE_QUEUED);
  EXPECT_EQ(e->input().struct_value().fields().at("order").string_value(), "ord-7");
  EXPECT_EQ(FromProtoDuration(e->timeout()), absl::Seconds(90));
  EXPECT_EQ(e->queueing().queue(), "orders");
  EXPECT_EQ(e->queueing().concurrency_key(), "customer-9");
  EXPECT_EQ(e->queueing().deployment_id(), "dep-3");
  EXPECT_EQ(e->lineage().session_id(), "sess-1");
  EXPECT_EQ(e->lineage().user_id(), "user-42");
  EXPECT_EQ(e->retry_count(), 0);
  EXPECT_FALSE(e->etag().empty());
  EXPECT_EQ(FromProtoTimestamp(e->create_time()), clock_.Now());

  // One run (never marked retryable), then one read-back.
  const std::vector<testing::RecordingHttpClient::Sent> sent = client_->sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_TRUE(absl::EndsWith(sent[0].url, "/api/v1/workflows/order-pipeline/run")) << sent[0].url;
  EXPECT_FALSE(sent[0].idempotent);
  EXPECT_EQ(sent[1].method, "GET");
  EXPECT_TRUE(sent[1].idempotent);

  absl::StatusOr<v1::Execution> got = Get(e->execution_id());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->etag(), e->etag());
}

TEST_F(PolosBackendTest, CreateAcceptsAnyJsonInput) {
  v1::CreateExecutionRequest request;
  request.mutable_input()->set_null_value(google::protobuf::NULL_VALUE);
  absl::StatusOr<v1::Execution> e = Create(Workflow("w"), request);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->input().kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_FALSE(e->has_timeout());
  EXPECT_EQ(e->queueing().queue(), "w");  // Polos' default

  request.mutable_input()->mutable_list_value()->add_values()->set_number_value(3);
  e = Create(Workflow("w"), request);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->input().list_value().values(0).number_value(), 3);
}

TEST_F(PolosBackendTest, CreateNamesEveryBlaxelOnlyField) {
  v1::CreateExecutionRequest request = WithInput();
  request.set_execution_id("exec-1");
  request.add_task_parameters();
  (*request.mutable_env())["A"] = "1";
  request.set_memory_mb(512);
  request.set_reject_if_no_capacity(true);
  absl::StatusOr<v1::Execution> e = Create(Workflow("w"), request);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kInvalidArgument);
  for (const char* field :
       {"execution_id", "task_parameters", "env", "memory_mb", "reject_if_no_capacity"}) {
    EXPECT_TRUE(absl::StrContains(e.status().message(),
                                  absl::StrCat(field, ": not supported by Polos backends")))
        << field << ": " << e.status();
  }
  v1::CreateExecutionRequest env_only = WithInput();
  (*env_only.mutable_env())["A"] = "1";
  e = Create(Workflow("w"), env_only);
  EXPECT_EQ(e.status().message(), "env: not supported by Polos backends");
  EXPECT_TRUE(client_->sent().empty());
}

TEST_F(PolosBackendTest, CreateRequiresAnInput) {
  absl::StatusOr<v1::Execution> e = Create(Workflow("w"), v1::CreateExecutionRequest());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(), "input: is required for Polos workflows (any JSON value)");
  EXPECT_EQ(sim_->request_count("run"), 0);
}

TEST_F(PolosBackendTest, CreateTimeoutMustBeWholePositiveSeconds) {
  for (auto [seconds, nanos] : std::vector<std::pair<int64_t, int32_t>>{
           {0, 0}, {1, 500000000}, {-5, 0}, {0, 1}, {int64_t{1} << 40, 0}}) {
    v1::CreateExecutionRequest request = WithInput();
    request.mutable_timeout()->set_seconds(seconds);
    request.mutable_timeout()->set_nanos(nanos);
    absl::StatusOr<v1::Execution> e = Create(Workflow("w"), request);
    ASSERT_FALSE(e.ok()) << seconds << "s " << nanos << "ns";
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(e.status().message(), "timeout: ")) << e.status();
  }
  EXPECT_EQ(sim_->request_count("run"), 0);
}

TEST_F(PolosBackendTest, CreateNeedsTheWorkflowsParent) {
  absl::StatusOr<v1::Execution> e = Create(WholeBackend(), WithInput());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(e.status().message(), "parent: ")) << e.status();
  e = Create(ParentName{std::string(kBackend), "nightly", ""}, WithInput());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kWrongBackendKind);
  EXPECT_TRUE(absl::StartsWith(e.status().message(), "parent: ")) << e.status();
  EXPECT_EQ(sim_->request_count("run"), 0);
}

TEST_F(PolosBackendTest, CreateFailureIsMappedAndNotRepeated) {
  http::ServerResponse broken;
  broken.status = 500;
  broken.body = R"({"error":"Failed to submit workflow","error_type":"INTERNAL_ERROR"})";
  sim_->faults().Add("run", broken);
  absl::StatusOr<v1::Execution> e = Create(Workflow("w"), WithInput());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
  EXPECT_EQ(sim_->request_count("run"), 1);
  EXPECT_EQ(sim_->request_count("get"), 0);
}

// The create read-back fallback (it used to answer OK with an execution
// built from the request): Polos took the run, so the outcome is known to
// be "started", but the execution as it stands is not; the caller reads it
// by the name the error carries.
TEST_F(PolosBackendTest, CreateWhoseReadBackFailsIsAConfirmedUnknownOutcome) {
  http::ServerResponse broken;
  broken.status = 503;
  sim_->faults().Add("get", broken);
  absl::StatusOr<v1::Execution> e = Create(Workflow("w"), WithInput());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnknown) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kOutcomeUnknown);
  const std::map<std::string, std::string> metadata = testing::ErrorMetadataOf(e.status());
  EXPECT_EQ(metadata.at("operation"), "create");
  EXPECT_EQ(metadata.at("confirmed"), "true");
  absl::StatusOr<ExecutionName> name = ParseExecutionName(metadata.at("name"));
  ASSERT_TRUE(name.ok()) << name.status();
  absl::StatusOr<v1::Execution> got = GetName(*name);  // the run exists
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state(), v1::Execution::STATE_QUEUED);
  EXPECT_EQ(got->workload(), "w");
  EXPECT_EQ(sim_->request_count("run"), 1);
}

// A read-back (after a create or a cancel) answered with a document that is
// no execution ({}) is never an execution built from the request.
TEST_F(PolosBackendTest, ReadBackThatDescribesNoExecutionIsAConfirmedUnknownOutcome) {
  http::ServerResponse empty;
  empty.status = 200;
  empty.body = "{}";
  sim_->faults().Add("get", empty, -1);
  absl::StatusOr<v1::Execution> created = Create(Workflow("w"), WithInput());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(ErrorReasonOf(created.status()), reason::kOutcomeUnknown);
  EXPECT_EQ(testing::ErrorMetadataOf(created.status()).at("confirmed"), "true");
  EXPECT_NE(created.status().message().find("neither id nor status"), absl::string_view::npos)
      << created.status();
  const std::string id = testing::ErrorMetadataOf(created.status())
                             .at("name")
                             .substr(absl::StrCat("backends/", kBackend, "/executions/").size());
  absl::StatusOr<v1::Execution> cancelled = Cancel(id);
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(ErrorReasonOf(cancelled.status()), reason::kOutcomeUnknown);
  EXPECT_EQ(testing::ErrorMetadataOf(cancelled.status()).at("confirmed"), "true");
  absl::StatusOr<v1::Execution> got = Get(id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(ErrorReasonOf(got.status()), reason::kUpstreamInvalidResponse);
}

// A 2xx answer cut short: Polos took the request and said it succeeded,
// so the run (or the cancel) may have happened: OUTCOME_UNKNOWN, never a
// retryable UNAVAILABLE that would start a second run. A reset before any
// answer stays UNAVAILABLE.
TEST_F(PolosBackendTest, WriteWhoseSuccessAnswerIsCutShortIsAnUnknownOutcome) {
  http::ServerResponse cut;
  cut.status = 0;  // the real answer, cut short
  cut.fault = http::ServerResponse::Fault::kTruncateBody;
  sim_->faults().Add("run", cut);
  absl::StatusOr<v1::Execution> created = Create(Workflow("w"), WithInput());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kUnknown) << created.status();
  EXPECT_EQ(ErrorReasonOf(created.status()), reason::kOutcomeUnknown);
  EXPECT_EQ(testing::ErrorMetadataOf(created.status()).count("confirmed"), 0u);
  EXPECT_EQ(sim_->request_count("run"), 1);

  const std::string id = sim_->AddExecution(NewExecution{});
  sim_->faults().Add("cancel", cut);
  absl::StatusOr<v1::Execution> cancelled = Cancel(id);
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(ErrorReasonOf(cancelled.status()), reason::kOutcomeUnknown) << cancelled.status();
  EXPECT_EQ(testing::ErrorMetadataOf(cancelled.status()).at("name"), Name(id).ToString());

  http::ServerResponse reset;
  reset.status = 200;
  reset.fault = http::ServerResponse::Fault::kResetConnection;
  sim_->faults().Add("run", reset);
  absl::StatusOr<v1::Execution> refused = Create(Workflow("w"), WithInput());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
}

TEST_F(PolosBackendTest, CreateAnswerWithoutAUsableIdIsAnUnknownOutcome) {
  for (const char* body : {"not json", "[]", "{}", R"({"execution_id":""})",
                           R"({"execution_id":42,"created_at":"2026-01-01T00:00:00+00:00"})"}) {
    http::ServerResponse odd;
    odd.status = 200;
    odd.body = body;
    sim_->faults().Add("run", odd);
    absl::StatusOr<v1::Execution> e = Create(Workflow("w"), WithInput());
    ASSERT_FALSE(e.ok()) << body;
    EXPECT_EQ(e.status().code(), absl::StatusCode::kUnknown) << body << ": " << e.status();
    EXPECT_EQ(ErrorReasonOf(e.status()), reason::kOutcomeUnknown) << body;
    const std::map<std::string, std::string> metadata = testing::ErrorMetadataOf(e.status());
    EXPECT_FALSE(metadata.contains("confirmed")) << body;
    EXPECT_FALSE(metadata.contains("name")) << body;
  }
  EXPECT_EQ(sim_->request_count("get"), 0);
}

TEST_F(PolosBackendTest, CreateAnswerWithAnIdThatIsNotAUuidIsConfirmedButUnnamed) {
  http::ServerResponse odd;
  odd.status = 200;
  odd.body = R"({"execution_id":"string","created_at":"2026-01-01T00:00:00+00:00"})";
  sim_->faults().Add("run", odd);
  absl::StatusOr<v1::Execution> e = Create(Workflow("w"), WithInput());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnknown) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kOutcomeUnknown);
  const std::map<std::string, std::string> metadata = testing::ErrorMetadataOf(e.status());
  EXPECT_EQ(metadata.at("confirmed"), "true");
  EXPECT_FALSE(metadata.contains("name"));
  EXPECT_TRUE(absl::StrContains(e.status().message(), "\"string\"")) << e.status();
  EXPECT_EQ(sim_->request_count("get"), 0);
}

TEST_F(PolosBackendTest, CreateAnswerInUpperCaseReadsBackTheCanonicalName) {
  // Polos answers in lower case; should an id come back in upper case, the
  // execution is still read and named canonically.
  const std::string id = Add(Scenario{});
  http::ServerResponse upper;
  upper.status = 200;
  upper.body = absl::StrCat(R"({"execution_id":")", absl::AsciiStrToUpper(id),
                            R"(","created_at":"2026-01-01T00:00:00+00:00"})");
  sim_->faults().Add("run", upper);
  absl::StatusOr<v1::Execution> e = Create(Workflow("w"), WithInput());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->name(), absl::StrCat("backends/", kBackend, "/executions/", id));
}

// ---------------------------------------------------------------------------
// FindCreated

v1::CreateExecutionRequest WithRequestId(const std::string& request_id,
                                         const std::string& order = "ord-7") {
  v1::CreateExecutionRequest r;
  (*r.mutable_input()->mutable_struct_value()->mutable_fields())["order"].set_string_value(order);
  r.set_request_id(request_id);
  return r;
}

// A create with a request_id and no session_id carries a session derived
// from the request_id (a UUID, the same for every attempt, another for
// another request_id); without a request_id Polos picks one.
TEST_F(PolosBackendTest, CreateWithARequestIdCarriesASessionOfItsOwn) {
  absl::StatusOr<v1::Execution> a1 = Create(Workflow("w"), WithRequestId("req-1"));
  absl::StatusOr<v1::Execution> a2 = Create(Workflow("w"), WithRequestId("req-1"));
  absl::StatusOr<v1::Execution> b = Create(Workflow("w"), WithRequestId("req-2"));
  ASSERT_TRUE(a1.ok() && a2.ok() && b.ok());
  EXPECT_TRUE(IsCanonicalUuid(a1->lineage().session_id())) << a1->lineage().session_id();
  EXPECT_EQ(a1->lineage().session_id()[14], '8');  // version 8
  EXPECT_EQ(a1->lineage().session_id(), a2->lineage().session_id());
  EXPECT_NE(a1->lineage().session_id(), b->lineage().session_id());
  v1::CreateExecutionRequest own = WithRequestId("req-1");
  own.set_session_id("sess-9");
  absl::StatusOr<v1::Execution> c = Create(Workflow("w"), own);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->lineage().session_id(), "sess-9");
  const std::vector<std::string> bodies = sim_->RunPayloads("w");
  EXPECT_EQ(bodies.size(), 4u);
}

// The run answer was lost after Polos took the run: the search finds that
// run (among runs of other requests, workflows and sessions) and answers it
// read in full.
TEST_F(PolosBackendTest, FindCreatedFindsTheRunWhoseAnswerWasLost) {
  const absl::Time since = clock_.Now();
  ASSERT_TRUE(Create(Workflow("w"), WithRequestId("req-other")).ok());
  ASSERT_TRUE(Create(Workflow("elsewhere"), WithRequestId("req-1")).ok());
  http::ServerResponse cut;
  cut.status = 0;
  cut.fault = http::ServerResponse::Fault::kTruncateBody;
  sim_->faults().Add("run", cut);
  clock_.Advance(absl::Seconds(2));
  ASSERT_EQ(ErrorReasonOf(Create(Workflow("w"), WithRequestId("req-1")).status()),
            reason::kOutcomeUnknown);
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(Create(Workflow("w"), WithRequestId("req-later")).ok());
  const int lists = sim_->request_count("list");

  absl::StatusOr<std::optional<v1::Execution>> found =
      FindCreated(Workflow("w"), WithRequestId("req-1"), since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  const v1::Execution& run = **found;
  EXPECT_EQ(run.workload(), "w");
  EXPECT_EQ(FromProtoTimestamp(run.create_time()), since + absl::Seconds(2));
  EXPECT_EQ(run.input().struct_value().fields().at("order").string_value(), "ord-7");
  EXPECT_FALSE(run.etag().empty()) << "read in full";
  EXPECT_EQ(sim_->request_count("list"), lists + 1);
  EXPECT_EQ(sim_->request_count("run"), 4) << "the search never creates";
  // Its session is the one every attempt of req-1 carries.
  absl::StatusOr<v1::Execution> again = Create(Workflow("elsewhere"), WithRequestId("req-1"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(run.lineage().session_id(), again->lineage().session_id());
}

// Polos refused the run (nothing was started): nothing is found, though a
// run with the same input from another request_id exists.
TEST_F(PolosBackendTest, FindCreatedFindsNothingWhenNoRunWasStarted) {
  const absl::Time since = clock_.Now();
  ASSERT_TRUE(Create(Workflow("w"), WithRequestId("req-other")).ok());
  http::ServerResponse down;
  down.status = 503;
  sim_->faults().Add("run", down);
  ASSERT_FALSE(Create(Workflow("w"), WithRequestId("req-1")).ok());
  absl::StatusOr<std::optional<v1::Execution>> found =
      FindCreated(Workflow("w"), WithRequestId("req-1"), since);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
}

// In a session of the caller's, another request's run with the same input
// would look the same: the search does not guess (UNIMPLEMENTED, so the
// gateway creates again) and asks Polos nothing. Without a request_id
// there is no session of the gateway's either.
TEST_F(PolosBackendTest, FindCreatedCannotTellRunsInTheCallersOwnSession) {
  v1::CreateExecutionRequest own = WithRequestId("req-1");
  own.set_session_id("sess-1");
  ASSERT_TRUE(Create(Workflow("w"), own).ok());
  v1::CreateExecutionRequest anonymous = WithRequestId("");
  const int lists = sim_->request_count("list");
  for (const v1::CreateExecutionRequest& request : {own, anonymous}) {
    absl::StatusOr<std::optional<v1::Execution>> found =
        FindCreated(Workflow("w"), request, clock_.Now() - absl::Minutes(1));
    ASSERT_FALSE(found.ok());
    EXPECT_EQ(found.status().code(), absl::StatusCode::kUnimplemented) << found.status();
  }
  EXPECT_EQ(sim_->request_count("list"), lists);
}

// The window: runs created from 30 s (clock skew) before the first
// attempt to 30 s after the last one's end, asked of Polos as start_time
// and end_time; of several matches, the oldest.
TEST_F(PolosBackendTest, FindCreatedLooksBetweenTheAttemptsGiveOrTakeTheClockSkew) {
  ASSERT_TRUE(Create(Workflow("w"), WithRequestId("req-1")).ok());  // long before
  clock_.Advance(absl::Minutes(5));
  const absl::Time since = clock_.Now();
  clock_.Advance(absl::Seconds(1));
  absl::StatusOr<v1::Execution> first = Create(Workflow("w"), WithRequestId("req-1"));
  clock_.Advance(absl::Seconds(1));
  absl::StatusOr<v1::Execution> second = Create(Workflow("w"), WithRequestId("req-1"));
  const absl::Time until = clock_.Now();
  clock_.Advance(absl::Minutes(5));
  ASSERT_TRUE(Create(Workflow("w"), WithRequestId("req-1")).ok());  // long after
  ASSERT_TRUE(first.ok() && second.ok());

  absl::StatusOr<std::optional<v1::Execution>> found =
      FindCreated(Workflow("w"), WithRequestId("req-1"), since, until);
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((**found).name(), first->name());
  const std::optional<http::ServerRequest> list = sim_->last_request("list");
  ASSERT_TRUE(list.has_value());
  ASSERT_NE(list->FindQuery("start_time"), nullptr);
  ASSERT_NE(list->FindQuery("end_time"), nullptr);
  EXPECT_EQ(ParseUpstreamTime(*list->FindQuery("start_time")), since - absl::Seconds(30));
  EXPECT_EQ(ParseUpstreamTime(*list->FindQuery("end_time")), until + absl::Seconds(30));

  // 30 s of skew: a run 20 s before `since` still counts...
  found = FindCreated(Workflow("w"), WithRequestId("req-1"), since + absl::Seconds(20), until);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((**found).name(), first->name());
  // ... one a minute before does not, nor one minutes after.
  found = FindCreated(Workflow("w"), WithRequestId("req-1"), since + absl::Minutes(1),
                      until + absl::Minutes(2));
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
}

// The search pages through every run of the workflow in the window, newest
// first: a run is found behind hundreds of newer ones, and one seen before
// the bound (5,000 runs read) is the answer even when more follow. Not
// seen by then: it says it cannot tell (OUTCOME_UNKNOWN) rather than
// guess.
TEST_F(PolosBackendTest, FindCreatedPagesThroughTheWindowUpToItsBound) {
  const absl::Time since = clock_.Now();
  absl::StatusOr<v1::Execution> mine = Create(Workflow("w"), WithRequestId("req-1"));
  ASSERT_TRUE(mine.ok());
  sim_->AddExecutions("w", 450, since + absl::Seconds(1), absl::Milliseconds(1));
  clock_.Advance(absl::Seconds(2));
  int lists = sim_->request_count("list");
  absl::StatusOr<std::optional<v1::Execution>> found =
      FindCreated(Workflow("w"), WithRequestId("req-1"), since);
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((**found).name(), mine->name());
  EXPECT_EQ(sim_->request_count("list"), lists + 3);  // 451 runs, pages of 200

  // Behind 5,000 newer runs: not reached.
  sim_->AddExecutions("w", 4550, since + absl::Seconds(1), absl::Microseconds(10));
  lists = sim_->request_count("list");
  found = FindCreated(Workflow("w"), WithRequestId("req-1"), since);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ErrorReasonOf(found.status()), reason::kOutcomeUnknown) << found.status();
  EXPECT_TRUE(absl::StrContains(found.status().message(), "searches no further")) << found.status();
  EXPECT_EQ(sim_->request_count("list"), lists + 25);

  // Newer than those 5,000: found on the first page, the answer at the bound.
  clock_.Advance(absl::Seconds(1));
  absl::StatusOr<v1::Execution> newer = Create(Workflow("w"), WithRequestId("req-2"));
  ASSERT_TRUE(newer.ok());
  found = FindCreated(Workflow("w"), WithRequestId("req-2"), since);
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((**found).name(), newer->name());
}

// A run found but not read back: the create's confirmed OUTCOME_UNKNOWN
// with its name (the deduplicator remembers that run).
TEST_F(PolosBackendTest, FoundRunThatCannotBeReadIsAConfirmedUnknownOutcome) {
  const absl::Time since = clock_.Now();
  absl::StatusOr<v1::Execution> mine = Create(Workflow("w"), WithRequestId("req-1"));
  ASSERT_TRUE(mine.ok());
  http::ServerResponse down;
  down.status = 503;
  sim_->faults().Add("get", down, /*times=*/-1);
  absl::StatusOr<std::optional<v1::Execution>> found =
      FindCreated(Workflow("w"), WithRequestId("req-1"), since);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(ErrorReasonOf(found.status()), reason::kOutcomeUnknown) << found.status();
  EXPECT_EQ(testing::ErrorMetadataOf(found.status()).at("confirmed"), "true");
  EXPECT_EQ(testing::ErrorMetadataOf(found.status()).at("name"), mine->name());
}

// A search that cannot read the list fails with the list's error.
TEST_F(PolosBackendTest, FindCreatedFailsWithTheListsError) {
  http::ServerResponse down;
  down.status = 503;
  sim_->faults().Add("list", down, /*times=*/-1);
  absl::StatusOr<std::optional<v1::Execution>> found =
      FindCreated(Workflow("w"), WithRequestId("req-1"), clock_.Now());
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), absl::StatusCode::kUnavailable) << found.status();
}

// ---------------------------------------------------------------------------
// CancelExecution

TEST_F(PolosBackendTest, CancelRunningIsCancellingThenCancelled) {
  Scenario s;
  s.running_for = absl::InfiniteDuration();
  s.cancel_confirm_after = absl::Seconds(2);
  const std::string id = Add(s);
  clock_.Advance(absl::Seconds(3));
  client_->Clear();
  absl::StatusOr<v1::Execution> e = Cancel(id);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->execution_id(), id);
  EXPECT_EQ(e->state(), v1::Execution::STATE_CANCELLING);
  EXPECT_EQ(e->raw_status(), "pending_cancel");
  const std::vector<testing::RecordingHttpClient::Sent> sent = client_->sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_TRUE(absl::EndsWith(sent[0].url, absl::StrCat("/api/v1/executions/", id, "/cancel")));
  EXPECT_TRUE(sent[0].idempotent);
  EXPECT_EQ(sent[1].method, "GET");

  clock_.Advance(absl::Seconds(3));
  absl::StatusOr<v1::Execution> later = Get(id);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->state(), v1::Execution::STATE_CANCELLED);
  EXPECT_EQ(later->polos().cancelled_by(), "manual");
}

TEST_F(PolosBackendTest, CancelWhileCancellingSucceeds) {
  Scenario s;
  s.running_for = absl::InfiniteDuration();
  s.cancel_confirm_after = absl::Seconds(30);
  const std::string id = Add(s);
  ASSERT_TRUE(Cancel(id).ok());
  clock_.Advance(absl::Seconds(1));
  absl::StatusOr<v1::Execution> again = Cancel(id);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state(), v1::Execution::STATE_CANCELLING);
}

TEST_F(PolosBackendTest, CancelWithImmediateConfirmationIsCancelled) {
  Scenario s;
  s.running_for = absl::InfiniteDuration();
  s.cancel_confirm_after = absl::ZeroDuration();
  absl::StatusOr<v1::Execution> e = Cancel(Add(s));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->state(), v1::Execution::STATE_CANCELLED);
}

TEST_F(PolosBackendTest, CancelFinishedIsFailedPrecondition) {
  const std::string id = Add(Scenario{});
  clock_.Advance(absl::Seconds(10));  // completed
  absl::StatusOr<v1::Execution> e = Cancel(id);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(e.status().message(), id)) << e.status();
  EXPECT_TRUE(absl::StrContains(e.status().message(), "completed")) << e.status();
  EXPECT_EQ(sim_->request_count("get"), 0);
}

TEST_F(PolosBackendTest, CancelMissingIsNotFound) {
  absl::StatusOr<v1::Execution> e = Cancel(kMissingId);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kNotFound) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamNotFound);
  EXPECT_TRUE(absl::StrContains(e.status().message(), kMissingId)) << e.status();
}

TEST_F(PolosBackendTest, CancelMissingWhileTheServerIsSickIsUnavailable) {
  http::ServerResponse broken;
  broken.status = 500;
  sim_->faults().Add("list", broken);  // the probe fails
  absl::StatusOr<v1::Execution> e = Cancel(kMissingId);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
}

TEST_F(PolosBackendTest, CancelNameIsCheckedFirst) {
  absl::StatusOr<v1::Execution> e = Cancel("not-a-uuid");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(e.status().message(), "name: ")) << e.status();
  EXPECT_EQ(sim_->request_count("cancel"), 0);
}

// A 2xx cancel answer that does not confirm the cancel: nothing may have
// been cancelled (here nothing was: the fault replaced the real call), so
// OK would be a lie (it used to be OK with the execution still QUEUED).
TEST_F(PolosBackendTest, CancelAnswerThatDoesNotConfirmIsAnUnknownOutcome) {
  Scenario s;
  s.running_for = absl::InfiniteDuration();
  const std::string id = Add(s);
  const std::string other = "00000000-1111-4222-8333-555555555555";
  const std::string at = R"("cancelled_at":"2026-01-01T00:00:00+00:00")";
  const std::vector<std::string> bodies = {
      "not json",
      "",
      "[]",
      "{}",
      absl::StrCat(R"({"execution_id":")", other, R"(","status":"pending_cancel",)", at, "}"),
      absl::StrCat(R"({"execution_id":")", id, R"(","status":"running",)", at, "}"),
      absl::StrCat(R"({"execution_id":")", id, R"(",)", at, "}"),
      absl::StrCat(R"({"execution_id":")", id, R"(","status":"pending_cancel"})"),
  };
  for (const std::string& body : bodies) {
    http::ServerResponse odd;
    odd.status = 200;
    odd.body = body;
    sim_->faults().Add("cancel", odd);
    absl::StatusOr<v1::Execution> e = Cancel(id);
    ASSERT_FALSE(e.ok()) << body;
    EXPECT_EQ(e.status().code(), absl::StatusCode::kUnknown) << body << ": " << e.status();
    EXPECT_EQ(ErrorReasonOf(e.status()), reason::kOutcomeUnknown) << body;
    const std::map<std::string, std::string> metadata = testing::ErrorMetadataOf(e.status());
    EXPECT_EQ(metadata.at("operation"), "cancel");
    EXPECT_FALSE(metadata.contains("confirmed")) << body;
    EXPECT_EQ(metadata.at("name"), absl::StrCat("backends/", kBackend, "/executions/", id));
  }
  absl::StatusOr<v1::Execution> still = Get(id);
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_NE(still->state(), v1::Execution::STATE_CANCELLING);

  // A confirming answer in another case is a confirmation.
  http::ServerResponse shouting;
  shouting.status = 200;
  shouting.body = absl::StrCat(R"({"execution_id":")", absl::AsciiStrToUpper(id),
                               R"(","status":"PENDING_CANCEL",)", at, "}");
  sim_->faults().Add("cancel", shouting);
  EXPECT_TRUE(Cancel(id).ok());
}

TEST_F(PolosBackendTest, ConfirmedCancelWhoseReadBackFailsIsAConfirmedUnknownOutcome) {
  Scenario s;
  s.running_for = absl::InfiniteDuration();
  s.cancel_confirm_after = absl::Seconds(30);
  const std::string id = Add(s);
  http::ServerResponse broken;
  broken.status = 503;
  sim_->faults().Add("get", broken);
  absl::StatusOr<v1::Execution> e = Cancel(id);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnknown) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kOutcomeUnknown);
  const std::map<std::string, std::string> metadata = testing::ErrorMetadataOf(e.status());
  EXPECT_EQ(metadata.at("confirmed"), "true");
  EXPECT_EQ(metadata.at("name"), absl::StrCat("backends/", kBackend, "/executions/", id));
  absl::StatusOr<v1::Execution> got = Get(id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state(), v1::Execution::STATE_CANCELLING);
}

TEST_F(PolosBackendTest, UpperCaseIdIsCancelledUnderItsCanonicalName) {
  Scenario s;
  s.running_for = absl::InfiniteDuration();
  const std::string id = Add(s);
  client_->Clear();
  absl::StatusOr<v1::Execution> e = Cancel(absl::AsciiStrToUpper(id));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->name(), absl::StrCat("backends/", kBackend, "/executions/", id));
  for (const testing::RecordingHttpClient::Sent& sent : client_->sent()) {
    EXPECT_TRUE(absl::StrContains(sent.url, id)) << sent.url;
  }
}

TEST_F(PolosBackendTest, CancellingAChildMarksItsAncestors) {
  Scenario s;
  s.running_for = absl::InfiniteDuration();
  s.cancel_confirm_after = absl::Seconds(60);
  const std::string root = Add(s);
  const std::string parent = Add(s, std::nullopt, root);
  const std::string child = Add(s, std::nullopt, parent);
  const std::string sibling = Add(s, std::nullopt, root);
  clock_.Advance(absl::Seconds(5));
  absl::StatusOr<v1::Execution> e = Cancel(child);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->state(), v1::Execution::STATE_CANCELLING);
  for (const std::string& id : {parent, root}) {
    absl::StatusOr<v1::Execution> ancestor = Get(id);
    ASSERT_TRUE(ancestor.ok()) << ancestor.status();
    EXPECT_EQ(ancestor->state(), v1::Execution::STATE_CANCELLING) << id;
  }
  absl::StatusOr<v1::Execution> other = Get(sibling);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->state(), v1::Execution::STATE_RUNNING);
}

// ---------------------------------------------------------------------------
// Behind the gateway's retrying client

class PolosBehindRetriesTest : public PolosBackendTest {
 protected:
  void SetUp() override {
    PolosBackendTest::SetUp();
    http::ResilienceOptions options;
    options.backend = std::string(kBackend);
    options.max_attempts = 3;
    options.initial_backoff = absl::Milliseconds(1);
    options.failure_threshold = 100;
    options.jitter = [](absl::Duration) { return absl::ZeroDuration(); };
    resilient_ = std::make_unique<http::ResilientHttpClient>(*client_, options);
    backend_ =
        MakeBackend(sim_->api_key(), sim_->project_id(), absl::Seconds(30), resilient_.get());
  }
  void TearDown() override { backend_.reset(); }

  std::unique_ptr<http::ResilientHttpClient> resilient_;
};

// Not retried: the one repeat is the missing-versus-sick check's (errors.h),
// after a healthy probe.
TEST_F(PolosBehindRetriesTest, MissingExecutionIsNotRetried) {
  absl::StatusOr<v1::Execution> e = Get(kMissingId);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kNotFound) << e.status();
  EXPECT_EQ(sim_->request_count("get"), 2);
  e = Cancel(kMissingId);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kNotFound) << e.status();
  EXPECT_EQ(sim_->request_count("cancel"), 2);
  EXPECT_EQ(sim_->request_count("list"), 2);  // one probe each
  EXPECT_EQ(resilient_->stats().retries, 0);
  EXPECT_EQ(resilient_->stats().consecutive_failures, 0);
}

TEST_F(PolosBehindRetriesTest, PassingFailuresOfReadsAndCancelsAreRetried) {
  Scenario s;
  s.running_for = absl::InfiniteDuration();
  const std::string id = Add(s);
  http::ServerResponse unavailable;
  unavailable.status = 503;
  sim_->faults().Add("get", unavailable);
  absl::StatusOr<v1::Execution> e = Get(id);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(sim_->request_count("get"), 2);
  sim_->faults().Add("cancel", unavailable);
  e = Cancel(id);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->state(), v1::Execution::STATE_CANCELLING);
  EXPECT_EQ(sim_->request_count("cancel"), 2);
}

TEST_F(PolosBehindRetriesTest, RunIsNeverRetried) {
  http::ServerResponse unavailable;
  unavailable.status = 503;
  sim_->faults().Add("run", unavailable);
  absl::StatusOr<v1::Execution> e = Create(Workflow("w"), WithInput());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
  EXPECT_EQ(sim_->request_count("run"), 1);
}

}  // namespace
}  // namespace execgw::polos

// BlaxelBackend CreateExecution and CancelExecution over loopback HTTP.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/json_value.h"
#include "adapters/upstream_error.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/adapters/blaxel/backend_fixture.h"

namespace execgw::blaxel::testing {
namespace {

using ::testing::HasSubstr;

google::protobuf::Struct Params(const std::string& json) {
  google::protobuf::Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &s).ok()) << json;
  return s;
}

http::ServerResponse Reply(int status, std::string body) {
  http::ServerResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

class BlaxelCreateTest : public BlaxelBackendFixture {
 protected:
  // The body of the last create the simulator saw.
  rapidjson::Document LastCreateBody() {
    std::optional<http::ServerRequest> seen = sim_->last_request("create");
    EXPECT_TRUE(seen.has_value());
    absl::StatusOr<rapidjson::Document> doc = ParseJson(seen ? seen->body : "");
    EXPECT_TRUE(doc.ok());
    return doc.ok() ? *std::move(doc) : rapidjson::Document();
  }

  // Executions of `job` as the upstream lists them.
  int64_t UpstreamCount(const std::string& job = kJob) {
    ListExecutionsQuery q;
    q.parent = Job(job);
    q.page_size = 1;
    absl::StatusOr<ExecutionPage> p = List(q);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? p->total_size : -1;
  }
};

TEST_F(BlaxelCreateTest, ReturnsTheFullExecutionReadBack) {
  v1::CreateExecutionRequest request;
  request.set_request_id("req-1");
  *request.add_task_parameters() = Params(R"({"shard": 0})");
  *request.add_task_parameters() = Params(R"({"shard": 1, "name": "b"})");
  (*request.mutable_env())["BATCH"] = "10";
  (*request.mutable_env())["MODE"] = "full";
  request.set_memory_mb(2048);
  client_->Clear();
  absl::StatusOr<v1::Execution> e = Create(request);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->name(), "backends/bx/jobs/data-processing-job/executions/req-1");
  EXPECT_EQ(e->execution_id(), "req-1");
  EXPECT_EQ(e->workload(), kJob);
  EXPECT_EQ(e->state(), v1::Execution::STATE_QUEUED);
  EXPECT_EQ(e->raw_status(), "queued");  // from the upstream, not made up
  EXPECT_TRUE(e->has_create_time());
  EXPECT_EQ(e->tasks_size(), 2);
  EXPECT_EQ(e->blaxel().env_override().at("BATCH"), "***");
  EXPECT_EQ(e->blaxel().memory_override_mb(), 2048);
  EXPECT_EQ(e->blaxel().workspace(), kWorkspace);
  EXPECT_FALSE(e->etag().empty());

  rapidjson::Document body = LastCreateBody();
  EXPECT_EQ(JsonString(body, "executionId"), "req-1");
  EXPECT_EQ(JsonString(body, "id"), "req-1");
  ASSERT_TRUE(body["tasks"].IsArray());
  ASSERT_EQ(body["tasks"].Size(), 2u);
  EXPECT_EQ(JsonInt(body["tasks"][1], "shard"), 1);
  EXPECT_EQ(JsonString(body["tasks"][1], "name"), "b");
  EXPECT_EQ(JsonString(body["env"], "MODE"), "full");
  EXPECT_EQ(JsonInt(body, "memory"), 2048);
  EXPECT_FALSE(body.HasMember("allowQueue"));

  std::vector<RecordingHttpClient::Sent> sent = client_->sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_TRUE(sent[0].idempotent);  // it carries an execution id
  EXPECT_EQ(sent[1].method, "GET");
  EXPECT_TRUE(sent[1].idempotent);
}

TEST_F(BlaxelCreateTest, WithoutAnIdTheCreateIsNotIdempotent) {
  client_->Clear();
  absl::StatusOr<v1::Execution> e = Create(v1::CreateExecutionRequest());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE(absl::StartsWith(e->execution_id(), "exec-")) << e->execution_id();
  EXPECT_EQ(e->tasks_size(), 1);  // the job's single default task
  rapidjson::Document body = LastCreateBody();
  EXPECT_FALSE(body.HasMember("executionId"));
  EXPECT_FALSE(body.HasMember("id"));
  EXPECT_FALSE(client_->sent()[0].idempotent);

  v1::CreateExecutionRequest named;
  named.set_execution_id("my-exec");
  client_->Clear();
  e = Create(named);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->execution_id(), "my-exec");
  EXPECT_TRUE(client_->sent()[0].idempotent);
  EXPECT_FALSE(LastCreateBody().HasMember("id"));
}

TEST_F(BlaxelCreateTest, RetryWithTheSameRequestIdReturnsTheSameExecution) {
  EXPECT_TRUE(backend_->deduplicates_creates());
  v1::CreateExecutionRequest request;
  request.set_request_id("nightly-2026-01-01");
  absl::StatusOr<v1::Execution> first = Create(request);
  ASSERT_TRUE(first.ok()) << first.status();
  clock_.Advance(absl::Seconds(5));
  absl::StatusOr<v1::Execution> again = Create(request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), first->name());
  EXPECT_EQ(again->create_time().seconds(), first->create_time().seconds());
  // execution_id equal to request_id is the same request.
  request.set_execution_id("nightly-2026-01-01");
  EXPECT_EQ(Create(request)->name(), first->name());
  EXPECT_EQ(UpstreamCount(), 1);
}

TEST_F(BlaxelCreateTest, FieldsBlaxelCannotHonourAreNamed) {
  client_->Clear();
  v1::CreateExecutionRequest request;
  request.mutable_input()->set_string_value("payload");
  request.set_queue("q");
  request.set_session_id("s");
  absl::StatusOr<v1::Execution> e = Create(request);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(),
            "input: not supported by Blaxel backends; queue: not supported by Blaxel backends; "
            "session_id: not supported by Blaxel backends");

  for (auto edit : std::vector<std::function<void(v1::CreateExecutionRequest&)>>{
           [](auto& r) { r.mutable_timeout()->set_seconds(60); },
           [](auto& r) { r.set_concurrency_key("k"); },
           [](auto& r) { r.set_user_id("u"); },
           [](auto& r) { r.set_deployment_id("d"); },
       }) {
    v1::CreateExecutionRequest one;
    edit(one);
    absl::StatusOr<v1::Execution> r = Create(one);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(": not supported by Blaxel backends"));
  }

  v1::CreateExecutionRequest memory;
  memory.set_memory_mb(-1);
  absl::StatusOr<v1::Execution> r = Create(memory);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "memory_mb:")) << r.status();

  v1::CreateExecutionRequest ids;
  ids.set_request_id("a");
  ids.set_execution_id("b");
  r = Create(ids);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "execution_id:")) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("must equal request_id or be empty"));

  EXPECT_TRUE(client_->sent().empty());
}

TEST_F(BlaxelCreateTest, ParentMustBeAJob) {
  absl::StatusOr<v1::Execution> r =
      Create(v1::CreateExecutionRequest(), ParentName{kBackend, "", "wf"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(r.status()), reason::kWrongBackendKind);
  r = Create(v1::CreateExecutionRequest(), ParentName{kBackend, "", ""});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "parent:")) << r.status();
  EXPECT_EQ(Create(v1::CreateExecutionRequest(), Job("no-such-job")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(BlaxelCreateTest, NoCapacityIsResourceExhaustedAndNeverFitsIsInvalid) {
  SimulatedJob small;
  small.capacity = 1;
  small.memory_mb = 1024;
  sim_->PutJob("small", small);
  v1::CreateExecutionRequest request;
  request.set_reject_if_no_capacity(true);
  ASSERT_TRUE(Create(request, Job("small")).ok());
  EXPECT_EQ(LastCreateBody()["allowQueue"].GetBool(), false);
  absl::StatusOr<v1::Execution> full = Create(request, Job("small"));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  // Queueing is allowed without the flag.
  EXPECT_TRUE(Create(v1::CreateExecutionRequest(), Job("small")).ok());

  v1::CreateExecutionRequest big;
  big.set_memory_mb(4096);
  absl::StatusOr<v1::Execution> never = Create(big, Job("small"));
  EXPECT_EQ(never.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BlaxelCreateTest, ReadBackRetriesA404RightAfterTheCreate) {
  sim_->faults().Add("get", Reply(404, R"({"code":404,"error":"Not Found","message":"x"})"), 2);
  v1::CreateExecutionRequest request;
  request.set_request_id("late");
  absl::StatusOr<v1::Execution> e = Create(request);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->raw_status(), "queued");
  EXPECT_TRUE(e->has_create_time());  // the real read-back
  EXPECT_EQ(sim_->request_count("get"), 3);
}

// The write rule (OutcomeUnknownStatus): an accepted create whose execution
// cannot be read back is not answered with an execution made up from the
// request (it used to be, state QUEUED), but UNKNOWN / OUTCOME_UNKNOWN
// naming the execution, confirmed.
TEST_F(BlaxelCreateTest, AFailedReadBackIsAConfirmedUnknownOutcomeNamingTheExecution) {
  sim_->faults().Add("get", Reply(503, R"({"code":503,"error":"Unavailable"})"), -1);
  v1::CreateExecutionRequest request;
  request.set_request_id("started");
  *request.add_task_parameters() = Params(R"({"shard": 0})");
  absl::StatusOr<v1::Execution> e = Create(request);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kOutcomeUnknown);
  std::map<std::string, std::string> md = ErrorMetadataOf(e.status());
  EXPECT_EQ(md["operation"], "create");
  EXPECT_EQ(md["confirmed"], "true");
  EXPECT_EQ(md["name"], "backends/bx/jobs/data-processing-job/executions/started");
  EXPECT_EQ(sim_->request_count("get"), 1);  // a 503 is not retried here
  // It does exist: a Get once the upstream answers again finds it.
  sim_->faults().Clear();
  EXPECT_TRUE(Get("started").ok());
}

TEST_F(BlaxelCreateTest, AReadBackOfAnotherExecutionIsAConfirmedUnknownOutcome) {
  sim_->faults().Add("get",
                     Reply(200, R"({"metadata":{"id":"someone-else","job":"data-processing-job"},)"
                                R"("status":"running"})"));
  v1::CreateExecutionRequest request;
  request.set_request_id("mine");
  absl::StatusOr<v1::Execution> e = Create(request);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kOutcomeUnknown);
  EXPECT_EQ(ErrorMetadataOf(e.status())["confirmed"], "true");
  EXPECT_THAT(e.status().message(), HasSubstr("someone-else"));
}

// A 2xx create answer the gateway cannot use says nothing of whether the
// execution exists: UNKNOWN / OUTCOME_UNKNOWN, not confirmed, never OK
// (with a request_id this used to answer OK, STATE_QUEUED, for an execution
// that did not exist).
// A read-back answered with a document that is no execution ({}) is not
// an execution built from the request: the confirmed unknown outcome.
TEST_F(BlaxelCreateTest, AReadBackThatDescribesNoExecutionIsAConfirmedUnknownOutcome) {
  sim_->faults().Add("get", Reply(200, "{}"), -1);
  v1::CreateExecutionRequest request;
  request.set_request_id("empty-read");
  absl::StatusOr<v1::Execution> e = Create(request);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kOutcomeUnknown);
  EXPECT_EQ(ErrorMetadataOf(e.status())["confirmed"], "true");
  EXPECT_THAT(e.status().message(), HasSubstr("neither metadata.id nor status"));
  // A Get of such an answer is an invalid response, not an empty execution.
  absl::StatusOr<v1::Execution> g = Get("empty-read");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(ErrorReasonOf(g.status()), reason::kUpstreamInvalidResponse);
}

// Task parameters nested past the depth bound of translated values are the
// same request as what Blaxel reports of them, with or without an id.
TEST_F(BlaxelCreateTest, DeeplyNestedTaskParametersAreNotMistakenForAnotherRequest) {
  std::string deep = "1";
  for (int i = 0; i < 30; ++i) deep = absl::StrCat(R"({"d":)", deep, "}");
  for (const char* request_id : {"", "deep-params"}) {
    v1::CreateExecutionRequest request;
    request.set_request_id(request_id);
    *request.add_task_parameters() = Params(deep);
    absl::StatusOr<v1::Execution> e = Create(request);
    ASSERT_TRUE(e.ok()) << request_id << ": " << e.status();
  }
}

// A 2xx answer cut short: Blaxel took the write and said so, so it may have
// happened: OUTCOME_UNKNOWN (naming the execution when the id was sent).
TEST_F(BlaxelCreateTest, AWriteWhoseSuccessAnswerIsCutShortIsAnUnknownOutcome) {
  http::ServerResponse cut;
  cut.status = 0;  // the real answer, cut short
  cut.fault = http::ServerResponse::Fault::kTruncateBody;
  sim_->faults().Add("create", cut);
  v1::CreateExecutionRequest request;
  request.set_execution_id("cut-create");
  absl::StatusOr<v1::Execution> e = Create(request);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnknown) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kOutcomeUnknown);
  EXPECT_EQ(ErrorMetadataOf(e.status())["name"],
            "backends/bx/jobs/data-processing-job/executions/cut-create");
  EXPECT_TRUE(Get("cut-create").ok());  // it did happen

  sim_->faults().Add("cancel", cut);
  absl::StatusOr<v1::Execution> c = Cancel("cut-create");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(ErrorReasonOf(c.status()), reason::kOutcomeUnknown) << c.status();
  EXPECT_EQ(ErrorMetadataOf(c.status())["operation"], "cancel");
}

TEST_F(BlaxelCreateTest, AnUnusableCreateAnswerIsAnUnknownOutcome) {
  struct Case {
    const char* body;
    const char* request_id;
    const char* says;
  };
  for (const Case& c : {
           Case{"not json", "r-1", "not JSON"},
           Case{"not json", "", "not JSON"},
           Case{"[1, 2]", "r-2", "not a JSON object"},
           Case{R"({"id":"m-1","jobId":"data-processing-job"})", "r-3", "no executionId"},
           Case{R"({"id":"m-1","jobId":"data-processing-job"})", "", "no executionId"},
           Case{R"({"executionId":""})", "r-4", "no executionId"},
           Case{R"({"executionId":"exec-other"})", "r-5", "exec-other"},
       }) {
    SCOPED_TRACE(absl::StrCat(c.body, " / request_id \"", c.request_id, "\""));
    sim_->faults().Add("create", Reply(200, c.body));
    v1::CreateExecutionRequest request;
    request.set_request_id(c.request_id);
    absl::StatusOr<v1::Execution> e = Create(request);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), absl::StatusCode::kUnknown);
    EXPECT_EQ(ErrorReasonOf(e.status()), reason::kOutcomeUnknown);
    EXPECT_THAT(e.status().message(), HasSubstr(c.says));
    std::map<std::string, std::string> md = ErrorMetadataOf(e.status());
    EXPECT_EQ(md["operation"], "create");
    EXPECT_EQ(md.count("confirmed"), 0u);
    EXPECT_EQ(md["name"],
              *c.request_id == '\0'
                  ? ""
                  : absl::StrCat("backends/bx/jobs/data-processing-job/executions/", c.request_id));
  }
  EXPECT_EQ(sim_->request_count("get"), 0);
}

TEST_F(BlaxelCreateTest, ANewIdNoNameCanHoldIsAConfirmedUnknownOutcomeWithoutAName) {
  for (const std::string& id : {std::string(".."), std::string(201, 'x')}) {
    SCOPED_TRACE(id);
    sim_->faults().Add("create", Reply(200, absl::StrCat(R"({"executionId":")", id, R"("})")));
    absl::StatusOr<v1::Execution> e = Create(v1::CreateExecutionRequest());
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(ErrorReasonOf(e.status()), reason::kOutcomeUnknown);
    std::map<std::string, std::string> md = ErrorMetadataOf(e.status());
    EXPECT_EQ(md["confirmed"], "true");
    EXPECT_EQ(md.count("name"), 0u);
    EXPECT_LT(e.status().message().size(), 400u);  // the id's echo is bounded
  }
  EXPECT_EQ(sim_->request_count("get"), 0);
}

TEST_F(BlaxelCreateTest, ExecutionIdFollowsTheRulesOfANameSegment) {
  client_->Clear();
  for (const std::string& id :
       {std::string(".."), std::string("."), std::string("a/b"), std::string("a b"),
        std::string("a\r\nb"), std::string("a\0b", 3), std::string("tab\t"), std::string(201, 'x'),
        std::string(10000, 'y')}) {
    SCOPED_TRACE(absl::CEscape(id.substr(0, 20)));
    v1::CreateExecutionRequest request;
    request.set_execution_id(id);
    absl::StatusOr<v1::Execution> e = Create(request);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(e.status().message(), "execution_id:")) << e.status();
    EXPECT_EQ(ErrorMetadataOf(e.status())["field"], "execution_id");
    EXPECT_LT(e.status().message().size(), 400u);
  }
  EXPECT_TRUE(client_->sent().empty());
  // 200 bytes is the bound, not a refusal.
  v1::CreateExecutionRequest longest;
  longest.set_execution_id(std::string(200, 'z'));
  EXPECT_TRUE(Create(longest).ok());
}

// Blaxel answers a known execution id with that execution, whatever the
// request: the gateway compares what Blaxel shows of it (task parameters,
// env keys, memory override) with the request, as Polos' reuse rule does.
TEST_F(BlaxelCreateTest, AnIdReusedForADifferentRequestIsRefused) {
  v1::CreateExecutionRequest first;
  first.set_request_id("nightly");
  *first.add_task_parameters() = Params(R"({"shard": 0})");
  (*first.mutable_env())["MODE"] = "full";
  first.set_memory_mb(2048);
  ASSERT_TRUE(Create(first).ok());

  for (auto edit : std::vector<std::function<void(v1::CreateExecutionRequest&)>>{
           [](auto& r) {
             (*r.mutable_task_parameters(0)->mutable_fields())["shard"].set_number_value(1);
           },
           [](auto& r) { r.clear_task_parameters(); },
           [](auto& r) { *r.add_task_parameters() = Params(R"({"shard": 1})"); },
           [](auto& r) { (*r.mutable_env())["EXTRA"] = "x"; },
           [](auto& r) { r.clear_env(); },
           [](auto& r) { r.set_memory_mb(1024); },
           [](auto& r) { r.set_memory_mb(0); },
       }) {
    v1::CreateExecutionRequest changed = first;
    edit(changed);
    absl::StatusOr<v1::Execution> e = Create(changed);
    ASSERT_FALSE(e.ok()) << changed.DebugString();
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(e.status().message(), RequestIdReusedStatus(kBackend).message());
    EXPECT_EQ(ErrorMetadataOf(e.status())["field"], "request_id");
  }
  // Env values are masked upstream: a changed value cannot be told apart.
  v1::CreateExecutionRequest same = first;
  (*same.mutable_env())["MODE"] = "other";
  EXPECT_TRUE(Create(same).ok());
  EXPECT_TRUE(Create(first).ok());

  // The same through execution_id alone names that field.
  v1::CreateExecutionRequest by_id;
  by_id.set_execution_id("nightly");
  absl::StatusOr<v1::Execution> e = Create(by_id);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(e.status().message(), "execution_id:")) << e.status();
  EXPECT_EQ(UpstreamCount(), 1);
}

// ---------------------------------------------------------------- cancel

class BlaxelCancelTest : public BlaxelBackendFixture {};

TEST_F(BlaxelCancelTest, RunningGoesCancellingThenCancelled) {
  sim_->PutExecution(kJob, "e1", SimulatedScenario::kSucceed, clock_.Now(), 3);
  clock_.Advance(absl::Seconds(3));
  ASSERT_EQ(Get("e1")->state(), v1::Execution::STATE_RUNNING);
  client_->Clear();
  absl::StatusOr<v1::Execution> cancelled = Cancel("e1");
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::Execution::STATE_CANCELLING);
  EXPECT_EQ(cancelled->name(), "backends/bx/jobs/data-processing-job/executions/e1");
  std::vector<RecordingHttpClient::Sent> sent = client_->sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].method, "GET");
  EXPECT_EQ(sent[1].method, "DELETE");
  EXPECT_TRUE(sent[1].idempotent);
  EXPECT_THAT(sent[1].url, HasSubstr("/jobs/data-processing-job/executions/e1"));

  // Cancelling again while it is cancelling succeeds, without a second DELETE.
  clock_.Advance(absl::Seconds(1));
  absl::StatusOr<v1::Execution> again = Cancel("e1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state(), v1::Execution::STATE_CANCELLING);
  EXPECT_EQ(sim_->request_count("cancel"), 1);

  clock_.Advance(absl::Seconds(2));
  absl::StatusOr<v1::Execution> done = Get("e1");
  EXPECT_EQ(done->state(), v1::Execution::STATE_CANCELLED);
  // Now finished: a further cancel is refused.
  absl::StatusOr<v1::Execution> late = Cancel("e1");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(late.status().message(), HasSubstr("STATE_CANCELLED"));
}

TEST_F(BlaxelCancelTest, QueuedIsCancelledToo) {
  sim_->PutExecution(kJob, "q", SimulatedScenario::kSucceed, clock_.Now(), 1);
  absl::StatusOr<v1::Execution> e = Cancel("q");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->state(), v1::Execution::STATE_CANCELLING);
}

TEST_F(BlaxelCancelTest, FinishedExecutionsAreAFailedPrecondition) {
  SimulatedJob slow;
  slow.timeout_seconds = 30;
  sim_->PutJob("slow", slow);
  const absl::Time past = clock_.Now() - absl::Hours(1);
  sim_->PutExecution(kJob, "ok", SimulatedScenario::kSucceed, past, 1);
  sim_->PutExecution(kJob, "bad", SimulatedScenario::kTaskRetriedThenFail, past, 1);
  sim_->PutExecution("slow", "late", SimulatedScenario::kTimeout, past, 1);
  struct Case {
    std::string job, id, state, raw;
  };
  for (const Case& c : {Case{kJob, "ok", "STATE_SUCCEEDED", "succeeded"},
                        Case{kJob, "bad", "STATE_FAILED", "failed"},
                        Case{"slow", "late", "STATE_TIMED_OUT", "timeout"}}) {
    SCOPED_TRACE(c.id);
    absl::StatusOr<v1::Execution> r = Await<v1::Execution>([&](Done<v1::Execution> done) {
      backend_->CancelExecution(Name(c.id, c.job), {}, std::move(done));
    });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ErrorReasonOf(r.status()), reason::kFailedPrecondition);
    EXPECT_THAT(r.status().message(), HasSubstr(c.state));
    EXPECT_THAT(r.status().message(), HasSubstr(absl::StrCat("\"", c.raw, "\"")));
    EXPECT_THAT(r.status().message(), HasSubstr("already finished"));
  }
  EXPECT_EQ(sim_->request_count("cancel"), 0);
}

TEST_F(BlaxelCancelTest, FinishingBetweenTheReadAndTheDeleteIsAFailedPreconditionToo) {
  // The read sees it running; by the DELETE it has succeeded, and Blaxel's
  // DELETE answers it unchanged.
  sim_->PutExecution(kJob, "racy", SimulatedScenario::kSucceed, clock_.Now() - absl::Hours(1), 1);
  sim_->faults().Add("get", Reply(200, R"({"metadata":{"id":"racy","job":"data-processing-job"},)"
                                       R"("status":"running"})"));
  absl::StatusOr<v1::Execution> r = Cancel("racy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("STATE_SUCCEEDED"));
  EXPECT_EQ(sim_->request_count("cancel"), 1);

  // An upstream that refuses the DELETE with 409 instead: the same answer.
  sim_->PutExecution(kJob, "racy2", SimulatedScenario::kSucceed, clock_.Now(), 1);
  sim_->faults().Add("cancel", Reply(409, R"({"code":409,"error":"Conflict",)"
                                          R"("message":"execution already finished"})"));
  r = Cancel("racy2");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReasonOf(r.status()), reason::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("already finished"));
}

TEST_F(BlaxelCancelTest, AnUnreadableDeleteAnswerIsAnUnknownOutcome) {
  sim_->PutExecution(kJob, "e1", SimulatedScenario::kSucceed, clock_.Now(), 3);
  for (const char* body : {"<html>ok</html>", "[]", ""}) {
    SCOPED_TRACE(body);
    sim_->faults().Add("cancel", Reply(200, body));
    absl::StatusOr<v1::Execution> r = Cancel("e1");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnknown);
    EXPECT_EQ(ErrorReasonOf(r.status()), reason::kOutcomeUnknown);
    std::map<std::string, std::string> md = ErrorMetadataOf(r.status());
    EXPECT_EQ(md["operation"], "cancel");
    EXPECT_EQ(md["name"], "backends/bx/jobs/data-processing-job/executions/e1");
    EXPECT_EQ(md.count("confirmed"), 0u);
  }
}

// The write rule for cancels, as on Polos: a 2xx DELETE answer about
// another execution, one that names none, or one whose status does not
// confirm the cancel leaves the outcome unknown.
TEST_F(BlaxelCancelTest, ADeleteAnswerThatDoesNotConfirmTheCancelIsAnUnknownOutcome) {
  struct Case {
    const char* body;
    const char* says;
  };
  const Case cases[] = {
      {R"({"metadata":{"id":"e2","job":"data-processing-job"},"status":"cancelling"})",
       "got execution \"e2\""},
      {R"({})", "neither metadata.id nor status"},
      {R"({"metadata":{"id":"c3"},"status":"running"})", "does not confirm the cancel"},
      {R"({"status":"queued"})", "does not confirm the cancel"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const std::string id = absl::StrCat("c", ++n);
    sim_->PutExecution(kJob, id, SimulatedScenario::kSucceed, clock_.Now(), 3);
    sim_->faults().Add("cancel", Reply(200, c.body));
    absl::StatusOr<v1::Execution> r = Cancel(id);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnknown) << c.body;
    EXPECT_EQ(ErrorReasonOf(r.status()), reason::kOutcomeUnknown) << c.body;
    std::map<std::string, std::string> md = ErrorMetadataOf(r.status());
    EXPECT_EQ(md["operation"], "cancel");
    EXPECT_EQ(md.count("confirmed"), 0u) << c.body;
    EXPECT_EQ(md["name"], absl::StrCat("backends/bx/jobs/data-processing-job/executions/", id));
    EXPECT_THAT(r.status().message(), HasSubstr(c.says)) << c.body;
  }
}

TEST_F(BlaxelCancelTest, MissingIsNotFoundAndNamesAreChecked) {
  EXPECT_EQ(Cancel("nope").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<v1::Execution> r = Await<v1::Execution>([&](Done<v1::Execution> done) {
    backend_->CancelExecution(ExecutionName{kBackend, "", "x"}, {}, std::move(done));
  });
  EXPECT_EQ(ErrorReasonOf(r.status()), reason::kWrongBackendKind);
}

}  // namespace
}  // namespace execgw::blaxel::testing

// The Blaxel backend over real loopback HTTP (curl client + simulator).
#include "adapters/blaxel/blaxel_backend.h"

#include <functional>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/upstream_error.h"
#include "adapters/upstream_time.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "sim/blaxel/simulator.h"
#include "tests/testing/refused_port.h"
#include "tests/testing/simulated_event_loop.h"
#include "tests/testing/status_details.h"

namespace execgw::blaxel {
namespace {

using ::execgw::testing::SimulatedEventLoop;

using ::execgw::testing::RetryDelayOf;

constexpr char kKey[] = "bl-test-key-5f3a9c";
constexpr char kWorkspace[] = "acme";
constexpr char kJob[] = "data-processing-job";

class BlaxelBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BlaxelSimulatorOptions options;
    options.api_key = kKey;
    options.workspace = kWorkspace;
    options.clock = &clock_;
    auto sim = BlaxelSimulator::Start(options);
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = *std::move(sim);
    sim_->PutJob(kJob, SimulatedJob{});
    client_ = http::NewCurlHttpClient();
    backend_ = MakeBackend();
  }

  // A backend on the simulator with the contract's options, then `edit`.
  std::unique_ptr<Backend> MakeBackend(
      const std::function<void(BlaxelBackendOptions&)>& edit = nullptr) {
    BlaxelBackendOptions o;
    o.name = "bx";
    o.base_url = sim_->base_url();
    o.workspace = kWorkspace;
    o.api_key = kKey;
    if (edit) edit(o);
    return NewBlaxelBackend(o, *client_);
  }

  static CallContext Deadline(absl::Time deadline) {
    CallContext context;
    context.deadline = deadline;
    return context;
  }

  absl::StatusOr<v1::Execution> Get(const std::string& job, const std::string& id,
                                    CallContext context = {}, Backend* backend = nullptr) {
    absl::Notification done;
    absl::StatusOr<v1::Execution> result;
    (backend ? backend : backend_.get())
        ->GetExecution(ExecutionName{"bx", job, id}, context, [&](absl::StatusOr<v1::Execution> r) {
          result = std::move(r);
          done.Notify();
        });
    done.WaitForNotification();
    if (!result.ok()) {
      EXPECT_FALSE(absl::StrContains(result.status().ToString(), kKey))
          << "the API key leaked: " << result.status();
    }
    return result;
  }

  SimulatedEventLoop clock_{absl::FromUnixSeconds(1767225600) + absl::Nanoseconds(123456789)};
  std::unique_ptr<BlaxelSimulator> sim_;
  std::unique_ptr<http::HttpClient> client_;
  std::unique_ptr<Backend> backend_;
};

TEST_F(BlaxelBackendTest, GetSendsTheContractHeadersAndTranslates) {
  sim_->PutExecution(kJob, "exec-1", SimulatedScenario::kSucceed, clock_.Now(), 3,
                     {"MY_VAR", "BATCH_SIZE"});
  absl::StatusOr<v1::Execution> e = Get(kJob, "exec-1");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->name(), "backends/bx/jobs/data-processing-job/executions/exec-1");
  EXPECT_EQ(e->backend_kind(), v1::BACKEND_KIND_BLAXEL);
  EXPECT_EQ(e->state(), v1::Execution::STATE_QUEUED);
  EXPECT_EQ(e->raw_status(), "queued");
  EXPECT_EQ(FromProtoTimestamp(e->create_time()), clock_.Now());
  EXPECT_FALSE(e->has_start_time());  // "" on the wire
  EXPECT_EQ(e->blaxel().workspace(), kWorkspace);
  EXPECT_EQ(e->blaxel().env_override().at("MY_VAR"), "***");
  EXPECT_EQ(e->tasks_size(), 3);
  EXPECT_TRUE(e->unparsed_fields().empty());
  EXPECT_FALSE(e->etag().empty());

  std::optional<http::ServerRequest> seen = sim_->last_request("get");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->method, "GET");
  EXPECT_EQ(seen->target, "/v0/jobs/data-processing-job/executions/exec-1");
  EXPECT_EQ(*seen->FindHeader("authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(*seen->FindHeader("x-blaxel-workspace"), kWorkspace);
  EXPECT_EQ(*seen->FindHeader("blaxel-version"), "2026-04-28");
  EXPECT_EQ(*seen->FindHeader("accept"), "application/json");
}

TEST_F(BlaxelBackendTest, PathSegmentsArePercentEncoded) {
  sim_->PutExecution("job one", "exec/2?x#y", SimulatedScenario::kSucceed, clock_.Now(), 1);
  absl::StatusOr<v1::Execution> e = Get("job one", "exec/2?x#y");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->execution_id(), "exec/2?x#y");
  EXPECT_EQ(sim_->last_request("get")->target, "/v0/jobs/job%20one/executions/exec%2F2%3Fx%23y");
}

TEST_F(BlaxelBackendTest, LifecycleSucceedsAsTheClockMoves) {
  sim_->PutExecution(kJob, "exec-1", SimulatedScenario::kSucceed, clock_.Now(), 3);
  std::string last_etag;
  auto step = [&](absl::Duration advance, v1::Execution::State want) {
    clock_.Advance(advance);
    absl::StatusOr<v1::Execution> e = Get(kJob, "exec-1");
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok()) return v1::Execution();
    EXPECT_EQ(e->state(), want) << e->raw_status();
    EXPECT_NE(e->etag(), last_etag);
    last_etag = e->etag();
    return *e;
  };
  step(absl::ZeroDuration(), v1::Execution::STATE_QUEUED);
  step(absl::Seconds(1), v1::Execution::STATE_PENDING);
  v1::Execution running = step(absl::Seconds(1.5), v1::Execution::STATE_RUNNING);
  EXPECT_TRUE(running.has_start_time());
  EXPECT_FALSE(running.has_end_time());
  // Nothing changed: same etag.
  absl::StatusOr<v1::Execution> again = Get(kJob, "exec-1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->etag(), last_etag);
  v1::Execution done = step(absl::Seconds(30), v1::Execution::STATE_SUCCEEDED);
  EXPECT_TRUE(done.has_end_time());
  EXPECT_TRUE(done.has_expire_time());
  EXPECT_EQ(done.task_stats().total(), 3);
  EXPECT_EQ(done.task_stats().succeeded(), 3);
  for (const v1::Task& t : done.tasks()) {
    EXPECT_EQ(t.state(), v1::Task::STATE_SUCCEEDED);
    EXPECT_TRUE(t.has_end_time());
  }
}

TEST_F(BlaxelBackendTest, TaskRetriedThenExecutionFails) {
  sim_->PutExecution(kJob, "exec-f", SimulatedScenario::kTaskRetriedThenFail, clock_.Now(), 2);
  clock_.Advance(absl::Seconds(2) + absl::Milliseconds(300) + absl::Seconds(2.5));
  absl::StatusOr<v1::Execution> retrying = Get(kJob, "exec-f");
  ASSERT_TRUE(retrying.ok()) << retrying.status();
  EXPECT_EQ(retrying->state(), v1::Execution::STATE_RUNNING);
  EXPECT_EQ(retrying->tasks(0).state(), v1::Task::STATE_RECONCILING);
  EXPECT_EQ(retrying->retry_count(), 1);
  clock_.Advance(absl::Seconds(30));
  absl::StatusOr<v1::Execution> failed = Get(kJob, "exec-f");
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state(), v1::Execution::STATE_FAILED);
  EXPECT_EQ(failed->task_stats().failed(), 1);
  EXPECT_EQ(failed->task_stats().succeeded(), 1);
  EXPECT_EQ(failed->task_stats().retried(), 1);
  EXPECT_EQ(failed->tasks(0).state(), v1::Task::STATE_FAILED);
  ASSERT_EQ(failed->tasks(0).conditions_size(), 1);
  EXPECT_EQ(failed->tasks(0).conditions(0).reason(), "NON_ZERO_EXIT_CODE");
  EXPECT_EQ(failed->tasks(0).conditions(0).severity(), "ERROR");
}

TEST_F(BlaxelBackendTest, TimeoutIsTerminal) {
  SimulatedJob slow;
  slow.timeout_seconds = 30;
  sim_->PutJob("slow", slow);
  sim_->PutExecution("slow", "exec-t", SimulatedScenario::kTimeout, clock_.Now(), 1);
  clock_.Advance(absl::Seconds(20));
  EXPECT_EQ(Get("slow", "exec-t")->state(), v1::Execution::STATE_RUNNING);
  clock_.Advance(absl::Seconds(13));
  absl::StatusOr<v1::Execution> e = Get("slow", "exec-t");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->state(), v1::Execution::STATE_TIMED_OUT);
  EXPECT_EQ(e->raw_status(), "timeout");
  EXPECT_EQ(FromProtoDuration(e->timeout()), absl::Seconds(30));
  EXPECT_EQ(e->tasks(0).state(), v1::Task::STATE_FAILED);
  EXPECT_EQ(e->tasks(0).conditions(0).reason(), "DEADLINE_EXCEEDED");
}

TEST_F(BlaxelBackendTest, OddDocumentIsTranslatedNotRejected) {
  sim_->PutRaw(kJob, "exec-odd",
               R"({"metadata":{"id":"exec-odd","startedAt":"not-a-time"},"spec":{"envOverride":)"
               R"("{\"A\":\"***\"}"},"status":"paused","surprise":true})");
  absl::StatusOr<v1::Execution> e = Get(kJob, "exec-odd");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->state(), v1::Execution::STATE_UNRECOGNIZED);
  EXPECT_EQ(e->raw_status(), "paused");
  EXPECT_EQ(e->workload(), kJob);  // from the request
  EXPECT_EQ(e->unparsed_fields().at("metadata.startedAt"), "not-a-time");
  EXPECT_EQ(e->blaxel().env_override().at("A"), "***");
  EXPECT_TRUE(e->blaxel().extra_fields().fields().at("surprise").bool_value());
}

// The execution in an answer is the one asked for (Polos' rule too): an
// upstream answering about another execution used to hand out that
// execution's name.
TEST_F(BlaxelBackendTest, AnAnswerAboutAnotherExecutionIsAnInvalidResponse) {
  sim_->PutJob("etl", SimulatedJob{});
  sim_->PutRaw("etl", "exec-zzz",
               R"({"metadata":{"id":"exec-abc123","job":"data-processing-job"},)"
               R"("status":"running"})");
  absl::StatusOr<v1::Execution> e = Get("etl", "exec-zzz");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamInvalidResponse);
  EXPECT_THAT(std::string(e.status().message()),
              ::testing::HasSubstr("asked for execution \"exec-zzz\" of job \"etl\", got "
                                   "execution \"exec-abc123\" of job \"data-processing-job\""));
  // Only the id differs, or only the job: the same.
  sim_->PutRaw(kJob, "a", R"({"metadata":{"id":"b"},"status":"running"})");
  EXPECT_EQ(ErrorReasonOf(Get(kJob, "a").status()), reason::kUpstreamInvalidResponse);
  sim_->PutRaw(kJob, "c", R"({"metadata":{"id":"c","job":"etl"},"status":"running"})");
  EXPECT_EQ(ErrorReasonOf(Get(kJob, "c").status()), reason::kUpstreamInvalidResponse);
  // A huge id in the answer is echoed bounded.
  sim_->PutRaw(kJob, "d",
               absl::StrCat(R"({"metadata":{"id":")", std::string(100000, 'x'), R"("}})"));
  absl::StatusOr<v1::Execution> huge = Get(kJob, "d");
  EXPECT_EQ(ErrorReasonOf(huge.status()), reason::kUpstreamInvalidResponse);
  EXPECT_LT(huge.status().message().size(), 500u);
  // Absent or empty: still the execution asked for.
  sim_->PutRaw(kJob, "e", R"({"metadata":{"id":"","job":""},"status":"running"})");
  absl::StatusOr<v1::Execution> same = Get(kJob, "e");
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->name(), "backends/bx/jobs/data-processing-job/executions/e");
}

// A credential the upstream echoes in a 2xx body, in any JSON escape, never
// reaches the caller.
TEST_F(BlaxelBackendTest, CredentialsEchoedInAnExecutionAreRedacted) {
  sim_->PutRaw(kJob, "echo",
               R"({"metadata":{"id":"echo"},"status":"running",)"
               R"("debug":{"auth":"Bearer \u0062l-test-key-5f3a9c","plain":"bl-test-key-5f3a9c"},)"
               R"("spec":{"note":"key=bl\u002dtest\u002dkey\u002d5f3a9c"}})");
  absl::StatusOr<v1::Execution> e = Get(kJob, "echo");
  ASSERT_TRUE(e.ok()) << e.status();
  const std::string text = e->DebugString();
  EXPECT_FALSE(absl::StrContains(text, kKey)) << text;
  EXPECT_THAT(text, ::testing::HasSubstr("Bearer [redacted]"));
  EXPECT_THAT(text, ::testing::HasSubstr("key=[redacted]"));
}

TEST_F(BlaxelBackendTest, PolosFormNameIsInvalidArgument) {
  absl::StatusOr<v1::Execution> e = Get("", "exec-1");
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kWrongBackendKind);
  EXPECT_THAT(std::string(e.status().message()),
              ::testing::AllOf(::testing::HasSubstr("name"),
                               ::testing::HasSubstr("backends/{backend}/jobs/{job}/executions/")));
  EXPECT_EQ(sim_->request_count("get"), 0);
}

struct ErrorCase {
  const char* label;
  absl::StatusCode code;
  std::string reason;
};

TEST_F(BlaxelBackendTest, NotFound) {
  absl::StatusOr<v1::Execution> e = Get(kJob, "nope");
  EXPECT_EQ(e.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamNotFound);
  EXPECT_THAT(std::string(e.status().message()), ::testing::HasSubstr("nope"));
}

TEST_F(BlaxelBackendTest, WrongKeyIsUnauthenticatedAndNeverEchoed) {
  auto backend = MakeBackend([](BlaxelBackendOptions& o) { o.api_key = "bl-wrong-key-777"; });
  absl::StatusOr<v1::Execution> e = Get(kJob, "x", {}, backend.get());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamUnauthenticated);
  EXPECT_FALSE(absl::StrContains(e.status().ToString(), "bl-wrong-key-777"));
  EXPECT_THAT(std::string(e.status().message()), ::testing::HasSubstr("credentials"));
}

TEST_F(BlaxelBackendTest, WrongWorkspaceIsPermissionDenied) {
  auto backend = MakeBackend([](BlaxelBackendOptions& o) { o.workspace = "other"; });
  absl::StatusOr<v1::Execution> e = Get(kJob, "x", {}, backend.get());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamPermissionDenied);
}

TEST_F(BlaxelBackendTest, UnknownApiVersionIsFailedPrecondition) {
  auto backend = MakeBackend([](BlaxelBackendOptions& o) { o.api_version = "2019-01-01"; });
  absl::StatusOr<v1::Execution> e = Get(kJob, "x", {}, backend.get());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kFailedPrecondition);
  // The operator's problem, named as the config spells it.
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kBackendMisconfigured);
  EXPECT_THAT(std::string(e.status().message()), ::testing::HasSubstr("Blaxel-Version"));
  EXPECT_THAT(std::string(e.status().message()), ::testing::HasSubstr("\"apiVersion\""));
  EXPECT_THAT(std::string(e.status().message()),
              ::testing::Not(::testing::HasSubstr("api_version")));
}

TEST_F(BlaxelBackendTest, RateLimitedCarriesRetryInfo) {
  http::ServerResponse r;
  r.status = 429;
  r.headers = {{"Retry-After", "7"}, {"Content-Type", "application/json"}};
  r.body = R"({"code":429,"error":"Too Many Requests","message":"slow down"})";
  sim_->faults().Add("get", r);
  absl::StatusOr<v1::Execution> e = Get(kJob, "x");
  EXPECT_EQ(e.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamRateLimited);
  EXPECT_EQ(RetryDelayOf(e.status()), absl::Seconds(7));
  EXPECT_THAT(std::string(e.status().message()), ::testing::HasSubstr("slow down"));
}

TEST_F(BlaxelBackendTest, ServerErrorsAreUnavailable) {
  sim_->PutExecution(kJob, "exec-1", SimulatedScenario::kSucceed, clock_.Now(), 1);
  for (int status : {500, 502, 503}) {
    SCOPED_TRACE(status);
    http::ServerResponse r;
    r.status = status;
    r.body =
        status == 503
            ? R"({"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE","retryable":true}})"
            : "<html>bad gateway</html>";
    sim_->faults().Add("get", r);
    absl::StatusOr<v1::Execution> e = Get(kJob, "exec-1");
    EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamUnavailable);
    EXPECT_FALSE(absl::StrContains(e.status().message(), "<html>"));
  }
  EXPECT_TRUE(Get(kJob, "exec-1").ok());  // one fault each, then normal again
}

TEST_F(BlaxelBackendTest, GarbageJsonIsInvalidResponse) {
  sim_->PutRaw(kJob, "exec-g", "{\"metadata\": {\"id\": ");
  absl::StatusOr<v1::Execution> e = Get(kJob, "exec-g");
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamInvalidResponse);
  sim_->PutRaw(kJob, "exec-a", "[1,2,3]");
  EXPECT_EQ(ErrorReasonOf(Get(kJob, "exec-a").status()), reason::kUpstreamInvalidResponse);
}

TEST_F(BlaxelBackendTest, TruncatedBodyAndResetAreUnavailable) {
  sim_->PutExecution(kJob, "exec-1", SimulatedScenario::kSucceed, clock_.Now(), 3);
  for (auto fault : {http::ServerResponse::Fault::kTruncateBody,
                     http::ServerResponse::Fault::kResetConnection}) {
    http::ServerResponse r;
    r.status = 0;  // the real answer, damaged
    r.fault = fault;
    sim_->faults().Add("get", r);
    absl::StatusOr<v1::Execution> e = Get(kJob, "exec-1");
    EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
    EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamUnavailable);
  }
}

TEST_F(BlaxelBackendTest, DelayBeyondDeadlineIsDeadlineExceededNearTheDeadline) {
  sim_->PutExecution(kJob, "exec-1", SimulatedScenario::kSucceed, clock_.Now(), 1);
  http::ServerResponse r;
  r.status = 0;
  r.delay = absl::Seconds(3);
  sim_->faults().Add("get", r);
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::Execution> e = Get(kJob, "exec-1", Deadline(start + absl::Milliseconds(300)));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(e.status().code(), absl::StatusCode::kDeadlineExceeded) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamTimeout);
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Milliseconds(1500));
}

TEST_F(BlaxelBackendTest, RequestTimeoutBoundsAnOpenEndedCall) {
  sim_->PutExecution(kJob, "exec-1", SimulatedScenario::kSucceed, clock_.Now(), 1);
  auto backend =
      MakeBackend([](BlaxelBackendOptions& o) { o.request_timeout = absl::Milliseconds(200); });
  http::ServerResponse r;
  r.status = 0;
  r.delay = absl::Seconds(3);
  sim_->faults().Add("get", r);
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::Execution> e = Get(kJob, "exec-1", {}, backend.get());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kDeadlineExceeded) << e.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1500));
}

TEST_F(BlaxelBackendTest, UnreachableUpstreamIsUnavailable) {
  const ::execgw::testing::RefusedPort refused;
  auto backend = MakeBackend([&](BlaxelBackendOptions& o) { o.base_url = refused.base_url(); });
  absl::StatusOr<v1::Execution> e = Get(kJob, "exec-1", {}, backend.get());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamUnavailable);
}

}  // namespace
}  // namespace execgw::blaxel

// GetExecution end to end: gRPC client -> execgw -> adapters -> HTTP ->
// upstream simulators, all over real loopback sockets.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"
#include "tests/testing/raw_grpc_call.h"

namespace execgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPolosId[] = "0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a01";

std::string BlaxelName(const std::string& job, const std::string& id) {
  return absl::StrCat("backends/", GatewayHarness::kBlaxel, "/jobs/", job, "/executions/", id);
}
// Adds a Polos execution with a fixed id, created now.
void AddPolos(GatewayHarness& h, const std::string& workflow, polos::Scenario scenario,
              std::optional<int> run_timeout_seconds = std::nullopt) {
  polos::NewExecution n;
  n.id = kPolosId;
  n.workflow_id = workflow;
  n.payload_json = R"({"doc":"q3 report"})";
  n.scenario = scenario;
  n.run_timeout_seconds = run_timeout_seconds;
  n.created_at = h.clock().Now();
  h.polos().AddExecution(std::move(n));
}

std::string PolosName(const std::string& id) {
  return absl::StrCat("backends/", GatewayHarness::kPolos, "/executions/", id);
}

class GetExecutionTest : public ::testing::Test {
 protected:
  GatewayHarness h_;
};

TEST_F(GetExecutionTest, BlaxelExecutionMovesThroughItsLifecycle) {
  h_.blaxel().PutExecution("etl", "exec-life", blaxel::SimulatedScenario::kSucceed,
                           h_.clock().Now(), 2);
  v1::Execution e;
  ASSERT_TRUE(h_.Get(BlaxelName("etl", "exec-life"), &e).ok());
  EXPECT_EQ(e.name(), BlaxelName("etl", "exec-life"));
  EXPECT_EQ(e.backend(), "bx");
  EXPECT_EQ(e.backend_kind(), v1::BACKEND_KIND_BLAXEL);
  EXPECT_EQ(e.workload(), "etl");
  EXPECT_EQ(e.execution_id(), "exec-life");
  EXPECT_EQ(e.state(), v1::Execution::STATE_QUEUED);
  EXPECT_EQ(e.raw_status(), "queued");
  EXPECT_TRUE(e.has_create_time());
  EXPECT_FALSE(e.etag().empty());
  const std::string queued_etag = e.etag();

  // Reading again without change gives the same etag.
  v1::Execution again;
  ASSERT_TRUE(h_.Get(BlaxelName("etl", "exec-life"), &again).ok());
  EXPECT_EQ(again.etag(), queued_etag);

  h_.clock().Advance(absl::Hours(2));
  ASSERT_TRUE(h_.Get(BlaxelName("etl", "exec-life"), &e).ok());
  EXPECT_EQ(e.state(), v1::Execution::STATE_SUCCEEDED);
  EXPECT_TRUE(e.has_start_time());
  EXPECT_TRUE(e.has_end_time());
  EXPECT_EQ(e.tasks_size(), 2);
  EXPECT_EQ(e.task_stats().total(), 2);
  EXPECT_EQ(e.task_stats().succeeded(), 2);
  EXPECT_NE(e.etag(), queued_etag);
}

TEST_F(GetExecutionTest, BlaxelTimeoutIsTerminalTimedOut) {
  blaxel::SimulatedJob job;
  job.timeout_seconds = 30;
  job.scenario = blaxel::SimulatedScenario::kTimeout;
  h_.blaxel().PutJob("slow", job);
  h_.blaxel().PutExecution("slow", "exec-slow", blaxel::SimulatedScenario::kTimeout,
                           h_.clock().Now(), 1);
  h_.clock().Advance(absl::Hours(1));
  v1::Execution e;
  ASSERT_TRUE(h_.Get(BlaxelName("slow", "exec-slow"), &e).ok());
  EXPECT_EQ(e.state(), v1::Execution::STATE_TIMED_OUT);
  EXPECT_EQ(e.raw_status(), "timeout");
}

TEST_F(GetExecutionTest, BlaxelOddDocumentIsTranslatedNotRejected) {
  h_.blaxel().PutRaw("etl", "exec-odd",
                     R"({"metadata":{"id":"exec-odd","job":"etl","createdAt":"2026-01-01T00:00:00Z",
                         "startedAt":"not-a-time","completedAt":""},
                         "spec":{"envOverride":"{\"A\":\"***\"}"},"stats":null,
                         "status":"hibernating","brandNew":{"x":1}})");
  v1::Execution e;
  grpc::Status s = h_.Get(BlaxelName("etl", "exec-odd"), &e);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(e.state(), v1::Execution::STATE_UNRECOGNIZED);
  EXPECT_EQ(e.raw_status(), "hibernating");
  EXPECT_EQ(e.unparsed_fields().at("metadata.startedAt"), "not-a-time");
  EXPECT_FALSE(e.has_start_time());
  EXPECT_EQ(e.blaxel().env_override().at("A"), "***");
  EXPECT_TRUE(e.blaxel().extra_fields().fields().contains("brandNew"));
}

TEST_F(GetExecutionTest, PolosExecutionWithRetriesKeepsItsError) {
  polos::Scenario scenario;
  scenario.failed_attempts = 1;
  AddPolos(h_, "summarize", scenario);
  v1::Execution e;
  ASSERT_TRUE(h_.Get(PolosName(kPolosId), &e).ok());
  EXPECT_EQ(e.name(), PolosName(kPolosId));
  EXPECT_EQ(e.backend_kind(), v1::BACKEND_KIND_POLOS);
  EXPECT_EQ(e.workload(), "summarize");
  EXPECT_EQ(e.state(), v1::Execution::STATE_QUEUED);
  EXPECT_TRUE(e.has_input());

  // Long enough for the first attempt to fail and be queued again.
  h_.clock().Advance(scenario.queued_for + scenario.claimed_for + scenario.running_for +
                     absl::Milliseconds(100));
  ASSERT_TRUE(h_.Get(PolosName(kPolosId), &e).ok());
  EXPECT_EQ(e.retry_count(), 1);
  EXPECT_FALSE(e.error_message().empty());

  h_.clock().Advance(absl::Minutes(5));
  ASSERT_TRUE(h_.Get(PolosName(kPolosId), &e).ok());
  EXPECT_EQ(e.state(), v1::Execution::STATE_SUCCEEDED);
  EXPECT_EQ(e.raw_status(), "completed");
  EXPECT_TRUE(e.has_result());
  EXPECT_FALSE(e.error_message().empty());  // Polos keeps the old error
}

TEST_F(GetExecutionTest, PolosRunTimeoutIsTimedOut) {
  polos::Scenario scenario;
  scenario.running_for = absl::InfiniteDuration();
  AddPolos(h_, "forever", scenario, 30);
  h_.clock().Advance(absl::Minutes(5));
  v1::Execution e;
  ASSERT_TRUE(h_.Get(PolosName(kPolosId), &e).ok());
  EXPECT_EQ(e.state(), v1::Execution::STATE_TIMED_OUT);
  EXPECT_EQ(e.raw_status(), "cancelled");
  EXPECT_EQ(e.polos().cancelled_by(), "timeout");
  EXPECT_EQ(e.timeout().seconds(), 30);
}

TEST_F(GetExecutionTest, PolosMissingExecutionIsNotFoundNotUnavailable) {
  v1::Execution e;
  grpc::Status s = h_.Get(PolosName("0b5c7a2e-1f1d-4c39-9a57-000000000000"), &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_EQ(DetailsOf(s).error_info.reason(), "UPSTREAM_NOT_FOUND");
}

TEST_F(GetExecutionTest, BlaxelMissingExecutionIsNotFound) {
  v1::Execution e;
  grpc::Status s = h_.Get(BlaxelName("etl", "exec-nope"), &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  auto d = DetailsOf(s);
  EXPECT_EQ(d.error_info.reason(), "UPSTREAM_NOT_FOUND");
  EXPECT_EQ(d.error_info.domain(), "execgw.dev");
  EXPECT_EQ(d.error_info.metadata().at("backend"), "bx");
  EXPECT_EQ(d.error_info.metadata().at("http_status"), "404");
}

struct BadName {
  const char* name;
  const char* fragment;
};

class BadNameTest : public GetExecutionTest, public ::testing::WithParamInterface<BadName> {};

TEST_P(BadNameTest, InvalidArgumentNamingTheProblem) {
  v1::Execution e;
  grpc::Status s = h_.Get(GetParam().name, &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("name"));
  EXPECT_THAT(s.error_message(), HasSubstr(GetParam().fragment));
  auto d = DetailsOf(s);
  EXPECT_TRUE(d.has_error_info);
  EXPECT_EQ(h_.blaxel().request_count("get"), 0);  // never reached an upstream
}

INSTANTIATE_TEST_SUITE_P(
    Names, BadNameTest,
    ::testing::Values(
        BadName{"", "is required"}, BadName{"executions/abc", "not an execution name"},
        BadName{"backends/bx/jobs/etl/executions/", "execution id is empty"},
        BadName{"backends/BX/executions/x", "not a valid backend name"},
        // The Polos form on a Blaxel backend, and the other way round.
        BadName{"backends/bx/executions/exec-1", "job"},
        BadName{"backends/px/jobs/etl/executions/0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a01", "Polos"},
        BadName{"backends/px/executions/not-a-uuid", "UUID"}));

TEST_F(GetExecutionTest, UnknownBackendIsNotFound) {
  v1::Execution e;
  grpc::Status s = h_.Get("backends/nope/executions/0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a01", &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("\"nope\" is not configured"));
  EXPECT_EQ(DetailsOf(s).error_info.reason(), "BACKEND_NOT_CONFIGURED");
}

struct Fault {
  const char* label;
  int status;
  const char* body;
  const char* retry_after;
  grpc::StatusCode code;
  const char* reason;
};

class UpstreamFaultTest : public GetExecutionTest,
                          public ::testing::WithParamInterface<std::tuple<bool, Fault>> {};

TEST_P(UpstreamFaultTest, MapsToTheRightCode) {
  const bool polos = std::get<0>(GetParam());
  const Fault& f = std::get<1>(GetParam());
  http::ServerResponse r;
  r.status = f.status;
  r.body = f.body;
  if (f.retry_after[0] != '\0') r.headers.push_back({"Retry-After", f.retry_after});
  std::string name;
  if (polos) {
    AddPolos(h_, "wf", polos::Scenario{});
    h_.polos().faults().Add("get", r, -1);
    name = PolosName(kPolosId);
  } else {
    h_.blaxel().PutExecution("etl", "exec-f", blaxel::SimulatedScenario::kSucceed, h_.clock().Now(),
                             1);
    h_.blaxel().faults().Add("get", r, -1);
    name = BlaxelName("etl", "exec-f");
  }
  v1::Execution e;
  grpc::Status s = h_.Get(name, &e, absl::Seconds(20));
  EXPECT_EQ(s.error_code(), f.code) << f.label << ": " << s.error_message();
  auto d = DetailsOf(s);
  EXPECT_EQ(d.error_info.reason(), f.reason) << f.label;
  EXPECT_EQ(d.has_retry_info, f.retry_after[0] != '\0') << f.label;
  EXPECT_THAT(s.error_message(), Not(HasSubstr(h_.blaxel().options().api_key)));
  EXPECT_THAT(s.error_message(), Not(HasSubstr(h_.polos().api_key())));
}

const Fault kFaults[] = {
    {"401", 401, R"({"error":"unauthorized","error_type":"UNAUTHORIZED","code":401})", "",
     grpc::StatusCode::UNAUTHENTICATED, "UPSTREAM_UNAUTHENTICATED"},
    {"403", 403, R"({"error":"forbidden","error_type":"FORBIDDEN","code":403})", "",
     grpc::StatusCode::PERMISSION_DENIED, "UPSTREAM_PERMISSION_DENIED"},
    {"429", 429, R"({"error":"slow down","code":429})", "2", grpc::StatusCode::RESOURCE_EXHAUSTED,
     "UPSTREAM_RATE_LIMITED"},
    {"502", 502, "<html>bad gateway</html>", "", grpc::StatusCode::UNAVAILABLE,
     "UPSTREAM_UNAVAILABLE"},
    {"503", 503, "", "", grpc::StatusCode::UNAVAILABLE, "UPSTREAM_UNAVAILABLE"},
    {"garbage 200", 200, "<html>this is not json", "", grpc::StatusCode::INTERNAL,
     "UPSTREAM_INVALID_RESPONSE"},
    {"json but not an object", 200, "[1,2,3]", "", grpc::StatusCode::INTERNAL,
     "UPSTREAM_INVALID_RESPONSE"},
};

INSTANTIATE_TEST_SUITE_P(Faults, UpstreamFaultTest,
                         ::testing::Combine(::testing::Bool(), ::testing::ValuesIn(kFaults)),
                         [](const auto& info) {
                           std::string label = std::get<1>(info.param).label;
                           for (char& c : label) {
                             if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return absl::StrCat(std::get<0>(info.param) ? "Polos_" : "Blaxel_",
                                               label);
                         });

class TransportFaultTest : public GetExecutionTest, public ::testing::WithParamInterface<bool> {
 protected:
  std::string Prepare(http::ServerResponse fault) {
    if (GetParam()) {
      AddPolos(h_, "wf", polos::Scenario{});
      h_.polos().faults().Add("get", std::move(fault), -1);
      return PolosName(kPolosId);
    }
    h_.blaxel().PutExecution("etl", "exec-t", blaxel::SimulatedScenario::kSucceed, h_.clock().Now(),
                             1);
    h_.blaxel().faults().Add("get", std::move(fault), -1);
    return BlaxelName("etl", "exec-t");
  }
};

TEST_P(TransportFaultTest, ConnectionResetIsUnavailable) {
  http::ServerResponse r;
  r.fault = http::ServerResponse::Fault::kResetConnection;
  v1::Execution e;
  grpc::Status s = h_.Get(Prepare(r), &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(DetailsOf(s).error_info.reason(), "UPSTREAM_UNAVAILABLE");
}

TEST_P(TransportFaultTest, TruncatedBodyIsUnavailable) {
  http::ServerResponse r;
  r.status = 200;
  r.body = R"({"metadata":{"id":"exec-t","job":"etl"},"status":"running","padding":"xxxxxxxx"})";
  r.fault = http::ServerResponse::Fault::kTruncateBody;
  v1::Execution e;
  grpc::Status s = h_.Get(Prepare(r), &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_P(TransportFaultTest, SlowUpstreamEndsAtTheCallersDeadline) {
  http::ServerResponse r;
  r.status = 0;  // the real answer, late
  r.delay = absl::Seconds(5);
  const std::string name = Prepare(r);
  v1::Execution e;
  const absl::Time start = absl::Now();
  grpc::Status s = h_.Get(name, &e, absl::Milliseconds(500));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_LT(took, absl::Seconds(3)) << "the call outlived its deadline";
}

TEST_P(TransportFaultTest, CancelledCallEndsPromptly) {
  http::ServerResponse r;
  r.status = 0;
  r.delay = absl::Seconds(5);
  const std::string name = Prepare(r);
  grpc::ClientContext context;
  v1::GetExecutionRequest request;
  request.set_name(name);
  v1::Execution e;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    context.TryCancel();
  });
  const absl::Time start = absl::Now();
  grpc::Status s = h_.stub().GetExecution(&context, request, &e);
  canceller.join();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

INSTANTIATE_TEST_SUITE_P(Both, TransportFaultTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Polos" : "Blaxel"; });

TEST(GatewayCredentialsTest, RejectedCredentialsAreUnauthenticatedAndNeverEchoed) {
  GatewayHarness h(GatewayHarness::Options{.blaxel_key_override = "bl-WRONG-secret-123",
                                           .polos_key_override = "sk_WRONG_secret_456"});
  h.blaxel().PutExecution("etl", "exec-c", blaxel::SimulatedScenario::kSucceed, h.clock().Now(), 1);
  AddPolos(h, "wf", polos::Scenario{});
  v1::Execution e;
  grpc::Status bs = h.Get(BlaxelName("etl", "exec-c"), &e);
  EXPECT_EQ(bs.error_code(), grpc::StatusCode::UNAUTHENTICATED) << bs.error_message();
  EXPECT_THAT(bs.error_message(), Not(HasSubstr("bl-WRONG-secret-123")));
  grpc::Status ps = h.Get(PolosName(kPolosId), &e);
  EXPECT_EQ(ps.error_code(), grpc::StatusCode::UNAUTHENTICATED) << ps.error_message();
  EXPECT_THAT(ps.error_message(), Not(HasSubstr("sk_WRONG_secret_456")));
}

TEST_F(GetExecutionTest, ManyConcurrentCallsAllAnswered) {
  for (int i = 0; i < 20; ++i) {
    h_.blaxel().PutExecution("etl", absl::StrCat("exec-c", i), blaxel::SimulatedScenario::kSucceed,
                             h_.clock().Now(), 1);
  }
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        v1::Execution e;
        if (h_.Get(BlaxelName("etl", absl::StrCat("exec-c", (i + t) % 20)), &e).ok() &&
            e.execution_id() == absl::StrCat("exec-c", (i + t) % 20)) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 160);
}

TEST_F(GetExecutionTest, IdenticalConcurrentGetsShareOneUpstreamRequest) {
  h_.blaxel().PutExecution("etl", "exec-hot", blaxel::SimulatedScenario::kSucceed, h_.clock().Now(),
                           1);
  // A slow upstream, so that the calls overlap.
  http::ServerResponse slow;
  slow.status = 0;
  slow.delay = absl::Milliseconds(500);
  h_.blaxel().faults().Add("get", slow, -1);
  const int before = h_.blaxel().request_count("get");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      v1::Execution e;
      if (h_.Get(BlaxelName("etl", "exec-hot"), &e).ok() && e.execution_id() == "exec-hot") ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 12);
  // Threads start a little apart; nearly all of them must have joined.
  EXPECT_LE(h_.blaxel().request_count("get") - before, 2);
}

TEST_F(GetExecutionTest, HealthServiceServes) {
  // The standard health service is on, so Kubernetes grpc probes work.
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", h_.port()),
                                     grpc::InsecureChannelCredentials());
  // grpc.health.v1.HealthCheckRequest{} is an empty message.
  RawAnswer answer = CallRaw(channel, "/grpc.health.v1.Health/Check", "", absl::Seconds(5));
  EXPECT_TRUE(answer.status.ok()) << answer.status.error_message();
  ASSERT_EQ(answer.responses.size(), 1u);
  const std::string& bytes = answer.responses[0];
  // HealthCheckResponse{status: SERVING (1)} serialises as field 1 = 1.
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

}  // namespace
}  // namespace execgw::testing

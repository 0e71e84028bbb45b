// What a caller sees when the HTTP exchange with an upstream goes wrong:
// unreachable upstreams, redirects, bodies over the backend's size limit and
// attempts that outlast the backend's request timeout. The real gateway, a
// Polos simulator and real sockets; each test configures its own backend.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "execgw/config/v1/config.pb.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "gateway/gateway_server.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "sim/http/http_server.h"
#include "sim/polos/simulator.h"
#include "tests/integration/gateway_harness.h"
#include "tests/testing/eventually.h"
#include "tests/testing/refused_port.h"

namespace execgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kId[] = "0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a02";
constexpr char kName[] = "backends/px/executions/0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a02";

class UpstreamTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    polos_ = *polos::PolosSimulator::Start();
    setenv("EXECGW_TRANSPORT_TEST_POLOS_KEY", polos_->api_key().c_str(), 1);
    polos::NewExecution n;
    n.id = kId;
    n.payload_json = R"({"doc":"q3 report"})";
    polos_->AddExecution(std::move(n));
  }

  // Starts the gateway with one Polos backend "px" as configured by
  // `configure` (base URL: the simulator's unless it sets another).
  void StartGateway(const std::function<void(config::v1::Backend&)>& configure = nullptr) {
    config::v1::GatewayConfig config;
    config::v1::Backend* b = config.add_backends();
    b->set_name("px");
    b->mutable_polos()->set_base_url(polos_->base_url());
    b->mutable_polos()->set_project_id(polos_->project_id());
    b->mutable_polos()->mutable_api_key()->set_env("EXECGW_TRANSPORT_TEST_POLOS_KEY");
    // Quick retries: the tests measure timeouts, not backoff.
    b->mutable_resilience()->set_initial_backoff_ms(10);
    b->mutable_resilience()->set_max_backoff_ms(20);
    if (configure != nullptr) configure(*b);
    auto server = gateway::GatewayServer::Start(config, "127.0.0.1:0");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    // Connected before the test: its deadlines are for the calls.
    ASSERT_TRUE(channel_->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(10))));
    stub_ = v1::ExecutionService::NewStub(channel_);
  }

  grpc::Status Get(v1::Execution* out, absl::Duration timeout = absl::Seconds(10)) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    v1::GetExecutionRequest request;
    request.set_name(kName);
    return stub_->GetExecution(&context, request, out);
  }

  std::unique_ptr<polos::PolosSimulator> polos_;
  std::unique_ptr<gateway::GatewayServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ExecutionService::Stub> stub_;
};

// Everything the caller can read of a failed call.
std::string Shown(const grpc::Status& s) {
  return absl::StrCat(s.error_message(), "|", s.error_details());
}

TEST_F(UpstreamTransportTest, UnreachableUpstreamNamesTheBackendNeverItsAddress) {
  const RefusedPort refused;
  const std::string base_url = absl::StrCat(refused.base_url(), "/internal-prefix");
  StartGateway([&](config::v1::Backend& b) {
    b.mutable_polos()->set_base_url(base_url);
    b.mutable_resilience()->set_max_attempts(1);
  });
  v1::Execution e;
  grpc::Status s = Get(&e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("backend \"px\""));
  EXPECT_THAT(s.error_message(), HasSubstr("connection refused"));
  for (const std::string& internal :
       {std::string("127.0.0.1"), absl::StrCat(refused.port()), std::string("internal-prefix"),
        std::string("/api/v1"), std::string("http://")}) {
    EXPECT_THAT(Shown(s), Not(HasSubstr(internal)));
  }
}

TEST_F(UpstreamTransportTest, RedirectIsAConfigProblemNeitherFollowedNorRetried) {
  StartGateway();
  http::ServerResponse redirect;
  redirect.status = 302;
  redirect.headers = {{"Location", "https://10.9.8.7:6443/secret-path/api/v1/executions/x"}};
  redirect.body = "Found. Redirecting to https://10.9.8.7:6443/secret-path/api/v1/executions/x";
  // Once only: a retry would get the real answer.
  polos_->faults().Add("get", redirect, 1);
  v1::Execution e;
  grpc::Status s = Get(&e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  ErrorDetails details = DetailsOf(s);
  EXPECT_EQ(details.error_info.reason(), "UPSTREAM_REDIRECT");
  EXPECT_EQ(details.error_info.metadata().at("backend"), "px");
  EXPECT_EQ(details.error_info.metadata().at("http_status"), "302");
  EXPECT_FALSE(details.has_retry_info);
  EXPECT_THAT(s.error_message(), HasSubstr("redirect"));
  EXPECT_THAT(s.error_message(), HasSubstr("baseUrl"));
  EXPECT_THAT(Shown(s), Not(HasSubstr("10.9.8.7")));
  EXPECT_THAT(Shown(s), Not(HasSubstr("secret-path")));
  EXPECT_EQ(polos_->request_count("get"), 1);
}

TEST_F(UpstreamTransportTest, BodyOverTheBackendsLimitIsRefusedWithoutRetryAdvice) {
  StartGateway([](config::v1::Backend& b) { b.set_max_response_bytes(64 << 10); });
  const std::string big_id = "0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a03";
  polos::NewExecution n;
  n.id = big_id;
  n.payload_json = absl::StrCat(R"({"blob":")", std::string(100 << 10, 'x'), R"("})");
  polos_->AddExecution(std::move(n));

  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::GetExecutionRequest request;
  request.set_name(absl::StrCat("backends/px/executions/", big_id));
  v1::Execution e;
  grpc::Status s = stub_->GetExecution(&context, request, &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  ErrorDetails details = DetailsOf(s);
  EXPECT_EQ(details.error_info.reason(), "UPSTREAM_RESPONSE_TOO_LARGE");
  EXPECT_EQ(details.error_info.metadata().at("backend"), "px");
  EXPECT_EQ(details.error_info.metadata().at("limit_bytes"), "65536");
  // RetryInfo would tell clients to retry what fails the same way again.
  EXPECT_FALSE(details.has_retry_info);
  EXPECT_THAT(s.error_message(), HasSubstr("maxResponseBytes"));
  EXPECT_THAT(Shown(s), Not(HasSubstr("127.0.0.1")));
  // Not retried by the gateway either.
  EXPECT_EQ(polos_->request_count("get"), 1);

  // The small execution is within the limit.
  EXPECT_TRUE(Get(&e).ok());
}

TEST_F(UpstreamTransportTest, AttemptOverTheRequestTimeoutIsRetriedWithinTheDeadline) {
  StartGateway([](config::v1::Backend& b) { b.set_request_timeout_ms(300); });
  http::ServerResponse slow;
  slow.status = 0;  // the real answer, late
  slow.delay = absl::Seconds(2);
  polos_->faults().Add("get", slow, 1);
  const absl::Time start = absl::Now();
  v1::Execution e;
  grpc::Status s = Get(&e, absl::Seconds(10));
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(e.name(), kName);
  EXPECT_EQ(polos_->request_count("get"), 2);
  EXPECT_GE(took, absl::Milliseconds(290));
  EXPECT_LT(took, absl::Milliseconds(1500));
}

TEST_F(UpstreamTransportTest, EveryAttemptTooSlowEndsAfterTheLastAttemptNotAtTheDeadline) {
  StartGateway([](config::v1::Backend& b) { b.set_request_timeout_ms(200); });
  http::ServerResponse slow;
  slow.status = 0;
  slow.delay = absl::Seconds(3);
  polos_->faults().Add("get", slow, -1);
  const absl::Time start = absl::Now();
  v1::Execution e;
  grpc::Status s = Get(&e, absl::Seconds(10));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_EQ(DetailsOf(s).error_info.reason(), "UPSTREAM_TIMEOUT");
  EXPECT_THAT(s.error_message(), HasSubstr("request timeout"));
  EXPECT_EQ(polos_->request_count("get"), 3);  // maxAttempts
  EXPECT_GE(took, absl::Milliseconds(590));
  EXPECT_LT(took, absl::Seconds(3));
}

TEST_F(UpstreamTransportTest, CallerDeadlineStillEndsTheLastAttempt) {
  StartGateway([](config::v1::Backend& b) { b.set_request_timeout_ms(5000); });
  http::ServerResponse slow;
  slow.status = 0;
  slow.delay = absl::Seconds(3);
  polos_->faults().Add("get", slow, -1);
  const absl::Time start = absl::Now();
  v1::Execution e;
  grpc::Status s = Get(&e, absl::Milliseconds(400));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_LT(took, absl::Milliseconds(1200));
  EXPECT_EQ(polos_->request_count("get"), 1);
}

// An upstream that takes connections and never answers opens the circuit
// even though every caller's deadline (500 ms) is far shorter than the
// request timeout (30 s): each attempt was unanswered past slowRequestMs
// when the deadline ended it. Callers after that fail fast instead of each
// waiting out its deadline.
TEST_F(UpstreamTransportTest, AHungUpstreamOpensTheCircuitForCallersWithShortDeadlines) {
  const SilentPort hung;
  StartGateway([&](config::v1::Backend& b) {
    b.mutable_polos()->set_base_url(hung.base_url());
    b.mutable_resilience()->set_slow_request_ms(200);
    b.mutable_resilience()->set_breaker_failure_threshold(2);
  });
  v1::Execution e;
  for (int i = 0; i < 2; ++i) {
    const grpc::Status s = Get(&e, absl::Milliseconds(500));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  }
  // The last attempt's end reaches the breaker after the caller's deadline
  // has ended the call; the backend's health says when it has.
  auto health = grpc::health::v1::Health::NewStub(channel_);
  ASSERT_TRUE(Eventually([&] {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("execgw.backend.px");
    grpc::health::v1::HealthCheckResponse response;
    return health->Check(&context, request, &response).ok() &&
           response.status() == grpc::health::v1::HealthCheckResponse::NOT_SERVING;
  }));
  const absl::Time start = absl::Now();
  const grpc::Status s = Get(&e, absl::Milliseconds(3000));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_THAT(Shown(s), HasSubstr("CIRCUIT_OPEN"));
  EXPECT_LT(took, absl::Milliseconds(400));
}

}  // namespace
}  // namespace execgw::testing

// The gateway's listeners end to end: grpc.health.v1 (every name, backend
// health following the circuit breaker, Watch), the plaintext probe
// listener, reflection as a generic tool walks it, the drain, message size
// limits, connection age, and TLS / mutual TLS from files that rotate.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"
#include "tests/integration/pki.h"

namespace execgw {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using testing::GatewayHarness;
using testing::Pki;
using testing::Shell;
using testing::TlsTo;

bool Eventually(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return done();
}

std::shared_ptr<grpc::Channel> Plaintext(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

grpc::Status Check(Health::Stub& health, const std::string& service, HealthCheckResponse* out) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  HealthCheckRequest request;
  request.set_service(service);
  return health.Check(&context, request, out);
}

HealthCheckResponse::ServingStatus StatusOf(Health::Stub& health, const std::string& service) {
  HealthCheckResponse response;
  const grpc::Status s = Check(health, service, &response);
  EXPECT_TRUE(s.ok()) << service << ": " << s.error_message();
  return response.status();
}

// A Health.Watch call, read on its own thread.
class HealthWatch {
 public:
  HealthWatch(Health::Stub& health, const std::string& service) {
    HealthCheckRequest request;
    request.set_service(service);
    reader_ = health.Watch(&context_, request);
    thread_ = std::thread([this] {
      HealthCheckResponse response;
      while (reader_->Read(&response)) {
        absl::MutexLock lock(&mu_);
        seen_.push_back(response.status());
      }
      grpc::Status end = reader_->Finish();
      absl::MutexLock lock(&mu_);
      end_ = end;
    });
  }
  ~HealthWatch() {
    context_.TryCancel();
    thread_.join();
  }
  std::vector<HealthCheckResponse::ServingStatus> seen() const {
    absl::MutexLock lock(&mu_);
    return seen_;
  }
  bool Saw(HealthCheckResponse::ServingStatus status) const {
    for (auto s : seen()) {
      if (s == status) return true;
    }
    return false;
  }
  std::optional<grpc::Status> end() const {
    absl::MutexLock lock(&mu_);
    return end_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader_;
  mutable absl::Mutex mu_;
  std::vector<HealthCheckResponse::ServingStatus> seen_;
  std::optional<grpc::Status> end_;
  std::thread thread_;
};

std::string PolosExecution(GatewayHarness& h) {
  polos::NewExecution n;
  n.workflow_id = "ingest";
  n.scenario.running_for = absl::Hours(1);
  return absl::StrCat("backends/", GatewayHarness::kPolos, "/executions/",
                      h.polos().AddExecution(n));
}

grpc::Status GetFrom(v1::ExecutionService::Stub& stub, const std::string& name) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::GetExecutionRequest request;
  request.set_name(name);
  v1::Execution out;
  return stub.GetExecution(&context, request, &out);
}

TEST(HealthTest, EveryNameIsServingOnceTheGatewayListensAndUnknownOnesAreNotFound) {
  GatewayHarness h;
  auto health = Health::NewStub(Plaintext(h.port()));
  for (const std::string name :
       {std::string(""), std::string("execgw.liveness"), std::string("execgw.readiness"),
        std::string("execgw.v1.ExecutionService"),
        absl::StrCat("execgw.backend.", GatewayHarness::kBlaxel),
        absl::StrCat("execgw.backend.", GatewayHarness::kPolos)}) {
    EXPECT_EQ(StatusOf(*health, name), HealthCheckResponse::SERVING) << name;
  }
  HealthCheckResponse response;
  const grpc::Status unknown = Check(*health, "execgw.backend.nope", &response);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(unknown.error_message().find("execgw.backend.nope"), std::string::npos);
  // Watch on an unknown name says so and stays open.
  HealthWatch watch(*health, "execgw.backend.nope");
  ASSERT_TRUE(Eventually([&] { return watch.Saw(HealthCheckResponse::SERVICE_UNKNOWN); }));
}

class BackendHealthTest : public ::testing::Test {
 protected:
  static GatewayHarness::Options Options() {
    GatewayHarness::Options o;
    o.resilience.set_max_attempts(1);
    o.resilience.set_breaker_failure_threshold(2);
    o.resilience.set_breaker_open_ms(300);
    o.workers = 1;
    return o;
  }
  GatewayHarness h_{Options()};
};

TEST_F(BackendHealthTest, ABackendGoesNotServingWhileItsCircuitIsOpenAndBackWhenItCloses) {
  auto health = Health::NewStub(Plaintext(h_.port()));
  const std::string polos = absl::StrCat("execgw.backend.", GatewayHarness::kPolos);
  const std::string blaxel = absl::StrCat("execgw.backend.", GatewayHarness::kBlaxel);
  HealthWatch watch(*health, polos);
  ASSERT_TRUE(Eventually([&] { return watch.Saw(HealthCheckResponse::SERVING); }));
  const std::string name = PolosExecution(h_);
  http::ServerResponse down;
  down.status = 503;
  h_.polos().faults().Add("get", down, /*times=*/-1);
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(GetFrom(h_.stub(), name).ok());
  ASSERT_TRUE(Eventually([&] { return watch.Saw(HealthCheckResponse::NOT_SERVING); }));
  EXPECT_EQ(StatusOf(*health, polos), HealthCheckResponse::NOT_SERVING);
  // The other backend and the gateway as a whole are unaffected.
  EXPECT_EQ(StatusOf(*health, blaxel), HealthCheckResponse::SERVING);
  EXPECT_EQ(StatusOf(*health, ""), HealthCheckResponse::SERVING);
  // Recovered upstream: the breaker's probe succeeds and closes it.
  h_.polos().faults().Clear();
  absl::SleepFor(absl::Milliseconds(350));
  EXPECT_TRUE(GetFrom(h_.stub(), name).ok());
  ASSERT_TRUE(Eventually([&] { return StatusOf(*health, polos) == HealthCheckResponse::SERVING; }));
  const auto seen = watch.seen();
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen[0], HealthCheckResponse::SERVING);
  EXPECT_EQ(seen[1], HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(seen[2], HealthCheckResponse::SERVING);
}

TEST(ProbeListenerTest, ServesHealthInPlaintextAndNothingElse) {
  GatewayHarness::Options o;
  o.health.set_listen("127.0.0.1:0");
  GatewayHarness h(o);
  ASSERT_NE(h.server().probe_port(), 0);
  ASSERT_NE(h.server().probe_port(), h.port());
  auto health = Health::NewStub(Plaintext(h.server().probe_port()));
  EXPECT_EQ(StatusOf(*health, "execgw.liveness"), HealthCheckResponse::SERVING);
  EXPECT_EQ(StatusOf(*health, "execgw.readiness"), HealthCheckResponse::SERVING);
  auto api = v1::ExecutionService::NewStub(Plaintext(h.server().probe_port()));
  EXPECT_EQ(GetFrom(*api, PolosExecution(h)).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST(DrainTest, HealthGoesNotServingFirstThenCallsAreRefusedAndDrainReturnsWithinTheGrace) {
  GatewayHarness::Options o;
  o.server.set_drain_delay_ms(400);
  o.server.set_drain_grace_ms(3000);
  o.health.set_listen("127.0.0.1:0");
  GatewayHarness h(o);
  auto health = Health::NewStub(Plaintext(h.server().probe_port()));
  auto api_health = Health::NewStub(Plaintext(h.port()));
  HealthWatch readiness(*api_health, "execgw.readiness");
  ASSERT_TRUE(Eventually([&] { return readiness.Saw(HealthCheckResponse::SERVING); }));
  const std::string name = PolosExecution(h);
  const absl::Time start = absl::Now();
  std::thread drain([&] { h.server().Drain(); });
  ASSERT_TRUE(Eventually([&] { return readiness.Saw(HealthCheckResponse::NOT_SERVING); }));
  // Within the delay, calls are still served, and the process is alive.
  EXPECT_EQ(StatusOf(*health, "execgw.liveness"), HealthCheckResponse::SERVING);
  EXPECT_EQ(StatusOf(*health, "execgw.readiness"), HealthCheckResponse::NOT_SERVING);
  EXPECT_TRUE(GetFrom(h.stub(), name).ok());
  drain.join();
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(400));
  EXPECT_LT(took, absl::Milliseconds(3000 + 500));
  // The health Watch stream was ended, not left to the grace.
  ASSERT_TRUE(Eventually([&] { return readiness.end().has_value(); }));
  EXPECT_FALSE(GetFrom(h.stub(), name).ok());
}

TEST(MessageSizeTest, ARequestOverMaxRequestBytesIsRefusedResourceExhausted) {
  GatewayHarness::Options o;
  o.server.set_max_request_bytes(2048);
  GatewayHarness h(o);
  grpc::ClientContext context;
  v1::CreateExecutionRequest request;
  request.set_parent(absl::StrCat("backends/", GatewayHarness::kPolos, "/workflows/ingest"));
  request.mutable_input()->set_string_value(std::string(4096, 'x'));
  v1::Execution out;
  const grpc::Status s = h.stub().CreateExecution(&context, request, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_EQ(h.polos().request_count("create"), 0);
}

TEST(ConnectionAgeTest, AWatchOnAnAgedConnectionEndsAndANewCallReconnects) {
  GatewayHarness::Options o;
  o.server.set_max_connection_age_ms(1000);
  o.server.set_max_connection_age_grace_ms(1000);
  o.watch_limits.set_heartbeat_interval_ms(100);
  GatewayHarness h(o);
  const std::string name = PolosExecution(h);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  v1::WatchExecutionRequest request;
  request.set_name(name);
  auto reader = h.stub().WatchExecution(&context, request);
  v1::WatchExecutionResponse message;
  const absl::Time start = absl::Now();
  while (reader->Read(&message)) {
  }
  const grpc::Status end = reader->Finish();
  const absl::Duration lasted = absl::Now() - start;
  // Age (1 s, with gRPC's jitter of ±10%) plus grace (1 s): well before
  // the call's own deadline.
  EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE) << end.error_message();
  EXPECT_LT(lasted, absl::Seconds(5));
  EXPECT_TRUE(GetFrom(h.stub(), name).ok());
}

// --- TLS ---

grpc::Status GetOver(int port, std::shared_ptr<grpc::ChannelCredentials> credentials,
                     const std::string& name) {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto stub = v1::ExecutionService::NewStub(
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), credentials, args));
  return GetFrom(*stub, name);
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Shell("openssl version") != 0) GTEST_SKIP() << "the openssl tool is not installed";
    ASSERT_TRUE(pki_.MakeCa("ca"));
    ASSERT_TRUE(pki_.MakeCert("ca", "server", "DNS:localhost,IP:127.0.0.1"));
    pki_.Install("server.crt", "live.crt");
    pki_.Install("server.key", "live.key");
  }

  GatewayHarness::Options TlsOptions(bool client_ca, bool require) {
    GatewayHarness::Options o;
    o.server.mutable_tls()->set_cert_file(pki_.Path("live.crt"));
    o.server.mutable_tls()->set_key_file(pki_.Path("live.key"));
    if (client_ca) o.server.mutable_tls()->set_client_ca_file(pki_.Path("ca.crt"));
    o.server.mutable_tls()->set_require_client_cert(require);
    o.server.mutable_tls()->set_reload_interval_ms(1000);
    return o;
  }

  Pki pki_;
};

TEST_F(TlsTest, TheListenerSpeaksTlsOnlyAndPicksUpARotatedCertificate) {
  GatewayHarness h(TlsOptions(false, false));
  const std::string name = PolosExecution(h);
  EXPECT_TRUE(GetOver(h.port(), TlsTo(pki_, "ca"), name).ok());
  EXPECT_EQ(GetFrom(*v1::ExecutionService::NewStub(Plaintext(h.port())), name).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A new CA signs the next certificate; the files are replaced in place.
  ASSERT_TRUE(pki_.MakeCa("ca2"));
  ASSERT_TRUE(pki_.MakeCert("ca2", "server2", "DNS:localhost,IP:127.0.0.1"));
  pki_.Install("server2.key", "live.key");
  pki_.Install("server2.crt", "live.crt");
  ASSERT_TRUE(Eventually([&] { return GetOver(h.port(), TlsTo(pki_, "ca2"), name).ok(); },
                         absl::Seconds(15)))
      << "the rotated certificate was not picked up";
  EXPECT_FALSE(GetOver(h.port(), TlsTo(pki_, "ca"), name).ok());
}

TEST_F(TlsTest, MutualTlsRequiredRefusesAClientWithoutACertificate) {
  ASSERT_TRUE(pki_.MakeCert("ca", "client", "URI:spiffe://example.org/ns/apps/sa/billing"));
  ASSERT_TRUE(pki_.MakeCa("other"));
  ASSERT_TRUE(pki_.MakeCert("other", "stranger", "URI:spiffe://example.org/ns/apps/sa/x"));
  GatewayHarness h(TlsOptions(true, true));
  const std::string name = PolosExecution(h);
  EXPECT_TRUE(GetOver(h.port(), TlsTo(pki_, "ca", "client"), name).ok());
  EXPECT_FALSE(GetOver(h.port(), TlsTo(pki_, "ca"), name).ok());
  EXPECT_FALSE(GetOver(h.port(), TlsTo(pki_, "ca", "stranger"), name).ok());
}

// --- reflection, as a generic tool walks it ---

TEST(ReflectionTest, AGenericToolListsEveryMethodOfEveryListedService) {
  const std::string buf = EXECGW_BUF_PATH;
  if (Shell(buf + " --version") != 0) {
    GTEST_SKIP() << "buf is not installed at " << buf << " (scripts/setup.sh installs it)";
  }
  GatewayHarness h;
  const std::string out_file = absl::StrCat("/tmp/execgw-reflection-", getpid(), ".txt");
  const int code = std::system(absl::StrCat(buf,
                                            " curl --protocol grpc --http2-prior-knowledge "
                                            "--list-methods http://127.0.0.1:",
                                            h.port(), " >", out_file, " 2>&1")
                                   .c_str());
  std::ifstream in(out_file);
  const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(out_file.c_str());
  EXPECT_EQ(code, 0) << out;
  for (const char* method :
       {"execgw.v1.ExecutionService/GetExecution", "execgw.v1.ExecutionService/WatchExecution",
        "grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch"}) {
    EXPECT_NE(out.find(method), std::string::npos) << method << " not in:\n" << out;
  }
}

}  // namespace
}  // namespace execgw

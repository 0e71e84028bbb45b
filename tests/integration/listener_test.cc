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

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"
#include "tests/integration/pki.h"
#include "tests/testing/eventually.h"

namespace execgw {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using testing::GatewayHarness;
using testing::Pki;
using testing::Shell;
using testing::TlsTo;

using testing::Eventually;

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
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(testing::GetExecutionStatus(h_.stub(), name).ok());
  ASSERT_TRUE(Eventually([&] { return watch.Saw(HealthCheckResponse::NOT_SERVING); }));
  EXPECT_EQ(StatusOf(*health, polos), HealthCheckResponse::NOT_SERVING);
  // The other backend and the gateway as a whole are unaffected.
  EXPECT_EQ(StatusOf(*health, blaxel), HealthCheckResponse::SERVING);
  EXPECT_EQ(StatusOf(*health, ""), HealthCheckResponse::SERVING);
  // Recovered upstream: the breaker's probe succeeds and closes it.
  h_.polos().faults().Clear();
  absl::SleepFor(absl::Milliseconds(350));
  EXPECT_TRUE(testing::GetExecutionStatus(h_.stub(), name).ok());
  ASSERT_TRUE(Eventually([&] { return StatusOf(*health, polos) == HealthCheckResponse::SERVING; }));
  // The watch's stream delivers the change on its own schedule, after or before the unary check.
  ASSERT_TRUE(Eventually([&] { return watch.seen().size() >= 3; }));
  const auto seen = watch.seen();
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
  EXPECT_EQ(testing::GetExecutionStatus(*api, PolosExecution(h)).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST(DrainTest, HealthGoesNotServingFirstThenCallsAreRefusedAndDrainReturnsWithinTheGrace) {
  GatewayHarness::Options o;
  o.server.set_drain_delay_ms(1000);
  o.server.set_drain_grace_ms(3000);
  o.health.set_listen("127.0.0.1:0");
  GatewayHarness h(o);
  auto health = Health::NewStub(Plaintext(h.server().probe_port()));
  auto api_health = Health::NewStub(Plaintext(h.port()));
  HealthWatch readiness(*api_health, "execgw.readiness");
  ASSERT_TRUE(Eventually([&] { return readiness.Saw(HealthCheckResponse::SERVING); }));
  const std::string name = PolosExecution(h);
  // Connected before the delay starts: what runs inside it is the calls, not
  // the first connections of two channels and of the gateway to the upstream.
  ASSERT_EQ(StatusOf(*health, "execgw.liveness"), HealthCheckResponse::SERVING);
  ASSERT_TRUE(testing::GetExecutionStatus(h.stub(), name).ok());
  const absl::Time start = absl::Now();
  std::thread drain([&] { h.server().Drain(); });
  ASSERT_TRUE(Eventually([&] { return readiness.Saw(HealthCheckResponse::NOT_SERVING); }));
  // Within the delay, calls are still served, and the process is alive.
  EXPECT_EQ(StatusOf(*health, "execgw.liveness"), HealthCheckResponse::SERVING);
  EXPECT_EQ(StatusOf(*health, "execgw.readiness"), HealthCheckResponse::NOT_SERVING);
  EXPECT_TRUE(testing::GetExecutionStatus(h.stub(), name).ok());
  drain.join();
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(1000));
  EXPECT_LT(took, absl::Milliseconds(3000 + 500));
  // The health Watch stream was ended, not left to the grace.
  ASSERT_TRUE(Eventually([&] { return readiness.end().has_value(); }));
  EXPECT_FALSE(testing::GetExecutionStatus(h.stub(), name).ok());
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
  EXPECT_TRUE(testing::GetExecutionStatus(h.stub(), name).ok());
}

// A client whose keepalive pings come faster than
// server.minClientPingIntervalMs allows is sent away (GOAWAY
// too_many_pings, after two strikes), ending its calls UNAVAILABLE; one
// that pings within the limit keeps its stream.
TEST(KeepaliveTest, AClientPingingTooOftenIsSentAwayAndAPoliteOneIsNot) {
  GatewayHarness::Options o;
  o.server.set_min_client_ping_interval_ms(5000);
  GatewayHarness h(o);
  auto pinging_every = [&](int ms) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, ms);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    // Pings without data frames between them, as many as the client likes.
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    // gRPC 1.51's client otherwise spaces pings without data 5 minutes
    // apart whatever its keepalive time.
    args.SetInt(GRPC_ARG_HTTP2_MIN_SENT_PING_INTERVAL_WITHOUT_DATA_MS, ms);
    return Health::NewStub(grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", h.port()),
                                                     grpc::InsecureChannelCredentials(), args));
  };
  // gRPC's client sends keepalive pings about a second apart at the
  // fastest, whatever it is configured with.
  auto rude = pinging_every(1000);
  auto polite = pinging_every(6000);
  const absl::Time start = absl::Now();
  HealthWatch rude_watch(*rude, "execgw.liveness");
  HealthWatch polite_watch(*polite, "execgw.liveness");
  ASSERT_TRUE(Eventually([&] { return rude_watch.end().has_value(); }, absl::Seconds(15)));
  EXPECT_EQ(rude_watch.end()->error_code(), grpc::StatusCode::UNAVAILABLE)
      << rude_watch.end()->error_message();
  // The polite client has pinged by now, and is still served.
  absl::SleepFor(absl::Seconds(8) - (absl::Now() - start));
  EXPECT_TRUE(polite_watch.Saw(HealthCheckResponse::SERVING));
  EXPECT_FALSE(polite_watch.end().has_value()) << polite_watch.end()->error_message();
}

// A response over server.maxResponseBytes is not sent: the caller gets
// RESOURCE_EXHAUSTED, and a small one still goes through.
TEST(MessageSizeTest, AResponseOverMaxResponseBytesIsRefusedResourceExhausted) {
  GatewayHarness::Options o;
  o.server.set_max_response_bytes(4096);
  GatewayHarness h(o);
  polos::NewExecution big;
  big.workflow_id = "ingest";
  big.payload_json = absl::StrCat("\"", std::string(8192, 'x'), "\"");
  const std::string big_name = absl::StrCat("backends/", GatewayHarness::kPolos, "/executions/",
                                            h.polos().AddExecution(big));
  const grpc::Status s = testing::GetExecutionStatus(h.stub(), big_name);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_TRUE(testing::GetExecutionStatus(h.stub(), PolosExecution(h)).ok());
}

// --- TLS ---

grpc::Status GetOver(int port, std::shared_ptr<grpc::ChannelCredentials> credentials,
                     const std::string& name) {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto stub = v1::ExecutionService::NewStub(
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), credentials, args));
  return testing::GetExecutionStatus(*stub, name);
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
  EXPECT_EQ(testing::GetExecutionStatus(*v1::ExecutionService::NewStub(Plaintext(h.port())), name)
                .error_code(),
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

// The files server reflection answers for `file_containing_symbol`
// `symbol`, as a generic tool asks (grpc.reflection.v1alpha, spoken on the
// wire here: Debian ships no client for it). Empty when it answers none.
std::vector<google::protobuf::FileDescriptorProto> ReflectFilesFor(int port,
                                                                   const std::string& symbol) {
  std::vector<google::protobuf::FileDescriptorProto> files;
  // ServerReflectionRequest { file_containing_symbol (4) }
  std::string request;
  {
    google::protobuf::io::StringOutputStream out(&request);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.WriteTag((4 << 3) | 2);
    coded.WriteVarint32(static_cast<uint32_t>(symbol.size()));
    coded.WriteString(symbol);
  }
  grpc::GenericStub stub(Plaintext(port));
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  auto step = [&](int id) {
    return cq.Next(&tag, &ok) && ok && tag == reinterpret_cast<void*>(id);
  };
  call->StartCall(reinterpret_cast<void*>(1));
  if (!step(1)) return files;
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, grpc::WriteOptions().set_last_message(), reinterpret_cast<void*>(2));
  if (!step(2)) return files;
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(3));
  if (step(3)) {
    std::vector<grpc::Slice> slices;
    (void)in.Dump(&slices);
    std::string bytes;
    for (const auto& sl : slices)
      bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
    // ServerReflectionResponse { file_descriptor_response (4) {
    //   repeated bytes file_descriptor_proto (1) } }
    google::protobuf::UnknownFieldSet response;
    if (response.ParseFromString(bytes)) {
      for (int i = 0; i < response.field_count(); ++i) {
        if (response.field(i).number() != 4) continue;
        google::protobuf::UnknownFieldSet fd_response;
        if (!fd_response.ParseFromString(response.field(i).length_delimited())) continue;
        for (int j = 0; j < fd_response.field_count(); ++j) {
          google::protobuf::FileDescriptorProto file;
          if (fd_response.field(j).number() == 1 &&
              file.ParseFromString(fd_response.field(j).length_delimited())) {
            files.push_back(std::move(file));
          }
        }
      }
    }
  }
  context.TryCancel();
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(4)) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return files;
}

// The detail types of the gateway's errors resolve through reflection, so
// a tool that decodes Any from the server's schema can show ErrorInfo,
// RetryInfo and BadRequest instead of their bytes. (buf curl 1.47 cannot:
// it decodes details only from the types compiled into it.)
TEST(ReflectionTest, TheErrorDetailTypesResolve) {
  GatewayHarness h;
  for (const char* type :
       {"google.rpc.ErrorInfo", "google.rpc.RetryInfo", "google.rpc.BadRequest"}) {
    const std::vector<google::protobuf::FileDescriptorProto> files =
        ReflectFilesFor(h.port(), type);
    bool found = false;
    for (const auto& file : files) {
      if (file.package() != "google.rpc") continue;
      for (const auto& message : file.message_type()) {
        if (absl::StrCat("google.rpc.", message.name()) == type) found = true;
      }
    }
    EXPECT_TRUE(found) << type << " is not in the " << files.size()
                       << " file(s) reflection answered";
  }
  // An unknown symbol resolves to nothing.
  EXPECT_TRUE(ReflectFilesFor(h.port(), "google.rpc.NoSuchType").empty());
}

}  // namespace
}  // namespace execgw

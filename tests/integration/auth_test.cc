// Caller authentication and authorization end to end: bearer tokens
// checked against salted hashes, mutual-TLS identities (SPIFFE URI, DNS
// name), grants by backend and method, the watch limit per caller, and
// errors that carry ErrorInfo and never the token.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway/caller_auth.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"
#include "tests/integration/pki.h"
#include "tests/testing/suite_secrets.h"

namespace execgw {
namespace {

using testing::DetailsOf;
using testing::GatewayHarness;

using ::execgw::testing::kPolosOnlyToken;
using ::execgw::testing::kReaderToken;
using ::execgw::testing::kWriterToken;

void AddToken(config::v1::Auth& auth, const std::string& name, const std::string& token,
              std::initializer_list<const char*> backends,
              std::initializer_list<const char*> methods) {
  auto* t = auth.add_tokens();
  t->set_name(name);
  t->set_hash(gateway::HashToken(token));
  for (const char* b : backends) t->mutable_allow()->add_backends(b);
  for (const char* m : methods) t->mutable_allow()->add_methods(m);
}

GatewayHarness::Options TokenOptions() {
  GatewayHarness::Options o;
  AddToken(o.auth, "dashboard", kReaderToken, {"*"}, {"read"});
  AddToken(o.auth, "scheduler", kWriterToken, {"*"}, {"*"});
  AddToken(o.auth, "polos-app", kPolosOnlyToken, {GatewayHarness::kPolos},
           {"GetExecution", "CreateExecution"});
  o.watch_limits.set_max_watches_per_caller(1);
  return o;
}

class AuthTest : public ::testing::Test {
 protected:
  std::string PolosExecution() {
    polos::NewExecution n;
    n.workflow_id = "ingest";
    n.scenario.running_for = absl::Hours(1);
    return absl::StrCat("backends/", GatewayHarness::kPolos, "/executions/",
                        h_.polos().AddExecution(n));
  }

  grpc::Status Get(const std::string& name, const std::string& token) {
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::GetExecutionRequest request;
    request.set_name(name);
    v1::Execution out;
    return h_.stub().GetExecution(&context, request, &out);
  }

  grpc::Status Cancel(const std::string& name, const std::string& token) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::CancelExecutionRequest request;
    request.set_name(name);
    v1::Execution out;
    return h_.stub().CancelExecution(&context, request, &out);
  }

  GatewayHarness h_{TokenOptions()};
};

// Neither the error's message nor its details may carry a token.
void ExpectNoToken(const grpc::Status& s) {
  for (const char* token : {kReaderToken, kWriterToken, kPolosOnlyToken}) {
    EXPECT_EQ(s.error_message().find(token), std::string::npos);
    EXPECT_EQ(s.error_details().find(token), std::string::npos);
  }
}

TEST_F(AuthTest, ACallWithoutAKnownTokenIsUnauthenticatedAndNeverReachesTheUpstream) {
  const std::string name = PolosExecution();
  const int before = h_.polos().request_count("get");
  for (const std::string token :
       {std::string(""), std::string("not-a-known-token-at-all"),
        std::string(kReaderToken).substr(0, 10), std::string(kReaderToken) + "x"}) {
    const grpc::Status s = Get(name, token);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << token;
    EXPECT_EQ(DetailsOf(s).error_info.reason(), "CALLER_UNAUTHENTICATED") << token;
    ExpectNoToken(s);
  }
  // Not a bearer token at all.
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Basic dXNlcjpwYXNz");
  v1::GetExecutionRequest request;
  request.set_name(name);
  v1::Execution out;
  EXPECT_EQ(h_.stub().GetExecution(&context, request, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(h_.polos().request_count("get"), before);
}

TEST_F(AuthTest, AnUnauthenticatedCallLearnsNothingAboutItsRequest) {
  // A malformed name would be INVALID_ARGUMENT for a known caller.
  const grpc::Status s = Get("backends/nope", "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message().find("nope"), std::string::npos);
}

TEST_F(AuthTest, EachCallerMayCallOnlyTheMethodsAndBackendsItIsGranted) {
  const std::string name = PolosExecution();
  EXPECT_TRUE(Get(name, kReaderToken).ok());
  EXPECT_TRUE(Get(name, kPolosOnlyToken).ok());
  // Read-only: no cancel.
  grpc::Status denied = Cancel(name, kReaderToken);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  auto details = DetailsOf(denied);
  EXPECT_EQ(details.error_info.reason(), "CALLER_NOT_ALLOWED");
  EXPECT_EQ(details.error_info.metadata().at("caller"), "dashboard");
  EXPECT_EQ(details.error_info.metadata().at("method"), "CancelExecution");
  EXPECT_EQ(details.error_info.metadata().at("backend"), GatewayHarness::kPolos);
  ExpectNoToken(denied);
  EXPECT_EQ(h_.polos().request_count("cancel"), 0);
  // Polos only, and not cancel.
  const std::string blaxel =
      absl::StrCat("backends/", GatewayHarness::kBlaxel, "/jobs/etl/executions/exec-1");
  EXPECT_EQ(Get(blaxel, kPolosOnlyToken).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Cancel(name, kPolosOnlyToken).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Everything.
  EXPECT_TRUE(Cancel(name, kWriterToken).ok());
  EXPECT_EQ(h_.polos().request_count("cancel"), 1);
}

TEST_F(AuthTest, TheWatchLimitCountsTheAuthenticatedCallerWhereverItConnectsFrom) {
  const std::string name = PolosExecution();
  auto watch = [&](grpc::ClientContext& context, const std::string& token) {
    context.AddMetadata("authorization", "Bearer " + token);
    v1::WatchExecutionRequest request;
    request.set_name(name);
    auto reader = h_.stub().WatchExecution(&context, request);
    v1::WatchExecutionResponse first;
    return std::make_pair(reader->Read(&first), std::move(reader));
  };
  grpc::ClientContext a;
  auto [a_open, a_reader] = watch(a, kReaderToken);
  ASSERT_TRUE(a_open);
  // The same caller on another connection: over its limit of 1.
  auto other = v1::ExecutionService::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", h_.port()), grpc::InsecureChannelCredentials(), [] {
        grpc::ChannelArguments args;
        args.SetInt("execgw.test.separate", 1);
        return args;
      }()));
  grpc::ClientContext b;
  b.AddMetadata("authorization", std::string("Bearer ") + kReaderToken);
  v1::WatchExecutionRequest request;
  request.set_name(name);
  auto b_reader = other->WatchExecution(&b, request);
  v1::WatchExecutionResponse message;
  EXPECT_FALSE(b_reader->Read(&message));
  const grpc::Status refused = b_reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Another caller from the same address is not held back.
  grpc::ClientContext c;
  auto [c_open, c_reader] = watch(c, kWriterToken);
  EXPECT_TRUE(c_open);
  a.TryCancel();
  c.TryCancel();
  a_reader->Finish();
  c_reader->Finish();
}

TEST(AuthTokensFileTest, TokensFromTheFileAuthenticateAndABadFileStopsTheStart) {
  const std::string path = absl::StrCat("/tmp/execgw-tokens-", getpid(), ".json");
  {
    std::ofstream out(path);
    out << "{\"tokens\": [{\"name\": \"from-file\", \"hash\": \""
        << gateway::HashToken(kWriterToken)
        << "\", \"allow\": {\"backends\": [\"*\"], \"methods\": [\"read\"]}}]}";
  }
  {
    GatewayHarness::Options o;
    o.auth.set_tokens_file(path);
    GatewayHarness h(o);
    polos::NewExecution n;
    n.workflow_id = "ingest";
    const std::string name = absl::StrCat("backends/", GatewayHarness::kPolos, "/executions/",
                                          h.polos().AddExecution(n));
    for (const char* token : {kWriterToken, kReaderToken}) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", std::string("Bearer ") + token);
      v1::GetExecutionRequest request;
      request.set_name(name);
      v1::Execution out;
      const grpc::Status s = h.stub().GetExecution(&context, request, &out);
      if (token == kWriterToken) {
        EXPECT_TRUE(s.ok()) << s.error_message();
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
      }
    }
  }
  std::ofstream(path) << "{\"tokens\": [{\"name\": 1}]";
  config::v1::Auth auth;
  auth.set_tokens_file(path);
  auto bad = gateway::CallerAuth::FromConfig(auth, {"bx"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("auth.tokensFile"), std::string::npos);
  std::remove(path.c_str());
  EXPECT_EQ(gateway::CallerAuth::FromConfig(auth, {"bx"}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(AuthConfigTest, BadEntriesAreRefusedNamingTheField) {
  const std::vector<std::string> backends = {"bx", "px"};
  config::v1::Auth auth;
  auto* t = auth.add_tokens();
  t->set_name("x");
  t->set_hash("sha256:zz:00");
  auto s = gateway::CallerAuth::FromConfig(auth, backends);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("auth.tokens[0].hash"), std::string::npos);
  t->set_hash(gateway::HashToken("0123456789abcdef"));
  t->mutable_allow()->add_backends("nope");
  s = gateway::CallerAuth::FromConfig(auth, backends);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("auth.tokens[0].allow.backends[0]"), std::string::npos);
  t->mutable_allow()->set_backends(0, "px");
  t->mutable_allow()->add_methods("Delete");
  s = gateway::CallerAuth::FromConfig(auth, backends);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("auth.tokens[0].allow.methods[0]"), std::string::npos);
  t->mutable_allow()->set_methods(0, "read");
  EXPECT_TRUE(gateway::CallerAuth::FromConfig(auth, backends).ok());
  auto* id = auth.add_identities();
  id->set_name("billing");
  s = gateway::CallerAuth::FromConfig(auth, backends);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("auth.identities[0]"), std::string::npos);
  id->set_spiffe_id("http://not-spiffe");
  EXPECT_FALSE(gateway::CallerAuth::FromConfig(auth, backends).ok());
  EXPECT_FALSE(gateway::CallerAuth::FromConfig(config::v1::Auth(), backends).ok());
}

// --- mutual TLS identities ---

class MtlsAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::Shell("openssl version") != 0) GTEST_SKIP() << "the openssl tool is missing";
    ASSERT_TRUE(pki_.MakeCa("ca"));
    ASSERT_TRUE(pki_.MakeCert("ca", "server", "DNS:localhost,IP:127.0.0.1"));
    ASSERT_TRUE(pki_.MakeCert("ca", "billing", "URI:spiffe://example.org/ns/apps/sa/billing"));
    ASSERT_TRUE(pki_.MakeCert("ca", "reports", "DNS:reports.apps.svc"));
    ASSERT_TRUE(pki_.MakeCert("ca", "stranger", "URI:spiffe://example.org/ns/apps/sa/other"));
    GatewayHarness::Options o;
    o.server.mutable_tls()->set_cert_file(pki_.Path("server.crt"));
    o.server.mutable_tls()->set_key_file(pki_.Path("server.key"));
    o.server.mutable_tls()->set_client_ca_file(pki_.Path("ca.crt"));
    auto* billing = o.auth.add_identities();
    billing->set_name("billing");
    billing->set_spiffe_id("spiffe://example.org/ns/apps/sa/billing");
    billing->mutable_allow()->add_backends("*");
    billing->mutable_allow()->add_methods("*");
    auto* reports = o.auth.add_identities();
    reports->set_name("reports");
    reports->set_dns_name("reports.apps.svc");
    reports->mutable_allow()->add_backends(GatewayHarness::kBlaxel);
    reports->mutable_allow()->add_methods("read");
    o.channel_credentials = testing::TlsTo(pki_, "ca", "billing");
    h_ = std::make_unique<GatewayHarness>(o);
  }

  grpc::Status GetAs(const std::string& client, const std::string& name) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto stub = v1::ExecutionService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", h_->port()),
        client.empty() ? testing::TlsTo(pki_, "ca") : testing::TlsTo(pki_, "ca", client), args));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::GetExecutionRequest request;
    request.set_name(name);
    v1::Execution out;
    return stub->GetExecution(&context, request, &out);
  }

  testing::Pki pki_;
  std::unique_ptr<GatewayHarness> h_;
};

TEST_F(MtlsAuthTest, AClientCertificatesSpiffeIdOrDnsNameIsItsIdentity) {
  polos::NewExecution n;
  n.workflow_id = "ingest";
  const std::string name = absl::StrCat("backends/", GatewayHarness::kPolos, "/executions/",
                                        h_->polos().AddExecution(n));
  EXPECT_TRUE(GetAs("billing", name).ok());
  // reports may read Blaxel only.
  const grpc::Status denied = GetAs("reports", name);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED) << denied.error_message();
  EXPECT_EQ(testing::DetailsOf(denied).error_info.metadata().at("caller"), "reports");
  // A certificate from the right CA with an identity nobody granted, and
  // no certificate at all.
  EXPECT_EQ(GetAs("stranger", name).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetAs("", name).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace execgw

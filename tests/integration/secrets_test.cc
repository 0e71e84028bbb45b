// No secret in anything the gateway says: every byte the process writes to
// stderr and stdout while a gateway serves calls that go wrong in every way
// that involves a credential (rejected upstream keys, unknown and partial
// caller tokens, another credential sent as a caller token or as a
// resource name), and every answer's message and details, are searched for the suite's own secrets
// in every encoding they could leak in.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gateway/caller_auth.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"
#include "tests/testing/suite_secrets.h"

namespace execgw {
namespace {

using testing::GatewayHarness;

constexpr const char* kBlaxelKey = ::execgw::testing::kSecretsTestBlaxelKey;
constexpr const char* kPolosKey = ::execgw::testing::kSecretsTestPolosKey;
constexpr const char* kCallerToken = ::execgw::testing::kSecretsTestCallerToken;

// Redirects the process's stdout and stderr to a file while alive.
class CapturedOutput {
 public:
  CapturedOutput() {
    path_ = absl::StrCat("/tmp/execgw-secrets-", getpid(), ".log");
    fflush(stdout);
    fflush(stderr);
    saved_out_ = dup(1);
    saved_err_ = dup(2);
    const int fd = open(path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  // Restores the streams and returns what was written.
  std::string Stop() {
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out_, 1);
    dup2(saved_err_, 2);
    close(saved_out_);
    close(saved_err_);
    std::ifstream in(path_);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::remove(path_.c_str());
    return text;
  }

 private:
  std::string path_;
  int saved_out_ = -1;
  int saved_err_ = -1;
};

TEST(SecretsTest, NoSecretInAnyOutputOrAnswerWhenCredentialsGoWrong) {
  std::string said;
  std::string answers;
  std::vector<std::string> upstream_urls;
  CapturedOutput output;
  {
    GatewayHarness::Options o;
    // The upstreams reject these keys: every call sends them and fails.
    o.blaxel_key_override = kBlaxelKey;
    o.polos_key_override = kPolosKey;
    o.resilience.set_max_attempts(2);
    o.resilience.set_breaker_failure_threshold(3);
    o.watch.set_min_poll_interval_ms(20);
    o.watch.set_max_poll_interval_ms(20);
    auto* t = o.auth.add_tokens();
    t->set_name("suite");
    t->set_hash(gateway::HashToken(kCallerToken));
    t->mutable_allow()->add_backends("*");
    t->mutable_allow()->add_methods("*");
    GatewayHarness h(o);
    upstream_urls = {h.blaxel().base_url(), h.polos().base_url()};
    auto record = [&](const grpc::Status& s) {
      absl::StrAppend(&answers, s.error_message(), "\n", s.error_details(), "\n");
    };
    const std::string polos_name = absl::StrCat("backends/", GatewayHarness::kPolos,
                                                "/executions/6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60");
    const std::string blaxel_name =
        absl::StrCat("backends/", GatewayHarness::kBlaxel, "/jobs/etl/executions/exec-1");
    for (const std::string token :
         {std::string(kCallerToken), std::string(kCallerToken).substr(0, 20),
          std::string(kCallerToken) + "!", std::string(kPolosKey), std::string("")}) {
      for (const std::string& name : {polos_name, blaxel_name}) {
        grpc::ClientContext context;
        if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
        context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
        v1::GetExecutionRequest request;
        request.set_name(name);
        v1::Execution out;
        record(h.stub().GetExecution(&context, request, &out));
      }
      grpc::ClientContext context;
      if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      v1::CreateExecutionRequest create;
      create.set_parent(absl::StrCat("backends/", GatewayHarness::kPolos, "/workflows/ingest"));
      create.mutable_input()->set_string_value(kPolosKey);
      v1::Execution out;
      record(h.stub().CreateExecution(&context, create, &out));
    }
    // A caller that sends an upstream credential as a resource name (a
    // pasted wrong value): the gateway's answer and log line must not
    // repeat it, whether or not the name parses.
    const std::string blaxel_parent =
        absl::StrCat("backends/", GatewayHarness::kBlaxel, "/jobs/etl/executions/");
    const std::string polos_parent =
        absl::StrCat("backends/", GatewayHarness::kPolos, "/executions/");
    for (const std::string& name :
         {std::string(kBlaxelKey), blaxel_parent + kBlaxelKey, polos_parent + kPolosKey,
          blaxel_parent + "ok-" + kBlaxelKey + "/more",
          absl::StrCat(polos_parent, kBlaxelKey, "x")}) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", std::string("Bearer ") + kCallerToken);
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      v1::GetExecutionRequest request;
      request.set_name(name);
      v1::Execution out;
      const grpc::Status s = h.stub().GetExecution(&context, request, &out);
      EXPECT_FALSE(s.ok()) << name;
      record(s);
      grpc::ClientContext watch_context;
      watch_context.AddMetadata("authorization", std::string("Bearer ") + kCallerToken);
      watch_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      v1::WatchExecutionRequest watch;
      watch.set_name(name);
      auto reader = h.stub().WatchExecution(&watch_context, watch);
      v1::WatchExecutionResponse message;
      while (reader->Read(&message)) answers += message.DebugString();
      record(reader->Finish());
    }
    {
      grpc::ClientContext context;
      context.AddMetadata("authorization", std::string("Bearer ") + kCallerToken);
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      v1::CreateExecutionRequest create;
      create.set_parent(absl::StrCat("backends/", GatewayHarness::kBlaxel, "/jobs/", kBlaxelKey));
      v1::Execution out;
      record(h.stub().CreateExecution(&context, create, &out));
    }
    // A watch whose reads keep failing on the rejected key.
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kCallerToken);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    v1::WatchExecutionRequest watch;
    watch.set_name(blaxel_name);
    auto reader = h.stub().WatchExecution(&context, watch);
    v1::WatchExecutionResponse message;
    while (reader->Read(&message)) answers += message.DebugString();
    record(reader->Finish());
  }
  said = output.Stop();
  // The calls did fail for the reasons intended (so the test means
  // something): upstream rejections and caller rejections.
  EXPECT_NE(answers.find("UPSTREAM_UNAUTHENTICATED"), std::string::npos) << answers;
  EXPECT_NE(answers.find("CALLER_UNAUTHENTICATED"), std::string::npos) << answers;
  // Nor an internal upstream address: a backend is named by its name.
  for (const std::string& internal : {std::string("http://"), std::string("127.0.0.1"),
                                      std::string("/api/v1/"), std::string("/v0/")}) {
    EXPECT_EQ(answers.find(internal), std::string::npos)
        << "\"" << internal << "\" (an upstream address) in an answer:\n"
        << answers.substr(0, 4000);
  }
  for (const std::string& url : upstream_urls) {
    const std::string host_port(absl::StripPrefix(url, "http://"));
    EXPECT_EQ(answers.find(host_port), std::string::npos) << host_port << " in an answer";
  }
  for (const char* secret : {kBlaxelKey, kPolosKey, kCallerToken}) {
    for (const std::string& form : ::execgw::testing::SecretForms(secret)) {
      EXPECT_EQ(said.find(form), std::string::npos)
          << "\"" << form << "\" (a form of a secret) in the gateway's output:\n"
          << said.substr(0, 4000);
      EXPECT_EQ(answers.find(form), std::string::npos)
          << "\"" << form << "\" (a form of a secret) in an answer";
    }
  }
}

}  // namespace
}  // namespace execgw

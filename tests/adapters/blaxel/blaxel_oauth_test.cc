// BlaxelBackend with OAuth client credentials, over loopback HTTP. The
// backend times on the fixture's simulated loop, whose clock is the
// simulator's too: token lifetimes pass when the test advances it.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "adapters/json_value.h"
#include "adapters/upstream_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/blaxel/backend_fixture.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::blaxel::testing {
namespace {

using ::execgw::testing::SimulatedEventLoop;

using ::testing::HasSubstr;

http::ServerResponse Reply(int status, std::string body) {
  http::ServerResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

class BlaxelOAuthTest : public BlaxelBackendFixture {
 protected:
  void SetUp() override {
    BlaxelBackendFixture::SetUp();
    sim_->PutExecution(kJob, "e1", SimulatedScenario::kSucceed, clock_.Now(), 1);
    backend_.reset();
    client_ = std::make_unique<RecordingHttpClient>(http::NewCurlHttpClient(), &clock_);
    backend_ = OAuthBackend();
  }

  // Over `client` (nullptr: client_, on the fixture's loop).
  std::unique_ptr<Backend> OAuthBackend(http::HttpClient* client = nullptr,
                                        std::string secret = kClientSecret) {
    return MakeBackend(
        [&](BlaxelBackendOptions& o) {
          o.api_key.clear();
          o.oauth_client_id = kClientId;
          o.oauth_client_secret = secret;
        },
        client);
  }

  // Starts `n` reads of e1 at once and waits for all; returns how many failed.
  int ConcurrentGets(int n, Backend* backend = nullptr) {
    absl::BlockingCounter pending(n);
    std::atomic<int> failures{0};
    for (int i = 0; i < n; ++i) {
      (backend ? backend : backend_.get())
          ->GetExecution(Name("e1"), {}, [&](absl::StatusOr<v1::Execution> e) {
            if (!e.ok()) {
              ADD_FAILURE() << e.status();
              ++failures;
            }
            pending.DecrementCount();
          });
    }
    pending.Wait();
    return failures.load();
  }

  int tokens() const { return sim_->request_count("token"); }
};

TEST_F(BlaxelOAuthTest, OneTokenRequestServesManyConcurrentCalls) {
  client_->Clear();
  EXPECT_EQ(ConcurrentGets(50), 0);
  EXPECT_EQ(tokens(), 1);
  std::vector<RecordingHttpClient::Sent> token_requests = client_->sent_to("/oauth/token");
  ASSERT_EQ(token_requests.size(), 1u);
  EXPECT_EQ(token_requests[0].method, "POST");
  EXPECT_EQ(token_requests[0].url, sim_->base_url() + "/oauth/token");
  EXPECT_EQ(
      token_requests[0].authorization,
      absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(kClientId, ":", kClientSecret))));
  std::optional<http::ServerRequest> seen = sim_->last_request("token");
  ASSERT_TRUE(seen.has_value());
  absl::StatusOr<rapidjson::Document> body = ParseJson(seen->body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(JsonString(*body, "grant_type"), "client_credentials");
  for (const auto& s : client_->sent_to("/executions/")) {
    EXPECT_TRUE(absl::StartsWith(s.authorization, "Bearer bl-oauth-")) << s.authorization;
  }
  // Later calls reuse it.
  EXPECT_EQ(ConcurrentGets(10), 0);
  EXPECT_EQ(tokens(), 1);
}

// A backend's methods are thread-safe: calls from several threads at once,
// before any token exists, still cause one token request, and every call
// gets the token.
TEST_F(BlaxelOAuthTest, CallsFromManyThreadsAtOnceShareOneTokenRequest) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { failures += ConcurrentGets(10); });
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(tokens(), 1);
  EXPECT_EQ(sim_->request_count("get"), 40);
}

TEST_F(BlaxelOAuthTest, RefreshesOnceLessThanHalfTheLifetimeRemains) {
  ASSERT_TRUE(Get("e1").ok());
  EXPECT_EQ(tokens(), 1);
  clock_.Advance(absl::Seconds(3500));
  ASSERT_TRUE(Get("e1").ok());
  EXPECT_EQ(tokens(), 1);
  clock_.Advance(absl::Seconds(200));  // 3700 s of 7200: past half
  EXPECT_EQ(ConcurrentGets(20), 0);
  EXPECT_EQ(tokens(), 2);
  ASSERT_TRUE(Get("e1").ok());
  EXPECT_EQ(tokens(), 2);
}

TEST_F(BlaxelOAuthTest, TrafficAcrossSeveralExpiriesKeepsSucceeding) {
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(absl::Seconds(1000));
    ASSERT_EQ(ConcurrentGets(5), 0) << "at step " << i;
  }
  // 20000 s with a refresh every ~3600 s; no call was refused on the way.
  EXPECT_GE(tokens(), 5);
  EXPECT_LE(tokens(), 7);
  EXPECT_EQ(sim_->request_count("get"), 100);
}

TEST_F(BlaxelOAuthTest, A401ForcesOneRefreshAndOneRetry) {
  // The backend's loop stands still: it cannot know the token expired.
  SimulatedEventLoop frozen(clock_.Now());
  RecordingHttpClient frozen_client(http::NewCurlHttpClient(), &frozen);
  std::unique_ptr<Backend> backend = OAuthBackend(&frozen_client);
  EXPECT_EQ(ConcurrentGets(5, backend.get()), 0);
  EXPECT_EQ(tokens(), 1);
  clock_.Advance(absl::Seconds(7201));  // expired upstream
  const int gets_before = sim_->request_count("get");
  EXPECT_EQ(ConcurrentGets(20, backend.get()), 0);
  EXPECT_EQ(tokens(), 2);  // one refresh for all 20 refused calls
  EXPECT_LE(sim_->request_count("get") - gets_before, 40);
  EXPECT_EQ(ConcurrentGets(5, backend.get()), 0);
  EXPECT_EQ(tokens(), 2);
}

TEST_F(BlaxelOAuthTest, A401IsRetriedOnceOnly) {
  ASSERT_TRUE(Get("e1").ok());
  const int gets_before = sim_->request_count("get");
  sim_->faults().Add("get",
                     Reply(401, R"({"code":401,"error":"Unauthorized",)"
                                R"("message":"invalid credentials"})"),
                     2);
  absl::StatusOr<v1::Execution> e = Get("e1");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(sim_->request_count("get") - gets_before, 2);
  EXPECT_EQ(tokens(), 2);
  EXPECT_TRUE(Get("e1").ok());
}

TEST_F(BlaxelOAuthTest, TokenEndpointDownIsUnavailable) {
  sim_->faults().Add("token", Reply(503, R"({"code":503,"error":"Service Unavailable"})"), -1);
  absl::StatusOr<v1::Execution> e = Get("e1");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamUnavailable);
  EXPECT_THAT(e.status().message(), HasSubstr("could not obtain an OAuth access token"));
  EXPECT_EQ(sim_->request_count("get"), 0);

  sim_->faults().Clear();
  http::ServerResponse cut;
  cut.status = 0;  // the real answer, cut short
  cut.fault = http::ServerResponse::Fault::kTruncateBody;
  sim_->faults().Add("token", cut);
  EXPECT_EQ(Get("e1").status().code(), absl::StatusCode::kUnavailable);
  // Back up: the next call gets a token.
  EXPECT_TRUE(Get("e1").ok());
}

TEST_F(BlaxelOAuthTest, BadClientSecretIsUnauthenticatedWithoutTheSecret) {
  std::unique_ptr<Backend> backend = OAuthBackend(nullptr, "wrong-secret-9f8e7d");
  absl::StatusOr<v1::Execution> e = Get("e1", {}, backend.get());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamUnauthenticated);
  EXPECT_THAT(e.status().message(), HasSubstr("invalid_client"));
  EXPECT_FALSE(absl::StrContains(AllText(e.status()), "wrong-secret-9f8e7d")) << e.status();

  // Even when the token endpoint echoes what it was sent.
  sim_->faults().Add("token",
                     Reply(401, absl::StrCat(R"({"code":401,"error":"invalid_client",)",
                                             R"("message":"bad secret wrong-secret-9f8e7d"})")));
  e = Get("e1", {}, backend.get());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(absl::StrContains(AllText(e.status()), "wrong-secret-9f8e7d")) << e.status();
}

// `text` as a JSON string body whose every character is \u-escaped.
std::string EscapedJson(absl::string_view text) {
  std::string out;
  for (char c : text) absl::StrAppend(&out, "\\u00", absl::Hex(c, absl::kZeroPad2));
  return out;
}

TEST_F(BlaxelOAuthTest, SecretEchoedAcrossTheCutIsRedactedWhole) {
  // The token endpoint's code and message are cut at 200 bytes: here 10
  // characters into the secret (Get() checks for an 8-character prefix).
  const std::string text = absl::StrCat(std::string(200 - 10, 'x'), kClientSecret, " more");
  sim_->faults().Add("token", Reply(401, absl::StrCat(R"({"code":401,"error":"invalid_client",)",
                                                      R"("message":")", text, R"("})")));
  absl::StatusOr<v1::Execution> e = Get("e1");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(e.status().message(), HasSubstr("[redacted]"));

  sim_->faults().Add("token", Reply(400, absl::StrCat(R"({"error":")", text, R"("})")));
  e = Get("e1");
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("[redacted]"));

  // Escaped, as JSON encoders may (base64 may hold '/', often sent as
  // "\/"): the secret and the Basic credential.
  const std::string basic = absl::Base64Escape(absl::StrCat(kClientId, ":", kClientSecret));
  sim_->faults().Add("token",
                     Reply(401, absl::StrCat(R"({"error":"bad )", EscapedJson(kClientSecret), " ",
                                             EscapedJson(basic), R"("})")));
  e = Get("e1");
  ASSERT_FALSE(e.ok());
  EXPECT_FALSE(absl::StrContains(AllText(e.status()), basic.substr(0, 8))) << e.status();
  EXPECT_THAT(e.status().message(), HasSubstr("bad [redacted] [redacted]"));
}

// The client secret echoed in the spellings no JSON decoding undoes: every
// byte percent-encoded (a form body), as HTML references and in base64.
TEST_F(BlaxelOAuthTest, SecretEchoedEncodedIsRedacted) {
  const absl::string_view secret = kClientSecret;
  std::string percent;
  std::string html;
  for (const char c : secret) {
    absl::StrAppend(&percent, "%", absl::Hex(c, absl::kZeroPad2));
    absl::StrAppend(&html, "&#", static_cast<int>(c), ";");
  }
  const std::string base64 = absl::Base64Escape(secret);
  sim_->faults().Add(
      "token",
      Reply(401, absl::StrCat(R"({"code":401,"error":"invalid_client","message":")",
                              "client_secret=", percent, " ", html, " ", base64, R"("})")));
  absl::StatusOr<v1::Execution> e = Get("e1");  // Get() checks for the raw secret
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnauthenticated);
  const std::string all = AllText(e.status());
  for (const std::string& form : {percent, html, base64.substr(0, 12)}) {
    EXPECT_FALSE(absl::StrContains(all, form.substr(0, 12))) << form << " in " << all;
  }
  EXPECT_THAT(std::string(e.status().message()),
              HasSubstr("client_secret=[redacted] [redacted] [redacted]"));
}

TEST_F(BlaxelOAuthTest, AccessTokenEchoedEscapedIsRedacted) {
  ASSERT_TRUE(Get("e1").ok());
  std::vector<RecordingHttpClient::Sent> sent = client_->sent_to("/executions/");
  ASSERT_FALSE(sent.empty());
  const std::string token(absl::StripPrefix(sent.back().authorization, "Bearer "));
  ASSERT_TRUE(absl::StartsWith(token, "bl-oauth-")) << token;
  // The raw body holds no "bl-oauth-"; the decoded message would (Get()
  // checks for it).
  sim_->faults().Add(
      "get", Reply(404, absl::StrCat(R"({"code":404,"error":"Not Found",)", R"("message":"token )",
                                     EscapedJson(token), R"( has no such execution"})")));
  absl::StatusOr<v1::Execution> e = Get("e1");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(e.status().message(), HasSubstr("token [redacted] has no such execution"));

  // Partly escaped, in the code, which becomes ErrorInfo metadata.
  sim_->faults().Add("get", Reply(404, absl::StrCat(R"({"error":{"code":404,"status":"NF_)",
                                                    absl::StrReplaceAll(token, {{"-", "\\u002d"}}),
                                                    R"(","message":"m"}})")));
  e = Get("e1");
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(AllText(e.status()), HasSubstr("NF_[redacted]"));
}

// The token a 2xx body was fetched with, echoed in it, is redacted with the
// client secret; after a refresh the new token is (the backend builds the
// spellings once per token, adapters/blaxel/blaxel_backend.cc).
TEST_F(BlaxelOAuthTest, TheTokenEchoedInAnExecutionIsRedactedBeforeAndAfterARefresh) {
  std::vector<std::string> seen_tokens;
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(Get("e1").ok());
    std::vector<RecordingHttpClient::Sent> sent = client_->sent_to("/executions/");
    ASSERT_FALSE(sent.empty());
    const std::string token(absl::StripPrefix(sent.back().authorization, "Bearer "));
    ASSERT_TRUE(absl::StartsWith(token, "bl-oauth-")) << token;
    seen_tokens.push_back(token);
    const std::string id = absl::StrCat("echo", round);
    sim_->PutRaw(kJob, id,
                 absl::StrCat(R"({"metadata":{"id":")", id, R"("},"status":"running",)",
                              R"("debug":{"auth":"Bearer )", token, R"(","secret":")",
                              kClientSecret, R"("}})"));
    absl::StatusOr<v1::Execution> e = Get(id);
    ASSERT_TRUE(e.ok()) << e.status();
    const std::string text = e->DebugString();
    EXPECT_FALSE(absl::StrContains(text, token)) << text;
    EXPECT_FALSE(absl::StrContains(text, kClientSecret)) << text;
    EXPECT_THAT(text, HasSubstr("Bearer [redacted]"));
    clock_.Advance(absl::Seconds(4000));  // past the token's half-life: the next call refreshes
  }
  EXPECT_EQ(tokens(), 2);
  EXPECT_NE(seen_tokens[0], seen_tokens[1]);
}

TEST_F(BlaxelOAuthTest, AFailedRefreshKeepsTheCurrentTokenWhileItIsValid) {
  ASSERT_TRUE(Get("e1").ok());
  clock_.Advance(absl::Seconds(4000));  // past half-life, still valid
  sim_->faults().Add("token", Reply(503, "{}"), -1);
  EXPECT_TRUE(Get("e1").ok());
  EXPECT_TRUE(Get("e1").ok());  // without another attempt so soon
  EXPECT_EQ(tokens(), 2);
  sim_->faults().Clear();
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(Get("e1").ok());
  EXPECT_EQ(tokens(), 3);
  EXPECT_EQ(sim_->tokens_issued(), 2);
}

TEST_F(BlaxelOAuthTest, AWaitingCallerKeepsItsOwnDeadline) {
  http::ServerResponse slow;
  slow.status = 0;  // the real answer, late
  slow.delay = absl::Seconds(2);
  sim_->faults().Add("token", slow);
  CallContext context;
  context.deadline = clock_.Now() + absl::Milliseconds(200);
  absl::Notification done;
  absl::StatusOr<v1::Execution> e;
  backend_->GetExecution(Name("e1"), context, [&](absl::StatusOr<v1::Execution> r) {
    e = std::move(r);
    done.Notify();
  });
  // The token request is out, its answer 2 s away; the caller waits.
  clock_.Advance(absl::Milliseconds(199));
  EXPECT_FALSE(done.HasBeenNotified());
  // Its deadline passes on the backend's loop: it is answered right then.
  clock_.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(done.HasBeenNotified());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kDeadlineExceeded);
  ExpectNoSecret(e.status());
  // The shared token request went on and serves the next call.
  EXPECT_TRUE(Get("e1").ok());
  EXPECT_EQ(tokens(), 1);
}

// A caller that waited for the token request and got its answer leaves
// nothing behind on the loop: its deadline timer (an hour away here) is
// released with it, instead of holding the call's state until then.
TEST_F(BlaxelOAuthTest, AnAnsweredWaiterLeavesNoTimerBehind) {
  CallContext context;
  context.deadline = clock_.Now() + absl::Hours(1);
  absl::Notification done;
  absl::StatusOr<v1::Execution> e;
  backend_->GetExecution(Name("e1"), context, [&](absl::StatusOr<v1::Execution> r) {
    e = std::move(r);
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(tokens(), 1);
  clock_.RunPending();
  EXPECT_EQ(clock_.pending(), 0);
}

TEST_F(BlaxelOAuthTest, AnApiKeyNeedsNoToken) {
  std::unique_ptr<Backend> keyed = MakeBackend();
  EXPECT_TRUE(Get("e1", {}, keyed.get()).ok());
  EXPECT_EQ(tokens(), 0);
}

}  // namespace
}  // namespace execgw::blaxel::testing

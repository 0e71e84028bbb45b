// PolosBackend over real loopback HTTP, GetExecution (the fixture:
// backend_fixture.h).

#include "adapters/polos/polos_backend.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/upstream_error.h"
#include "adapters/upstream_time.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "sim/polos/simulator.h"
#include "tests/adapters/polos/backend_fixture.h"
#include "tests/adapters/polos/test_util.h"
#include "tests/testing/refused_port.h"

namespace execgw::polos {
namespace {

using testing::AllText;
using testing::kBackend;
using testing::kMissingId;
using testing::PolosBackendTest;
using testing::RetryDelayOf;

TEST_F(PolosBackendTest, NameAndKind) {
  EXPECT_EQ(backend_->name(), kBackend);
  EXPECT_EQ(backend_->kind(), v1::BACKEND_KIND_POLOS);
}

TEST_F(PolosBackendTest, GetTranslatesTheExecution) {
  const std::string id = Add(Scenario{});
  absl::StatusOr<v1::Execution> e = Get(id);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->name(), absl::StrCat("backends/", kBackend, "/executions/", id));
  EXPECT_EQ(e->execution_id(), id);
  EXPECT_EQ(e->workload(), "wf");
  EXPECT_EQ(e->state(), v1::Execution::STATE_QUEUED);
  EXPECT_EQ(e->raw_status(), "queued");
  EXPECT_EQ(FromProtoTimestamp(e->create_time()), clock_.Now());
  EXPECT_EQ(e->input().struct_value().fields().at("n").number_value(), 1);
  EXPECT_EQ(e->queueing().queue(), "wf");
  EXPECT_FALSE(e->lineage().session_id().empty());
  EXPECT_TRUE(e->unparsed_fields().empty());
  EXPECT_FALSE(e->etag().empty());
}

TEST_F(PolosBackendTest, LifecycleFollowsTheClock) {
  const std::string id = Add(Scenario{});
  auto state_after = [&](absl::Duration d) {
    clock_.Advance(d);
    absl::StatusOr<v1::Execution> e = Get(id);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? e->state() : v1::Execution::STATE_UNSPECIFIED;
  };
  EXPECT_EQ(state_after(absl::ZeroDuration()), v1::Execution::STATE_QUEUED);
  EXPECT_EQ(state_after(absl::Milliseconds(1200)), v1::Execution::STATE_PENDING);  // claimed
  EXPECT_EQ(state_after(absl::Seconds(1)), v1::Execution::STATE_RUNNING);
  EXPECT_EQ(state_after(absl::Seconds(5)), v1::Execution::STATE_SUCCEEDED);
  absl::StatusOr<v1::Execution> done = Get(id);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->has_start_time());
  EXPECT_TRUE(done->has_end_time());
  EXPECT_EQ(done->result().struct_value().fields().at("ok").bool_value(), true);
}

TEST_F(PolosBackendTest, RetriesKeepTheErrorThenFail) {
  Scenario s;
  s.failed_attempts = 3;
  s.error = "KeyError: 'customer'";
  const std::string id = Add(s);
  clock_.Advance(absl::Seconds(5));  // first attempt failed at 4.5 s
  absl::StatusOr<v1::Execution> requeued = Get(id);
  ASSERT_TRUE(requeued.ok()) << requeued.status();
  EXPECT_EQ(requeued->state(), v1::Execution::STATE_QUEUED);
  EXPECT_EQ(requeued->retry_count(), 1);
  EXPECT_EQ(requeued->error_message(), "KeyError: 'customer'");
  clock_.Advance(absl::Seconds(10));
  absl::StatusOr<v1::Execution> failed = Get(id);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state(), v1::Execution::STATE_FAILED);
  EXPECT_EQ(failed->retry_count(), 3);
  EXPECT_NE(requeued->etag(), failed->etag());
}

TEST_F(PolosBackendTest, RunTimeoutBecomesTimedOut) {
  Scenario s;
  s.running_for = absl::InfiniteDuration();
  const std::string id = Add(s, 30);
  clock_.Advance(absl::Seconds(29));
  absl::StatusOr<v1::Execution> running = Get(id);
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_EQ(running->state(), v1::Execution::STATE_RUNNING);
  EXPECT_EQ(FromProtoDuration(running->timeout()), absl::Seconds(30));
  clock_.Advance(absl::Seconds(2));
  absl::StatusOr<v1::Execution> timed_out = Get(id);
  ASSERT_TRUE(timed_out.ok()) << timed_out.status();
  EXPECT_EQ(timed_out->state(), v1::Execution::STATE_TIMED_OUT);
  EXPECT_EQ(timed_out->polos().cancelled_by(), "timeout");
  EXPECT_TRUE(timed_out->has_cancel_time());
}

TEST_F(PolosBackendTest, ChildCarriesLineage) {
  const std::string parent = Add(Scenario{});
  const std::string child = Add(Scenario{}, std::nullopt, parent);
  absl::StatusOr<v1::Execution> e = Get(child);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->lineage().parent_execution(),
            absl::StrCat("backends/", kBackend, "/executions/", parent));
  EXPECT_EQ(e->lineage().root_execution(),
            absl::StrCat("backends/", kBackend, "/executions/", parent));
  EXPECT_EQ(e->polos().parent_execution_id(), parent);
}

TEST_F(PolosBackendTest, MissingExecutionIsNotFoundThanksToTheProbe) {
  absl::StatusOr<v1::Execution> e = Get(kMissingId);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kNotFound) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamNotFound);
  EXPECT_TRUE(absl::StrContains(e.status().message(), kMissingId)) << e.status();
  // The GET, the probe, and the GET once more (the same answer again).
  EXPECT_EQ(sim_->request_count("get"), 2);
  EXPECT_EQ(sim_->request_count("list"), 1);  // the probe
}

// A passing fault that looks like a missing execution (500, empty body) and
// clears before the probe: the GET is sent once more and its real answer
// counts, where the probe alone used to read NOT_FOUND (which ends every
// watch of the execution).
TEST_F(PolosBackendTest, AnEmpty500ThatClearsBeforeTheProbeIsNotReadAsMissing) {
  const std::string id = Add(Scenario{});
  http::ServerResponse blip;
  blip.status = 500;
  sim_->faults().Add("get", blip, 1);
  absl::StatusOr<v1::Execution> e = Get(id);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->execution_id(), id);
  EXPECT_EQ(sim_->request_count("list"), 1);  // the probe
}

// The probe fails: the server is sick, the 500 stays UNAVAILABLE, and the
// GET is not sent again.
TEST_F(PolosBackendTest, AnEmpty500WithAFailedProbeIsUnavailable) {
  http::ServerResponse broken;
  broken.status = 500;
  sim_->faults().Add("list", broken);
  absl::StatusOr<v1::Execution> e = Get(kMissingId);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
  EXPECT_EQ(sim_->request_count("get"), 1);
}

TEST_F(PolosBackendTest, FiveHundredEverywhereIsUnavailable) {
  http::ServerResponse broken;
  broken.status = 500;
  sim_->faults().Add("*", broken, -1);
  absl::StatusOr<v1::Execution> e = Get(kMissingId);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamUnavailable);
  EXPECT_EQ(sim_->request_count("list"), 1);
}

TEST_F(PolosBackendTest, ServerDownIsUnavailable) {
  const ::execgw::testing::RefusedPort down;
  PolosBackendOptions o;
  o.name = std::string(kBackend);
  o.base_url = down.base_url() + "/";
  o.project_id = sim_->project_id();
  o.api_key = sim_->api_key();
  std::unique_ptr<Backend> backend = NewPolosBackend(std::move(o), *client_);
  absl::StatusOr<v1::Execution> e = Get(kMissingId, {}, backend.get());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamUnavailable);
}

TEST_F(PolosBackendTest, NonUuidIdIsRejectedBeforeCallingPolos) {
  absl::StatusOr<v1::Execution> e = Get("not-a-uuid");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(e.status().message(), "name: ")) << e.status();
  EXPECT_TRUE(absl::StrContains(e.status().message(), "not-a-uuid")) << e.status();
  EXPECT_EQ(sim_->request_count("get"), 0);
}

TEST_F(PolosBackendTest, UpperCaseIdIsReadUnderItsCanonicalName) {
  // Polos ids are UUIDs and Polos answers in lower case (it used to be
  // INTERNAL "asked for A000..., got a000...").
  const std::string id = Add(Scenario{});
  for (const std::string& asked :
       {absl::AsciiStrToUpper(id),
        absl::StrCat(absl::AsciiStrToUpper(id.substr(0, 8)), id.substr(8))}) {
    client_->Clear();
    absl::StatusOr<v1::Execution> e = Get(asked);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->execution_id(), id);
    EXPECT_EQ(e->name(), absl::StrCat("backends/", kBackend, "/executions/", id));
    ASSERT_EQ(client_->sent().size(), 1u);
    EXPECT_TRUE(absl::EndsWith(client_->sent()[0].url, id)) << client_->sent()[0].url;
  }
}

TEST_F(PolosBackendTest, BlaxelFormNameIsRejected) {
  absl::StatusOr<v1::Execution> e =
      GetName(ExecutionName{std::string(kBackend), "nightly", std::string(kMissingId)});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kWrongBackendKind);
  EXPECT_TRUE(absl::StartsWith(e.status().message(), "name: ")) << e.status();
  EXPECT_TRUE(absl::StrContains(e.status().message(),
                                absl::StrCat("backends/", kBackend, "/executions/{execution}")))
      << e.status();
  EXPECT_EQ(sim_->request_count("get"), 0);
}

TEST_F(PolosBackendTest, WrongKeyIsUnauthenticatedAndNeverEchoed) {
  const std::string wrong_key = "sk_live_wrong_secret_key_123";
  std::unique_ptr<Backend> b = MakeBackend(wrong_key, sim_->project_id());
  absl::StatusOr<v1::Execution> e = Get(kMissingId, {}, b.get());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnauthenticated) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamUnauthenticated);
  EXPECT_FALSE(absl::StrContains(AllText(e.status()), wrong_key));
}

TEST_F(PolosBackendTest, KeyEchoedByUpstreamIsRedacted) {
  http::ServerResponse echo;
  echo.status = 401;
  echo.body =
      absl::StrCat(R"({"error":"bad key )", sim_->api_key(), R"(","error_type":"UNAUTHORIZED"})");
  sim_->faults().Add("get", echo);
  absl::StatusOr<v1::Execution> e = Get(kMissingId);  // Get() checks for leaks
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(e.status().message(), "[redacted]")) << e.status();

  // Spelt in ways no JSON decoding undoes: every byte percent-encoded, as
  // HTML references, in base64 (as in a Basic credential "k:<key>").
  std::string percent;
  std::string html;
  for (const char c : sim_->api_key()) {
    absl::StrAppend(&percent, "%", absl::Hex(c, absl::kZeroPad2));
    absl::StrAppend(&html, "&#x", absl::Hex(c), ";");
  }
  const std::string basic = absl::Base64Escape(absl::StrCat("k:", sim_->api_key()));
  echo.body = absl::StrCat(R"({"error":"bad key )", percent, " ", html, " Basic ", basic,
                           R"(","error_type":"UNAUTHORIZED"})");
  sim_->faults().Add("get", echo);
  e = Get(kMissingId);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnauthenticated);
  const std::string all = AllText(e.status());
  for (const std::string& form : {percent, html, basic.substr(4)}) {
    EXPECT_FALSE(absl::StrContains(all, form.substr(0, 12))) << form << " in " << all;
  }
  EXPECT_TRUE(absl::StrContains(e.status().message(), "bad key [redacted] [redacted] Basic "))
      << e.status();
}

TEST_F(PolosBackendTest, KeyEchoedAcrossACutIsRedactedWhole) {
  // A proxy's plain-text page echoing the request (the old 200-byte cut of
  // odd bodies fell 12 characters into the key): not an error object, so
  // it is described, not echoed (the expectation was "[redacted]" while odd
  // bodies were echoed).
  http::ServerResponse page;
  page.status = 401;
  page.body = absl::StrCat(std::string(200 - 12 - 7, 'x'), "Bearer ", sim_->api_key(),
                           "\r\nX-Project-ID: ...");
  sim_->faults().Add("get", page);
  absl::StatusOr<v1::Execution> e = Get(kMissingId);  // Get() checks for a key prefix
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(e.status().message(), "a body of 236 bytes that is not JSON"))
      << e.status();

  // A Polos message whose 500-byte cut falls inside the key.
  http::ServerResponse long_message;
  long_message.status = 401;
  long_message.body = absl::StrCat(R"({"error":")", std::string(500 - 12 - 7, 'x'), "Bearer ",
                                   sim_->api_key(), R"( ...","error_type":"UNAUTHORIZED"})");
  sim_->faults().Add("get", long_message);
  e = Get(kMissingId);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(absl::StrContains(e.status().message(), "[redacted]")) << e.status();
}

// The key in forms only a decoder recognises: JSON escapes in a nested error
// object and in plain text, HTML entities in an error page.
TEST_F(PolosBackendTest, KeyInAnyEncodingNeverReachesTheCaller) {
  const std::string key = sim_->api_key();
  std::string json_escaped;
  for (char c : key) absl::StrAppend(&json_escaped, "\\u00", absl::Hex(c, absl::kZeroPad2));
  const std::string html_escaped = absl::StrCat("sk&#95;", key.substr(3));
  struct Case {
    int status;
    std::string content_type;
    std::string body;
    std::string says;
  };
  const Case cases[] = {
      {401, "application/json",
       absl::StrCat(R"({"error":{"message":"bad key )", json_escaped, R"(","code":401}})"),
       "bad key [redacted]"},
      {502, "text/plain", absl::StrCat("upstream said: Bearer ", json_escaped),
       "a text/plain body of "},
      {500, "text/html; charset=utf-8",
       absl::StrCat("<html><body><pre>Authorization: Bearer ", html_escaped, "</pre>",
                    std::string(5000, ' '), "</body></html>"),
       "an HTML page of "},
  };
  for (const Case& c : cases) {
    http::ServerResponse odd;
    odd.status = c.status;
    odd.headers = {{"Content-Type", c.content_type}};
    odd.body = c.body;
    sim_->faults().Add("get", odd);
    absl::StatusOr<v1::Execution> e = Get(Add(Scenario{}));  // Get() checks for a key prefix
    ASSERT_FALSE(e.ok());
    const std::string all = AllText(e.status());
    EXPECT_TRUE(absl::StrContains(e.status().message(), c.says)) << e.status();
    EXPECT_FALSE(absl::StrContains(all, "\\u0073")) << e.status();
    EXPECT_FALSE(absl::StrContains(all, "&#95;")) << e.status();
    EXPECT_FALSE(absl::StrContains(all, key.substr(3, 10))) << e.status();
  }
}

// Credentials a 2xx body echoes reach callers through extra_fields unless
// redacted after decoding.
TEST_F(PolosBackendTest, KeyInASuccessfulBodyIsRedacted) {
  const std::string key = sim_->api_key();
  std::string json_escaped;
  for (char c : key) absl::StrAppend(&json_escaped, "\\u00", absl::Hex(c, absl::kZeroPad2));
  const std::string id = Add(Scenario{});
  absl::StatusOr<v1::Execution> plain = Get(id);
  ASSERT_TRUE(plain.ok()) << plain.status();
  std::string doc = absl::StrCat(R"({"id":")", id, R"(","workflow_id":"wf","status":"queued",)",
                                 R"("created_at":"2026-02-24T19:45:54.123456+00:00",)",
                                 R"("payload":{"token":")", json_escaped, R"("},"retry_count":0,)",
                                 R"("debug":{"auth":"Bearer )", json_escaped, R"("}})");
  http::ServerResponse echo;
  echo.status = 200;
  echo.headers = {{"Content-Type", "application/json"}};
  echo.body = doc;
  sim_->faults().Add("get", echo);
  absl::StatusOr<v1::Execution> e = Get(id);
  ASSERT_TRUE(e.ok()) << e.status();
  const std::string text = e->DebugString();
  EXPECT_FALSE(absl::StrContains(text, key.substr(0, 8))) << text;
  EXPECT_EQ(e->polos()
                .extra_fields()
                .fields()
                .at("debug")
                .struct_value()
                .fields()
                .at("auth")
                .string_value(),
            "Bearer [redacted]");
  EXPECT_EQ(e->input().struct_value().fields().at("token").string_value(), "[redacted]");
}

TEST_F(PolosBackendTest, KeyInTheErrorTypeIsRedactedFromMetadata) {
  http::ServerResponse echo;
  echo.status = 403;
  echo.body =
      absl::StrCat(R"({"error":"no","error_type":"FORBIDDEN_FOR_)", sim_->api_key(), R"("})");
  sim_->faults().Add("get", echo);
  absl::StatusOr<v1::Execution> e = Get(kMissingId);  // Get() checks message and payloads
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(AllText(e.status()), "FORBIDDEN_FOR_[redacted]")) << e.status();
}

TEST_F(PolosBackendTest, WrongProjectIsPermissionDenied) {
  std::unique_ptr<Backend> b = MakeBackend(sim_->api_key(), "99999999-9999-4999-8999-999999999999");
  absl::StatusOr<v1::Execution> e = Get(kMissingId, {}, b.get());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kPermissionDenied) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamPermissionDenied);
}

TEST_F(PolosBackendTest, MalformedProjectIdIsAConfigurationProblem) {
  // Polos answers a project id that is not a UUID with a bare 400: not the
  // caller's fault, whatever the call.
  std::unique_ptr<Backend> b = MakeBackend(sim_->api_key(), "my-project");
  for (int round = 0; round < 2; ++round) {
    absl::Status s;
    if (round == 0) {
      s = Get(Add(Scenario{}), {}, b.get()).status();
    } else {
      ListExecutionsQuery query;
      query.parent = WholeBackend();
      s = Await<ExecutionPage>([&](Done<ExecutionPage> done) {
            b->ListExecutions(query, CallContext{}, std::move(done));
          }).status();
    }
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_EQ(ErrorReasonOf(s), reason::kBackendMisconfigured) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "projectId")) << s;
  }
}

TEST_F(PolosBackendTest, RateLimitedWithRetryAfter) {
  http::ServerResponse limited;
  limited.status = 429;
  limited.headers = {{"Retry-After", "7"}};
  sim_->faults().Add("get", limited);
  absl::StatusOr<v1::Execution> e = Get(Add(Scenario{}));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kResourceExhausted) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamRateLimited);
  EXPECT_EQ(RetryDelayOf(e.status()), absl::Seconds(7));
}

TEST_F(PolosBackendTest, BadGatewayIsUnavailableWithoutProbe) {
  http::ServerResponse bad;
  bad.status = 502;
  bad.body = "<html><body>502 Bad Gateway</body></html>";
  sim_->faults().Add("get", bad);
  absl::StatusOr<v1::Execution> e = Get(Add(Scenario{}));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
  EXPECT_TRUE(absl::StrContains(e.status().message(), "502")) << e.status();
  EXPECT_EQ(sim_->request_count("list"), 0);
}

TEST_F(PolosBackendTest, GarbageJsonIsInvalidResponse) {
  for (const char* body : {"{\"id\": ", "<html>", "[]", "null"}) {
    http::ServerResponse garbage;
    garbage.status = 200;
    garbage.body = body;
    sim_->faults().Add("get", garbage);
    absl::StatusOr<v1::Execution> e = Get(kMissingId);
    ASSERT_FALSE(e.ok()) << body;
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInternal) << body << ": " << e.status();
    EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamInvalidResponse);
  }
}

TEST_F(PolosBackendTest, TruncatedBodyIsUnavailable) {
  http::ServerResponse truncate;
  truncate.status = 0;
  truncate.fault = http::ServerResponse::Fault::kTruncateBody;
  sim_->faults().Add("get", truncate);
  absl::StatusOr<v1::Execution> e = Get(Add(Scenario{}));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
}

TEST_F(PolosBackendTest, ResetIsUnavailable) {
  http::ServerResponse reset;
  reset.status = 0;
  reset.fault = http::ServerResponse::Fault::kResetConnection;
  sim_->faults().Add("get", reset);
  absl::StatusOr<v1::Execution> e = Get(Add(Scenario{}));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamUnavailable);
}

TEST_F(PolosBackendTest, SlowUpstreamHitsTheCallerDeadline) {
  http::ServerResponse slow;
  slow.status = 0;
  slow.delay = absl::Seconds(3);
  sim_->faults().Add("get", slow);
  CallContext context;
  const absl::Time start = absl::Now();
  context.deadline = start + absl::Milliseconds(300);
  absl::StatusOr<v1::Execution> e = Get(Add(Scenario{}), context);
  const absl::Duration took = absl::Now() - start;
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kDeadlineExceeded) << e.status();
  EXPECT_EQ(ErrorReasonOf(e.status()), reason::kUpstreamTimeout);
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Milliseconds(1500));
}

TEST_F(PolosBackendTest, RequestTimeoutBoundsACallWithoutDeadline) {
  std::unique_ptr<Backend> b =
      MakeBackend(sim_->api_key(), sim_->project_id(), absl::Milliseconds(300));
  http::ServerResponse slow;
  slow.status = 0;
  slow.delay = absl::Seconds(3);
  sim_->faults().Add("get", slow);
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::Execution> e = Get(Add(Scenario{}), {}, b.get());
  const absl::Duration took = absl::Now() - start;
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kDeadlineExceeded) << e.status();
  EXPECT_LT(took, absl::Milliseconds(1500));
}

TEST_F(PolosBackendTest, OddDocumentFromTheFixtures) {
  const std::string id = "be6f7a8b-9c0d-4e1f-8a2b-4c5d6e7f8091";
  sim_->PutRaw(id, testing::Fixture("execution_wrong_types.json"));
  absl::StatusOr<v1::Execution> e = Get(id);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->state(), v1::Execution::STATE_RUNNING);
  EXPECT_EQ(e->unparsed_fields().at("started_at"), "not a time");
}

TEST_F(PolosBackendTest, DocumentForAnotherIdIsInvalid) {
  sim_->PutRaw(std::string(kMissingId), testing::Fixture("execution_completed.json"));
  absl::StatusOr<v1::Execution> e = Get(kMissingId);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInternal) << e.status();
}

TEST_F(PolosBackendTest, DocumentWithoutIdIsTheOneAskedFor) {
  sim_->PutRaw(std::string(kMissingId),
               R"({"workflow_id":"w","status":"running","payload":{},"retry_count":0})");
  absl::StatusOr<v1::Execution> e = Get(kMissingId);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->execution_id(), kMissingId);
  EXPECT_EQ(e->name(), absl::StrCat("backends/", kBackend, "/executions/", kMissingId));
}

}  // namespace
}  // namespace execgw::polos

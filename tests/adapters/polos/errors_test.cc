#include "adapters/polos/errors.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "adapters/upstream_error.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/status_details.h"

namespace execgw::polos {
namespace {

using ::execgw::testing::RetryDelayOf;

const absl::Time kNow = absl::FromUnixSeconds(1767225600);
constexpr absl::string_view kId = "6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60";

http::HttpResponse Response(int status, std::string body, http::Headers headers = {}) {
  http::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

UpstreamFailure Read(int status, std::string body, http::Headers headers = {}) {
  return ReadFailure("polos", Response(status, std::move(body), std::move(headers)), kNow, {});
}

TEST(PolosReadFailure, PolosErrorBody) {
  UpstreamFailure f =
      Read(403, R"({"error":"Access denied","error_type":"PROJECT_ACCESS_FORBIDDEN"})");
  EXPECT_EQ(f.backend, "polos");
  EXPECT_EQ(f.http_status, 403);
  EXPECT_EQ(f.upstream_code, "PROJECT_ACCESS_FORBIDDEN");
  EXPECT_EQ(f.upstream_message, "Access denied");
  EXPECT_FALSE(f.retry_after.has_value());
}

TEST(PolosReadFailure, EmptyAndOddBodies) {
  UpstreamFailure empty = Read(500, "");
  EXPECT_EQ(empty.upstream_code, "");
  EXPECT_EQ(empty.upstream_message, "");
  UpstreamFailure blank = Read(500, " \r\n");
  EXPECT_EQ(blank.upstream_message, "");
  // A body that is not an error object is described, never echoed.
  UpstreamFailure html = Read(502, "<html>Bad Gateway</html>");
  EXPECT_EQ(html.upstream_code, "");
  EXPECT_EQ(html.upstream_message, "an HTML page of 24 bytes");
  UpstreamFailure long_text =
      Read(502, std::string(5000, 'x'), {{"content-type", "text/plain; charset=utf-8"}});
  EXPECT_EQ(long_text.upstream_message, "a text/plain body of 5000 bytes");
  UpstreamFailure untyped = Read(502, "oops");
  EXPECT_EQ(untyped.upstream_message, "a body of 4 bytes that is not JSON");
  UpstreamFailure odd_type = Read(502, "oops", {{"content-type", "text/x\"sk_1"}});
  EXPECT_EQ(odd_type.upstream_message, "a body of 4 bytes that is not JSON");
  UpstreamFailure other_json = Read(400, R"({"x":[1,2]})");
  EXPECT_EQ(other_json.upstream_message, "JSON that is not a Polos error (11 bytes)");
}

TEST(PolosReadFailure, NestedAndFrontEndErrorShapes) {
  UpstreamFailure nested =
      Read(502, R"({"error":{"message":"upstream down","status":"UNAVAILABLE","code":502}})");
  EXPECT_EQ(nested.upstream_code, "UNAVAILABLE");
  EXPECT_EQ(nested.upstream_message, "upstream down");
  UpstreamFailure front_end = Read(503, R"({"message":"try later"})");
  EXPECT_EQ(front_end.upstream_message, "try later");
  UpstreamFailure detail = Read(400, R"({"detail":"nope"})");
  EXPECT_EQ(detail.upstream_message, "nope");
}

TEST(PolosReadFailure, RetryAfterSecondsAndDate) {
  EXPECT_EQ(Read(429, "", {{"retry-after", "7"}}).retry_after, absl::Seconds(7));
  EXPECT_EQ(Read(429, "", {{"retry-after", "Thu, 01 Jan 2026 00:00:30 GMT"}}).retry_after,
            absl::Seconds(30));
  EXPECT_FALSE(Read(429, "", {{"retry-after", "soon"}}).retry_after.has_value());
}

TEST(PolosHealthProbe, OnlyForTheAmbiguousAnswers) {
  EXPECT_TRUE(NeedsHealthProbe(PolosCall::kGet, Read(500, "")));
  EXPECT_FALSE(NeedsHealthProbe(PolosCall::kGet,
                                Read(500, R"({"error":"db","error_type":"INTERNAL_ERROR"})")));
  EXPECT_FALSE(NeedsHealthProbe(PolosCall::kGet, Read(502, "")));
  EXPECT_FALSE(NeedsHealthProbe(PolosCall::kGet, Read(400, "")));
  EXPECT_FALSE(NeedsHealthProbe(PolosCall::kList, Read(500, "")));
  EXPECT_TRUE(NeedsHealthProbe(
      PolosCall::kCancel,
      Read(500, R"({"error":"Failed to get execution","error_type":"INTERNAL_ERROR"})")));
  EXPECT_FALSE(NeedsHealthProbe(PolosCall::kCancel, Read(500, "")));
}

TEST(PolosFailureToStatus, GetMissingIsNotFoundWhenTheProbeIsHealthy) {
  absl::Status s = FailureToStatus(PolosCall::kGet, Read(500, ""), ProbeResult::kHealthy, kId);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReasonOf(s), reason::kUpstreamNotFound);
  EXPECT_NE(s.message().find(kId), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("polos"), absl::string_view::npos) << s;
}

TEST(PolosFailureToStatus, GetMissingIsUnavailableWhenTheProbeFails) {
  absl::Status s = FailureToStatus(PolosCall::kGet, Read(500, ""), ProbeResult::kUnhealthy, kId);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReasonOf(s), reason::kUpstreamUnavailable);
  // Without a probe the safe reading is "unavailable" too.
  absl::Status unprobed = FailureToStatus(PolosCall::kGet, Read(500, ""));
  EXPECT_EQ(unprobed.code(), absl::StatusCode::kUnavailable);
}

TEST(PolosFailureToStatus, CancelNotFound) {
  UpstreamFailure f =
      Read(500, R"({"error":"Failed to get execution","error_type":"INTERNAL_ERROR"})");
  EXPECT_EQ(FailureToStatus(PolosCall::kCancel, f, ProbeResult::kHealthy, kId).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(FailureToStatus(PolosCall::kCancel, f, ProbeResult::kNotProbed, kId).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(FailureToStatus(PolosCall::kCancel, f, ProbeResult::kUnhealthy, kId).code(),
            absl::StatusCode::kUnavailable);
  // The same body on a GET is just a server error.
  EXPECT_EQ(FailureToStatus(PolosCall::kGet, f).code(), absl::StatusCode::kUnavailable);
}

TEST(PolosFailureToStatus, CancelOfAFinishedExecutionIsFailedPrecondition) {
  absl::Status s = FailureToStatus(
      PolosCall::kCancel,
      Read(
          400,
          R"j({"error":"Execution cannot be cancelled (status: completed)","error_type":"CANCELLATION_ERROR"})j"),
      ProbeResult::kNotProbed, kId);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReasonOf(s), reason::kFailedPrecondition);
  EXPECT_NE(s.message().find("status: completed"), absl::string_view::npos) << s;
}

struct Row {
  PolosCall call;
  int http_status;
  const char* body;
  absl::StatusCode code;
  absl::string_view reason;
};

class PolosTableTest : public ::testing::TestWithParam<Row> {};

TEST_P(PolosTableTest, Maps) {
  const Row& r = GetParam();
  absl::Status s = FailureToStatus(r.call, Read(r.http_status, r.body));
  EXPECT_EQ(s.code(), r.code) << r.http_status << " " << r.body << ": " << s;
  EXPECT_EQ(ErrorReasonOf(s), r.reason) << s;
}

INSTANTIATE_TEST_SUITE_P(
    Rows, PolosTableTest,
    ::testing::Values(
        Row{PolosCall::kGet, 401, R"({"error":"Invalid API key","error_type":"UNAUTHORIZED"})",
            absl::StatusCode::kUnauthenticated, reason::kUpstreamUnauthenticated},
        Row{PolosCall::kList, 403, R"({"error":"no","error_type":"PROJECT_ACCESS_FORBIDDEN"})",
            absl::StatusCode::kPermissionDenied, reason::kUpstreamPermissionDenied},
        Row{PolosCall::kGet, 403, "", absl::StatusCode::kPermissionDenied,
            reason::kUpstreamPermissionDenied},
        Row{PolosCall::kGet, 404, "", absl::StatusCode::kNotFound, reason::kUpstreamNotFound},
        Row{PolosCall::kRun, 404, "", absl::StatusCode::kNotFound, reason::kUpstreamNotFound},
        Row{PolosCall::kGet, 500, R"({"error":"gone","error_type":"NOT_FOUND"})",
            absl::StatusCode::kNotFound, reason::kUpstreamNotFound},
        Row{PolosCall::kRun, 400, R"({"error":"payload is required","error_type":"BAD_REQUEST"})",
            absl::StatusCode::kInvalidArgument, reason::kUpstreamBadRequest},
        Row{PolosCall::kRun, 409, R"({"error":"dup","error_type":"CONFLICT"})",
            absl::StatusCode::kAlreadyExists, reason::kUpstreamConflict},
        Row{PolosCall::kGet, 429, "", absl::StatusCode::kResourceExhausted,
            reason::kUpstreamRateLimited},
        Row{PolosCall::kGet, 502, "<html>bad gateway</html>", absl::StatusCode::kUnavailable,
            reason::kUpstreamUnavailable},
        Row{PolosCall::kGet, 503, "", absl::StatusCode::kUnavailable, reason::kUpstreamUnavailable},
        Row{PolosCall::kList, 500, "", absl::StatusCode::kUnavailable,
            reason::kUpstreamUnavailable},
        Row{PolosCall::kEvents, 418, "", absl::StatusCode::kUnknown, reason::kUpstreamError},
        // 400s only the configured project id can cause (errors.h).
        Row{PolosCall::kGet, 400, "", absl::StatusCode::kFailedPrecondition,
            reason::kBackendMisconfigured},
        Row{PolosCall::kList, 400, "", absl::StatusCode::kFailedPrecondition,
            reason::kBackendMisconfigured},
        Row{PolosCall::kRun, 400, "", absl::StatusCode::kFailedPrecondition,
            reason::kBackendMisconfigured},
        Row{PolosCall::kCancel, 400, "", absl::StatusCode::kFailedPrecondition,
            reason::kBackendMisconfigured},
        Row{PolosCall::kList, 400,
            R"({"error":"X-Project-ID header is required","error_type":"BAD_REQUEST"})",
            absl::StatusCode::kFailedPrecondition, reason::kBackendMisconfigured},
        Row{PolosCall::kRun, 400,
            R"({"error":"X-Project-ID header is required in local mode",)"
            R"("error_type":"BAD_REQUEST"})",
            absl::StatusCode::kFailedPrecondition, reason::kBackendMisconfigured}));

TEST(PolosFailureToStatus, RefusedProjectIdNamesTheConfigKey) {
  absl::Status s = FailureToStatus(PolosCall::kList, Read(400, ""));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "projectId")) << s;
  EXPECT_TRUE(absl::StrContains(::execgw::testing::AllText(s), "config_key")) << s;
}

TEST(PolosFailureToStatus, RateLimitCarriesRetryInfo) {
  absl::Status s = FailureToStatus(PolosCall::kGet, Read(429, "", {{"retry-after", "12"}}));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryDelayOf(s), absl::Seconds(12));
}

TEST(PolosFailureToStatus, UpstreamMessageIsIncluded) {
  absl::Status s = FailureToStatus(
      PolosCall::kGet, Read(401, R"({"error":"Invalid API key","error_type":"UNAUTHORIZED"})"));
  EXPECT_NE(s.message().find("Invalid API key"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("401"), absl::string_view::npos) << s;
}

// Secrets: the key the gateway sent. A leak is any prefix of at least 8
// characters of it, anywhere a caller can read (message and payloads).
constexpr absl::string_view kKey = "sk_live_9Qe4Tz0Lm2Wx7Rb5";

std::string AllText(const absl::Status& s) {
  std::string out(s.message());
  s.ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) {
    absl::StrAppend(&out, "|", url, "=", std::string(payload));
  });
  return out;
}

void ExpectNoKeyPrefix(const absl::Status& s) {
  EXPECT_FALSE(absl::StrContains(AllText(s), kKey.substr(0, 8))) << "key leaked: " << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "[redacted]")) << s;
}

absl::Status MapWithKey(PolosCall call, int status, std::string body) {
  const std::vector<std::string> secrets = {std::string(kKey)};
  return FailureToStatus(call,
                         ReadFailure("polos", Response(status, std::move(body)), kNow, secrets),
                         ProbeResult::kNotProbed, kId);
}

absl::Status MapWithKey(PolosCall call, int status, std::string body, http::Headers headers) {
  const std::vector<std::string> secrets = {std::string(kKey)};
  return FailureToStatus(
      call,
      ReadFailure("polos", Response(status, std::move(body), std::move(headers)), kNow, secrets),
      ProbeResult::kNotProbed, kId);
}

void ExpectNoKeyAtAll(const absl::Status& s) {
  EXPECT_FALSE(absl::StrContains(AllText(s), kKey.substr(0, 8))) << "key leaked: " << s;
  EXPECT_FALSE(absl::StrContains(AllText(s), "live_9Qe4")) << "key leaked: " << s;
  // Nor in an encoding a caller could decode.
  EXPECT_FALSE(absl::StrContains(AllText(s), "\\u00")) << "key leaked escaped: " << s;
  EXPECT_FALSE(absl::StrContains(AllText(s), "&#95;")) << "key leaked as entities: " << s;
}

TEST(PolosRedaction, OddBodiesAreNeverEchoed) {
  // Plain text from a proxy that echoes the request (once with the 200-byte
  // cut of old 12 characters into the key): not an error object, so only
  // its kind and size reach the caller.
  const std::string echo =
      absl::StrCat(std::string(200 - 12 - 7, 'x'), "Bearer ", kKey, " and the rest of the request");
  for (int status : {401, 404, 500}) {
    absl::Status s = MapWithKey(PolosCall::kGet, status, echo);
    ExpectNoKeyAtAll(s);
    EXPECT_TRUE(absl::StrContains(s.message(), "bytes that is not JSON")) << s;
  }
  // The key in forms no redaction of the raw text would match.
  std::string escaped;
  for (char c : kKey) absl::StrAppend(&escaped, "\\u00", absl::Hex(c, absl::kZeroPad2));
  std::string html_entities = "sk&#95;live&#95;9Qe4Tz0Lm2Wx7Rb5";
  ExpectNoKeyAtAll(MapWithKey(PolosCall::kGet, 401, absl::StrCat("key ", escaped),
                              {{"content-type", "text/plain"}}));
  absl::Status html = MapWithKey(
      PolosCall::kGet, 500, absl::StrCat("<html><body>Bearer ", html_entities, "</body></html>"),
      {{"content-type", "text/html"}});
  ExpectNoKeyAtAll(html);
  EXPECT_FALSE(absl::StrContains(html.message(), "&#95;")) << html;
  EXPECT_TRUE(absl::StrContains(html.message(), "an HTML page of ")) << html;
  // JSON that is not an error object, carrying the key escaped.
  ExpectNoKeyAtAll(
      MapWithKey(PolosCall::kList, 502, absl::StrCat(R"({"echo":[")", escaped, R"("]})")));
}

TEST(PolosRedaction, NestedErrorMessageIsRedactedOnceDecoded) {
  std::string escaped;
  for (char c : kKey) absl::StrAppend(&escaped, "\\u00", absl::Hex(c, absl::kZeroPad2));
  absl::Status s = MapWithKey(PolosCall::kGet, 401,
                              absl::StrCat(R"({"error":{"message":"bad key )", escaped,
                                           R"(","status":"UNAUTHENTICATED"}})"));
  ExpectNoKeyPrefix(s);
  EXPECT_TRUE(absl::StrContains(s.message(), "bad key [redacted]")) << s;
}

TEST(PolosRedaction, KeyAcrossTheCutOfAPolosMessageIsRedactedWhole) {
  // HttpFailureToStatus keeps 500 bytes of the message; NOT_FOUND 200.
  for (const auto& [status, keep] : {std::pair{401, 500}, std::pair{404, 200}}) {
    const std::string body = absl::StrCat(R"({"error":")", std::string(keep - 12 - 7, 'x'),
                                          "Bearer ", kKey, R"( more","error_type":"E"})");
    ExpectNoKeyPrefix(MapWithKey(PolosCall::kGet, status, body));
  }
}

TEST(PolosRedaction, KeyInTheErrorTypeIsRedactedFromMetadata) {
  const std::string body = absl::StrCat(R"({"error":"no","error_type":"BAD_KEY_)", kKey, R"("})");
  absl::Status s = MapWithKey(PolosCall::kRun, 401, body);
  EXPECT_FALSE(absl::StrContains(AllText(s), kKey.substr(0, 8))) << "key leaked: " << s;
  EXPECT_TRUE(absl::StrContains(AllText(s), "BAD_KEY_[redacted]")) << s;
}

TEST(PolosRedaction, JsonEscapedEchoIsRedactedOnceDecoded) {
  std::string escaped;
  for (char c : kKey) absl::StrAppend(&escaped, "\\u00", absl::Hex(c, absl::kZeroPad2));
  ExpectNoKeyPrefix(
      MapWithKey(PolosCall::kGet, 401, absl::StrCat(R"({"error":"key )", escaped, R"("})")));
}

// The one retry policy: each outcome read once into a verdict; the
// ambiguous answers are definitive, with both readings for the probe.
TEST(PolosVerdict, ClassifiesEachOutcomeOnce) {
  using Kind = http::Verdict::Kind;
  EXPECT_EQ(PolosVerdict(PolosCall::kGet, "polos", Response(200, "{}"), kNow, {}).kind,
            Kind::kSuccess);

  http::Verdict missing = PolosVerdict(PolosCall::kGet, "polos", Response(500, ""), kNow, {}, kId);
  EXPECT_EQ(missing.kind, Kind::kAnswer);
  EXPECT_EQ(missing.status.code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(missing.if_healthy.has_value());
  EXPECT_EQ(missing.if_healthy->code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(missing.if_healthy->message(), kId)) << *missing.if_healthy;

  http::Verdict cancel = PolosVerdict(
      PolosCall::kCancel, "polos",
      Response(500, R"({"error":"Failed to get execution","error_type":"INTERNAL_ERROR"})"), kNow,
      {}, kId);
  EXPECT_EQ(cancel.kind, Kind::kAnswer);
  ASSERT_TRUE(cancel.if_healthy.has_value());
  EXPECT_EQ(cancel.if_healthy->code(), absl::StatusCode::kNotFound);

  // The same empty 500 to a list is a passing failure, Retry-After kept.
  http::Verdict list =
      PolosVerdict(PolosCall::kList, "polos", Response(500, "", {{"retry-after", "3"}}), kNow, {});
  EXPECT_EQ(list.kind, Kind::kTransient);
  EXPECT_EQ(list.retry_after, absl::Seconds(3));
  EXPECT_FALSE(list.if_healthy.has_value());
  EXPECT_EQ(PolosVerdict(PolosCall::kGet, "polos", Response(429, ""), kNow, {}).kind,
            Kind::kTransient);

  http::Verdict bad = PolosVerdict(PolosCall::kRun, "polos",
                                   Response(404, R"({"error":"no such deployment"})"), kNow, {});
  EXPECT_EQ(bad.kind, Kind::kAnswer);
  EXPECT_EQ(bad.status.code(), absl::StatusCode::kNotFound);

  EXPECT_EQ(PolosVerdict(PolosCall::kGet, "polos", absl::UnavailableError("reset"), kNow, {}).kind,
            Kind::kTransient);
  const WriteOutcome run{"polos", "create"};
  http::Verdict cut = PolosVerdict(
      PolosCall::kRun, "polos",
      MarkFailedAfterSuccessStatus(absl::UnavailableError("body cut short")), kNow, {}, "", &run);
  EXPECT_EQ(ErrorReasonOf(cut.status), reason::kOutcomeUnknown);
}

}  // namespace
}  // namespace execgw::polos

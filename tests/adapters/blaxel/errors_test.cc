#include "adapters/blaxel/errors.h"

#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/status_details.h"

namespace execgw::blaxel {
namespace {

using ::execgw::testing::RetryDelayOf;

const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z

http::HttpResponse Response(int status, std::string body, http::Headers headers = {}) {
  http::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

TEST(ParseBlaxelErrorBody, FlatShape) {
  BlaxelErrorBody b = ParseBlaxelErrorBody(
      R"({"code":400,"error":"invalid_api_version","message":"Unknown API version 2020-01-01"})");
  EXPECT_EQ(b.code, "invalid_api_version");
  EXPECT_EQ(b.message, "Unknown API version 2020-01-01");
  EXPECT_FALSE(b.retryable.has_value());
}

TEST(ParseBlaxelErrorBody, NestedShape) {
  BlaxelErrorBody b = ParseBlaxelErrorBody(
      R"({"error":{"code":503,"message":"upstream overloaded","status":"UNAVAILABLE","retryable":true}})");
  EXPECT_EQ(b.code, "UNAVAILABLE");
  EXPECT_EQ(b.message, "upstream overloaded");
  EXPECT_EQ(b.retryable, true);
  BlaxelErrorBody c = ParseBlaxelErrorBody(R"({"error":{"code":"quota","message":"m"}})");
  EXPECT_EQ(c.code, "quota");
}

TEST(ParseBlaxelErrorBody, ErrorOnlyAndGarbage) {
  EXPECT_EQ(ParseBlaxelErrorBody(R"({"error":"Not Found"})").message, "Not Found");
  for (const char* body : {"", "<html>502 Bad Gateway</html>", "[1,2]", "{\"error\":", "null"}) {
    SCOPED_TRACE(body);
    BlaxelErrorBody b = ParseBlaxelErrorBody(body);
    EXPECT_EQ(b.code, "");
    EXPECT_EQ(b.message, "");
  }
}

struct Row {
  int http;
  const char* body;
  absl::StatusCode code;
  const char* reason;
};

TEST(BlaxelHttpError, Table) {
  const Row rows[] = {
      {400, R"({"code":400,"error":"invalid_api_version","message":"Unknown API version x"})",
       absl::StatusCode::kFailedPrecondition, "BACKEND_MISCONFIGURED"},
      {400, R"({"code":400,"error":"Bad Request","message":"invalid sort"})",
       absl::StatusCode::kInvalidArgument, "UPSTREAM_BAD_REQUEST"},
      {401, R"({"code":401,"error":"Unauthorized","message":"invalid credentials"})",
       absl::StatusCode::kUnauthenticated, "UPSTREAM_UNAUTHENTICATED"},
      {403, "", absl::StatusCode::kPermissionDenied, "UPSTREAM_PERMISSION_DENIED"},
      {404, R"({"code":404,"error":"Not Found","message":"Job execution e not found"})",
       absl::StatusCode::kNotFound, "UPSTREAM_NOT_FOUND"},
      {409, "", absl::StatusCode::kAlreadyExists, "UPSTREAM_CONFLICT"},
      {429, "", absl::StatusCode::kResourceExhausted, "UPSTREAM_RATE_LIMITED"},
      {500, "<html>oops</html>", absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE"},
      {500, R"({"error":{"code":500,"message":"bad state","status":"INTERNAL","retryable":false}})",
       absl::StatusCode::kInternal, "UPSTREAM_ERROR"},
      {501, "", absl::StatusCode::kUnimplemented, "UPSTREAM_ERROR"},
      {502, "", absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE"},
      {503, R"({"error":{"code":503,"message":"busy","retryable":true}})",
       absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE"},
      {418, "", absl::StatusCode::kUnknown, "UPSTREAM_ERROR"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(absl::StrCat(row.http, " ", row.body));
    absl::Status s = BlaxelHttpError("bx", Response(row.http, row.body), kNow, {});
    EXPECT_EQ(s.code(), row.code) << s;
    EXPECT_EQ(ErrorReasonOf(s), row.reason);
    EXPECT_TRUE(absl::StrContains(s.message(), "\"bx\"")) << s;
    EXPECT_FALSE(absl::StrContains(s.message(), "<html>")) << s;  // bodies are never echoed
  }
}

TEST(BlaxelHttpError, UpstreamMessageIsQuoted) {
  absl::Status s = BlaxelHttpError(
      "bx",
      Response(404, R"({"code":404,"error":"Not Found","message":"Job execution e not found"})"),
      kNow, {});
  EXPECT_TRUE(absl::StrContains(s.message(), "Job execution e not found")) << s;
}

// A body that is not a Blaxel error (a proxy's HTML page, which may echo a
// credential as `bl&#45;...`, plain text) is described, never quoted.
TEST(BlaxelHttpError, OtherBodiesAreDescribedNeverQuoted) {
  absl::Status html = BlaxelHttpError(
      "bx", Response(502, "<html><p>Bearer bl&#45;test&#45;key</p></html>"), kNow, {});
  EXPECT_TRUE(absl::StrContains(html.message(), "an HTML page of 46 bytes")) << html;
  EXPECT_FALSE(absl::StrContains(html.message(), "test")) << html;
  absl::Status text = BlaxelHttpError("bx", Response(503, "overloaded, key=abc"), kNow, {});
  EXPECT_TRUE(absl::StrContains(text.message(), "a body of 19 bytes that is not JSON")) << text;
  EXPECT_FALSE(absl::StrContains(text.message(), "abc")) << text;
  absl::Status json = BlaxelHttpError("bx", Response(500, R"({"x":["abc"]})"), kNow, {});
  EXPECT_TRUE(absl::StrContains(json.message(), "JSON that is not a Blaxel error")) << json;
  EXPECT_FALSE(absl::StrContains(json.message(), "abc")) << json;
}

TEST(BlaxelHttpError, RetryAfterSecondsAndDate) {
  absl::Status secs = BlaxelHttpError("bx", Response(429, "", {{"retry-after", "7"}}), kNow, {});
  EXPECT_EQ(RetryDelayOf(secs), absl::Seconds(7));
  absl::Status date = BlaxelHttpError(
      "bx", Response(503, "", {{"Retry-After", "Thu, 01 Jan 2026 00:00:30 GMT"}}), kNow, {});
  EXPECT_EQ(RetryDelayOf(date), absl::Seconds(30));
  absl::Status garbage =
      BlaxelHttpError("bx", Response(429, "", {{"retry-after", "soon"}}), kNow, {});
  EXPECT_FALSE(RetryDelayOf(garbage).has_value());
  EXPECT_EQ(garbage.code(), absl::StatusCode::kResourceExhausted);
}

TEST(BlaxelHttpError, SecretIsRedacted) {
  const std::string key = "bl-secret-key-123";
  absl::Status s = BlaxelHttpError(
      "bx",
      Response(401, absl::StrCat(R"({"code":401,"error":"Unauthorized","message":"token )", key,
                                 R"( is revoked"})")),
      kNow, {key});
  EXPECT_FALSE(absl::StrContains(s.message(), key)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "[redacted]")) << s;
}

// A leak is any prefix of the key of at least 8 characters, anywhere a
// caller can read (message and payloads).
constexpr absl::string_view kKey = "bl-live-key-8c2f4e61a9d0";

std::string AllText(const absl::Status& s) {
  std::string out(s.message());
  s.ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) {
    absl::StrAppend(&out, "|", url, "=", std::string(payload));
  });
  return out;
}

absl::Status MapWithKey(int status, std::string body) {
  const std::vector<std::string> secrets = {std::string(kKey)};
  return BlaxelHttpError("bx", Response(status, std::move(body)), kNow, secrets);
}

TEST(BlaxelHttpError, KeyAcrossTheCutIsRedactedWhole) {
  // Every path keeps 500 bytes of the message: the cut falls 12 characters
  // into the key.
  const std::string text = absl::StrCat(std::string(500 - 12 - 7, 'x'), "Bearer ", kKey, " more");
  for (const std::string& body :
       {absl::StrCat(R"({"code":401,"error":"Unauthorized","message":")", text, R"("})"),
        absl::StrCat(R"({"error":{"code":500,"message":")", text, R"(","retryable":false}})"),
        absl::StrCat(R"({"code":400,"error":"invalid_api_version","message":")", text, R"("})")}) {
    for (int status : {401, 500, 400}) {
      absl::Status s = MapWithKey(status, body);
      EXPECT_FALSE(absl::StrContains(AllText(s), kKey.substr(0, 8))) << "key leaked: " << s;
    }
  }
}

// The cut can also make a spelling that the whole message did not hold: the
// key but its last character ('0'), then "&#485" (not a reference to '0'),
// cut after "&#48" (a reference to '0', ';' being optional). The status is
// redacted again after the cut (the fuzzer's
// regressions/upstream_error/cut_completes_an_html_reference).
TEST(BlaxelHttpError, ACutThatCompletesASpellingOfTheKeyIsRedacted) {
  const std::string almost = absl::StrCat(kKey.substr(0, kKey.size() - 1), "&#48");
  ASSERT_EQ(kKey.back(), '0');
  const std::string text = absl::StrCat(std::string(500 - almost.size(), 'x'), almost, "5 more");
  for (int status : {401, 500, 400}) {
    absl::Status s = MapWithKey(status, absl::StrCat(R"({"message":")", text, R"("})"));
    EXPECT_FALSE(absl::StrContains(AllText(s), kKey.substr(0, 8))) << "key leaked: " << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "[redacted]")) << s;
  }
}

TEST(BlaxelHttpError, KeyInTheCodeIsRedactedFromMetadata) {
  absl::Status s = MapWithKey(403, absl::StrCat(R"({"error":{"code":403,"status":"DENIED_)", kKey,
                                                R"(","message":"no"}})"));
  EXPECT_FALSE(absl::StrContains(AllText(s), kKey.substr(0, 8))) << "key leaked: " << s;
  EXPECT_TRUE(absl::StrContains(AllText(s), "DENIED_[redacted]")) << s;
}

TEST(BlaxelHttpError, JsonEscapedEchoIsRedactedOnceDecoded) {
  std::string escaped;
  for (char c : kKey) absl::StrAppend(&escaped, "\\u00", absl::Hex(c, absl::kZeroPad2));
  absl::Status s = MapWithKey(401, absl::StrCat(R"({"message":"key )", escaped, R"("})"));
  EXPECT_FALSE(absl::StrContains(AllText(s), kKey.substr(0, 8))) << "key leaked: " << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "key [redacted]")) << s;
}

// The one retry policy: each outcome read once into a verdict that says
// whether a retrying client may try again and what the caller gets.
TEST(BlaxelVerdict, ClassifiesEachOutcomeOnce) {
  using Kind = http::Verdict::Kind;
  EXPECT_EQ(BlaxelVerdict("bx", Response(200, "{}"), kNow, {}).kind, Kind::kSuccess);

  http::Verdict busy = BlaxelVerdict("bx", Response(503, "", {{"retry-after", "7"}}), kNow, {});
  EXPECT_EQ(busy.kind, Kind::kTransient);
  EXPECT_EQ(busy.retry_after, absl::Seconds(7));
  EXPECT_EQ(busy.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(BlaxelVerdict("bx", Response(429, ""), kNow, {}).kind, Kind::kTransient);

  // Blaxel's own word that retrying will not help is a definitive answer.
  http::Verdict final = BlaxelVerdict(
      "bx", Response(500, R"({"error":{"code":500,"message":"bad state","retryable":false}})"),
      kNow, {});
  EXPECT_EQ(final.kind, Kind::kAnswer);
  EXPECT_EQ(final.status.code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(final.retry_after.has_value());

  for (int status : {400, 401, 404, 409, 501}) {
    http::Verdict v = BlaxelVerdict("bx", Response(status, ""), kNow, {});
    EXPECT_EQ(v.kind, Kind::kAnswer) << status;
    // The same status the error table gives.
    const absl::Status table = BlaxelHttpError("bx", Response(status, ""), kNow, {});
    EXPECT_EQ(v.status.code(), table.code()) << status;
    EXPECT_EQ(v.status.message(), table.message()) << status;
    EXPECT_EQ(ErrorReasonOf(v.status), ErrorReasonOf(table)) << status;
  }

  http::Verdict refused =
      BlaxelVerdict("bx", absl::UnavailableError("connection refused"), kNow, {});
  EXPECT_EQ(refused.kind, Kind::kTransient);
  EXPECT_EQ(ErrorReasonOf(refused.status), reason::kUpstreamUnavailable);
  http::Verdict late = BlaxelVerdict("bx", absl::DeadlineExceededError("deadline"), kNow, {});
  EXPECT_EQ(late.kind, Kind::kAnswer);
  EXPECT_EQ(ErrorReasonOf(late.status), reason::kUpstreamTimeout);

  // A write's transport failure after a 2xx status line: the write rule.
  const WriteOutcome create{"bx", "create", "backends/bx/jobs/j/executions/e"};
  http::Verdict cut =
      BlaxelVerdict("bx", MarkFailedAfterSuccessStatus(absl::UnavailableError("body cut short")),
                    kNow, {}, &create);
  EXPECT_EQ(cut.status.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ErrorReasonOf(cut.status), reason::kOutcomeUnknown);
}

}  // namespace
}  // namespace execgw::blaxel

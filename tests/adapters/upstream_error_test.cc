#include "adapters/upstream_error.h"

#include <string>
#include <vector>

#include "adapters/json_value.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/status_details.h"

namespace execgw {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

google::rpc::ErrorInfo InfoOf(const absl::Status& s) {
  google::rpc::ErrorInfo info;
  auto p = s.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  if (p) info.ParseFromString(std::string(*p));
  return info;
}

struct MapCase {
  int http;
  absl::StatusCode code;
  const char* reason;
};

class HttpMappingTest : public ::testing::TestWithParam<MapCase> {};

TEST_P(HttpMappingTest, MapsStatusAndReason) {
  UpstreamFailure f;
  f.backend = "bx";
  f.http_status = GetParam().http;
  f.upstream_code = "some_code";
  f.upstream_message = "upstream says no";
  absl::Status s = HttpFailureToStatus(f);
  EXPECT_EQ(s.code(), GetParam().code);
  EXPECT_EQ(ErrorReasonOf(s), GetParam().reason);
  auto info = InfoOf(s);
  EXPECT_EQ(info.domain(), "execgw.dev");
  EXPECT_EQ(info.metadata().at("backend"), "bx");
  EXPECT_EQ(info.metadata().at("http_status"), std::to_string(GetParam().http));
  EXPECT_EQ(info.metadata().at("upstream_code"), "some_code");
  EXPECT_THAT(std::string(s.message()), HasSubstr("upstream says no"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("\"bx\""));
}

INSTANTIATE_TEST_SUITE_P(
    Table, HttpMappingTest,
    ::testing::Values(MapCase{400, absl::StatusCode::kInvalidArgument, "UPSTREAM_BAD_REQUEST"},
                      MapCase{401, absl::StatusCode::kUnauthenticated, "UPSTREAM_UNAUTHENTICATED"},
                      MapCase{403, absl::StatusCode::kPermissionDenied,
                              "UPSTREAM_PERMISSION_DENIED"},
                      MapCase{404, absl::StatusCode::kNotFound, "UPSTREAM_NOT_FOUND"},
                      MapCase{409, absl::StatusCode::kAlreadyExists, "UPSTREAM_CONFLICT"},
                      MapCase{429, absl::StatusCode::kResourceExhausted, "UPSTREAM_RATE_LIMITED"},
                      MapCase{500, absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE"},
                      MapCase{501, absl::StatusCode::kUnimplemented, "UPSTREAM_ERROR"},
                      MapCase{502, absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE"},
                      MapCase{503, absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE"},
                      MapCase{418, absl::StatusCode::kUnknown, "UPSTREAM_ERROR"}));

TEST(UpstreamErrorTest, RetryInfoOnlyWhenRetryAfterKnown) {
  UpstreamFailure f;
  f.backend = "bx";
  f.http_status = 429;
  EXPECT_FALSE(HttpFailureToStatus(f).GetPayload("type.googleapis.com/google.rpc.RetryInfo"));
  f.retry_after = absl::Milliseconds(2500);
  auto p = HttpFailureToStatus(f).GetPayload("type.googleapis.com/google.rpc.RetryInfo");
  ASSERT_TRUE(p.has_value());
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(retry.ParseFromString(std::string(*p)));
  EXPECT_EQ(retry.retry_delay().seconds(), 2);
  EXPECT_EQ(retry.retry_delay().nanos(), 500000000);
}

TEST(UpstreamErrorTest, TransportFailures) {
  auto t = TransportFailureToStatus("px", absl::DeadlineExceededError("timed out after 100ms"));
  EXPECT_EQ(t.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ErrorReasonOf(t), "UPSTREAM_TIMEOUT");
  auto c = TransportFailureToStatus("px", absl::CancelledError("x"));
  EXPECT_EQ(c.code(), absl::StatusCode::kCancelled);
  auto o = TransportFailureToStatus("px", absl::ResourceExhaustedError("queue full"));
  EXPECT_EQ(o.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReasonOf(o), "BACKEND_OVERLOADED");
  auto u = TransportFailureToStatus("px", absl::UnavailableError("connection refused"));
  EXPECT_EQ(u.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReasonOf(u), "UPSTREAM_UNAVAILABLE");
  EXPECT_THAT(std::string(u.message()), HasSubstr("connection refused"));
}

TEST(UpstreamErrorTest, RedirectsAreAConfigProblemAndNeverEchoTheirTarget) {
  for (int code : {301, 302, 303, 307, 308}) {
    UpstreamFailure f;
    f.backend = "px";
    f.http_status = code;
    // What a redirect's body often says; the Location is an internal URL.
    f.upstream_message = "Moved to http://10.0.0.7:8080/internal";
    f.upstream_code = "moved";
    absl::Status s = HttpFailureToStatus(f);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << code;
    EXPECT_EQ(ErrorReasonOf(s), "UPSTREAM_REDIRECT") << code;
    EXPECT_EQ(InfoOf(s).metadata().at("backend"), "px");
    EXPECT_EQ(InfoOf(s).metadata().at("http_status"), std::to_string(code));
    EXPECT_THAT(std::string(s.message()), HasSubstr("redirect"));
    EXPECT_THAT(std::string(s.message()), HasSubstr("baseUrl"));
    EXPECT_THAT(testing::AllText(s), Not(HasSubstr("10.0.0.7")));
    EXPECT_FALSE(testing::RetryDelayOf(s).has_value());
  }
}

TEST(UpstreamErrorTest, ResponseTooLargeIsNotOverloadAndCarriesNoRetryInfo) {
  absl::Status transport =
      MakeError(absl::StatusCode::kResourceExhausted,
                "HTTP GET: response body larger than the limit of 8388608 bytes",
                reason::kUpstreamResponseTooLarge, {{"limit_bytes", "8388608"}});
  absl::Status s = TransportFailureToStatus("px", transport);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReasonOf(s), "UPSTREAM_RESPONSE_TOO_LARGE");
  EXPECT_EQ(InfoOf(s).metadata().at("backend"), "px");
  EXPECT_EQ(InfoOf(s).metadata().at("limit_bytes"), "8388608");
  EXPECT_FALSE(testing::RetryDelayOf(s).has_value());
  EXPECT_THAT(std::string(s.message()), HasSubstr("backend \"px\""));
  EXPECT_THAT(std::string(s.message()), HasSubstr("maxResponseBytes"));

  // The queue being full is overload, and worth a retry later.
  absl::Status full = TransportFailureToStatus("px", absl::ResourceExhaustedError("queue full"));
  EXPECT_EQ(ErrorReasonOf(full), "BACKEND_OVERLOADED");
  EXPECT_TRUE(testing::RetryDelayOf(full).has_value());
}

TEST(UpstreamErrorTest, InvalidResponse) {
  auto s = InvalidResponseStatus("px", "invalid JSON at byte 0");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReasonOf(s), "UPSTREAM_INVALID_RESPONSE");
  EXPECT_EQ(ErrorReasonOf(absl::InternalError("plain")), "");
}

TEST(UpstreamErrorTest, EmptyMetadataValuesAreLeftOut) {
  auto s = MakeError(absl::StatusCode::kNotFound, "m", "R", {{"backend", "b"}, {"x", ""}});
  auto info = InfoOf(s);
  EXPECT_EQ(info.metadata().count("x"), 0u);
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("Bearer")));
}

TEST(RedactSecretsTest, ReplacesEverySecretLongestFirst) {
  const std::vector<std::string> secrets = {"", "abc12345", "xyzabc12345"};
  EXPECT_EQ(RedactSecrets("k=abc12345 k2=xyzabc12345 abc12345abc12345", secrets),
            "k=[redacted] k2=[redacted] [redacted][redacted]");
  EXPECT_EQ(RedactSecrets("nothing here", secrets), "nothing here");
  EXPECT_EQ(RedactSecrets("abc12345", {}), "abc12345");
}

TEST(RedactSecretsTest, StatusMessageAndErrorInfoMetadata) {
  const std::vector<std::string> secrets = {"sk_live_0123456789"};
  absl::Status s =
      MakeError(absl::StatusCode::kUnauthenticated, "key sk_live_0123456789 refused", "R",
                {{"upstream_code", "BAD sk_live_0123456789"}, {"backend", "b"}}, absl::Seconds(3));
  absl::Status r = RedactSecrets(s, secrets);
  EXPECT_EQ(r.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(r.message(), "key [redacted] refused");
  google::rpc::ErrorInfo info = InfoOf(r);
  EXPECT_EQ(info.reason(), "R");
  EXPECT_EQ(info.metadata().at("upstream_code"), "BAD [redacted]");
  EXPECT_EQ(info.metadata().at("backend"), "b");
  EXPECT_TRUE(r.GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value());
  EXPECT_TRUE(RedactSecrets(absl::OkStatus(), secrets).ok());
}

// Logs (JSON lines) and JSON clients write a message with its control
// characters escaped: "\\n" before "Key-..." would spell "nKey-...".
TEST(RedactSecretsTest, ASecretSpeltByAnEscapeInTheMessageOrMetadata) {
  const std::vector<std::string> secrets = {"nKey-0123456789abcdef"};
  absl::Status s =
      MakeError(absl::StatusCode::kUnavailable, "upstream said: a\nKey-0123456789abcdef", "R",
                {{"upstream_code", "x\nKey-0123456789abcdef y"}});
  absl::Status r = RedactSecrets(s, secrets);
  EXPECT_EQ(r.message(), "upstream said: a[redacted]");
  EXPECT_EQ(InfoOf(r).metadata().at("upstream_code"), "x[redacted] y");
  // A message whose escapes spell nothing keeps them.
  absl::Status plain = MakeError(absl::StatusCode::kUnavailable, "line one\nline two", "R", {});
  EXPECT_EQ(RedactSecrets(plain, secrets).message(), "line one\nline two");
}

// A secret echoed in a 2xx body in escaped forms is caught once decoded, in
// values and member names, however deep.
TEST(RedactJsonStringsTest, DecodedStringsAndKeys) {
  const std::vector<std::string> secrets = {"sk_live_0123456789"};
  absl::StatusOr<rapidjson::Document> doc =
      ParseJson(R"({"a":"\u0073k_live_0123456789","sk_live_0123456789":1,)"
                R"("n":{"m":[["x sk\/live_0123456789"]]},"keep":"plain"})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  // "\/" decodes to "/", which is not the secret: only exact decoded matches go.
  RedactJsonStrings(*doc, secrets);
  const std::string out = JsonToString(*doc);
  EXPECT_THAT(out, Not(HasSubstr("sk_live_0123456789")));
  EXPECT_THAT(out, HasSubstr(R"("a":"[redacted]")"));
  EXPECT_THAT(out, HasSubstr(R"("[redacted]":1)"));
  EXPECT_THAT(out, HasSubstr(R"("keep":"plain")"));

  // Spellings JSON decoding leaves: percent-encoded, an HTML reference,
  // base64 (c2tfbGl2ZV8wMTIzNDU2Nzg5 is "sk_live_0123456789").
  doc = ParseJson(R"({"url":"https://x/?k=sk%5Flive_0123456789","html":"sk&#95;live_0123456789",)"
                  R"("b64":["c2tfbGl2ZV8wMTIzNDU2Nzg5"],"keep":"50%25 &amp; more"})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  RedactJsonStrings(*doc, secrets);
  EXPECT_EQ(JsonToString(*doc), R"({"url":"https://x/?k=[redacted]","html":"[redacted]",)"
                                R"("b64":["[redacted]"],"keep":"50%25 &amp; more"})");
}

// A string that is not the secret but whose JSON text spells it: an
// escape's last character ("\\n", "\\u001F") and the raw text after it. The
// translators keep upstream values as JSON text (unparsed_fields), so the
// JSON text is redacted too; what is left of the cut escape is dropped.
TEST(RedactJsonStringsTest, ASecretSpeltByAnEscapeAndTheTextAfterIt) {
  const std::vector<std::string> secrets = {"nKey-0123456789abcdef", "1Fsecret-0123456789"};
  absl::StatusOr<rapidjson::Document> doc = ParseJson(
      R"({"log":"line one\nKey-0123456789abcdef and on","ctl":"a\u001fsecret-0123456789",)"
      R"("keep":"line one\nline two"})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  // Decoded, neither string holds a secret...
  EXPECT_EQ(std::string((*doc)["log"].GetString()), "line one\nKey-0123456789abcdef and on");
  RedactJsonStrings(*doc, secrets);
  // ...but written as JSON, "\\n" + "Key-..." would read "nKey-...".
  const std::string out = JsonToString(*doc);
  EXPECT_THAT(out, Not(HasSubstr("nKey-0123456789abcdef")));
  EXPECT_THAT(out, Not(HasSubstr("1Fsecret-0123456789")));
  EXPECT_EQ(std::string((*doc)["log"].GetString()), "line one[redacted] and on");
  EXPECT_EQ(std::string((*doc)["ctl"].GetString()), "a[redacted]");
  EXPECT_EQ(std::string((*doc)["keep"].GetString()), "line one\nline two");
}

TEST(OutcomeUnknownStatusTest, SaysWhatIsKnown) {
  absl::Status unknown = OutcomeUnknownStatus(
      {.backend = "px", .operation = "cancel", .name = "backends/px/executions/e"},
      "the answer was not JSON");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kUnknown);
  google::rpc::ErrorInfo info = InfoOf(unknown);
  EXPECT_EQ(info.reason(), "OUTCOME_UNKNOWN");
  EXPECT_EQ(info.metadata().at("operation"), "cancel");
  EXPECT_EQ(info.metadata().at("name"), "backends/px/executions/e");
  EXPECT_EQ(info.metadata().count("confirmed"), 0u);
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("outcome of the cancel is unknown"));

  absl::Status confirmed = OutcomeUnknownStatus(
      {.backend = "bx", .operation = "create", .name = "n", .confirmed = true}, "GET failed");
  EXPECT_EQ(confirmed.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(InfoOf(confirmed).metadata().at("confirmed"), "true");
  EXPECT_THAT(std::string(confirmed.message()), HasSubstr("could not be read back"));
}

}  // namespace
}  // namespace execgw

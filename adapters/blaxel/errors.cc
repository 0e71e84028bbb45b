#include "adapters/blaxel/errors.h"

#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "adapters/json_value.h"
#include "adapters/redaction.h"
#include "adapters/upstream_time.h"

namespace execgw::blaxel {
namespace {

// As much of the upstream's message as a status quotes (HttpFailureToStatus'
// bound too).
constexpr size_t kMaxUpstreamMessage = 500;
// As much of the upstream's error code as ErrorInfo metadata carries.
constexpr size_t kMaxUpstreamCode = 200;

// Text of a scalar member: strings as they are, numbers as JSON text.
std::string ScalarText(const rapidjson::Value& object, const char* key) {
  const rapidjson::Value* v = JsonMember(object, key);
  if (v == nullptr) return "";
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsNumber() || v->IsBool()) return JsonToString(*v);
  return "";
}

// Header lookup without depending on the HTTP library's implementation.
const std::string* FindHeader(const http::HttpResponse& response, absl::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (absl::EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

}  // namespace

BlaxelErrorBody ParseBlaxelErrorBody(absl::string_view body) {
  BlaxelErrorBody out;
  absl::StatusOr<rapidjson::Document> doc = ParseJson(body);
  if (!doc.ok() || !doc->IsObject()) return out;
  const rapidjson::Value* error = JsonMember(*doc, "error");
  if (error != nullptr && error->IsObject()) {
    out.code = ScalarText(*error, "status");
    if (out.code.empty()) out.code = ScalarText(*error, "code");
    out.message = ScalarText(*error, "message");
    out.retryable = JsonBool(*error, "retryable");
    return out;
  }
  out.code = ScalarText(*doc, "error");
  out.message = ScalarText(*doc, "message");
  if (out.message.empty()) out.message = out.code;
  if (out.code.empty()) out.code = ScalarText(*doc, "code");
  out.retryable = JsonBool(*doc, "retryable");
  return out;
}

namespace {

// The error table, with what the body said of retrying (ApplyTable's
// status before its last redaction).
absl::Status TableStatus(absl::string_view backend, const http::HttpResponse& response,
                         absl::Time now, const SecretSpellings& spellings, BlaxelErrorBody& body,
                         std::optional<absl::Duration>& retry_after) {
  body = ParseBlaxelErrorBody(response.body);
  // Redacted first, then bounded: a cut through a secret would hide it
  // from the redaction.
  body.message = spellings.Redact(body.message);
  body.code = TruncateUtf8(SanitizeUtf8(spellings.Redact(body.code)), kMaxUpstreamCode);
  UpstreamFailure failure;
  failure.backend = std::string(backend);
  failure.http_status = response.status;
  failure.upstream_code = body.code;
  failure.upstream_message = body.message;
  if (body.message.empty() && body.code.empty() &&
      !absl::StripAsciiWhitespace(response.body).empty()) {
    // Not a Blaxel error (a proxy's page, plain text): described, never
    // quoted.
    failure.upstream_message =
        http::DescribeBody(response, "Blaxel", ParseJson(response.body).ok());
  }
  if (const std::string* retry_after = FindHeader(response, "retry-after")) {
    failure.retry_after = ParseRetryAfter(*retry_after, now);
  }
  retry_after = failure.retry_after;
  const int s = response.status;
  const std::map<std::string, std::string> metadata = {{"backend", failure.backend},
                                                       {"http_status", absl::StrCat(s)},
                                                       {"upstream_code", failure.upstream_code}};
  if (s == 400 && absl::EqualsIgnoreCase(body.code, "invalid_api_version")) {
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     absl::StrCat("backend \"", backend,
                                  "\" rejected the configured Blaxel-Version (check the backend's "
                                  "\"apiVersion\" in the gateway config): ",
                                  TruncateUtf8(body.message, kMaxUpstreamMessage)),
                     reason::kBackendMisconfigured, metadata, failure.retry_after);
  }
  if (s >= 500 && s <= 599 && s != 501 && body.retryable == false) {
    std::string message = absl::StrCat("backend \"", backend, "\" answered HTTP ", s,
                                       " and said retrying will not help");
    if (!body.message.empty()) {
      absl::StrAppend(&message, ": ", TruncateUtf8(body.message, kMaxUpstreamMessage));
    }
    return MakeError(absl::StatusCode::kInternal, message, reason::kUpstreamError, metadata,
                     failure.retry_after);
  }
  return HttpFailureToStatus(failure);
}

// TableStatus, redacted once more as a whole: a cut can complete a
// spelling the redaction before it rightly left alone (an upstream text
// holding all of a secret but its last character, then "&#62" and a digit,
// which the cut after "&#62" makes a reference to '>', the secret's last).
absl::Status ApplyTable(absl::string_view backend, const http::HttpResponse& response,
                        absl::Time now, absl::Span<const std::string> secrets,
                        BlaxelErrorBody& body, std::optional<absl::Duration>& retry_after) {
  const SecretSpellings spellings(secrets);
  return RedactSecrets(TableStatus(backend, response, now, spellings, body, retry_after),
                       spellings);
}

}  // namespace

absl::Status BlaxelHttpError(absl::string_view backend, const http::HttpResponse& response,
                             absl::Time now, absl::Span<const std::string> secrets) {
  BlaxelErrorBody body;
  std::optional<absl::Duration> retry_after;
  return ApplyTable(backend, response, now, secrets, body, retry_after);
}

http::Verdict BlaxelVerdict(absl::string_view backend,
                            const absl::StatusOr<http::HttpResponse>& outcome, absl::Time now,
                            absl::Span<const std::string> secrets, const WriteOutcome* write) {
  if (!outcome.ok()) {
    return http::FailureVerdict(
        outcome.status(), write != nullptr ? WriteTransportFailure(*write, outcome.status())
                                           : TransportFailureToStatus(backend, outcome.status()));
  }
  const int s = outcome->status;
  if (s >= 200 && s <= 299) return http::Verdict{};
  BlaxelErrorBody body;
  std::optional<absl::Duration> retry_after;
  absl::Status status = ApplyTable(backend, *outcome, now, secrets, body, retry_after);
  if (body.retryable == false) {
    // Blaxel's own word that retrying will not help.
    http::Verdict answer;
    answer.kind = http::Verdict::Kind::kAnswer;
    answer.status = std::move(status);
    return answer;
  }
  return http::ErrorVerdict(s, std::move(status), retry_after);
}

}  // namespace execgw::blaxel

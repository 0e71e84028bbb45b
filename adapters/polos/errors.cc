#include "adapters/polos/errors.h"

#include <map>
#include <optional>
#include <string>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/json_value.h"
#include "adapters/redaction.h"
#include "adapters/upstream_time.h"

namespace execgw::polos {
namespace {

constexpr size_t kMaxRawMessage = 200;
// Bounds what is kept of an upstream's error code and message; the status
// built from them cuts further.
constexpr size_t kMaxUpstreamText = 1024;

bool BodyWasEmpty(const UpstreamFailure& f) {
  return f.upstream_code.empty() && f.upstream_message.empty();
}

// Cancel's "not found" answer: the server wraps every failure to load the
// execution in this one message.
bool IsCancelLookupFailure(const UpstreamFailure& f) {
  return f.http_status == 500 && f.upstream_code == "INTERNAL_ERROR" &&
         f.upstream_message == "Failed to get execution";
}

// Polos refusing the X-Project-ID header (see errors.h): a 400 with an empty
// body, or naming the header.
bool IsMisconfiguredProject(const UpstreamFailure& f) {
  if (f.http_status != 400) return false;
  return BodyWasEmpty(f) || absl::StrContains(f.upstream_message, "Project-ID");
}

// The code and message of an error object: Polos' own shape
// {"error": "...", "error_type": "..."}, a front end's {"message": "..."},
// or a nested {"error": {"message": "...", "code"|"status"|"error_type": ...}}.
struct ErrorFields {
  std::string code;
  std::string message;
};

ErrorFields ReadErrorFields(const rapidjson::Value& object) {
  ErrorFields out;
  const rapidjson::Value* error = JsonMember(object, "error");
  const rapidjson::Value& source = error != nullptr && error->IsObject() ? *error : object;
  for (const char* key : {"error_type", "code", "status"}) {
    if (std::optional<std::string> code = JsonString(source, key); code.has_value()) {
      out.code = *std::move(code);
      break;
    }
  }
  for (const char* key : {"error", "message", "detail"}) {
    if (std::optional<std::string> message = JsonString(source, key); message.has_value()) {
      out.message = *std::move(message);
      break;
    }
  }
  return out;
}

std::map<std::string, std::string> Metadata(const UpstreamFailure& f,
                                            absl::string_view execution_id) {
  return {{"backend", f.backend},
          {"http_status", absl::StrCat(f.http_status)},
          {"upstream_code", f.upstream_code},
          {"execution_id", std::string(execution_id)}};
}

std::string Subject(absl::string_view execution_id) {
  if (execution_id.empty()) return "the execution";
  return absl::StrCat("execution \"", execution_id, "\"");
}

absl::Status NotFound(const UpstreamFailure& f, absl::string_view execution_id,
                      absl::string_view how) {
  return MakeError(
      absl::StatusCode::kNotFound,
      absl::StrCat("backend \"", f.backend, "\" has no ", Subject(execution_id), " (", how, ")"),
      reason::kUpstreamNotFound, Metadata(f, execution_id));
}

}  // namespace

UpstreamFailure ReadFailure(absl::string_view backend, const http::HttpResponse& response,
                            absl::Time now, absl::Span<const std::string> secrets) {
  return ReadFailure(backend, response, now, SecretSpellings(secrets));
}

UpstreamFailure ReadFailure(absl::string_view backend, const http::HttpResponse& response,
                            absl::Time now, const SecretSpellings& spellings) {
  UpstreamFailure f;
  f.backend = std::string(backend);
  f.http_status = response.status;
  if (const std::string* retry = response.FindHeader("retry-after"); retry != nullptr) {
    f.retry_after = ParseRetryAfter(*retry, now);
  }
  const absl::string_view body = absl::StripAsciiWhitespace(response.body);
  if (body.empty()) return f;
  absl::StatusOr<rapidjson::Document> doc = ParseJson(body);
  if (doc.ok() && doc->IsObject()) {
    // Redacted once decoded: an escaped echo ("\/", "\u0041") of a secret
    // only matches now, and before any cut.
    const ErrorFields fields = ReadErrorFields(*doc);
    f.upstream_code = TruncateUtf8(spellings.Redact(fields.code), kMaxUpstreamText);
    f.upstream_message = TruncateUtf8(spellings.Redact(fields.message), kMaxUpstreamText);
    if (!f.upstream_code.empty() || !f.upstream_message.empty()) return f;
  }
  // Not a Polos error (a proxy's HTML page, plain text, other JSON): never
  // echoed, as no redaction can know every encoding of a secret in it.
  f.upstream_message = http::DescribeBody(response, "Polos", doc.ok());
  return f;
}

bool NeedsHealthProbe(PolosCall call, const UpstreamFailure& f) {
  switch (call) {
    case PolosCall::kGet:
      return f.http_status == 500 && BodyWasEmpty(f);
    case PolosCall::kCancel:
      return IsCancelLookupFailure(f);
    default:
      return false;
  }
}

absl::Status FailureToStatus(PolosCall call, const UpstreamFailure& f, ProbeResult probe,
                             absl::string_view execution_id) {
  if (NeedsHealthProbe(call, f)) {
    if (probe == ProbeResult::kHealthy ||
        (call == PolosCall::kCancel && probe == ProbeResult::kNotProbed)) {
      return NotFound(f, execution_id,
                      call == PolosCall::kGet
                          ? "it answered HTTP 500 with an empty body while a health probe "
                            "succeeded, which is how Polos reports a missing execution"
                          : "it answered HTTP 500 \"Failed to get execution\"");
    }
    if (probe == ProbeResult::kUnhealthy) {
      return MakeError(absl::StatusCode::kUnavailable,
                       absl::StrCat("backend \"", f.backend, "\" answered HTTP ", f.http_status,
                                    " and failed a health probe too: it looks unavailable"),
                       reason::kUpstreamUnavailable, Metadata(f, execution_id));
    }
    // An ambiguous GET without a probe: the safe reading is "unavailable".
  }
  if (IsMisconfiguredProject(f)) {
    std::string message = absl::StrCat(
        "backend \"", f.backend,
        "\" refused the configured project id (HTTP 400); check the backend's projectId (the "
        "UUID of the Polos project the API key belongs to)");
    if (!f.upstream_message.empty()) {
      absl::StrAppend(&message, ": ", TruncateUtf8(SanitizeUtf8(f.upstream_message), 500));
    }
    std::map<std::string, std::string> metadata = Metadata(f, execution_id);
    metadata["config_key"] = "projectId";
    return MakeError(absl::StatusCode::kFailedPrecondition, message, reason::kBackendMisconfigured,
                     metadata);
  }
  if (call == PolosCall::kCancel && f.http_status == 400 &&
      f.upstream_code == "CANCELLATION_ERROR") {
    std::string message =
        absl::StrCat(Subject(execution_id), " on backend \"", f.backend, "\" cannot be cancelled");
    if (!f.upstream_message.empty()) {
      absl::StrAppend(&message, ": ", TruncateUtf8(SanitizeUtf8(f.upstream_message), 500));
    }
    return MakeError(absl::StatusCode::kFailedPrecondition, message, reason::kFailedPrecondition,
                     Metadata(f, execution_id));
  }
  if (f.upstream_code == "NOT_FOUND" || f.http_status == 404) {
    const std::string how = f.upstream_message.empty()
                                ? absl::StrCat("HTTP ", f.http_status)
                                : TruncateUtf8(f.upstream_message, kMaxRawMessage);
    if (call == PolosCall::kGet || call == PolosCall::kCancel) {
      return NotFound(f, execution_id, how);
    }
    // Run: "project or deployment not found"; not about an execution.
    return MakeError(absl::StatusCode::kNotFound,
                     absl::StrCat("backend \"", f.backend, "\" answered not found: ", how),
                     reason::kUpstreamNotFound, Metadata(f, execution_id));
  }
  return HttpFailureToStatus(f);
}

http::Verdict PolosVerdict(PolosCall call, absl::string_view backend,
                           const absl::StatusOr<http::HttpResponse>& outcome, absl::Time now,
                           absl::Span<const std::string> secrets, absl::string_view execution_id,
                           const WriteOutcome* write) {
  if (!outcome.ok()) {
    return http::FailureVerdict(
        outcome.status(), write != nullptr ? WriteTransportFailure(*write, outcome.status())
                                           : TransportFailureToStatus(backend, outcome.status()));
  }
  if (outcome->status >= 200 && outcome->status <= 299) return http::Verdict{};
  const SecretSpellings spellings(secrets);
  const UpstreamFailure failure = ReadFailure(backend, *outcome, now, spellings);
  // Each status redacted once more as a whole: the cuts FailureToStatus
  // makes can complete a spelling of a secret (see Blaxel's ApplyTable).
  auto status = [&](ProbeResult probe) {
    return RedactSecrets(FailureToStatus(call, failure, probe, execution_id), spellings);
  };
  if (NeedsHealthProbe(call, failure)) {
    http::Verdict ambiguous;
    ambiguous.kind = http::Verdict::Kind::kAnswer;
    ambiguous.status = status(ProbeResult::kUnhealthy);
    ambiguous.if_healthy = status(ProbeResult::kHealthy);
    return ambiguous;
  }
  return http::ErrorVerdict(outcome->status, status(ProbeResult::kNotProbed), failure.retry_after);
}

}  // namespace execgw::polos

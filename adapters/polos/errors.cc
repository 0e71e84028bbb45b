#include "adapters/polos/errors.h"

#include <map>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "adapters/json_value.h"
#include "adapters/upstream_time.h"

namespace execgw::polos {
namespace {

constexpr size_t kMaxRawMessage = 200;

bool BodyWasEmpty(const UpstreamFailure& f) {
  return f.upstream_code.empty() && f.upstream_message.empty();
}

// Cancel's "not found" answer: the server wraps every failure to load the
// execution in this one message.
bool IsCancelLookupFailure(const UpstreamFailure& f) {
  return f.http_status == 500 && f.upstream_code == "INTERNAL_ERROR" &&
         f.upstream_message == "Failed to get execution";
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
  return MakeError(absl::StatusCode::kNotFound,
                   absl::StrCat("backend \"", f.backend, "\" has no ", Subject(execution_id),
                                " (", how, ")"),
                   reason::kUpstreamNotFound, Metadata(f, execution_id));
}

}  // namespace

UpstreamFailure ReadFailure(absl::string_view backend, const http::HttpResponse& response,
                            absl::Time now, absl::Span<const std::string> secrets) {
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
    // only matches now.
    f.upstream_code = RedactSecrets(JsonString(*doc, "error_type").value_or(""), secrets);
    std::optional<std::string> message = JsonString(*doc, "error");
    if (!message.has_value()) message = JsonString(*doc, "message");
    f.upstream_message = RedactSecrets(message.value_or(""), secrets);
    if (!f.upstream_code.empty() || !f.upstream_message.empty()) return f;
  }
  // Not a Polos error object (a proxy's HTML page, plain text...): redacted
  // whole, then cut, so the cut cannot keep part of a secret.
  f.upstream_message = TruncateUtf8(SanitizeUtf8(RedactSecrets(body, secrets)), kMaxRawMessage);
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
  if (call == PolosCall::kCancel && f.http_status == 400 &&
      f.upstream_code == "CANCELLATION_ERROR") {
    std::string message =
        absl::StrCat(Subject(execution_id), " on backend \"", f.backend, "\" cannot be cancelled");
    if (!f.upstream_message.empty()) absl::StrAppend(&message, ": ", f.upstream_message);
    return MakeError(absl::StatusCode::kFailedPrecondition, message,
                     reason::kFailedPrecondition, Metadata(f, execution_id));
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

}  // namespace execgw::polos

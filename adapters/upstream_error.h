#ifndef EXECGW_ADAPTERS_UPSTREAM_ERROR_H_
#define EXECGW_ADAPTERS_UPSTREAM_ERROR_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "adapters/redaction.h"
#include "rapidjson/document.h"

namespace execgw {

// The ErrorInfo domain of every error the gateway reports (AIP-193).
inline constexpr absl::string_view kErrorDomain = "execgw.dev";

// ErrorInfo reasons. The README's error table documents each.
namespace reason {
inline constexpr absl::string_view kInvalidArgument = "INVALID_ARGUMENT";
inline constexpr absl::string_view kBackendNotConfigured = "BACKEND_NOT_CONFIGURED";
inline constexpr absl::string_view kWrongBackendKind = "WRONG_BACKEND_KIND";
inline constexpr absl::string_view kInvalidPageToken = "INVALID_PAGE_TOKEN";
inline constexpr absl::string_view kUpstreamBadRequest = "UPSTREAM_BAD_REQUEST";
inline constexpr absl::string_view kUpstreamUnauthenticated = "UPSTREAM_UNAUTHENTICATED";
inline constexpr absl::string_view kUpstreamPermissionDenied = "UPSTREAM_PERMISSION_DENIED";
inline constexpr absl::string_view kUpstreamNotFound = "UPSTREAM_NOT_FOUND";
inline constexpr absl::string_view kUpstreamConflict = "UPSTREAM_CONFLICT";
inline constexpr absl::string_view kUpstreamRateLimited = "UPSTREAM_RATE_LIMITED";
inline constexpr absl::string_view kUpstreamUnavailable = "UPSTREAM_UNAVAILABLE";
inline constexpr absl::string_view kUpstreamTimeout = "UPSTREAM_TIMEOUT";
inline constexpr absl::string_view kUpstreamInvalidResponse = "UPSTREAM_INVALID_RESPONSE";
inline constexpr absl::string_view kUpstreamError = "UPSTREAM_ERROR";
inline constexpr absl::string_view kBackendOverloaded = "BACKEND_OVERLOADED";
inline constexpr absl::string_view kCircuitOpen = "CIRCUIT_OPEN";
inline constexpr absl::string_view kFailedPrecondition = "FAILED_PRECONDITION";
inline constexpr absl::string_view kCancelled = "CANCELLED";
// WatchExecution: a watch over the per-caller or total limit.
inline constexpr absl::string_view kWatchLimitExceeded = "WATCH_LIMIT_EXCEEDED";
// WatchExecution: the gateway is shutting down; metadata `etag` to resume with.
inline constexpr absl::string_view kGatewayShuttingDown = "GATEWAY_SHUTTING_DOWN";
// A write (create, cancel) whose result the gateway does not know: see
// OutcomeUnknownStatus.
inline constexpr absl::string_view kOutcomeUnknown = "OUTCOME_UNKNOWN";
// An upstream body larger than the backend's response limit.
inline constexpr absl::string_view kUpstreamResponseTooLarge = "UPSTREAM_RESPONSE_TOO_LARGE";
// An upstream answered with a redirect (3xx), which the gateway never follows.
inline constexpr absl::string_view kUpstreamRedirect = "UPSTREAM_REDIRECT";
// The upstream refused the backend's configuration (a project id, an API
// version): an operator must fix the config, the caller cannot.
inline constexpr absl::string_view kBackendMisconfigured = "BACKEND_MISCONFIGURED";
}  // namespace reason

// What the gateway knows about a failed upstream exchange.
struct UpstreamFailure {
  std::string backend;
  int http_status = 0;           // 0 when no response arrived
  std::string upstream_code;     // the upstream's own error code, if any
  std::string upstream_message;  // the upstream's own message, if any
  std::optional<absl::Duration> retry_after;
};

// The type URL of the field violations a status carries: a serialised
// google.rpc.BadRequest, under a URL of our own so that only
// FieldViolationsOf reads it.
inline constexpr absl::string_view kFieldViolationTypeUrl = "type.execgw.dev/field_violation";

// A rule a request field breaks: the field's path in the request
// ("request_id", "backends[1].baseUrl") and what is wrong with it.
struct FieldViolation {
  std::string field;
  std::string description;
};

// The one way to make a caller's field error: INVALID_ARGUMENT with the
// message "<field>: <description>", carrying that FieldViolation as a
// payload (kFieldViolationTypeUrl), from which the gateway builds
// google.rpc.BadRequest; a message is never read for a field.
// The second form also carries an ErrorInfo (MakeError) with `reason` and
// `metadata` plus field=<field>.
absl::Status FieldError(absl::string_view field, absl::string_view description);
absl::Status FieldError(absl::string_view field, absl::string_view description,
                        absl::string_view reason, std::map<std::string, std::string> metadata);

// The answer to request fields a backend does not support: INVALID_ARGUMENT
// "f1: not supported by <kind> backends; f2: ...", ErrorInfo reason
// INVALID_ARGUMENT (metadata field "f1,f2" and backend), one field violation
// per field. `kind` is "Blaxel" or "Polos".
absl::Status UnsupportedFieldsError(absl::Span<const std::string> fields, absl::string_view kind,
                                    absl::string_view backend);

// `status` (code, message and payloads kept) also carrying `violation`, after
// any it carries already: for a status naming several fields, or a field
// error whose code is not INVALID_ARGUMENT (a config secret that cannot be
// read).
absl::Status AddFieldViolation(absl::Status status, FieldViolation violation);

// The field violations `status` carries, in the order they were added.
std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status);

// Builds a status carrying a google.rpc.ErrorInfo payload (domain
// kErrorDomain, `reason`, `metadata`) and, when `retry_after` is set, a
// google.rpc.RetryInfo payload. Payloads are keyed by their type URLs
// (`type.googleapis.com/google.rpc.ErrorInfo`), so the gateway can copy
// them into `google.rpc.Status.details` as they are.
absl::Status MakeError(absl::StatusCode code, absl::string_view message, absl::string_view reason,
                       const std::map<std::string, std::string>& metadata = {},
                       std::optional<absl::Duration> retry_after = std::nullopt);

// The default HTTP-status-to-gRPC mapping shared by the adapters (each
// adapter applies its upstream's quirks before falling back to it):
//   400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
//   404 NOT_FOUND, 408 UNAVAILABLE, 409 ALREADY_EXISTS, 429 RESOURCE_EXHAUSTED,
//   501 UNIMPLEMENTED, other 5xx UNAVAILABLE, a redirect (301, 302, 303,
//   307, 308) FAILED_PRECONDITION (UPSTREAM_REDIRECT: a config problem),
//   anything else UNKNOWN.
// The message says which backend answered what, plus the upstream's own
// message when it gave one (not for a redirect, whose text would echo its
// internal Location). Metadata: backend, http_status, upstream_code.
absl::Status HttpFailureToStatus(const UpstreamFailure& failure);

// Wraps a transport-level failure (no response) from the HTTP client. The
// HTTP client's UPSTREAM_RESPONSE_TOO_LARGE gets the backend added (code
// RESOURCE_EXHAUSTED, no RetryInfo: the body would be as large again;
// metadata backend, limit_bytes). Any other status that already carries an
// ErrorInfo (the retrying client's CIRCUIT_OPEN) is passed on unchanged.
// Otherwise: DEADLINE_EXCEEDED (the caller's deadline, or the backend's
// request timeout on the last attempt) stays DEADLINE_EXCEEDED
// (UPSTREAM_TIMEOUT), CANCELLED stays CANCELLED, RESOURCE_EXHAUSTED (the
// gateway's own queue for the backend is full) stays RESOURCE_EXHAUSTED
// (BACKEND_OVERLOADED, RetryInfo 1 s), anything else becomes UNAVAILABLE
// (UPSTREAM_UNAVAILABLE). Messages name the backend and the kind of failure,
// as the HTTP client words it, never the upstream's URL.
absl::Status TransportFailureToStatus(absl::string_view backend, const absl::Status& transport);

// For a 2xx body the gateway cannot use: INTERNAL, UPSTREAM_INVALID_RESPONSE.
absl::Status InvalidResponseStatus(absl::string_view backend, absl::string_view what);

// The rule for every write (create, cancel): OK only when the upstream
// confirmed the write and the execution was read as it stands afterwards.
// When the gateway cannot tell what happened (the upstream's answer to the
// write could not be read, or a create was accepted but the execution could
// not be read back), the answer is UNKNOWN with reason OUTCOME_UNKNOWN, so
// the caller checks with GetExecution (or retries with the same request_id)
// instead of trusting a guess. Metadata: backend, operation ("create" or
// "cancel"), name (the execution's resource name, when known) and confirmed
// ("true" when the upstream confirmed the write, a create's new execution
// id for one, and only reading the execution afterwards failed).
struct WriteOutcome {
  std::string backend;
  std::string operation;   // "create" or "cancel"
  std::string name;        // resource name, when known
  bool confirmed = false;  // the upstream confirmed the write
};
absl::Status OutcomeUnknownStatus(const WriteOutcome& outcome, absl::string_view what);

// A transport failure that came after the upstream's status line said 2xx
// (the body was cut short, or was over the size limit): the request was
// received and answered, so a write may have happened. The HTTP client
// marks such failures; WriteTransportFailure reads the mark.
absl::Status MarkFailedAfterSuccessStatus(absl::Status transport);
bool FailedAfterSuccessStatus(const absl::Status& transport);

// The status for a write (create, cancel) whose exchange failed in
// transport: OUTCOME_UNKNOWN (the write rule, not confirmed) when the
// upstream had already answered 2xx, otherwise TransportFailureToStatus.
absl::Status WriteTransportFailure(const WriteOutcome& outcome, const absl::Status& transport);

// The one answer of both kinds of backend to a request_id reused with a
// different request: INVALID_ARGUMENT, reason INVALID_ARGUMENT, metadata
// field=request_id and backend.
absl::Status RequestIdReusedStatus(absl::string_view backend);

// RedactSecrets (adapters/redaction.h) for a status: its message, the values of its ErrorInfo
// metadata and its field violations' descriptions; other payloads are kept. A last line of defence
// for statuses built from text that did not come through the redaction above.
absl::Status RedactSecrets(const absl::Status& status, absl::Span<const std::string> secrets);
// The same with the spellings built already.
absl::Status RedactSecrets(const absl::Status& status, const SecretSpellings& spellings);

// Redacts each of `secrets` (in every spelling RedactSecrets matches) from
// every string (and member name) of a parsed upstream document, in place:
// what a 2xx body echoes of a credential must not reach callers through the translated
// execution (extra_fields, unparsed_fields...). A string is also checked as
// the JSON text it is written as (unparsed_fields), where an escape's last
// character and the text after it can spell a secret that the string does
// not hold. Cheap when nothing matches.
void RedactJsonStrings(rapidjson::Document& doc, absl::Span<const std::string> secrets);
void RedactJsonStrings(rapidjson::Document& doc, const SecretSpellings& secrets);

// The one way adapters read a 2xx upstream body: parsed (ParseJson, whose
// error it returns), then each of `secrets` (every credential the upstream
// could echo) redacted from its strings with RedactJsonStrings, before
// anything of it is translated.
absl::StatusOr<rapidjson::Document> ParseRedactedJson(absl::string_view body,
                                                      absl::Span<const std::string> secrets);
// The same with the secrets' spellings built beforehand (a backend whose
// credentials do not change builds them once).
absl::StatusOr<rapidjson::Document> ParseRedactedJson(absl::string_view body,
                                                      const SecretSpellings& secrets);

// Reads back the ErrorInfo reason of a status built by MakeError ("" if none).
std::string ErrorReasonOf(const absl::Status& status);

// The delay of the RetryInfo a status built by MakeError carries, if any.
std::optional<absl::Duration> RetryDelayOf(const absl::Status& status);

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_UPSTREAM_ERROR_H_

#ifndef EXECGW_ADAPTERS_BLAXEL_ERRORS_H_
#define EXECGW_ADAPTERS_BLAXEL_ERRORS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "adapters/http/http_client.h"
#include "adapters/http/verdict.h"
#include "adapters/upstream_error.h"

namespace execgw::blaxel {

// What a Blaxel error body says. Two shapes occur:
//   {"code": 404, "error": "Not Found", "message": "Job execution x not found"}
//   {"error": {"code": 404, "message": "...", "status": "NOT_FOUND", "retryable": false}}
// `code` is the upstream's word for the error: the flat shape's `error`
// text (e.g. "invalid_api_version"), the nested shape's `status` (else its
// `code`). Empty, non-JSON or otherwise shaped bodies give empty fields
// (the body is never echoed: it may be an HTML page or huge, and it is not
// redacted; only the decoded strings above ever reach a message, redacted
// and bounded by BlaxelHttpError).
struct BlaxelErrorBody {
  std::string code;
  std::string message;
  std::optional<bool> retryable;
};
BlaxelErrorBody ParseBlaxelErrorBody(absl::string_view body);

// The Blaxel error table: a non-2xx response -> status. Quirks first, then
// the shared default (HttpFailureToStatus):
//
// | HTTP | condition                        | code                | reason                     |
// | ---- | -------------------------------- | ------------------- | -------------------------- |
// | 400  | code `invalid_api_version`       | FAILED_PRECONDITION | BACKEND_MISCONFIGURED      |
// | 400  | other                            | INVALID_ARGUMENT    | UPSTREAM_BAD_REQUEST       |
// | 401  |                                  | UNAUTHENTICATED     | UPSTREAM_UNAUTHENTICATED   |
// | 403  |                                  | PERMISSION_DENIED   | UPSTREAM_PERMISSION_DENIED |
// | 404  |                                  | NOT_FOUND           | UPSTREAM_NOT_FOUND         |
// | 408  |                                  | UNAVAILABLE         | UPSTREAM_UNAVAILABLE       |
// | 409  |                                  | ALREADY_EXISTS      | UPSTREAM_CONFLICT          |
// | 429  |                                  | RESOURCE_EXHAUSTED  | UPSTREAM_RATE_LIMITED      |
// | 5xx  | nested body says retryable false | INTERNAL            | UPSTREAM_ERROR             |
// | 501  |                                  | UNIMPLEMENTED       | UPSTREAM_ERROR             |
// | 5xx  | other                            | UNAVAILABLE         | UPSTREAM_UNAVAILABLE       |
// | else |                                  | UNKNOWN             | UPSTREAM_ERROR             |
//
// A wrong Blaxel-Version is the gateway's configuration, not the caller's
// argument, hence FAILED_PRECONDITION; the message names the config's JSON
// key `apiVersion`. Every status carries ErrorInfo
// metadata backend, http_status, upstream_code; a `Retry-After` header (on
// any status; seconds or an HTTP date relative to `now`) becomes RetryInfo.
// Each of `secrets` (the credential the request was sent with: the API key
// or the OAuth access token) is redacted from the upstream's code and message
// once they are decoded from JSON and before they are cut short (see
// RedactSecrets), so a credential echoed by the upstream, escaped or not,
// never reaches a caller or a log, not even in part.
absl::Status BlaxelHttpError(absl::string_view backend, const http::HttpResponse& response,
                             absl::Time now, absl::Span<const std::string> secrets);

// Blaxel's one retry policy: the verdict on one outcome of a request sent
// with `secrets` (http/verdict.h), the table above read once. 2xx: success.
// Another status: BlaxelHttpError's status; transient (its Retry-After
// kept) for 429 and 5xx other than 501, unless the body says `retryable:
// false`; a definitive answer otherwise. A transport failure:
// TransportFailureToStatus's status, or WriteTransportFailure's for a
// write (`write` set, for the create's POST and the cancel's DELETE);
// transient as http::IsTransientFailure says.
http::Verdict BlaxelVerdict(absl::string_view backend,
                            const absl::StatusOr<http::HttpResponse>& outcome, absl::Time now,
                            absl::Span<const std::string> secrets,
                            const WriteOutcome* write = nullptr);

}  // namespace execgw::blaxel

#endif  // EXECGW_ADAPTERS_BLAXEL_ERRORS_H_

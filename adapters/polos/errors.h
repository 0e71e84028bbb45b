#ifndef EXECGW_ADAPTERS_POLOS_ERRORS_H_
#define EXECGW_ADAPTERS_POLOS_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "adapters/http/http_client.h"
#include "adapters/http/verdict.h"
#include "adapters/upstream_error.h"

namespace execgw::polos {

// The Polos calls whose failures are mapped here.
enum class PolosCall { kGet, kList, kRun, kCancel, kEvents };

// What the health probe found (see "Telling a missing execution from a
// sick server" below).
enum class ProbeResult {
  kNotProbed,  // no probe was needed or made
  kHealthy,    // the probe got a 2xx: the server and its database work
  kUnhealthy,  // the probe failed too
};

// THE error table for Polos. Polos error bodies are
// `{"error": "<text>", "error_type": "<CODE>"}`, or empty; `error_type`
// becomes UpstreamFailure.upstream_code and `error` upstream_message.
//
// | call   | Polos answer                                      | status              | reason | |
// ------ | ------------------------------------------------- | ------------------- |
// -------------------------- | | get    | 500, empty body, probe healthy                    |
// NOT_FOUND           | UPSTREAM_NOT_FOUND         | | get    | 500, empty body, probe failed |
// UNAVAILABLE         | UPSTREAM_UNAVAILABLE       | | cancel | 500 INTERNAL_ERROR "Failed to get
// execution",     | NOT_FOUND           | UPSTREAM_NOT_FOUND         | |        |   probe healthy
// (or not probed)                   |                     |                            | | cancel |
// same, probe failed                                | UNAVAILABLE         | UPSTREAM_UNAVAILABLE |
// | cancel | 400 CANCELLATION_ERROR (already finished)         | FAILED_PRECONDITION |
// FAILED_PRECONDITION        | | any    | 400 with an empty body, or naming X-Project-ID    |
// FAILED_PRECONDITION | BACKEND_MISCONFIGURED      | | any    | error_type NOT_FOUND, or 404 |
// NOT_FOUND           | UPSTREAM_NOT_FOUND         | | any    | 401 (UNAUTHORIZED) |
// UNAUTHENTICATED     | UPSTREAM_UNAUTHENTICATED   | | any    | 403 (FORBIDDEN,
// PROJECT_ACCESS_FORBIDDEN)         | PERMISSION_DENIED   | UPSTREAM_PERMISSION_DENIED | | any    |
// 429 (+ Retry-After -> RetryInfo)                  | RESOURCE_EXHAUSTED  | UPSTREAM_RATE_LIMITED |
// | any    | anything else                                     | HttpFailureToStatus's default
// mapping          |
//
// Metadata (HttpFailureToStatus's): backend, http_status, upstream_code.
//
// Telling a missing execution from a sick server: Polos answers a GET of a
// well-formed id that does not exist with 500 and an empty body, exactly
// what a database outage also produces. On such an answer the backend makes
// one follow-up probe, `GET /api/v1/workflows/runs?limit=1` with the same
// credentials and deadline: it reads the same database, so a 2xx means the
// server is healthy, and the request is then sent once more: the same
// answer again means "no such execution" (NOT_FOUND, not retryable), and
// any other is taken as it is (a passing fault on the first request that
// cleared by the probe, which must not read as NOT_FOUND: that ends every
// watch of the execution). A failed probe leaves the 500 an UNAVAILABLE.
// Wrong now only if a passing fault hits both sendings and spares the
// probe between them.
//
// 400s that only the configuration can cause: the backend checks every id a
// caller gives (execution ids are UUIDs) and builds list queries and run
// bodies itself, so the 400s left are Polos refusing the X-Project-ID
// header: its ProjectId extractor answers a missing or non-UUID header with
// an empty 400, its auth middleware with "X-Project-ID header is required".
// Those are FAILED_PRECONDITION, reason BACKEND_MISCONFIGURED (metadata
// config_key "projectId"), never the caller's INVALID_ARGUMENT. Other 400s
// with a Polos message (cancel's CANCELLATION_ERROR above; anything else:
// HttpFailureToStatus) keep their meaning.
//
// Reads a non-2xx response. `now` is for Retry-After given as an HTTP date.
// Upstream text reaches callers only as a parsed error message: Polos'
// `error` (with `error_type` as the code), a `message` or `detail`, or the
// same inside a nested `{"error": {...}}` object. Each of `secrets` (the
// credentials sent) is redacted from the decoded code and message before
// they are cut (at 1024 bytes here, shorter in the status), so neither a
// secret, in any JSON escape, nor a prefix of one can reach a caller. A
// body that is not such an error is never echoed: upstream_message only
// says what kind of body came back ("an HTML page of 5120 bytes", "a
// text/plain body of 80 bytes", "JSON that is not a Polos error (12
// bytes)").
UpstreamFailure ReadFailure(absl::string_view backend, const http::HttpResponse& response,
                            absl::Time now, absl::Span<const std::string> secrets);
// The same with the secrets' spellings built already.
UpstreamFailure ReadFailure(absl::string_view backend, const http::HttpResponse& response,
                            absl::Time now, const SecretSpellings& spellings);

// True when `failure` is one of the ambiguous answers above for which the
// caller should probe before mapping.
bool NeedsHealthProbe(PolosCall call, const UpstreamFailure& failure);

// Maps a failure per the table. `probe` is what the probe found when
// NeedsHealthProbe was true (kNotProbed otherwise: the ambiguous GET answer
// then stays UNAVAILABLE). `execution_id`, when given, is named in
// NOT_FOUND and FAILED_PRECONDITION messages and metadata.
absl::Status FailureToStatus(PolosCall call, const UpstreamFailure& failure,
                             ProbeResult probe = ProbeResult::kNotProbed,
                             absl::string_view execution_id = "");

// Polos' one retry policy: the verdict on one outcome of `call`
// (http/verdict.h), the table above read once. 2xx: success. An ambiguous
// answer (NeedsHealthProbe): a definitive answer, never retried (it is how
// Polos says "no such execution"), whose status is the reading of a failed
// probe and whose if_healthy that of a healthy one: the backend probes to
// choose. Another status: FailureToStatus's (not probed); transient (its
// Retry-After kept) for 429 and 5xx other than 501, definitive otherwise. A
// transport failure: TransportFailureToStatus's status, or
// WriteTransportFailure's for a write (`write` set, for run and cancel);
// transient as http::IsTransientFailure says. `now`, `secrets` and
// `execution_id` are ReadFailure's and FailureToStatus'.
http::Verdict PolosVerdict(PolosCall call, absl::string_view backend,
                           const absl::StatusOr<http::HttpResponse>& outcome, absl::Time now,
                           absl::Span<const std::string> secrets,
                           absl::string_view execution_id = "",
                           const WriteOutcome* write = nullptr);

}  // namespace execgw::polos

#endif  // EXECGW_ADAPTERS_POLOS_ERRORS_H_

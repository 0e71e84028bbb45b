#ifndef EXECGW_ADAPTERS_HTTP_VERDICT_H_
#define EXECGW_ADAPTERS_HTTP_VERDICT_H_

#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace execgw::http {

struct HttpResponse;

// What one upstream exchange means, decided once by the backend's
// classifier (its error table, read once). A retrying client retries only
// transient verdicts and hands the verdict on with the response it
// delivers (HttpResponse::verdict), so the adapter reuses it (Settle)
// instead of reading the answer again.
struct Verdict {
  enum class Kind {
    kSuccess,    // the adapter reads the answer's body
    kAnswer,     // the upstream's definitive answer: not retried, and a
                 // healthy upstream for the circuit breaker
    kTransient,  // a passing failure: retried (idempotent requests only),
                 // and a failure for the circuit breaker
  };
  Kind kind = Kind::kSuccess;
  // The caller's status for the outcome (code, ErrorInfo reason, metadata):
  // non-OK unless kSuccess. For kTransient, what the caller gets when no
  // retry follows.
  absl::Status status;
  // kTransient: the upstream's Retry-After. A retry waits at least this
  // long; none is made when it exceeds the client's cap.
  std::optional<absl::Duration> retry_after;
  // kAnswer only: an answer that means `status` if the upstream is sick and
  // this if it is healthy (Polos' 500 with an empty body, for a missing
  // execution and an outage alike). The adapter probes the upstream to tell.
  std::optional<absl::Status> if_healthy;
};

// Maps one attempt's outcome (a response, whatever its HTTP status, or a
// transport failure) to its verdict. Called on the HTTP client's
// event-loop thread: must not block.
using Classifier = std::function<Verdict(const absl::StatusOr<HttpResponse>& outcome)>;

// The shared rule for a response: HTTP 429 and 5xx other than 501 are
// passing upstream failures. Classifiers start from it and add their
// upstream's exceptions.
bool IsTransientStatus(int http_status);

// The shared rule for a transport failure: a connection that failed (UNAVAILABLE)
// or an attempt that ran out of its attempt_timeout (IsAttemptTimeout) is
// passing; the caller's deadline, a cancellation, a malformed request or an
// oversized body are not.
bool IsTransientFailure(const absl::Status& transport);

// A non-2xx answer mapped to `status` by an error table: kTransient when
// IsTransientStatus(http_status) (with `retry_after`), kAnswer otherwise.
Verdict ErrorVerdict(int http_status, absl::Status status,
                     std::optional<absl::Duration> retry_after);

// A transport failure mapped to `status` (TransportFailureToStatus, or
// WriteTransportFailure for a write): kTransient when
// IsTransientFailure(transport), kAnswer otherwise.
Verdict FailureVerdict(const absl::Status& transport, absl::Status status);

// The verdict on a delivered outcome: the one a retrying client attached to
// the response, otherwise `classify`'s (a plain client's response, or any
// failure: a retrying client attaches nothing to those). So each outcome is
// classified once.
Verdict Settle(const Classifier& classify, const absl::StatusOr<HttpResponse>& outcome);

}  // namespace execgw::http

#endif  // EXECGW_ADAPTERS_HTTP_VERDICT_H_

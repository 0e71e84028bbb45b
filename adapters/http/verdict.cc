#include "adapters/http/verdict.h"

#include <utility>

#include "adapters/http/http_client.h"

namespace execgw::http {

bool IsTransientStatus(int http_status) {
  return http_status == 429 || (http_status >= 500 && http_status <= 599 && http_status != 501);
}

bool IsTransientFailure(const absl::Status& transport) {
  return transport.code() == absl::StatusCode::kUnavailable || IsAttemptTimeout(transport);
}

Verdict ErrorVerdict(int http_status, absl::Status status,
                     std::optional<absl::Duration> retry_after) {
  Verdict v;
  v.status = std::move(status);
  if (IsTransientStatus(http_status)) {
    v.kind = Verdict::Kind::kTransient;
    v.retry_after = retry_after;
  } else {
    v.kind = Verdict::Kind::kAnswer;
  }
  return v;
}

Verdict FailureVerdict(const absl::Status& transport, absl::Status status) {
  Verdict v;
  v.kind = IsTransientFailure(transport) ? Verdict::Kind::kTransient : Verdict::Kind::kAnswer;
  v.status = std::move(status);
  return v;
}

Verdict Settle(const Classifier& classify, const absl::StatusOr<HttpResponse>& outcome) {
  if (outcome.ok() && outcome->verdict.has_value()) return *outcome->verdict;
  return classify(outcome);
}

}  // namespace execgw::http

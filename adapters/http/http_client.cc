#include "adapters/http/http_client.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"

namespace execgw::http {
namespace {

// A status payload private to the HTTP layer: TransportFailureToStatus
// builds a new status, so it never reaches a caller.
constexpr absl::string_view kAttemptTimeoutUrl = "execgw.dev/http.AttemptTimeout";

}  // namespace

bool IsAttemptTimeout(const absl::Status& status) {
  return status.code() == absl::StatusCode::kDeadlineExceeded &&
         status.GetPayload(kAttemptTimeoutUrl).has_value();
}

absl::Status MarkAttemptTimeout(absl::Status status) {
  status.SetPayload(kAttemptTimeoutUrl, absl::Cord());
  return status;
}

const std::string* HttpResponse::FindHeader(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

}  // namespace execgw::http

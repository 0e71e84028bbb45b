#include "adapters/http/http_client.h"

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

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

std::string DescribeBody(const HttpResponse& response, absl::string_view upstream, bool is_json) {
  const size_t size = response.body.size();
  if (is_json) return absl::StrCat("JSON that is not a ", upstream, " error (", size, " bytes)");
  std::string type;
  if (const std::string* header = response.FindHeader("content-type"); header != nullptr) {
    type = absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(absl::string_view(*header).substr(0, header->find(';'))));
  }
  const bool token = !type.empty() && type.size() <= 64 && absl::c_all_of(type, [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '+' ||
           c == '-';
  });
  const absl::string_view text = absl::StripLeadingAsciiWhitespace(response.body);
  if (absl::StrContains(type, "html") || absl::StartsWith(text, "<")) {
    return absl::StrCat("an HTML page of ", size, " bytes");
  }
  if (token) return absl::StrCat("a ", type, " body of ", size, " bytes");
  return absl::StrCat("a body of ", size, " bytes that is not JSON");
}

const std::string* HttpResponse::FindHeader(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

}  // namespace execgw::http

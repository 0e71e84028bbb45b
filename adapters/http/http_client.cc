#include "adapters/http/http_client.h"

#include "absl/strings/match.h"

namespace execgw::http {

const std::string* HttpResponse::FindHeader(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

}  // namespace execgw::http

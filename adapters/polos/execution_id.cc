#include "adapters/polos/execution_id.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace execgw::polos {

bool IsCanonicalUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position != (text[i] == '-')) return false;
    if (!dash_position && !absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

std::string CanonicalUuid(absl::string_view uuid) { return absl::AsciiStrToLower(uuid); }

bool SameUuid(absl::string_view a, absl::string_view b) {
  return IsCanonicalUuid(a) && IsCanonicalUuid(b) && absl::EqualsIgnoreCase(a, b);
}

}  // namespace execgw::polos

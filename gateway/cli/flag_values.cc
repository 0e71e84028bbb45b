#include "gateway/cli/flag_values.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/resource_name.h"

namespace execgw::cli {

absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag, absl::string_view text) {
  const std::string quoted = absl::StrCat("\"", BoundedEcho(text, 40), "\"");
  double number = 0;
  if (absl::SimpleAtod(text, &number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", quoted, " needs a unit, such as 2s or 500ms"));
  }
  absl::Duration d;
  if (!absl::ParseDuration(text, &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", quoted, " is not a duration, such as 30s, 500ms or 1m30s"));
  }
  if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", quoted, " must be more than 0 and finite, such as 30s"));
  }
  return d;
}

absl::StatusOr<v1::ExecutionView> ParseViewFlag(absl::string_view text) {
  const std::string view = absl::AsciiStrToLower(text);
  if (view.empty()) return v1::EXECUTION_VIEW_UNSPECIFIED;
  if (view == "basic") return v1::EXECUTION_VIEW_BASIC;
  if (view == "full") return v1::EXECUTION_VIEW_FULL;
  return absl::InvalidArgumentError(
      absl::StrCat("--view: \"", BoundedEcho(text, 40), "\" must be basic or full"));
}

}  // namespace execgw::cli

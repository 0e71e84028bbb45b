#include "adapters/field_rules.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "adapters/upstream_time.h"

namespace execgw {

UpstreamTimeReading ReadUpstreamTimeText(absl::string_view text) {
  UpstreamTimeReading out;
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  if (trimmed.empty()) return out;
  out.time = ParseUpstreamTime(trimmed);
  out.keep_raw = !out.time.has_value();
  return out;
}

std::string StatusWord(absl::string_view raw) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
}

void KeepBasicView(v1::Execution& execution) {
  v1::Execution basic;
  basic.set_name(std::move(*execution.mutable_name()));
  basic.set_execution_id(std::move(*execution.mutable_execution_id()));
  basic.set_backend(std::move(*execution.mutable_backend()));
  basic.set_backend_kind(execution.backend_kind());
  basic.set_workload(std::move(*execution.mutable_workload()));
  basic.set_state(execution.state());
  basic.set_raw_status(std::move(*execution.mutable_raw_status()));
  if (execution.has_create_time()) *basic.mutable_create_time() = execution.create_time();
  if (execution.has_end_time()) *basic.mutable_end_time() = execution.end_time();
  basic.set_error_message(std::move(*execution.mutable_error_message()));
  execution = std::move(basic);
}

}  // namespace execgw

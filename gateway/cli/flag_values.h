#ifndef EXECGW_GATEWAY_CLI_FLAG_VALUES_H_
#define EXECGW_GATEWAY_CLI_FLAG_VALUES_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "execgw/v1/execution_service.pb.h"

namespace execgw::cli {

// Reads the value `text` of the duration flag `--{flag}`: a number with a
// unit, as absl::ParseDuration reads it (`30s`, `500ms`, `1m30s`), more than
// zero. Errors are INVALID_ARGUMENT and say what to write, such as
// `--timeout: "2" needs a unit, such as 2s or 500ms`.
absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag, absl::string_view text);

// Reads --view: empty (the server's default, BASIC), `basic` or `full`,
// in any case.
absl::StatusOr<v1::ExecutionView> ParseViewFlag(absl::string_view text);

}  // namespace execgw::cli

#endif  // EXECGW_GATEWAY_CLI_FLAG_VALUES_H_

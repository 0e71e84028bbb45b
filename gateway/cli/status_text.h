#ifndef EXECGW_GATEWAY_CLI_STATUS_TEXT_H_
#define EXECGW_GATEWAY_CLI_STATUS_TEXT_H_

#include <string>

#include "grpcpp/support/status.h"

namespace execgw::cli {

// Renders a failed call for a person: the code and message, then the
// ErrorInfo reason and metadata, the RetryInfo delay and any BadRequest
// field violations found in the rich status details.
std::string FormatStatus(const grpc::Status& status);

}  // namespace execgw::cli

#endif  // EXECGW_GATEWAY_CLI_STATUS_TEXT_H_

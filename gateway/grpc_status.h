#ifndef EXECGW_GATEWAY_GRPC_STATUS_H_
#define EXECGW_GATEWAY_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace execgw::gateway {

// Converts an internal status into what a gRPC caller receives (AIP-193):
// the same code and message, plus a google.rpc.Status in the details
// (`grpc-status-details-bin`) holding every payload the status carries
// (ErrorInfo, RetryInfo, ...) as google.protobuf.Any. A status without an
// ErrorInfo gets one (domain execgw.dev, reason named after the code), and
// the field violations a status carries (FieldError, AddFieldViolation)
// become one google.rpc.BadRequest; a message that merely reads
// "field: problem" gets none. A last line of defence for
// trailer size limits: a message over 1,024 bytes and ErrorInfo metadata
// values over 256 bytes are cut (on a UTF-8 boundary, marked "...").
grpc::Status ToGrpcStatus(const absl::Status& status);

// "OK", "NOT_FOUND"...: gRPC's name of `code` (as metric labels, in logs
// and in the CLI's output); "UNKNOWN" for a number gRPC does not define.
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_GRPC_STATUS_H_

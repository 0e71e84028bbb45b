#ifndef EXECGW_TESTS_TESTING_GRPC_ERROR_DETAILS_H_
#define EXECGW_TESTS_TESTING_GRPC_ERROR_DETAILS_H_

// Reading back the rich error details (google.rpc.Status) of a failed
// gRPC call, for tests.

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"

namespace execgw::testing {

// The rich error details of a failed call.
struct ErrorDetails {
  bool has_error_info = false;
  google::rpc::ErrorInfo error_info;
  bool has_retry_info = false;
  google::rpc::RetryInfo retry_info;
  bool has_bad_request = false;
  google::rpc::BadRequest bad_request;
};

inline ErrorDetails DetailsOf(const grpc::Status& status) {
  ErrorDetails out;
  google::rpc::Status rich;
  if (!rich.ParseFromString(status.error_details())) return out;
  for (const auto& any : rich.details()) {
    if (any.UnpackTo(&out.error_info)) out.has_error_info = true;
    if (any.UnpackTo(&out.retry_info)) out.has_retry_info = true;
    if (any.UnpackTo(&out.bad_request)) out.has_bad_request = true;
  }
  return out;
}

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_TESTING_GRPC_ERROR_DETAILS_H_

#ifndef EXECGW_TESTS_TESTING_EVENTUALLY_H_
#define EXECGW_TESTS_TESTING_EVENTUALLY_H_

#include <functional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "execgw/v1/execution_service.grpc.pb.h"

namespace execgw::testing {

// Waits (real time, polling every few milliseconds) until `done` holds, at
// most `timeout`; whether it held.
inline bool Eventually(const std::function<bool()>& done,
                       absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return done();
}

// GetExecution of `name` through `stub`, with a deadline of `timeout`.
inline grpc::Status GetExecutionStatus(v1::ExecutionService::Stub& stub, const std::string& name,
                                       absl::Duration timeout = absl::Seconds(5)) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::GetExecutionRequest request;
  request.set_name(name);
  v1::Execution out;
  return stub.GetExecution(&context, request, &out);
}

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_TESTING_EVENTUALLY_H_

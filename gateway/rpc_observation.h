#ifndef EXECGW_GATEWAY_RPC_OBSERVATION_H_
#define EXECGW_GATEWAY_RPC_OBSERVATION_H_

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/call_trace.h"
#include "gateway/metrics.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace execgw::gateway {

// One RPC as the gateway observes it: its request id (the caller's
// x-request-id when sane, else a new one; returned in the initial metadata
// `x-request-id`) and trace (the caller's traceparent, else a new trace),
// which every upstream request of the call carries (CallTrace); and at the
// end one "rpc" log line and the RPC metrics. Construct it before the
// call's initial metadata is sent. Not thread-safe: the call's owner uses
// it.
class RpcObservation {
 public:
  // `metrics` may be null (no metrics; the log line is still written).
  RpcObservation(RpcMethod method, grpc::ServerContextBase& context, GatewayMetrics* metrics);

  const std::shared_ptr<CallTrace>& trace() const { return trace_; }
  // The resource the call is about (the request's name or parent), for the
  // log line; cut to 256 bytes there.
  void set_name(absl::string_view name) { name_ = std::string(name.substr(0, 512)); }
  // The authenticated caller's name (config `auth`), which the log line
  // gives instead of the peer address.
  void set_caller(absl::string_view name) { caller_ = absl::StrCat("caller:", name); }

  // Logs and counts the call's end; only the first call counts.
  void Finish(const grpc::Status& status);

 private:
  const RpcMethod method_;
  GatewayMetrics* const metrics_;
  const absl::Time start_;
  std::string caller_;
  std::string name_;
  std::shared_ptr<CallTrace> trace_;
  bool finished_ = false;
};

// The caller of a call, as its log line names it: its peer address
// ("ipv4:10.0.0.7:51234"), until the call is authenticated (set_caller).
std::string CallerForLog(grpc::ServerContextBase& context);

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_RPC_OBSERVATION_H_

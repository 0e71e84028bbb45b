#include "gateway/rpc_observation.h"

#include "gateway/log.h"

namespace execgw::gateway {
namespace {

// The first value of `key` in the caller's metadata, or empty.
absl::string_view MetadataValue(grpc::ServerContextBase& context, const char* key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(key);
  if (it == metadata.end()) return {};
  return absl::string_view(it->second.data(), it->second.size());
}

// Codes that say the gateway or an upstream failed, rather than the caller.
bool IsServerFailure(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string CallerForLog(grpc::ServerContextBase& context) { return context.peer(); }

RpcObservation::RpcObservation(RpcMethod method, grpc::ServerContextBase& context,
                               GatewayMetrics* metrics)
    : method_(method),
      metrics_(metrics),
      start_(absl::Now()),
      caller_(CallerForLog(context)),
      trace_(std::make_shared<CallTrace>()) {
  std::optional<std::string> id = SaneRequestId(MetadataValue(context, "x-request-id"));
  trace_->request_id = id.has_value() ? *std::move(id) : NewRequestId();
  if (std::optional<TraceContext> t = ParseTraceparent(MetadataValue(context, "traceparent"))) {
    trace_->trace = *std::move(t);
    const absl::string_view state = MetadataValue(context, "tracestate");
    if (IsForwardableTracestate(state)) trace_->trace.tracestate = std::string(state);
  } else {
    trace_->trace.trace_id = NewTraceId();
  }
  context.AddInitialMetadata("x-request-id", trace_->request_id);
}

void RpcObservation::Finish(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  const absl::Duration latency = absl::Now() - start_;
  if (metrics_ != nullptr) metrics_->RecordRpc(method_, status.error_code(), latency);
  Write(LogLine(IsServerFailure(status.error_code()) ? LogSeverity::kWarning : LogSeverity::kInfo,
                "rpc")
            .Str("method", RpcMethodName(method_))
            .Str("name", name_)
            .Str("code", GrpcCodeName(status.error_code()))
            .Double("latency_ms", absl::ToDoubleMilliseconds(latency))
            .Str("caller", caller_)
            .Int("upstream_requests", trace_->upstream_requests.load())
            .Str("request_id", trace_->request_id)
            .Str("trace_id", trace_->trace.trace_id));
}

}  // namespace execgw::gateway

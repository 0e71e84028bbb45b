#ifndef EXECGW_GATEWAY_EXECUTION_SERVICE_H_
#define EXECGW_GATEWAY_EXECUTION_SERVICE_H_

#include "execgw/v1/execution_service.grpc.pb.h"
#include "gateway/backend_registry.h"
#include "gateway/create_deduplicator.h"
#include "gateway/get_coalescer.h"
#include "gateway/page_token.h"

namespace execgw::gateway {

// The gRPC face of the gateway: validates requests, routes each by its
// resource name to a backend, and turns results and errors into gRPC
// answers. Every method returns at once; the answer is sent from the
// backend's completion, never by blocking a gRPC thread.
class ExecutionService final : public v1::ExecutionService::CallbackService {
 public:
  // What the service shares with the rest of the gateway; every member
  // must outlive the service.
  struct Parts {
    const BackendRegistry* backends;
    const PageTokenCodec* page_tokens;
    CreateDeduplicator* creates;
    GetCoalescer* gets;
  };

  explicit ExecutionService(Parts parts) : parts_(parts) {}

  grpc::ServerUnaryReactor* GetExecution(grpc::CallbackServerContext* context,
                                         const v1::GetExecutionRequest* request,
                                         v1::Execution* response) override;

  grpc::ServerUnaryReactor* ListExecutions(grpc::CallbackServerContext* context,
                                           const v1::ListExecutionsRequest* request,
                                           v1::ListExecutionsResponse* response) override;

  grpc::ServerUnaryReactor* ListExecutionTasks(grpc::CallbackServerContext* context,
                                               const v1::ListExecutionTasksRequest* request,
                                               v1::ListExecutionTasksResponse* response) override;

  grpc::ServerUnaryReactor* CreateExecution(grpc::CallbackServerContext* context,
                                            const v1::CreateExecutionRequest* request,
                                            v1::Execution* response) override;

  grpc::ServerUnaryReactor* CancelExecution(grpc::CallbackServerContext* context,
                                            const v1::CancelExecutionRequest* request,
                                            v1::Execution* response) override;

  grpc::ServerWriteReactor<v1::WatchExecutionResponse>* WatchExecution(
      grpc::CallbackServerContext* context, const v1::WatchExecutionRequest* request) override;

 private:
  // The backend a listing goes to, and where the page token says it stands.
  struct Listing {
    Backend* backend;
    UpstreamPosition position;
  };
  // Errors: backend not configured, or a page token that is forged,
  // expired or from another query.
  absl::StatusOr<Listing> ResolveListing(const std::string& backend_name,
                                         absl::string_view page_token,
                                         absl::string_view fingerprint) const;

  const Parts parts_;
};

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_EXECUTION_SERVICE_H_

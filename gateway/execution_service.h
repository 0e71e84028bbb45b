#ifndef EXECGW_GATEWAY_EXECUTION_SERVICE_H_
#define EXECGW_GATEWAY_EXECUTION_SERVICE_H_

#include <vector>

#include "execgw/v1/execution_service.grpc.pb.h"
#include "gateway/caller_auth.h"
#include "gateway/metrics.h"
#include "gateway/page_token.h"
#include "gateway/watch/watch_limits.h"
#include "gateway/worker.h"
#include "grpcpp/support/byte_buffer.h"

namespace execgw::gateway {

// The methods are registered raw (ByteBuffer in, ByteBuffer out): the
// service parses each request itself, so that one that does not parse is
// answered INVALID_ARGUMENT naming its message type (gRPC's typed handlers
// answer UNIMPLEMENTED with no message), and serialises each answer once,
// straight from the backend's result.
using RawExecutionService = v1::ExecutionService::WithRawCallbackMethod_GetExecution<
    v1::ExecutionService::WithRawCallbackMethod_ListExecutions<
        v1::ExecutionService::WithRawCallbackMethod_ListExecutionTasks<
            v1::ExecutionService::WithRawCallbackMethod_CreateExecution<
                v1::ExecutionService::WithRawCallbackMethod_CancelExecution<
                    v1::ExecutionService::WithRawCallbackMethod_WatchExecution<
                        v1::ExecutionService::Service>>>>>>;

// The gRPC face of the gateway: validates requests, routes each by its
// resource name to a backend, and turns results and errors into gRPC
// answers. Every method returns at once; the answer is sent from the
// backend's completion, never by blocking a gRPC thread.
//
// A valid call is handed to one worker and runs on that worker's loop from
// the backend request to Finish. Calls about one execution (Get, Cancel,
// ListExecutionTasks) go to the worker its name hashes to, so identical
// GetExecution calls always meet in one worker's GetCoalescer; creates with
// a request_id go by that id (one worker remembers it); the rest are spread
// round-robin. A watch goes to the worker its execution's name hashes to,
// whose hub follows that execution for every watcher of it
// (gateway/watch/).
class ExecutionService final : public RawExecutionService {
 public:
  // What the service shares with the rest of the gateway; every member
  // must outlive the service.
  struct Dependencies {
    // At least one; each serves the same backends.
    std::vector<Worker*> workers;
    const PageTokenCodec* page_tokens;
    // Bounds the open watch streams; null: the defaults of config Watch.
    WatchLimits* watch_limits = nullptr;
    // The heartbeat interval of watch streams (callers may ask for longer).
    absl::Duration heartbeat_interval = absl::Seconds(15);
    // Who may call what; null: every caller may do everything.
    const CallerAuth* auth = nullptr;
    // Counts every RPC; null: none (the "rpc" log lines are still written).
    GatewayMetrics* metrics = nullptr;
  };

  explicit ExecutionService(Dependencies dependencies);

  // Each takes the serialised request of its RPC (GetExecutionRequest...)
  // and answers its serialised response message.
  grpc::ServerUnaryReactor* GetExecution(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* ListExecutions(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* ListExecutionTasks(grpc::CallbackServerContext* context,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* CreateExecution(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* CancelExecution(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;

  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchExecution(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;

 private:
  // The worker for calls about the resource `key` names (always the same
  // one), and the next in turn for calls bound to nothing.
  Worker& WorkerFor(absl::string_view key) const;
  Worker& NextWorker() const;

  // The backend a listing goes to, and where the page token says it stands.
  struct Listing {
    Backend* backend;
    UpstreamPosition position;
  };
  // Errors: backend not configured, or a page token that is forged,
  // expired or from another query.
  absl::StatusOr<Listing> ResolveListing(const Worker& worker, const std::string& backend_name,
                                         absl::string_view page_token,
                                         absl::string_view fingerprint) const;

  const Dependencies deps_;
  // The limits used when deps_ gives none.
  std::unique_ptr<WatchLimits> own_watch_limits_;
  WatchLimits* watch_limits_;
};

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_EXECUTION_SERVICE_H_

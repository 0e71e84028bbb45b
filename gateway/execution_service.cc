#include "gateway/execution_service.h"

#include <chrono>
#include <memory>
#include <utility>

#include "absl/time/time.h"
#include "adapters/resource_name.h"
#include "adapters/upstream_error.h"
#include "gateway/grpc_status.h"

namespace execgw::gateway {
namespace {

// The caller's deadline as absl::Time (InfiniteFuture when it set none).
absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

// A unary call answered by one backend operation. Owns the call's
// Cancellation: a gRPC cancellation (client gone, deadline passed) aborts
// the upstream requests, whose completion then finishes the call. Deletes
// itself when gRPC is done with it.
class UnaryCall final : public grpc::ServerUnaryReactor {
 public:
  explicit UnaryCall(grpc::CallbackServerContext* context)
      : cancellation_(std::make_shared<Cancellation>()) {
    call_context_.deadline = DeadlineOf(*context);
    call_context_.cancellation = cancellation_;
  }

  const CallContext& context() const { return call_context_; }

  // A completion that stores the result in `response` and finishes the
  // call. Nothing of `this` is touched after Finish: gRPC may delete it.
  template <typename T>
  Done<T> Completion(T* response) {
    return [this, response](absl::StatusOr<T> result) {
      if (result.ok()) {
        *response = *std::move(result);
        Finish(grpc::Status::OK);
      } else {
        Finish(ToGrpcStatus(result.status()));
      }
    };
  }

  void Fail(const absl::Status& status) { Finish(ToGrpcStatus(status)); }

  void OnCancel() override { cancellation_->Cancel(); }
  void OnDone() override { delete this; }

 private:
  std::shared_ptr<Cancellation> cancellation_;
  CallContext call_context_;
};

grpc::ServerUnaryReactor* Unimplemented(grpc::CallbackServerContext* context,
                                        absl::string_view method) {
  auto* call = new UnaryCall(context);
  call->Fail(absl::UnimplementedError(
      absl::StrCat(method, " is not implemented yet in this version of execgw")));
  return call;
}

}  // namespace

grpc::ServerUnaryReactor* ExecutionService::GetExecution(grpc::CallbackServerContext* context,
                                                         const v1::GetExecutionRequest* request,
                                                         v1::Execution* response) {
  auto* call = new UnaryCall(context);
  auto name = ParseExecutionName(request->name(), "name");
  if (!name.ok()) {
    call->Fail(name.status());
    return call;
  }
  auto backend = backends_.Find(name->backend);
  if (!backend.ok()) {
    call->Fail(backend.status());
    return call;
  }
  (*backend)->GetExecution(*name, call->context(), call->Completion(response));
  return call;
}

grpc::ServerUnaryReactor* ExecutionService::ListExecutions(grpc::CallbackServerContext* context,
                                                           const v1::ListExecutionsRequest*,
                                                           v1::ListExecutionsResponse*) {
  return Unimplemented(context, "ListExecutions");
}

grpc::ServerUnaryReactor* ExecutionService::ListExecutionTasks(
    grpc::CallbackServerContext* context, const v1::ListExecutionTasksRequest*,
    v1::ListExecutionTasksResponse*) {
  return Unimplemented(context, "ListExecutionTasks");
}

grpc::ServerUnaryReactor* ExecutionService::CreateExecution(grpc::CallbackServerContext* context,
                                                            const v1::CreateExecutionRequest*,
                                                            v1::Execution*) {
  return Unimplemented(context, "CreateExecution");
}

grpc::ServerUnaryReactor* ExecutionService::CancelExecution(grpc::CallbackServerContext* context,
                                                            const v1::CancelExecutionRequest*,
                                                            v1::Execution*) {
  return Unimplemented(context, "CancelExecution");
}

grpc::ServerWriteReactor<v1::WatchExecutionResponse>* ExecutionService::WatchExecution(
    grpc::CallbackServerContext*, const v1::WatchExecutionRequest*) {
  class Unimplemented final : public grpc::ServerWriteReactor<v1::WatchExecutionResponse> {
   public:
    Unimplemented() {
      Finish(ToGrpcStatus(absl::UnimplementedError(
          "WatchExecution is not implemented yet in this version of execgw")));
    }
    void OnDone() override { delete this; }
  };
  return new Unimplemented();
}

}  // namespace execgw::gateway

#include "gateway/execution_service.h"

#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "adapters/resource_name.h"
#include "adapters/upstream_error.h"
#include "gateway/grpc_status.h"
#include "gateway/list_query.h"

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

  // Finishes with `status` (OK included); the response must be complete.
  void FinishWith(const absl::Status& status) { Finish(ToGrpcStatus(status)); }

  void OnCancel() override { cancellation_->Cancel(); }
  void OnDone() override { delete this; }

 private:
  std::shared_ptr<Cancellation> cancellation_;
  CallContext call_context_;
};

// request_id: at most 128 characters of [A-Za-z0-9._-] (it may become a
// Blaxel execution id, so it must be safe in a URL path).
absl::Status CheckRequestId(absl::string_view id) {
  if (id.empty()) return absl::OkStatus();
  if (id.size() > 128) {
    return absl::InvalidArgumentError("request_id: is longer than 128 characters");
  }
  for (char c : id) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
          c == '-')) {
      return absl::InvalidArgumentError(
          "request_id: may contain only letters, digits, '.', '_' and '-'");
    }
  }
  return absl::OkStatus();
}

// The next_page_token for `next`, or an error when the upstream's cursor
// is too long to seal in a token.
absl::StatusOr<std::string> NextPageToken(const PageTokenCodec& codec,
                                          absl::string_view fingerprint,
                                          const std::optional<UpstreamPosition>& next,
                                          absl::string_view backend) {
  if (!next.has_value()) return std::string();
  if (next->cursor.size() > PageTokenCodec::kMaxCursorSize) {
    return InvalidResponseStatus(backend, absl::StrCat("a paging cursor longer than ",
                                                       PageTokenCodec::kMaxCursorSize, " bytes"));
  }
  return codec.Encode(fingerprint, *next);
}

int32_t ClampTotal(int64_t total) {
  if (total < 0) return -1;
  return total > INT32_MAX ? INT32_MAX : static_cast<int32_t>(total);
}

// The completion of a listing: seals the next position in a page token,
// moves the page's items into `response` with `add_items`, and finishes
// the call.
template <typename Page, typename Response, typename AddItems>
Done<Page> PageCompletion(UnaryCall* call, Response* response, const PageTokenCodec* codec,
                          std::string fingerprint, std::string backend, AddItems add_items) {
  return [call, response, codec, fingerprint = std::move(fingerprint),
          backend = std::move(backend), add_items](absl::StatusOr<Page> page) {
    if (!page.ok()) {
      call->FinishWith(page.status());
      return;
    }
    auto token = NextPageToken(*codec, fingerprint, page->next, backend);
    if (!token.ok()) {
      call->FinishWith(token.status());
      return;
    }
    add_items(*page, *response);
    response->set_next_page_token(*std::move(token));
    response->set_total_size(ClampTotal(page->total_size));
    call->FinishWith(absl::OkStatus());
  };
}

// Runs `start` for a new call: it validates the request and hands the call
// to a backend, whose completion finishes it; a status it returns instead
// finishes the call at once.
template <typename Start>
grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context, Start start) {
  auto* call = new UnaryCall(context);
  if (absl::Status s = start(*call); !s.ok()) call->FinishWith(s);
  return call;
}

}  // namespace

grpc::ServerUnaryReactor* ExecutionService::GetExecution(grpc::CallbackServerContext* context,
                                                         const v1::GetExecutionRequest* request,
                                                         v1::Execution* response) {
  return Serve(context, [&](UnaryCall& call) -> absl::Status {
    absl::StatusOr<ExecutionName> name = ParseExecutionName(request->name(), "name");
    if (!name.ok()) return name.status();
    absl::StatusOr<Backend*> backend = parts_.backends->Find(name->backend);
    if (!backend.ok()) return backend.status();
    parts_.gets->Get(**backend, *name, call.context(), call.Completion(response));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExecutionService::ListExecutions(
    grpc::CallbackServerContext* context, const v1::ListExecutionsRequest* request,
    v1::ListExecutionsResponse* response) {
  return Serve(context, [&](UnaryCall& call) -> absl::Status {
    absl::StatusOr<ListExecutionsQuery> query = ParseListExecutionsRequest(*request);
    if (!query.ok()) return query.status();
    std::string fingerprint = QueryFingerprint(*query);
    absl::StatusOr<Listing> listing =
        ResolveListing(query->parent.backend, request->page_token(), fingerprint);
    if (!listing.ok()) return listing.status();
    query->position = std::move(listing->position);
    listing->backend->ListExecutions(
        *query, call.context(),
        PageCompletion<ExecutionPage>(
            &call, response, parts_.page_tokens, std::move(fingerprint),
            listing->backend->name(), [](ExecutionPage& page, v1::ListExecutionsResponse& out) {
              for (auto& e : page.executions) *out.add_executions() = std::move(e);
            }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExecutionService::ListExecutionTasks(
    grpc::CallbackServerContext* context, const v1::ListExecutionTasksRequest* request,
    v1::ListExecutionTasksResponse* response) {
  return Serve(context, [&](UnaryCall& call) -> absl::Status {
    ListTasksQuery query;
    absl::StatusOr<ExecutionName> name = ParseExecutionName(request->parent(), "parent");
    if (!name.ok()) return name.status();
    query.execution = *std::move(name);
    absl::StatusOr<int> page_size = NormalizeTaskPageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    query.page_size = *page_size;
    std::string fingerprint = TaskQueryFingerprint(query.execution);
    absl::StatusOr<Listing> listing =
        ResolveListing(query.execution.backend, request->page_token(), fingerprint);
    if (!listing.ok()) return listing.status();
    query.position = std::move(listing->position);
    listing->backend->ListExecutionTasks(
        query, call.context(),
        PageCompletion<TaskPage>(&call, response, parts_.page_tokens, std::move(fingerprint),
                                 listing->backend->name(),
                                 [](TaskPage& page, v1::ListExecutionTasksResponse& out) {
                                   for (auto& t : page.tasks) *out.add_tasks() = std::move(t);
                                 }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExecutionService::CreateExecution(
    grpc::CallbackServerContext* context, const v1::CreateExecutionRequest* request,
    v1::Execution* response) {
  return Serve(context, [&](UnaryCall& call) -> absl::Status {
    absl::StatusOr<ParentName> parent = ParseParentName(request->parent(), "parent");
    if (!parent.ok()) return parent.status();
    if (parent->job.empty() && parent->workflow.empty()) {
      return absl::InvalidArgumentError(
          "parent: must name what to run: \"backends/{backend}/jobs/{job}\" or "
          "\"backends/{backend}/workflows/{workflow}\"");
    }
    if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
    absl::StatusOr<Backend*> backend = parts_.backends->Find(parent->backend);
    if (!backend.ok()) return backend.status();
    parts_.creates->Create(**backend, *parent, *request, call.context(),
                           call.Completion(response));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExecutionService::CancelExecution(
    grpc::CallbackServerContext* context, const v1::CancelExecutionRequest* request,
    v1::Execution* response) {
  return Serve(context, [&](UnaryCall& call) -> absl::Status {
    absl::StatusOr<ExecutionName> name = ParseExecutionName(request->name(), "name");
    if (!name.ok()) return name.status();
    absl::StatusOr<Backend*> backend = parts_.backends->Find(name->backend);
    if (!backend.ok()) return backend.status();
    (*backend)->CancelExecution(*name, call.context(), call.Completion(response));
    return absl::OkStatus();
  });
}

absl::StatusOr<ExecutionService::Listing> ExecutionService::ResolveListing(
    const std::string& backend_name, absl::string_view page_token,
    absl::string_view fingerprint) const {
  absl::StatusOr<Backend*> backend = parts_.backends->Find(backend_name);
  if (!backend.ok()) return backend.status();
  absl::StatusOr<UpstreamPosition> position = parts_.page_tokens->Decode(page_token, fingerprint);
  if (!position.ok()) return position.status();
  return Listing{*backend, *std::move(position)};
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

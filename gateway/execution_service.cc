#include "gateway/execution_service.h"

#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "adapters/resource_name.h"
#include "adapters/upstream_error.h"
#include "gateway/grpc_status.h"
#include "gateway/list_query.h"
#include "gateway/rpc_observation.h"
#include "gateway/watch/watch_stream.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"

namespace execgw::gateway {
namespace {

// The caller's deadline as absl::Time (InfiniteFuture when it set none).
absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

// The answer to request bytes that are not a `type`: not a protobuf
// encoding, or a string field that is not valid UTF-8. Nothing of the bytes
// is echoed.
absl::Status UnparsableRequest(const google::protobuf::Descriptor& type) {
  return MakeError(absl::StatusCode::kInvalidArgument,
                   absl::StrCat("the request could not be parsed as a ", type.full_name(),
                                " (not a valid protobuf encoding, or a string field that is not "
                                "valid UTF-8)"),
                   reason::kInvalidArgument, {{"message_type", type.full_name()}});
}

// Parses `bytes` into `request` in place, slice by slice, as gRPC's typed
// handlers do (no flattening copy).
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* request) {
  // ProtoBufferReader takes a mutable buffer but only reads it.
  grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(&bytes));
  if (reader.status().ok() && request->ParseFromZeroCopyStream(&reader)) {
    return absl::OkStatus();
  }
  return UnparsableRequest(*request->GetDescriptor());
}

// A unary call answered by one backend operation. Holds the parsed
// request for the call's lifetime and owns the call's Cancellation: a gRPC
// cancellation (client gone, deadline passed) aborts the upstream
// requests, whose completion then finishes the call. Deletes itself when
// gRPC is done with it.
template <typename Request>
class UnaryCall final : public grpc::ServerUnaryReactor {
 public:
  // `secrets` (which must outlive the call) are stripped from its answer
  // and its log line.
  UnaryCall(grpc::CallbackServerContext* context, grpc::ByteBuffer* response, RpcMethod method,
            GatewayMetrics* metrics, absl::Span<const std::string> secrets)
      : response_(response),
        secrets_(secrets),
        cancellation_(std::make_shared<Cancellation>()),
        observation_(method, *context, metrics) {
    call_context_.deadline = DeadlineOf(*context);
    call_context_.cancellation = cancellation_;
    call_context_.trace = observation_.trace();
  }

  Request& request() { return request_; }
  RpcObservation& observation() { return observation_; }
  absl::Span<const std::string> secrets() const { return secrets_; }
  const CallContext& context() const { return call_context_; }

  // A completion that answers the result (serialised straight from it) or
  // its error. Nothing of `this` is touched after Finish: gRPC may delete
  // it.
  template <typename T>
  Done<T> Completion() {
    return [this](absl::StatusOr<T> result) {
      if (result.ok()) {
        Reply(*result);
      } else {
        FinishWith(result.status());
      }
    };
  }

  // Finishes the call with `message` as its answer.
  void Reply(const google::protobuf::MessageLite& message) {
    bool own_buffer = false;
    const grpc::Status serialised =
        grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::MessageLite>(
            message, response_, &own_buffer);
    if (!serialised.ok()) {
      FinishWith(absl::InternalError("the answer could not be serialised"));
      return;
    }
    End(grpc::Status::OK);
  }

  // Finishes with an error.
  void FinishWith(const absl::Status& status) {
    End(ToGrpcStatus(RedactSecrets(status, secrets_)));
  }

  void OnCancel() override { cancellation_->Cancel(); }
  void OnDone() override { delete this; }

 private:
  void End(const grpc::Status& status) {
    observation_.Finish(status);
    Finish(status);
  }

  Request request_;
  grpc::ByteBuffer* const response_;
  const absl::Span<const std::string> secrets_;
  std::shared_ptr<Cancellation> cancellation_;
  RpcObservation observation_;
  CallContext call_context_;
};

// The resource a request is about, for its log line.
absl::string_view ResourceOf(const v1::GetExecutionRequest& r) { return r.name(); }
absl::string_view ResourceOf(const v1::CancelExecutionRequest& r) { return r.name(); }
absl::string_view ResourceOf(const v1::ListExecutionsRequest& r) { return r.parent(); }
absl::string_view ResourceOf(const v1::ListExecutionTasksRequest& r) { return r.parent(); }
absl::string_view ResourceOf(const v1::CreateExecutionRequest& r) { return r.parent(); }

// request_id: the rules of a name segment (CheckPlainId) within the
// character set [A-Za-z0-9._-] and 128 characters: it may become a Blaxel
// execution id, so it must be safe as a URL path segment. Nothing of the
// id is echoed.
absl::Status CheckRequestId(absl::string_view id) {
  if (id.empty()) return absl::OkStatus();
  if (id.size() > 128) {
    return FieldError("request_id", "is longer than 128 characters");
  }
  for (char c : id) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return FieldError("request_id", "may contain only letters, digits, '.', '_' and '-'");
    }
  }
  return CheckPlainId("request_id", id);
}

// The next_page_token for `next`, or an error when the adapter's position
// is too long to seal in a token.
absl::StatusOr<std::string> NextPageToken(const PageTokenCodec& codec,
                                          absl::string_view fingerprint,
                                          const std::optional<UpstreamPosition>& next,
                                          absl::string_view backend) {
  if (!next.has_value()) return std::string();
  if (next->size() > PageTokenCodec::kMaxPositionSize) {
    return InvalidResponseStatus(backend, absl::StrCat("a paging position longer than ",
                                                       PageTokenCodec::kMaxPositionSize, " bytes"));
  }
  return codec.Encode(fingerprint, *next);
}

int32_t ClampTotal(int64_t total) {
  if (total < 0) return -1;
  return total > INT32_MAX ? INT32_MAX : static_cast<int32_t>(total);
}

// The completion of a listing: seals the next position in a page token,
// moves the page's items into a Response with `add_items`, and answers it.
template <typename Page, typename Response, typename Call, typename AddItems>
Done<Page> PageCompletion(Call* call, const PageTokenCodec* codec, std::string fingerprint,
                          std::string backend, AddItems add_items) {
  return [call, codec, fingerprint = std::move(fingerprint), backend = std::move(backend),
          add_items](absl::StatusOr<Page> page) {
    if (!page.ok()) {
      call->FinishWith(page.status());
      return;
    }
    auto token = NextPageToken(*codec, fingerprint, page->next, backend);
    if (!token.ok()) {
      call->FinishWith(token.status());
      return;
    }
    Response response;
    add_items(*page, response);
    response.set_next_page_token(*std::move(token));
    response.set_total_size(ClampTotal(page->total_size));
    call->Reply(response);
  };
}

// Starts a call of `Request`: parses `request_bytes`, then `start`
// validates the request and hands the call to a backend, whose completion
// finishes it; a status either returns instead finishes the call at once.
template <typename Request, typename Start>
grpc::ServerUnaryReactor* StartUnaryCall(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request_bytes,
                                         grpc::ByteBuffer* response_bytes, RpcMethod method,
                                         const ExecutionService::Dependencies& deps, Start start) {
  auto* call = new UnaryCall<Request>(context, response_bytes, method, deps.metrics,
                                      deps.workers.front()->backends().secrets());
  const CallerAuth* auth = deps.auth;
  // The caller is authenticated before the request is read; `start`
  // authorizes it once it knows the backend (Allow).
  const Caller* caller = nullptr;
  absl::Status s;
  if (auth != nullptr) {
    absl::StatusOr<const Caller*> who = auth->Authenticate(*context);
    if (who.ok()) {
      caller = *who;
      call->observation().set_caller(caller->name);
    } else {
      s = who.status();
    }
  }
  if (s.ok()) s = ParseRequest(*request_bytes, &call->request());
  if (s.ok()) {
    call->observation().set_name(RedactSecrets(ResourceOf(call->request()), call->secrets()));
    s = start(*call, call->request(), caller);
  }
  if (!s.ok()) call->FinishWith(s);
  return call;
}

// OK without authentication (no `auth` in the config).
absl::Status Allow(const Caller* caller, Method method, absl::string_view backend) {
  return caller == nullptr ? absl::OkStatus() : CallerAuth::Authorize(*caller, method, backend);
}

// The heartbeat interval of a watch: the caller's when it asks for a
// longer one than the gateway's, up to an hour.
absl::StatusOr<absl::Duration> HeartbeatInterval(const v1::WatchExecutionRequest& request,
                                                 absl::Duration gateway) {
  if (!request.has_heartbeat_interval()) return gateway;
  const google::protobuf::Duration& d = request.heartbeat_interval();
  if (d.seconds() < 0 || d.nanos() < 0 || d.nanos() >= 1000000000) {
    return FieldError("heartbeat_interval", "must be a positive duration");
  }
  const absl::Duration asked = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  if (asked > absl::Hours(1)) return FieldError("heartbeat_interval", "is longer than 1 hour");
  return std::max(asked, gateway);
}

}  // namespace

grpc::ServerUnaryReactor* ExecutionService::GetExecution(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  using Call = UnaryCall<v1::GetExecutionRequest>;
  return StartUnaryCall<v1::GetExecutionRequest>(
      context, request, response, RpcMethod::kGetExecution, deps_,
      [&](Call& call, const v1::GetExecutionRequest& request,
          const Caller* caller) -> absl::Status {
        absl::StatusOr<ExecutionName> name = ParseExecutionName(request.name(), "name");
        if (!name.ok()) return name.status();
        if (absl::Status s = Allow(caller, Method::kGet, name->backend); !s.ok()) return s;
        Worker& worker = WorkerFor(name->ToString());
        absl::StatusOr<Backend*> backend = worker.backends().Find(name->backend);
        if (!backend.ok()) return backend.status();
        worker.loop().Post([&worker, &call, backend = *backend, name = *std::move(name)] {
          worker.gets().Get(*backend, name, call.context(), call.Completion<v1::Execution>());
        });
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ExecutionService::ListExecutions(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  using Call = UnaryCall<v1::ListExecutionsRequest>;
  return StartUnaryCall<v1::ListExecutionsRequest>(
      context, request, response, RpcMethod::kListExecutions, deps_,
      [&](Call& call, const v1::ListExecutionsRequest& request,
          const Caller* caller) -> absl::Status {
        absl::StatusOr<ListExecutionsQuery> query = ParseListExecutionsRequest(request);
        if (!query.ok()) return query.status();
        if (absl::Status s = Allow(caller, Method::kList, query->parent.backend); !s.ok()) {
          return s;
        }
        std::string fingerprint = QueryFingerprint(*query);
        Worker& worker = NextWorker();
        absl::StatusOr<Listing> listing =
            ResolveListing(worker, query->parent.backend, request.page_token(), fingerprint);
        if (!listing.ok()) return listing.status();
        query->position = std::move(listing->position);
        worker.loop().Post([this, &call, backend = listing->backend, query = *std::move(query),
                            fingerprint = std::move(fingerprint)]() mutable {
          backend->ListExecutions(
              query, call.context(),
              PageCompletion<ExecutionPage, v1::ListExecutionsResponse>(
                  &call, deps_.page_tokens, std::move(fingerprint), backend->name(),
                  [](ExecutionPage& page, v1::ListExecutionsResponse& out) {
                    for (auto& e : page.executions) *out.add_executions() = std::move(e);
                  }));
        });
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ExecutionService::ListExecutionTasks(grpc::CallbackServerContext* context,
                                                               const grpc::ByteBuffer* request,
                                                               grpc::ByteBuffer* response) {
  using Call = UnaryCall<v1::ListExecutionTasksRequest>;
  return StartUnaryCall<v1::ListExecutionTasksRequest>(
      context, request, response, RpcMethod::kListExecutionTasks, deps_,
      [&](Call& call, const v1::ListExecutionTasksRequest& request,
          const Caller* caller) -> absl::Status {
        ListTasksQuery query;
        absl::StatusOr<ExecutionName> name = ParseExecutionName(request.parent(), "parent");
        if (!name.ok()) return name.status();
        if (absl::Status s = Allow(caller, Method::kListTasks, name->backend); !s.ok()) return s;
        query.execution = *std::move(name);
        absl::StatusOr<int> page_size = NormalizeTaskPageSize(request.page_size());
        if (!page_size.ok()) return page_size.status();
        query.page_size = *page_size;
        std::string fingerprint = TaskQueryFingerprint(query.execution);
        Worker& worker = WorkerFor(query.execution.ToString());
        absl::StatusOr<Listing> listing =
            ResolveListing(worker, query.execution.backend, request.page_token(), fingerprint);
        if (!listing.ok()) return listing.status();
        query.position = std::move(listing->position);
        worker.loop().Post([this, &call, backend = listing->backend, query = std::move(query),
                            fingerprint = std::move(fingerprint)]() mutable {
          backend->ListExecutionTasks(
              query, call.context(),
              PageCompletion<TaskPage, v1::ListExecutionTasksResponse>(
                  &call, deps_.page_tokens, std::move(fingerprint), backend->name(),
                  [](TaskPage& page, v1::ListExecutionTasksResponse& out) {
                    for (auto& t : page.tasks) *out.add_tasks() = std::move(t);
                  }));
        });
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ExecutionService::CreateExecution(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  using Call = UnaryCall<v1::CreateExecutionRequest>;
  return StartUnaryCall<v1::CreateExecutionRequest>(
      context, request, response, RpcMethod::kCreateExecution, deps_,
      [&](Call& call, const v1::CreateExecutionRequest& request,
          const Caller* caller) -> absl::Status {
        absl::StatusOr<ParentName> parent = ParseParentName(request.parent(), "parent");
        if (!parent.ok()) return parent.status();
        if (absl::Status s = Allow(caller, Method::kCreate, parent->backend); !s.ok()) return s;
        if (parent->job.empty() && parent->workflow.empty()) {
          return FieldError("parent",
                            "must name what to run: \"backends/{backend}/jobs/{job}\" or "
                            "\"backends/{backend}/workflows/{workflow}\"");
        }
        if (absl::Status s = CheckRequestId(request.request_id()); !s.ok()) return s;
        Worker& worker =
            request.request_id().empty() ? NextWorker() : WorkerFor(request.request_id());
        absl::StatusOr<Backend*> backend = worker.backends().Find(parent->backend);
        if (!backend.ok()) return backend.status();
        worker.loop().Post(
            [&worker, &call, &request, backend = *backend, parent = *std::move(parent)] {
              worker.creates().Create(*backend, parent, request, call.context(),
                                      call.Completion<v1::Execution>());
            });
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ExecutionService::CancelExecution(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  using Call = UnaryCall<v1::CancelExecutionRequest>;
  return StartUnaryCall<v1::CancelExecutionRequest>(
      context, request, response, RpcMethod::kCancelExecution, deps_,
      [&](Call& call, const v1::CancelExecutionRequest& request,
          const Caller* caller) -> absl::Status {
        absl::StatusOr<ExecutionName> name = ParseExecutionName(request.name(), "name");
        if (!name.ok()) return name.status();
        if (absl::Status s = Allow(caller, Method::kCancel, name->backend); !s.ok()) return s;
        Worker& worker = WorkerFor(name->ToString());
        absl::StatusOr<Backend*> backend = worker.backends().Find(name->backend);
        if (!backend.ok()) return backend.status();
        worker.loop().Post([&call, backend = *backend, name = *std::move(name)] {
          backend->CancelExecution(name, call.context(), call.Completion<v1::Execution>());
        });
        return absl::OkStatus();
      });
}

ExecutionService::ExecutionService(Dependencies dependencies)
    : deps_(std::move(dependencies)), watch_limits_(deps_.watch_limits) {
  if (watch_limits_ == nullptr) {
    own_watch_limits_ = std::make_unique<WatchLimits>(WatchLimitsFromConfig({}));
    watch_limits_ = own_watch_limits_.get();
  }
}

Worker& ExecutionService::WorkerFor(absl::string_view key) const {
  return *deps_.workers[absl::HashOf(key) % deps_.workers.size()];
}

Worker& ExecutionService::NextWorker() const {
  // Per gRPC thread, so that taking turns shares no counter between
  // threads; each thread starts at a worker of its own.
  thread_local size_t turn = absl::HashOf(std::this_thread::get_id());
  return *deps_.workers[turn++ % deps_.workers.size()];
}

absl::StatusOr<ExecutionService::Listing> ExecutionService::ResolveListing(
    const Worker& worker, const std::string& backend_name, absl::string_view page_token,
    absl::string_view fingerprint) const {
  absl::StatusOr<Backend*> backend = worker.backends().Find(backend_name);
  if (!backend.ok()) return backend.status();
  absl::StatusOr<UpstreamPosition> position = deps_.page_tokens->Decode(page_token, fingerprint);
  if (!position.ok()) return position.status();
  return Listing{*backend, *std::move(position)};
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ExecutionService::WatchExecution(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes) {
  // Finishes at once, with what is wrong with the request or why it cannot
  // be watched now.
  auto observation =
      std::make_unique<RpcObservation>(RpcMethod::kWatchExecution, *context, deps_.metrics);
  class Refused final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
   public:
    Refused(const absl::Status& status, std::unique_ptr<RpcObservation> observation,
            absl::Span<const std::string> secrets) {
      const grpc::Status answer = ToGrpcStatus(RedactSecrets(status, secrets));
      observation->Finish(answer);
      Finish(answer);
    }
    void OnDone() override { delete this; }
  };
  const std::vector<std::string>& secrets = deps_.workers.front()->backends().secrets();
  const Caller* caller = nullptr;
  if (deps_.auth != nullptr) {
    absl::StatusOr<const Caller*> who = deps_.auth->Authenticate(*context);
    if (!who.ok()) return new Refused(who.status(), std::move(observation), secrets);
    caller = *who;
    observation->set_caller(caller->name);
  }
  v1::WatchExecutionRequest request;
  if (absl::Status s = ParseRequest(*request_bytes, &request); !s.ok()) {
    return new Refused(s, std::move(observation), secrets);
  }
  observation->set_name(RedactSecrets(request.name(), secrets));
  absl::StatusOr<ExecutionName> name = ParseExecutionName(request.name(), "name");
  if (!name.ok()) return new Refused(name.status(), std::move(observation), secrets);
  if (absl::Status s = Allow(caller, Method::kWatch, name->backend); !s.ok()) {
    return new Refused(s, std::move(observation), secrets);
  }
  if (request.etag().size() > 128) {
    return new Refused(FieldError("etag", "is longer than 128 characters"), std::move(observation),
                       secrets);
  }
  absl::StatusOr<absl::Duration> heartbeat = HeartbeatInterval(request, deps_.heartbeat_interval);
  if (!heartbeat.ok()) return new Refused(heartbeat.status(), std::move(observation), secrets);
  Worker& worker = WorkerFor(name->ToString());
  absl::StatusOr<Backend*> backend = worker.watch_backends().Find(name->backend);
  if (!backend.ok()) return new Refused(backend.status(), std::move(observation), secrets);
  // The per-caller limit counts an authenticated caller by its name,
  // wherever it connects from.
  absl::StatusOr<WatchLimits::Slot> slot = watch_limits_->Acquire(
      caller != nullptr ? absl::StrCat("caller:", caller->name) : CallerOf(context->peer()));
  if (!slot.ok()) return new Refused(slot.status(), std::move(observation), secrets);
  WatchStream::Params params{&worker.watches(), *backend,   *std::move(name),
                             request.etag(),    *heartbeat, *std::move(slot)};
  params.secrets = secrets;
  params.deadline = DeadlineOf(*context);
  params.on_finish = [observation = std::move(observation)](const grpc::Status& status) {
    observation->Finish(status);
  };
  return WatchStream::Start(std::move(params));
}

}  // namespace execgw::gateway

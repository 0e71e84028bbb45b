#ifndef EXECGW_ADAPTERS_BACKEND_H_
#define EXECGW_ADAPTERS_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/call_trace.h"
#include "adapters/cancellation.h"
#include "adapters/resource_name.h"
#include "execgw/v1/execution.pb.h"
#include "execgw/v1/execution_service.pb.h"

namespace execgw {

// What the caller of a backend operation wants respected.
struct CallContext {
  // Every upstream request made for the call ends by then.
  absl::Time deadline = absl::InfiniteFuture();
  // Optional. When it fires, in-flight upstream requests are aborted and
  // the operation completes with CANCELLED.
  std::shared_ptr<Cancellation> cancellation;
  // Optional: the caller's request id and trace, sent on every upstream
  // request made for the call (which counts them). Null: each upstream
  // request starts a trace of its own.
  std::shared_ptr<CallTrace> trace;
};

// Where a listing stands upstream, in bytes that only the adapter that
// handed them out reads (each adapter has its own layout: a cursor, an
// offset, a snapshot...). Empty: the first page. The gateway seals a
// position in a page token and gives the adapter back exactly the bytes it
// issued for the same query; it reads nothing in them. A position an adapter
// cannot read (one from an older layout, from another kind of adapter) is
// INVALID_ARGUMENT, reason INVALID_PAGE_TOKEN, naming page_token.
using UpstreamPosition = std::string;

// The longest position an adapter may hand out; the gateway refuses longer
// ones as an invalid upstream answer (a page whose next page could not be
// reached). An upstream cursor of up to 8 KiB fits, with room to spare for
// the adapter's own fields.
inline constexpr size_t kMaxUpstreamPositionSize = 8192 + 256;

// A ListExecutions call, validated and normalised by the gateway.
struct ListExecutionsQuery {
  ParentName parent;
  // 1..100: the gateway normalises the request's page_size (list_query.h),
  // so adapters use it as it is.
  int page_size = 20;
  bool ascending = false;  // order by create time, oldest first
  // Only executions in one of these states; empty: every state.
  std::set<v1::Execution::State> states;
  // Only executions created in [created_from, created_to) where set.
  std::optional<absl::Time> created_from;
  std::optional<absl::Time> created_to;
  // EXECUTION_VIEW_BASIC or EXECUTION_VIEW_FULL (never UNSPECIFIED): see
  // the proto. BASIC items carry only the basic fields and no etag; FULL
  // items equal what GetExecution returns.
  v1::ExecutionView view = v1::EXECUTION_VIEW_BASIC;
  // Where to continue; empty for the first page.
  UpstreamPosition position;
};

struct ExecutionPage {
  // At most the query's page_size.
  std::vector<v1::Execution> executions;
  // Where the next page starts (never empty); nullopt exactly at the end.
  std::optional<UpstreamPosition> next;
  // Executions under the parent ignoring filters, when the upstream says;
  // -1 otherwise.
  int64_t total_size = -1;
};

struct ListTasksQuery {
  ExecutionName execution;
  int page_size = 50;  // 1..200, normalised by the gateway as for executions
  UpstreamPosition position;
};

struct TaskPage {
  std::vector<v1::Task> tasks;
  std::optional<UpstreamPosition> next;
  int64_t total_size = -1;
};

// Completion of a backend operation: called exactly once, on any thread
// (possibly before the operation's method returns). It must not block.
template <typename T>
using Done = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;

// A live subscription to hints that one execution may have changed (an
// upstream event stream). Destroying it stops it: no callback runs after
// the destructor returns. Not thread-safe: use it on the backend's loop.
class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;
};

// What a ChangeFeed reports, on the backend's loop thread.
struct ChangeFeedCallbacks {
  // Something happened to the execution: read it again (events say that
  // something happened, never what the state is). `cursor` is where the
  // feed stands, opaque: pass it to the next FollowChanges to resume after
  // this event. Called once more, with the resume cursor, when the feed
  // is connected (events may have been missed before that).
  absl::AnyInvocable<void(const std::string& cursor)> on_change;
  // The feed has ended and will report nothing more: an error frame, the
  // upstream closing it, an HTTP error, silence beyond the feed's bound
  // (keepalives stopped). Called at most once. OK: the upstream ended it
  // normally (the execution finished).
  absl::AnyInvocable<void(absl::Status)> on_end;
};

// One upstream platform behind the unified API. Implementations translate
// requests into the upstream's REST calls and its JSON into execgw.v1
// messages. Every method is asynchronous and thread-safe; none blocks.
//
// Errors are absl::Status values built with MakeError (upstream_error.h):
// they carry a google.rpc.ErrorInfo payload (and RetryInfo when the
// upstream said when to retry) that the gateway passes on to its callers.
class Backend {
 public:
  virtual ~Backend() = default;

  // The configured name, as used in resource names.
  virtual const std::string& name() const = 0;
  virtual v1::BackendKind kind() const = 0;

  // Reads one execution. `name.backend` equals name(). A name of the form
  // this kind does not use (a job segment for Polos, none for Blaxel) gives
  // INVALID_ARGUMENT; an execution the upstream does not have, NOT_FOUND.
  // The result is fully translated, with `name` and `etag` set.
  virtual void GetExecution(const ExecutionName& name, const CallContext& context,
                            Done<v1::Execution> done) = 0;

  // Lists executions under `query.parent`. A parent form this kind does
  // not support, or a query option it cannot honour, gives
  // INVALID_ARGUMENT naming the field (`parent`, `order_by`, `filter`).
  // Filters the upstream cannot apply are applied to each upstream page,
  // so a page may hold fewer than page_size executions (even none) while
  // `next` is still set.
  virtual void ListExecutions(const ListExecutionsQuery& query, const CallContext& context,
                              Done<ExecutionPage> done) {
    std::move(done)(absl::UnimplementedError("ListExecutions is not supported by this backend"));
  }

  // Lists the tasks of one execution.
  virtual void ListExecutionTasks(const ListTasksQuery& query, const CallContext& context,
                                  Done<TaskPage> done) {
    std::move(done)(
        absl::UnimplementedError("ListExecutionTasks is not supported by this backend"));
  }

  // Starts an execution under `parent` (a job or a workflow) and returns it
  // in full (upstream create answers are partial: the adapter reads the
  // execution back). Request fields this kind cannot honour give
  // INVALID_ARGUMENT naming them. `request.request_id`, when set, is passed
  // upstream as an idempotency key if the upstream has one (see
  // deduplicates_creates()).
  virtual void CreateExecution(const ParentName& parent, const v1::CreateExecutionRequest& request,
                               const CallContext& context, Done<v1::Execution> done) {
    std::move(done)(absl::UnimplementedError("CreateExecution is not supported by this backend"));
  }

  // True when the upstream itself deduplicates creates that carry the same
  // request_id; otherwise the gateway remembers request ids for it.
  virtual bool deduplicates_creates() const { return false; }

  // For a backend that does not deduplicate creates: the execution that an
  // earlier CreateExecution of `request` (same request_id, same fields) may
  // have started between `since` and `until` (the gateway's clock: the
  // first attempt's start and the last one's end) although its outcome was
  // not known, or nullopt when the upstream shows none. The gateway asks
  // this before it sends such a create again. When several match, the one
  // created first. UNIMPLEMENTED (the default): the backend cannot tell for
  // this request, so a retry creates again.
  virtual void FindCreated(const ParentName& parent, const v1::CreateExecutionRequest& request,
                           absl::Time since, absl::Time until, const CallContext& context,
                           Done<std::optional<v1::Execution>> done) {
    std::move(done)(absl::UnimplementedError("FindCreated is not supported by this backend"));
  }

  // Asks the upstream to cancel and returns the execution as it stands
  // afterwards (CANCELLING or CANCELLED). An execution already finished
  // gives FAILED_PRECONDITION; one already CANCELLING succeeds.
  virtual void CancelExecution(const ExecutionName& name, const CallContext& context,
                               Done<v1::Execution> done) {
    std::move(done)(absl::UnimplementedError("CancelExecution is not supported by this backend"));
  }

  // Subscribes to the upstream's change hints about `execution` (as last
  // read by GetExecution), resuming after `cursor` (empty: from the
  // start). nullptr when this backend has no such push (the default), or
  // not for this execution: the caller then only polls. Callbacks run on
  // the backend's loop, never inside this call.
  virtual std::unique_ptr<ChangeFeed> FollowChanges(const v1::Execution& execution,
                                                    const std::string& cursor,
                                                    ChangeFeedCallbacks callbacks) {
    return nullptr;
  }
};

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_BACKEND_H_

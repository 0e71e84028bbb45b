#ifndef EXECGW_ADAPTERS_BACKEND_H_
#define EXECGW_ADAPTERS_BACKEND_H_

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/cancellation.h"
#include "adapters/resource_name.h"
#include "execgw/v1/execution.pb.h"

namespace execgw {

// What the caller of a backend operation wants respected.
struct CallContext {
  // Every upstream request made for the call ends by then.
  absl::Time deadline = absl::InfiniteFuture();
  // Optional. When it fires, in-flight upstream requests are aborted and
  // the operation completes with CANCELLED.
  std::shared_ptr<Cancellation> cancellation;
};

// Completion of a backend operation: called exactly once, on any thread
// (possibly before the operation's method returns). It must not block.
template <typename T>
using Done = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;

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
};

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_BACKEND_H_

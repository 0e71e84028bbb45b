#ifndef EXECGW_GATEWAY_GET_COALESCER_H_
#define EXECGW_GATEWAY_GET_COALESCER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "adapters/backend.h"
#include "adapters/event_loop.h"
#include "adapters/resource_name.h"
#include "execgw/v1/execution.pb.h"
#include "gateway/shared_call.h"

namespace execgw::gateway {

// Lets identical concurrent GetExecution calls share one upstream request.
//
// Calls are identical when they name the same execution (the key is
// ExecutionName::ToString(), which includes the backend). A call joins the
// upstream read in flight for its key, whatever that read's deadline:
// identical calls with the same timeout arrive one after another, so the
// read in flight nearly always has the earlier deadline, and refusing to
// join it would share almost nothing. Joining still never shortens the
// time a caller is given: when the shared read fails with
// DEADLINE_EXCEEDED while a joiner's own deadline is still ahead, that
// joiner reads again (starting or joining a newer read) instead of taking
// the failure. That is the coalescer's only retry, and costs a caller at
// most one read of its own: a read it started ends by its own deadline.
//
// A new read runs with the starting caller's deadline and a Cancellation of
// its own, cancelled only when every caller waiting on it has gone. A
// caller's own cancellation detaches just that caller: its `done` gets
// CANCELLED at once. When the read completes, every caller still waiting
// gets a copy of its result: the same execution, or the same error status
// (payloads included). A read abandoned by all its callers is not joined;
// the next call starts a new one.
//
// Freshness: a joiner may get the execution as the upstream reported it
// slightly before the joiner's own call began (at most one upstream
// round-trip earlier). Nothing is cached: once a read completes, the next
// call goes upstream again.
//
// Thread-safe. `done` is called exactly once, on any thread, possibly
// before Get returns, and never while a lock is held. The coalescer and
// the backends given to it must outlive every Get call's completion.
class GetCoalescer {
 public:
  // What has happened so far; for tests and metrics.
  struct Counters {
    uint64_t upstream_calls = 0;  // reads started upstream
    uint64_t joins = 0;           // calls that joined a read in flight
  };

  // `clock` tells whether a joiner still has time left; not owned.
  explicit GetCoalescer(const Clock* clock = WallClock()) : clock_(clock) {}
  GetCoalescer(const GetCoalescer&) = delete;
  GetCoalescer& operator=(const GetCoalescer&) = delete;

  // Reads `name` from `backend` (the backend `name.backend` names), sharing
  // the upstream read with identical calls as described above.
  void Get(Backend& backend, const ExecutionName& name, const CallContext& context,
           Done<v1::Execution> done);

  Counters counters() const;
  // Keys with a read in flight that new calls may join.
  size_t in_flight() const;

 private:
  void OnRead(const std::string& key, const std::shared_ptr<SharedCall>& call,
              absl::StatusOr<v1::Execution> result);

  const Clock* const clock_;
  mutable absl::Mutex mu_;
  // The read new calls may join, per key.
  absl::flat_hash_map<std::string, std::shared_ptr<SharedCall>> reads_ ABSL_GUARDED_BY(mu_);
  Counters counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_GET_COALESCER_H_

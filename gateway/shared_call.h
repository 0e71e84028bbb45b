#ifndef EXECGW_GATEWAY_SHARED_CALL_H_
#define EXECGW_GATEWAY_SHARED_CALL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/cancellation.h"
#include "execgw/v1/execution.pb.h"

namespace execgw::gateway {

// One upstream operation whose result several callers (waiters) wait for.
// The building block of CreateDeduplicator and GetCoalescer.
//
// Each waiter may leave early through its own Cancellation: its `done` then
// gets CANCELLED at once and the others are unaffected. The operation has a
// Cancellation of its own, passed upstream in upstream_context(), which is
// cancelled only when every waiter has left; the call is then "abandoned"
// and takes no new waiters. Complete() hands every waiter still attached a
// copy of the result. Each waiter's `done` is called exactly once, never
// while a lock of this object is held. Thread-safe.
//
// Joining takes two steps so that an owner may attach under its own lock
// (Attach only takes this object's lock, a leaf) and then watch the
// waiter's cancellation after releasing it (Arm may run the waiter's
// cancellation hook, and so its `done`, on the calling thread).
class SharedCall : public std::enable_shared_from_this<SharedCall> {
 public:
  using WaiterId = uint64_t;

  // `deadline` is the deadline of the upstream operation; `trace` (may be
  // null) the starting caller's, which the upstream requests carry.
  static std::shared_ptr<SharedCall> Make(absl::Time deadline,
                                          std::shared_ptr<CallTrace> trace = nullptr);

  SharedCall(const SharedCall&) = delete;
  SharedCall& operator=(const SharedCall&) = delete;

  // Adds a waiter and takes `done` (moved from only on success). Fails,
  // leaving `done` alone, once the call has completed or been abandoned.
  // `cancellation` may be null (the waiter never leaves early).
  std::optional<WaiterId> Attach(std::shared_ptr<Cancellation> cancellation,
                                 Done<v1::Execution>& done);

  // Starts watching the cancellation of waiter `id` (from Attach). Call it
  // once per waiter, holding no lock the waiter's `done` or a cancellation
  // hook might take: if the waiter is already cancelled, its `done` runs
  // here. Does nothing for a waiter that has already been answered.
  void Arm(WaiterId id);

  // The context to give the upstream operation: the deadline given to
  // Make() and this call's own Cancellation and the starting caller's trace.
  CallContext upstream_context() const { return {deadline_, upstream_cancellation_, trace_}; }

  absl::Time deadline() const { return deadline_; }

  // Answers every waiter still attached, each with a copy of `result`.
  // Call it once, when the upstream operation completes; later calls do
  // nothing.
  void Complete(absl::StatusOr<v1::Execution> result);

  // True once every waiter left before completion (and the upstream
  // cancellation was fired).
  bool abandoned() const;

 private:
  struct Waiter {
    Done<v1::Execution> done;
    std::shared_ptr<Cancellation> cancellation;
    Cancellation::HookId hook = 0;
  };

  SharedCall(absl::Time deadline, std::shared_ptr<CallTrace> trace);

  // Run from a waiter's cancellation hook.
  void Detach(WaiterId id);

  const absl::Time deadline_;
  const std::shared_ptr<Cancellation> upstream_cancellation_;
  const std::shared_ptr<CallTrace> trace_;

  mutable absl::Mutex mu_;
  WaiterId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<WaiterId, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  bool completed_ ABSL_GUARDED_BY(mu_) = false;
  bool abandoned_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_SHARED_CALL_H_

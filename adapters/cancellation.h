#ifndef EXECGW_ADAPTERS_CANCELLATION_H_
#define EXECGW_ADAPTERS_CANCELLATION_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace execgw {

// A one-way switch that a caller flips when it no longer wants the result
// of an operation (the gRPC call was cancelled, the client went away).
// Operations register a hook to stop their in-flight work. Thread-safe.
class Cancellation {
 public:
  using HookId = uint64_t;

  Cancellation() = default;
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  // Flips the switch and runs every registered hook once, on this thread.
  // Later calls do nothing.
  void Cancel();

  bool cancelled() const;

  // Registers `hook` to run on Cancel(). If already cancelled, runs it now,
  // on this thread, and returns 0. Hooks must not call back into this
  // object's AddHook from inside the hook; they must not block.
  HookId AddHook(std::function<void()> hook);

  // Unregisters a hook. After it returns the hook is not running and will
  // not run (unless it is the caller: a hook may remove itself). Removing 0
  // or an unknown id does nothing.
  void RemoveHook(HookId id);

 private:
  mutable absl::Mutex mu_;
  // Held while hooks run so RemoveHook waits for a running hook to finish.
  absl::Mutex run_mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  HookId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<HookId, std::function<void()>> hooks_ ABSL_GUARDED_BY(mu_);
  std::thread::id running_hooks_on_ ABSL_GUARDED_BY(mu_);
};

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_CANCELLATION_H_

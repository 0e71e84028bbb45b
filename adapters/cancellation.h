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

  // Flips the switch and runs every registered hook once, one after
  // another, on this thread. Later calls (from a hook too) do nothing.
  void Cancel();

  bool cancelled() const;

  // Registers `hook` to run on Cancel(). If already cancelled, runs it now,
  // on this thread, and returns 0. Hooks must not block: they post work.
  HookId AddHook(std::function<void()> hook);

  // Unregisters a hook. After it returns the hook will not run, and is not
  // running unless the caller is the hook itself (a hook may remove
  // itself or another). Waits only while that very hook is running on
  // another thread. Removing 0 or an unknown id does nothing.
  void RemoveHook(HookId id);

 private:
  mutable absl::Mutex mu_;
  absl::CondVar hook_done_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  HookId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Hooks not yet run.
  std::map<HookId, std::function<void()>> hooks_ ABSL_GUARDED_BY(mu_);
  // The hook Cancel() is running now (0: none), and the thread running it.
  HookId running_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread::id canceller_ ABSL_GUARDED_BY(mu_);
};

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_CANCELLATION_H_

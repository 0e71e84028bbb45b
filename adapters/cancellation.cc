#include "adapters/cancellation.h"

#include <utility>

namespace execgw {

void Cancellation::Cancel() {
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    cancelled_ = true;
    canceller_ = std::this_thread::get_id();
  }
  // One hook at a time, each taken out of the map before it runs, so that
  // RemoveHook can drop the ones still pending and wait only for the one
  // running.
  for (;;) {
    std::function<void()> hook;
    {
      absl::MutexLock lock(&mu_);
      running_ = 0;
      hook_done_.SignalAll();
      if (hooks_.empty()) {
        canceller_ = std::thread::id();
        return;
      }
      auto it = hooks_.begin();
      running_ = it->first;
      hook = std::move(it->second);
      hooks_.erase(it);
    }
    hook();
  }
}

bool Cancellation::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

Cancellation::HookId Cancellation::AddHook(std::function<void()> hook) {
  {
    absl::MutexLock lock(&mu_);
    if (!cancelled_) {
      HookId id = next_id_++;
      hooks_.emplace(id, std::move(hook));
      return id;
    }
  }
  hook();
  return 0;
}

void Cancellation::RemoveHook(HookId id) {
  if (id == 0) return;
  absl::MutexLock lock(&mu_);
  if (hooks_.erase(id) > 0) return;
  if (canceller_ == std::this_thread::get_id()) return;  // removing itself
  while (running_ == id) hook_done_.Wait(&mu_);
}

}  // namespace execgw

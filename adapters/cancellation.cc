#include "adapters/cancellation.h"

#include <utility>

namespace execgw {

void Cancellation::Cancel() {
  absl::MutexLock run_lock(&run_mu_);
  std::map<HookId, std::function<void()>> hooks;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    cancelled_ = true;
    hooks.swap(hooks_);
    running_hooks_on_ = std::this_thread::get_id();
  }
  for (auto& [id, hook] : hooks) hook();
  absl::MutexLock lock(&mu_);
  running_hooks_on_ = std::thread::id();
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
  {
    absl::MutexLock lock(&mu_);
    if (hooks_.erase(id) > 0) return;
    if (running_hooks_on_ == std::this_thread::get_id()) return;
  }
  // The hook may be running in Cancel(): wait for it to finish.
  absl::MutexLock run_lock(&run_mu_);
}

}  // namespace execgw

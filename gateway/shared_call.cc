#include "gateway/shared_call.h"

#include <utility>
#include <vector>

#include "adapters/upstream_error.h"

namespace execgw::gateway {

std::shared_ptr<SharedCall> SharedCall::Make(absl::Time deadline,
                                             std::shared_ptr<CallTrace> trace) {
  return std::shared_ptr<SharedCall>(new SharedCall(deadline, std::move(trace)));
}

SharedCall::SharedCall(absl::Time deadline, std::shared_ptr<CallTrace> trace)
    : deadline_(deadline),
      upstream_cancellation_(std::make_shared<Cancellation>()),
      trace_(std::move(trace)) {}

std::optional<SharedCall::WaiterId> SharedCall::Attach(std::shared_ptr<Cancellation> cancellation,
                                                       Done<v1::Execution>& done) {
  absl::MutexLock lock(&mu_);
  if (completed_ || abandoned_) return std::nullopt;
  WaiterId id = next_id_++;
  waiters_.emplace(id, Waiter{std::move(done), std::move(cancellation)});
  return id;
}

void SharedCall::Arm(WaiterId id) {
  std::shared_ptr<Cancellation> cancellation;
  {
    absl::MutexLock lock(&mu_);
    auto it = waiters_.find(id);
    if (it == waiters_.end()) return;
    cancellation = it->second.cancellation;
  }
  if (cancellation == nullptr) return;
  // The hook holds the call weakly: a hook left registered on a long-lived
  // Cancellation must not keep a finished call alive.
  std::weak_ptr<SharedCall> weak = weak_from_this();
  Cancellation::HookId hook = cancellation->AddHook([weak, id] {
    if (auto self = weak.lock()) self->Detach(id);
  });
  {
    absl::MutexLock lock(&mu_);
    auto it = waiters_.find(id);
    if (it != waiters_.end()) {
      it->second.hook = hook;
      return;
    }
  }
  // Answered (or detached) meanwhile; Complete could not see the hook id.
  cancellation->RemoveHook(hook);
}

void SharedCall::Detach(WaiterId id) {
  Waiter waiter;
  bool cancel_upstream = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = waiters_.find(id);
    if (it == waiters_.end()) return;  // already answered by Complete
    waiter = std::move(it->second);
    waiters_.erase(it);
    if (waiters_.empty() && !completed_) {
      abandoned_ = true;
      cancel_upstream = true;
    }
  }
  // No RemoveHook: this runs inside the hook, which Cancel() has already
  // unregistered.
  std::move(waiter.done)(
      MakeError(absl::StatusCode::kCancelled, "the call was cancelled", reason::kCancelled));
  if (cancel_upstream) upstream_cancellation_->Cancel();
}

void SharedCall::Complete(absl::StatusOr<v1::Execution> result) {
  std::map<WaiterId, Waiter> waiters;
  {
    absl::MutexLock lock(&mu_);
    if (completed_) return;
    completed_ = true;
    waiters.swap(waiters_);
  }
  // A hook racing with us finds its waiter gone and returns; RemoveHook
  // waits for such a hook to finish, so none runs after this loop.
  for (auto& [id, waiter] : waiters) {
    if (waiter.cancellation != nullptr) waiter.cancellation->RemoveHook(waiter.hook);
  }
  size_t left = waiters.size();
  for (auto& [id, waiter] : waiters) {
    if (--left == 0) {
      std::move(waiter.done)(std::move(result));
    } else {
      std::move(waiter.done)(result);
    }
  }
}

bool SharedCall::abandoned() const {
  absl::MutexLock lock(&mu_);
  return abandoned_;
}

}  // namespace execgw::gateway

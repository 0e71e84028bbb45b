#include "gateway/get_coalescer.h"

#include <optional>
#include <utility>

#include "adapters/upstream_error.h"

namespace execgw::gateway {
namespace {

// A joiner whose shared read ran out of time reads again only if at least
// this much of its own time is left.
constexpr absl::Duration kMinTimeToReadAgain = absl::Milliseconds(20);

}  // namespace

void GetCoalescer::Get(Backend& backend, const ExecutionName& name, const CallContext& context,
                       Done<v1::Execution> done) {
  std::string key = name.ToString();
  std::shared_ptr<SharedCall> call;
  std::optional<SharedCall::WaiterId> waiter;
  bool start = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = reads_.find(key);
    if (it != reads_.end()) {
      if (it->second->deadline() < context.deadline) {
        // The shared read may run out of time before this caller does:
        // then read again for this caller rather than fail it early.
        done = [this, &backend, name, context,
                done = std::move(done)](absl::StatusOr<v1::Execution> result) mutable {
          const bool cancelled = context.cancellation && context.cancellation->cancelled();
          if (!result.ok() && result.status().code() == absl::StatusCode::kDeadlineExceeded &&
              !cancelled && clock_->Now() + kMinTimeToReadAgain < context.deadline) {
            Get(backend, name, context, std::move(done));
            return;
          }
          std::move(done)(std::move(result));
        };
      }
      // Fails when the read has just completed or was abandoned.
      waiter = it->second->Attach(context.cancellation, done);
      if (waiter.has_value()) {
        call = it->second;
        ++counters_.joins;
      }
    }
    if (!waiter.has_value()) {
      call = SharedCall::Make(context.deadline);
      waiter = call->Attach(context.cancellation, done);
      reads_[key] = call;
      start = true;
    }
  }
  call->Arm(*waiter);
  if (!start) return;
  if (call->abandoned()) {
    // The only caller was cancelled before anything went upstream.
    OnRead(key, call,
           MakeError(absl::StatusCode::kCancelled, "the call was cancelled", reason::kCancelled));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    ++counters_.upstream_calls;
  }
  backend.GetExecution(name, call->upstream_context(),
                       [this, key, call](absl::StatusOr<v1::Execution> result) {
                         OnRead(key, call, std::move(result));
                       });
}

void GetCoalescer::OnRead(const std::string& key, const std::shared_ptr<SharedCall>& call,
                          absl::StatusOr<v1::Execution> result) {
  {
    absl::MutexLock lock(&mu_);
    // A later read may have taken the key over; leave that one in place.
    auto it = reads_.find(key);
    if (it != reads_.end() && it->second == call) reads_.erase(it);
  }
  call->Complete(std::move(result));
}

GetCoalescer::Counters GetCoalescer::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

size_t GetCoalescer::in_flight() const {
  absl::MutexLock lock(&mu_);
  return reads_.size();
}

}  // namespace execgw::gateway

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
      const absl::Time shared_deadline = it->second->deadline();
      if (shared_deadline < context.deadline) {
        // The shared read may run out of time before this caller does:
        // should it fail for that very reason (its own deadline passed),
        // read again for this caller rather than fail it early. Any other
        // failure, an upstream timeout included, is this caller's answer.
        auto plain = std::make_shared<Done<v1::Execution>>(std::move(done));
        Done<v1::Execution> joined = [this, &backend, name, context, shared_deadline,
                                      plain](absl::StatusOr<v1::Execution> result) mutable {
          const bool cancelled = context.cancellation && context.cancellation->cancelled();
          const absl::Time now = clock_->Now();
          if (!result.ok() && result.status().code() == absl::StatusCode::kDeadlineExceeded &&
              !cancelled && now >= shared_deadline &&
              now + kMinTimeToReadAgain < context.deadline) {
            Get(backend, name, context, std::move(*plain));
            return;
          }
          std::move (*plain)(std::move(result));
        };
        // Fails when the read has just completed or was abandoned.
        waiter = it->second->Attach(context.cancellation, joined);
        // Not joined: the plain completion goes to a read of its own.
        if (!waiter.has_value()) done = std::move(*plain);
      } else {
        waiter = it->second->Attach(context.cancellation, done);
      }
      if (waiter.has_value()) {
        call = it->second;
        ++counters_.joins;
      }
    }
    if (!waiter.has_value()) {
      call = SharedCall::Make(context.deadline, context.trace);
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

#include "adapters/http/resilient_http_client.h"

#include <algorithm>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/http/backoff.h"
#include "adapters/http/verdict.h"
#include "adapters/upstream_error.h"
#include "adapters/upstream_time.h"

namespace execgw::http {
namespace {

using Admission = CircuitBreaker::Admission;
using Outcome = CircuitBreaker::Outcome;

bool IsCancelled(const HttpRequest& request) {
  return request.cancellation != nullptr && request.cancellation->cancelled();
}

// One Send() from the caller's point of view, across all its attempts. The
// fields from `probe` on are guarded by Core::mu_; the rest belong to
// whichever step currently holds the call (it is in one place at a time:
// queued, upstream, or waiting to retry).
struct Call {
  HttpRequest request;
  absl::Time attempt_started;
  ResponseCallback done;
  // The previous attempt's outcome, returned if a retry cannot happen.
  absl::StatusOr<HttpResponse> last = absl::UnknownError("no attempt yet");

  int attempts = 0;    // attempts sent so far
  bool probe = false;  // the current attempt is the breaker's probe
  bool queued = false;
  uint64_t queue_stint = 0;  // tells one stay in the queue from the next
  std::list<std::shared_ptr<Call>>::iterator queue_pos;
  absl::Time queued_at;
  Cancellation::HookId cancel_hook = 0;
  std::shared_ptr<Cancellation> queue_timer;  // cancels the deadline timer

  ~Call() {
    // Reached with `done` still set only when the loop dropped a function
    // holding the last reference: a wait between attempts whose
    // cancellation fired, or the loop shutting down. Either way the caller
    // still gets exactly one answer.
    if (done != nullptr) {
      std::move(done)(absl::CancelledError(IsCancelled(request) ? "HTTP request cancelled"
                                                                : "HTTP client is shutting down"));
    }
  }
};

void Finish(Call& call, absl::StatusOr<HttpResponse> result) {
  ResponseCallback done = std::move(call.done);
  call.done = nullptr;
  if (done != nullptr) std::move(done)(std::move(result));
}

// What must be undone, outside the lock, when a call leaves the queue.
struct QueueExit {
  std::shared_ptr<Cancellation> cancellation;
  Cancellation::HookId hook = 0;
  std::shared_ptr<Cancellation> timer;

  void Run() {
    if (cancellation != nullptr && hook != 0) cancellation->RemoveHook(hook);
    if (timer != nullptr) timer->Cancel();
  }
};

struct Rejection {
  std::shared_ptr<Call> call;
  absl::StatusOr<HttpResponse> result;
  // For the observer: why it was failed fast; null: not a fast failure.
  const char* reason = nullptr;
};

// Breaker bookkeeping for one stream. Touched only on the loop thread.
struct StreamTracker {
  bool probe = false;
  bool recorded = false;
};

}  // namespace

class ResilientHttpClient::Core : public std::enable_shared_from_this<ResilientHttpClient::Core> {
 public:
  Core(HttpClient& inner, EventLoop& loop, ResilienceOptions options)
      : inner_(inner),
        loop_(loop),
        options_(std::move(options)),
        max_in_flight_(std::max(1, options_.max_in_flight)),
        breaker_({options_.failure_threshold, options_.open_duration}, loop_) {}

  EventLoop& loop() { return loop_; }
  size_t max_response_bytes() const { return options_.max_response_bytes; }

  // Lets `call` make its next attempt: through the breaker, then a slot.
  void Admit(std::shared_ptr<Call> call);
  void Stream(HttpRequest request, StreamCallbacks callbacks);
  void Shutdown();
  ResilienceStats stats() const;

 private:
  enum class LeaveReason { kDeadline, kCancelled };

  void WaitForSlot(const std::shared_ptr<Call>& call, uint64_t stint,
                   std::shared_ptr<Cancellation> timer);
  void LeaveQueue(const std::shared_ptr<Call>& call, uint64_t stint, LeaveReason why);
  void SendAttempt(std::shared_ptr<Call> call);
  void OnAttemptDone(std::shared_ptr<Call> call, absl::StatusOr<HttpResponse> result);
  // How long to wait before retrying after `result`, or nullopt when the
  // retry would not fit before the deadline.
  std::optional<absl::Duration> RetryWait(const Call& call,
                                          const absl::StatusOr<HttpResponse>& result) const;
  void RecordStream(StreamTracker& tracker, Outcome outcome);
  // Answers `call` on the loop thread.
  void Deliver(std::shared_ptr<Call> call, absl::StatusOr<HttpResponse> result);

  void TakeSlotLocked(Call& call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records an outcome in the breaker; whether it opened (true) or closed
  // (false) because of it, nullopt when it did neither.
  std::optional<bool> RecordLocked(Outcome outcome, bool probe) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Tells the observer of a fast failure.
  void Rejected(const HttpRequest& request, absl::string_view reason);
  QueueExit LeaveQueueLocked(Call& call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands free slots to queued calls, oldest first.
  void FillSlotsLocked(std::vector<std::shared_ptr<Call>>& send, std::vector<Rejection>& rejected,
                       std::vector<QueueExit>& exits) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CircuitOpenLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status QueueDeadlineLocked(const Call& call) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ShutDownStatus() const;

  HttpClient& inner_;
  EventLoop& loop_;
  const ResilienceOptions options_;
  const int max_in_flight_;

  mutable absl::Mutex mu_;
  CircuitBreaker breaker_ ABSL_GUARDED_BY(mu_);
  std::list<std::shared_ptr<Call>> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t next_stint_ ABSL_GUARDED_BY(mu_) = 1;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  int64_t attempts_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t retries_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t streams_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rejected_circuit_open_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rejected_queue_full_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t queue_timeouts_ ABSL_GUARDED_BY(mu_) = 0;
};

void ResilientHttpClient::Core::Admit(std::shared_ptr<Call> call) {
  const bool retry = call->attempts > 0;
  std::optional<absl::StatusOr<HttpResponse>> reject;
  const char* reject_reason = nullptr;
  bool send = false;
  uint64_t stint = 0;
  std::shared_ptr<Cancellation> timer;
  {
    absl::MutexLock lock(&mu_);
    if (IsCancelled(call->request)) {
      reject = absl::CancelledError("HTTP request cancelled");
    } else if (shut_down_) {
      reject = retry ? std::move(call->last) : ShutDownStatus();
    } else if (Admission a = breaker_.Admit(); a == Admission::kReject) {
      ++rejected_circuit_open_;
      reject_reason = "circuit_open";
      reject = retry ? std::move(call->last) : CircuitOpenLocked();
    } else {
      call->probe = a == Admission::kProbe;
      if (in_flight_ < max_in_flight_) {
        TakeSlotLocked(*call);
        send = true;
      } else if (!retry && queue_.size() >= static_cast<size_t>(std::max(0, options_.max_queued))) {
        if (call->probe) breaker_.ReleaseProbe();
        call->probe = false;
        ++rejected_queue_full_;
        reject_reason = "queue_full";
        reject = absl::ResourceExhaustedError(
            absl::StrCat("backend \"", options_.backend, "\": request queue full (", queue_.size(),
                         " requests waiting for one of ", max_in_flight_, " slots)"));
      } else {
        // A retry goes ahead of new requests: it arrived before them.
        call->queue_pos = queue_.insert(retry ? queue_.begin() : queue_.end(), call);
        call->queued = true;
        call->queue_stint = stint = next_stint_++;
        call->queued_at = loop_.Now();
        if (call->request.deadline != absl::InfiniteFuture()) {
          timer = std::make_shared<Cancellation>();
          call->queue_timer = timer;
        }
      }
    }
  }
  if (reject.has_value()) {
    if (reject_reason != nullptr) Rejected(call->request, reject_reason);
    Deliver(std::move(call), *std::move(reject));
  } else if (send) {
    SendAttempt(std::move(call));
  } else {
    WaitForSlot(call, stint, std::move(timer));
  }
}

void ResilientHttpClient::Core::WaitForSlot(const std::shared_ptr<Call>& call, uint64_t stint,
                                            std::shared_ptr<Cancellation> timer) {
  // The queue holds the call; the timer and the hook only look it up.
  std::shared_ptr<Core> self = shared_from_this();
  std::weak_ptr<Call> weak = call;
  if (timer != nullptr) {
    loop_.RunAt(
        call->request.deadline,
        [self, weak, stint] {
          if (std::shared_ptr<Call> c = weak.lock()) {
            self->LeaveQueue(c, stint, LeaveReason::kDeadline);
          }
        },
        std::move(timer));
  }
  if (const std::shared_ptr<Cancellation>& cancellation = call->request.cancellation) {
    Cancellation::HookId hook = cancellation->AddHook([self, weak, stint] {
      if (std::shared_ptr<Call> c = weak.lock()) {
        self->LeaveQueue(c, stint, LeaveReason::kCancelled);
      }
    });
    bool keep;
    {
      absl::MutexLock lock(&mu_);
      keep = call->queued && call->queue_stint == stint;
      if (keep) call->cancel_hook = hook;
    }
    // Already out of the queue: whoever took it out did not see the hook.
    if (!keep) cancellation->RemoveHook(hook);
  }
}

void ResilientHttpClient::Core::LeaveQueue(const std::shared_ptr<Call>& call, uint64_t stint,
                                           LeaveReason why) {
  QueueExit exit;
  absl::StatusOr<HttpResponse> result;
  {
    absl::MutexLock lock(&mu_);
    if (!call->queued || call->queue_stint != stint) return;
    queue_.erase(call->queue_pos);
    exit = LeaveQueueLocked(*call);
    if (call->probe) breaker_.ReleaseProbe();
    call->probe = false;
    if (why == LeaveReason::kCancelled) {
      result = absl::CancelledError("HTTP request cancelled");
    } else {
      ++queue_timeouts_;
      result = call->attempts > 0 ? std::move(call->last) : QueueDeadlineLocked(*call);
    }
  }
  exit.Run();
  if (why == LeaveReason::kDeadline) Rejected(call->request, "queue_timeout");
  Deliver(call, std::move(result));
}

void ResilientHttpClient::Core::SendAttempt(std::shared_ptr<Call> call) {
  // A copy: a retry needs the request again.
  HttpRequest attempt = call->request;
  for (auto& header : TraceHeaders(attempt.trace.get()))
    attempt.headers.push_back(std::move(header));
  if (attempt.trace != nullptr) ++attempt.trace->upstream_requests;
  call->attempt_started = loop_.Now();
  std::shared_ptr<Core> self = shared_from_this();
  inner_.Send(std::move(attempt),
              [self, call = std::move(call)](absl::StatusOr<HttpResponse> result) mutable {
                self->OnAttemptDone(std::move(call), std::move(result));
              });
}

void ResilientHttpClient::Core::OnAttemptDone(std::shared_ptr<Call> call,
                                              absl::StatusOr<HttpResponse> result) {
  // The caller's classifier runs outside the lock, once per response.
  bool transient;
  Outcome outcome;
  if (!result.ok()) {
    // An attempt timeout says the upstream is slow. DEADLINE_EXCEEDED
    // otherwise is the caller's deadline, CANCELLED the caller's choice:
    // neither says anything about the upstream, unless the attempt had
    // waited slow_attempt for an answer by then (a hung upstream must open
    // the circuit even when every caller's deadline is short).
    transient = IsTransientFailure(result.status());
    const absl::StatusCode code = result.status().code();
    const bool slow_unanswered =
        (code == absl::StatusCode::kDeadlineExceeded || code == absl::StatusCode::kCancelled) &&
        loop_.Now() - call->attempt_started >= options_.slow_attempt;
    outcome = transient || slow_unanswered ? Outcome::kFailure : Outcome::kNeutral;
  } else {
    if (call->request.classifier != nullptr) {
      result->verdict = call->request.classifier(result);
    }
    transient = result->verdict.has_value() ? result->verdict->kind == Verdict::Kind::kTransient
                                            : IsTransientStatus(result->status);
    outcome = transient ? Outcome::kFailure : Outcome::kSuccess;
  }
  std::optional<absl::Duration> wait;
  if (transient && call->request.idempotent && call->attempts < options_.max_attempts &&
      !IsCancelled(call->request)) {
    wait = RetryWait(*call, result);
  }

  std::vector<std::shared_ptr<Call>> send;
  std::vector<Rejection> rejected;
  std::vector<QueueExit> exits;
  std::optional<bool> circuit_change;
  {
    absl::MutexLock lock(&mu_);
    --in_flight_;
    circuit_change = RecordLocked(outcome, call->probe);
    call->probe = false;
    if (shut_down_) wait.reset();
    FillSlotsLocked(send, rejected, exits);
  }
  if (options_.observer != nullptr) {
    UpstreamAttempt a;
    a.backend = options_.backend;
    a.route = call->request.route;
    if (call->request.trace != nullptr) a.request_id = call->request.trace->request_id;
    a.attempt = call->attempts;
    if (result.ok()) {
      a.status = result->status;
    } else {
      a.error = result.status();
    }
    a.transient = transient;
    a.retried = wait.has_value();
    a.latency = loop_.Now() - call->attempt_started;
    options_.observer->OnAttempt(a);
    if (circuit_change.has_value())
      options_.observer->OnCircuitChange(options_.backend, *circuit_change);
  }
  for (QueueExit& exit : exits) exit.Run();
  for (Rejection& r : rejected) {
    if (r.reason != nullptr) Rejected(r.call->request, r.reason);
    Deliver(std::move(r.call), std::move(r.result));
  }
  for (std::shared_ptr<Call>& c : send) SendAttempt(std::move(c));

  if (!wait.has_value()) {
    Finish(*call, std::move(result));
    return;
  }
  call->last = std::move(result);
  std::shared_ptr<Cancellation> cancellation = call->request.cancellation;
  std::shared_ptr<Core> self = shared_from_this();
  // If `cancellation` fires first, the loop drops this function and with it
  // the last reference to the call, whose destructor answers CANCELLED.
  loop_.RunAfter(
      *wait, [self, call = std::move(call)]() mutable { self->Admit(std::move(call)); },
      std::move(cancellation));
}

std::optional<absl::Duration> ResilientHttpClient::Core::RetryWait(
    const Call& call, const absl::StatusOr<HttpResponse>& result) const {
  const absl::Duration ceiling =
      BackoffCeiling(options_.initial_backoff, options_.max_backoff, call.attempts);
  absl::Duration wait;
  if (options_.jitter != nullptr) {
    wait = std::clamp(options_.jitter(ceiling), absl::ZeroDuration(), ceiling);
  } else {
    thread_local absl::BitGen gen;
    wait = FullJitter(ceiling, gen);
  }
  const absl::Time now = loop_.Now();
  if (result.ok()) {
    // The classifier read Retry-After with the rest of the answer.
    std::optional<absl::Duration> retry_after;
    if (result->verdict.has_value()) {
      retry_after = result->verdict->retry_after;
    } else if (const std::string* header = result->FindHeader("retry-after")) {
      retry_after = ParseRetryAfter(*header, now);
    }
    if (retry_after.has_value()) {
      if (*retry_after > options_.max_retry_after) return std::nullopt;
      wait = std::max(wait, *retry_after);
    }
  }
  if (now + wait + options_.min_attempt_time > call.request.deadline) {
    return std::nullopt;
  }
  return wait;
}

void ResilientHttpClient::Core::Stream(HttpRequest request, StreamCallbacks callbacks) {
  absl::Status reject;
  auto tracker = std::make_shared<StreamTracker>();
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) {
      reject = ShutDownStatus();
    } else if (Admission a = breaker_.Admit(); a == Admission::kReject) {
      ++rejected_circuit_open_;
      reject = CircuitOpenLocked();
    } else {
      tracker->probe = a == Admission::kProbe;
      ++streams_;
    }
  }
  if (!reject.ok()) {
    if (absl::IsUnavailable(reject)) Rejected(request, "circuit_open");
    loop_.Post([done = std::move(callbacks.on_done), reject]() mutable {
      if (done != nullptr) std::move(done)(reject);
    });
    return;
  }
  for (auto& header : TraceHeaders(request.trace.get()))
    request.headers.push_back(std::move(header));
  if (request.trace != nullptr) ++request.trace->upstream_requests;
  std::shared_ptr<Core> self = shared_from_this();
  StreamCallbacks wrapped;
  wrapped.on_headers = [self, tracker, classifier = request.classifier,
                        user = std::move(callbacks.on_headers)](int status,
                                                                const Headers& headers) mutable {
    bool transient = IsTransientStatus(status);
    if (transient && classifier != nullptr) {
      HttpResponse response;
      response.status = status;
      response.headers = headers;
      transient = classifier(response).kind == Verdict::Kind::kTransient;
    }
    self->RecordStream(*tracker, transient ? Outcome::kFailure : Outcome::kSuccess);
    return user == nullptr || user(status, headers);
  };
  wrapped.on_data = std::move(callbacks.on_data);
  wrapped.on_done = [self, tracker, user = std::move(callbacks.on_done)](
                        absl::StatusOr<HttpResponse> result) mutable {
    // A stream that ends after good headers was already counted a success.
    self->RecordStream(*tracker,
                       !result.ok() && result.status().code() == absl::StatusCode::kUnavailable
                           ? Outcome::kFailure
                           : Outcome::kNeutral);
    if (user != nullptr) std::move(user)(std::move(result));
  };
  inner_.Stream(std::move(request), std::move(wrapped));
}

void ResilientHttpClient::Core::RecordStream(StreamTracker& tracker, Outcome outcome) {
  if (tracker.recorded) return;
  tracker.recorded = true;
  std::optional<bool> change;
  {
    absl::MutexLock lock(&mu_);
    change = RecordLocked(outcome, tracker.probe);
  }
  if (change.has_value() && options_.observer != nullptr) {
    options_.observer->OnCircuitChange(options_.backend, *change);
  }
}

void ResilientHttpClient::Core::Shutdown() {
  std::vector<Rejection> rejected;
  std::vector<QueueExit> exits;
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    while (!queue_.empty()) {
      std::shared_ptr<Call> call = std::move(queue_.front());
      queue_.pop_front();
      exits.push_back(LeaveQueueLocked(*call));
      if (call->probe) breaker_.ReleaseProbe();
      call->probe = false;
      absl::StatusOr<HttpResponse> result =
          call->attempts > 0 ? std::move(call->last) : ShutDownStatus();
      rejected.push_back({std::move(call), std::move(result)});
    }
  }
  for (QueueExit& exit : exits) exit.Run();
  for (Rejection& r : rejected) Deliver(std::move(r.call), std::move(r.result));
}

void ResilientHttpClient::Core::Deliver(std::shared_ptr<Call> call,
                                        absl::StatusOr<HttpResponse> result) {
  loop_.Post([call = std::move(call), result = std::move(result)]() mutable {
    Finish(*call, std::move(result));
  });
}

std::optional<bool> ResilientHttpClient::Core::RecordLocked(Outcome outcome, bool probe) {
  const bool was_closed = breaker_.state() == CircuitBreaker::State::kClosed;
  breaker_.Record(outcome, probe);
  const bool is_closed = breaker_.state() == CircuitBreaker::State::kClosed;
  if (was_closed == is_closed) return std::nullopt;
  return !is_closed;
}

void ResilientHttpClient::Core::Rejected(const HttpRequest& request, absl::string_view reason) {
  if (options_.observer != nullptr)
    options_.observer->OnRejected(options_.backend, request.route, reason);
}

void ResilientHttpClient::Core::TakeSlotLocked(Call& call) {
  ++in_flight_;
  ++attempts_;
  if (call.attempts > 0) ++retries_;
  ++call.attempts;
}

QueueExit ResilientHttpClient::Core::LeaveQueueLocked(Call& call) {
  call.queued = false;
  QueueExit exit;
  exit.cancellation = call.request.cancellation;
  exit.hook = call.cancel_hook;
  exit.timer = std::move(call.queue_timer);
  call.cancel_hook = 0;
  call.queue_timer = nullptr;
  return exit;
}

void ResilientHttpClient::Core::FillSlotsLocked(std::vector<std::shared_ptr<Call>>& send,
                                                std::vector<Rejection>& rejected,
                                                std::vector<QueueExit>& exits) {
  const absl::Time now = loop_.Now();
  while (in_flight_ < max_in_flight_ && !queue_.empty()) {
    std::shared_ptr<Call> call = std::move(queue_.front());
    queue_.pop_front();
    exits.push_back(LeaveQueueLocked(*call));
    const bool retry = call->attempts > 0;
    if (now >= call->request.deadline) {
      // Its deadline timer has not run yet; answer as it would.
      if (call->probe) breaker_.ReleaseProbe();
      call->probe = false;
      ++queue_timeouts_;
      absl::StatusOr<HttpResponse> result =
          retry ? std::move(call->last) : QueueDeadlineLocked(*call);
      rejected.push_back({std::move(call), std::move(result), "queue_timeout"});
      continue;
    }
    if (!call->probe) {
      // The breaker may have opened while the call waited.
      Admission a = breaker_.Admit();
      if (a == Admission::kReject) {
        ++rejected_circuit_open_;
        absl::StatusOr<HttpResponse> result = retry ? std::move(call->last) : CircuitOpenLocked();
        rejected.push_back({std::move(call), std::move(result), "circuit_open"});
        continue;
      }
      call->probe = a == Admission::kProbe;
    }
    TakeSlotLocked(*call);
    send.push_back(std::move(call));
  }
}

absl::Status ResilientHttpClient::Core::CircuitOpenLocked() const {
  // Carries its own ErrorInfo (CIRCUIT_OPEN) and RetryInfo, which the
  // adapters pass on unchanged (TransportFailureToStatus).
  const std::map<std::string, std::string> metadata = {{"backend", options_.backend}};
  if (breaker_.state() == CircuitBreaker::State::kHalfOpen) {
    return MakeError(absl::StatusCode::kUnavailable,
                     absl::StrCat("circuit open for backend \"", options_.backend,
                                  "\"; retry after the probe request in flight tells whether "
                                  "the upstream has recovered"),
                     reason::kCircuitOpen, metadata, absl::Seconds(1));
  }
  const absl::Duration left = absl::Ceil(
      std::max(breaker_.open_until() - loop_.Now(), absl::ZeroDuration()), absl::Milliseconds(100));
  return MakeError(
      absl::StatusCode::kUnavailable,
      absl::StrCat("circuit open for backend \"", options_.backend,
                   "\" (the upstream keeps failing); retry after ", absl::FormatDuration(left)),
      reason::kCircuitOpen, metadata, left);
}

absl::Status ResilientHttpClient::Core::QueueDeadlineLocked(const Call& call) const {
  return absl::DeadlineExceededError(absl::StrCat(
      "backend \"", options_.backend, "\": concurrency limit of ", max_in_flight_,
      " requests in flight reached; the deadline passed after waiting ",
      absl::FormatDuration(absl::Trunc(loop_.Now() - call.queued_at, absl::Milliseconds(1))),
      " in the queue"));
}

absl::Status ResilientHttpClient::Core::ShutDownStatus() const {
  return absl::CancelledError(
      absl::StrCat("HTTP client for backend \"", options_.backend, "\" is shutting down"));
}

ResilienceStats ResilientHttpClient::Core::stats() const {
  absl::MutexLock lock(&mu_);
  ResilienceStats s;
  s.attempts = attempts_;
  s.retries = retries_;
  s.streams = streams_;
  s.rejected_circuit_open = rejected_circuit_open_;
  s.rejected_queue_full = rejected_queue_full_;
  s.queue_timeouts = queue_timeouts_;
  s.breaker_state = breaker_.state();
  s.consecutive_failures = breaker_.consecutive_failures();
  s.queue_length = static_cast<int>(queue_.size());
  s.in_flight = in_flight_;
  return s;
}

ResilientHttpClient::ResilientHttpClient(HttpClient& inner, ResilienceOptions options)
    : ResilientHttpClient(inner, inner.loop(), std::move(options)) {}

ResilientHttpClient::ResilientHttpClient(HttpClient& inner, EventLoop& loop,
                                         ResilienceOptions options)
    : core_(std::make_shared<Core>(inner, loop, std::move(options))) {}

ResilientHttpClient::~ResilientHttpClient() { core_->Shutdown(); }

void ResilientHttpClient::Send(HttpRequest request, ResponseCallback done) {
  auto call = std::make_shared<Call>();
  call->request = std::move(request);
  if (call->request.max_response_bytes == 0) {
    call->request.max_response_bytes = core_->max_response_bytes();
  }
  call->done = std::move(done);
  core_->Admit(std::move(call));
}

void ResilientHttpClient::Stream(HttpRequest request, StreamCallbacks callbacks) {
  core_->Stream(std::move(request), std::move(callbacks));
}

EventLoop& ResilientHttpClient::loop() { return core_->loop(); }

ResilienceStats ResilientHttpClient::stats() const { return core_->stats(); }

}  // namespace execgw::http

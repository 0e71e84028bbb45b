#include "gateway/watch/watch_hub.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "adapters/cancellation.h"
#include "adapters/execution_state.h"
#include "adapters/upstream_error.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_writer.h"

namespace execgw::gateway {
namespace {

// The upstream's answers that no later read would change.
bool IsFinalError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnimplemented:
      return true;
    default:
      return false;
  }
}

bool SameError(const absl::Status& a, const absl::Status& b) {
  return a.code() == b.code() && a.message() == b.message();
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

std::shared_ptr<const WatchSnapshot> MakeSnapshot(v1::Execution execution, absl::Time read_at) {
  auto snapshot = std::make_shared<WatchSnapshot>();
  snapshot->etag = execution.etag();
  snapshot->terminal = IsTerminal(execution.state());
  snapshot->confirmed_at = read_at;
  v1::WatchExecutionResponse response;
  *response.mutable_execution() = std::move(execution);
  *response.mutable_confirm_time() = ToTimestamp(read_at);
  bool own_buffer = false;
  // Serialising a message into a fresh buffer cannot fail.
  grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::MessageLite>(
      response, &snapshot->message, &own_buffer);
  return snapshot;
}

}  // namespace

// Follows one execution for its subscribers. Lives in the hub's map while
// it follows; callbacks of reads and timers hold it alive and do nothing
// once it has stopped.
class WatchHub::Follower : public std::enable_shared_from_this<Follower> {
 public:
  Follower(WatchHub& hub, Backend& backend, ExecutionName name, std::string key,
           FollowPolicy policy, double phase)
      : hub_(hub),
        backend_(backend),
        name_(std::move(name)),
        key_(std::move(key)),
        policy_(policy),
        started_(hub.loop_.Now()),
        last_change_(started_),
        next_due_(started_),
        first_gap_(policy.min_interval * (0.5 + 0.5 * phase)) {}

  void Add(WatchSubscriber* subscriber) {
    subscribers_.insert(subscriber);
    if (current_ != nullptr) subscriber->OnExecution(current_);
    if (!health_.error.ok()) subscriber->OnHealth(health_);
  }

  // Whether it has subscribers left.
  bool Remove(WatchSubscriber* subscriber) {
    subscribers_.erase(subscriber);
    return !subscribers_.empty();
  }

  size_t subscriber_count() const { return subscribers_.size(); }
  bool has_feed() const { return feed_ != nullptr; }
  const FollowHealth& health() const { return health_; }

  void Start() { ReadNow(); }

  // Cancels the scheduled and running work; nothing reaches a subscriber
  // after this.
  void Stop() {
    stopped_ = true;
    subscribers_.clear();
    if (timer_ != nullptr) timer_->Cancel();
    if (read_ != nullptr) read_->Cancel();
    feed_.reset();
    if (feed_retry_ != nullptr) feed_retry_->Cancel();
  }

  // Ends every subscriber and stops.
  void End(const absl::Status& status, bool shutting_down) {
    auto subscribers = std::move(subscribers_);
    Stop();
    for (WatchSubscriber* s : subscribers) s->OnEnd(status, shutting_down);
  }

 private:
  EventLoop& loop() { return hub_.loop_; }

  // Reads now, or as soon as the read in flight is done.
  void ReadNow() {
    if (stopped_) return;
    if (reading_) {
      read_again_ = true;
      return;
    }
    if (timer_ != nullptr) {
      timer_->Cancel();
      timer_ = nullptr;
      scheduled_at_ = absl::InfiniteFuture();
    }
    if (hint_due_ != absl::InfiniteFuture()) {
      // This read serves the hint that waits for the budget.
      RefillHintBudget();
      hint_budget_ = std::max(0.0, hint_budget_ - 1);
      hint_due_ = absl::InfiniteFuture();
    }
    reading_ = true;
    read_again_ = false;
    read_ = std::make_shared<Cancellation>();
    ++hub_.counters_.reads;
    CallContext context;
    context.deadline = loop().Now() + policy_.read_timeout;
    context.cancellation = read_;
    backend_.GetExecution(
        name_, context,
        [self = shared_from_this(), &loop = loop()](absl::StatusOr<v1::Execution> result) mutable {
          if (loop.IsLoopThread()) {
            self->OnRead(std::move(result));
          } else {
            loop.Post([self = std::move(self), result = std::move(result)]() mutable {
              self->OnRead(std::move(result));
            });
          }
        });
  }

  // Sets the next read at `when`, or sooner if a change hint waits for the
  // budget.
  void ScheduleAt(absl::Time when) {
    if (stopped_) return;
    when = std::min(when, hint_due_);
    if (timer_ != nullptr) timer_->Cancel();
    timer_ = std::make_shared<Cancellation>();
    scheduled_at_ = when;
    loop().RunAt(
        when,
        [self = shared_from_this()] {
          self->timer_ = nullptr;
          self->scheduled_at_ = absl::InfiniteFuture();
          self->ReadNow();
        },
        timer_);
  }

  void RefillHintBudget() {
    const absl::Time now = loop().Now();
    hint_budget_ =
        std::min(kHintBurst, hint_budget_ + (now - hint_budget_at_) / policy_.min_interval);
    hint_budget_at_ = now;
  }

  // A change hint: read again at once while the hints' budget lasts
  // (kHintBurst reads, one more per min_interval), else as soon as it
  // allows. An event stream that floods hints (a chatty or broken
  // upstream) then costs no more reads than polling at min_interval.
  void OnHint() {
    RefillHintBudget();
    if (hint_budget_ >= 1) {
      hint_budget_ -= 1;
      ReadNow();
      return;
    }
    const absl::Time when = loop().Now() + (1 - hint_budget_) * policy_.min_interval;
    if (when >= hint_due_) return;  // one waits already, sooner
    hint_due_ = when;
    // With a read in flight, OnRead schedules the next one (ScheduleAt
    // takes hint_due_ into account).
    if (!reading_ && when < scheduled_at_) ScheduleAt(when);
  }

  void OnRead(absl::StatusOr<v1::Execution> result) {
    // The hub may forget this follower below.
    auto self = shared_from_this();
    reading_ = false;
    read_ = nullptr;
    if (stopped_) return;  // the hub may be gone
    ++hub_.counters_.reads_done;
    const absl::Time now = loop().Now();
    if (!result.ok()) {
      OnFailure(result.status(), now);
      return;
    }
    const bool recovered = !health_.error.ok();
    health_.confirmed_at = now;
    health_.error = absl::OkStatus();
    health_.failing_since = absl::InfinitePast();
    failures_ = 0;
    const bool changed = current_ == nullptr || current_->etag != result->etag();
    if (changed) {
      ++hub_.counters_.changes;
      if (current_ != nullptr) last_change_ = now;
      if (policy_.follow_changes) execution_ = *result;
      current_ = MakeSnapshot(*std::move(result), now);
      for (WatchSubscriber* s : subscribers_) s->OnExecution(current_);
      if (current_->terminal) {
        // Every subscriber has its last message.
        subscribers_.clear();
        Stop();
        hub_.Forget(key_);
        return;
      }
      if (feed_ == nullptr && feed_retry_ == nullptr && policy_.follow_changes) StartFeed();
    } else if (recovered) {
      for (WatchSubscriber* s : subscribers_) s->OnHealth(health_);
    }
    if (read_again_) {
      ReadNow();
      return;
    }
    // Fixed-rate: the next read one gap after the last one was due.
    absl::Duration gap;
    if (feed_ != nullptr) {
      gap = policy_.max_interval;
    } else if (gap_ == absl::ZeroDuration()) {
      gap = first_gap_;
    } else {
      gap = policy_.NextGap(gap_, now - last_change_);
    }
    gap_ = gap;
    next_due_ = std::max(now, next_due_ + gap);
    ScheduleAt(next_due_);
  }

  void OnFailure(const absl::Status& error, absl::Time now) {
    if (IsFinalError(error)) {
      auto self = shared_from_this();
      End(error, /*shutting_down=*/false);
      hub_.Forget(key_);
      return;
    }
    ++failures_;
    const bool news = health_.error.ok() || !SameError(health_.error, error);
    if (health_.error.ok()) health_.failing_since = now;
    health_.error = error;
    if (news) {
      for (WatchSubscriber* s : subscribers_) s->OnHealth(health_);
    }
    if (read_again_) read_again_ = false;  // the backoff below decides
    const double random = std::uniform_real_distribution<double>(0, 1)(hub_.random_);
    next_due_ = now + policy_.FailureGap(failures_, error, random);
    ScheduleAt(next_due_);
  }

  void StartFeed() {
    if (stopped_ || current_ == nullptr) return;
    // The hint's content is not read: any hint means "read again".
    ChangeFeedCallbacks callbacks;
    callbacks.on_change = [this](const std::string& cursor) {
      cursor_ = cursor;
      ++hub_.counters_.change_hints;
      feed_failures_ = 0;
      OnHint();
    };
    callbacks.on_end = [this](absl::Status status) {
      // Not destroyed from inside its own callback.
      loop().Post(
          [self = shared_from_this(), status = std::move(status)] { self->OnFeedEnd(status); });
    };
    // The execution as last read tells the adapter where its hints are.
    feed_ = backend_.FollowChanges(execution_, cursor_, std::move(callbacks));
    if (feed_ != nullptr) ++hub_.counters_.feeds_started;
  }

  void OnFeedEnd(const absl::Status&) {
    if (stopped_) return;
    feed_.reset();
    // Back to polling at the adaptive interval, reading now in case the
    // end was the execution finishing; subscribe again after a backoff.
    ++feed_failures_;
    ReadNow();
    absl::Duration backoff = absl::Seconds(1);
    for (int i = 1; i < feed_failures_ && backoff < absl::Seconds(60); ++i) backoff *= 2;
    backoff = std::min(backoff, absl::Seconds(60));
    const double random = std::uniform_real_distribution<double>(0.5, 1)(hub_.random_);
    feed_retry_ = std::make_shared<Cancellation>();
    loop().RunAfter(
        backoff * random,
        [self = shared_from_this()] {
          self->feed_retry_ = nullptr;
          self->StartFeed();
        },
        feed_retry_);
  }

  WatchHub& hub_;
  Backend& backend_;
  const ExecutionName name_;
  const std::string key_;
  const FollowPolicy policy_;
  const absl::Time started_;
  absl::Time last_change_;
  absl::Time next_due_;
  const absl::Duration first_gap_;
  absl::Duration gap_ = absl::ZeroDuration();

  absl::flat_hash_set<WatchSubscriber*> subscribers_;
  std::shared_ptr<const WatchSnapshot> current_;
  // The content last read, for FollowChanges (kept only when it is used).
  v1::Execution execution_;
  FollowHealth health_;
  int failures_ = 0;

  bool reading_ = false;
  bool read_again_ = false;
  std::shared_ptr<Cancellation> read_;
  std::shared_ptr<Cancellation> timer_;
  absl::Time scheduled_at_ = absl::InfiniteFuture();  // timer_'s time

  // Reads that change hints may start at once (OnHint); a hint over budget
  // waits until hint_due_.
  static constexpr double kHintBurst = 5;
  double hint_budget_ = kHintBurst;
  absl::Time hint_budget_at_ = started_;
  absl::Time hint_due_ = absl::InfiniteFuture();

  std::unique_ptr<ChangeFeed> feed_;
  std::shared_ptr<Cancellation> feed_retry_;
  std::string cursor_;
  int feed_failures_ = 0;

  bool stopped_ = false;
};

WatchHub::WatchHub(EventLoop& loop, Options options)
    : loop_(loop),
      options_(std::move(options)),
      random_(options_.seed != 0 ? options_.seed : std::random_device()()) {}

WatchHub::~WatchHub() {
  for (auto& [key, follower] : followers_) follower->Stop();
}

FollowPolicy WatchHub::PolicyFor(const std::string& backend) const {
  auto it = options_.policies.find(backend);
  return it != options_.policies.end() ? it->second : FollowPolicy();
}

void WatchHub::Subscribe(Backend& backend, const ExecutionName& name, WatchSubscriber* subscriber) {
  if (shut_down_) {
    subscriber->OnEnd(absl::UnavailableError("the gateway is shutting down"), true);
    return;
  }
  std::string key = name.ToString();
  auto it = followers_.find(key);
  if (it == followers_.end()) {
    const double phase = std::uniform_real_distribution<double>(0, 1)(random_);
    auto follower =
        std::make_shared<Follower>(*this, backend, name, key, PolicyFor(name.backend), phase);
    it = followers_.emplace(std::move(key), follower).first;
    follower->Add(subscriber);
    follower->Start();
    return;
  }
  it->second->Add(subscriber);
}

void WatchHub::Unsubscribe(const ExecutionName& name, WatchSubscriber* subscriber) {
  auto it = followers_.find(name.ToString());
  if (it == followers_.end()) return;
  if (!it->second->Remove(subscriber)) {
    it->second->Stop();
    followers_.erase(it);
  }
}

void WatchHub::Shutdown() {
  shut_down_ = true;
  auto followers = std::move(followers_);
  followers_.clear();
  for (auto& [key, follower] : followers) {
    follower->End(absl::UnavailableError("the gateway is shutting down"), true);
  }
}

size_t WatchHub::subscribers() const {
  size_t n = 0;
  for (const auto& [key, follower] : followers_) n += follower->subscriber_count();
  return n;
}

size_t WatchHub::feeds() const {
  size_t n = 0;
  for (const auto& [key, follower] : followers_) n += follower->has_feed() ? 1 : 0;
  return n;
}

const FollowHealth* WatchHub::HealthOf(const ExecutionName& name) const {
  auto it = followers_.find(name.ToString());
  return it == followers_.end() ? nullptr : &it->second->health();
}

void WatchHub::Forget(const std::string& key) { followers_.erase(key); }

}  // namespace execgw::gateway

#ifndef EXECGW_TESTS_TESTING_SIMULATED_EVENT_LOOP_H_
#define EXECGW_TESTS_TESTING_SIMULATED_EVENT_LOOP_H_

// An EventLoop for tests whose time moves only when the test moves it, so
// that time-based behaviour (backoff, Retry-After, breaker, queue and token
// timeouts, TTLs) is tested without sleeping.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/cancellation.h"
#include "adapters/event_loop.h"

namespace execgw::testing {

// Nothing runs by itself: posted fns run at the next RunPending() or
// Advance*(); timers run once Advance*() reaches their time, in time order
// (ties in the order they were set), on the calling thread, with Now() at
// their due time. A timer that a running fn sets for a time already reached
// runs in the same call. Cancellations are honoured. Scheduling is
// thread-safe (callbacks of a real HTTP client may schedule from its
// thread); running is the test's: call RunPending/Advance*/Shutdown from
// one thread, the loop's (the one that made it).
class SimulatedEventLoop final : public EventLoop {
 public:
  // 2026-01-01T00:00:00Z unless told otherwise.
  explicit SimulatedEventLoop(absl::Time start = absl::FromUnixSeconds(1767225600))
      : now_(start), thread_(std::this_thread::get_id()) {}

  // Drops pending fns without running them (call Shutdown() first to run
  // them).
  ~SimulatedEventLoop() override {
    while (true) {
      std::map<Key, Timer> left;
      {
        absl::MutexLock lock(&mu_);
        if (timers_.empty()) return;
        left.swap(timers_);
      }
      for (auto& [key, timer] : left) timer.Unhook();
      // `left` is destroyed here, outside the lock: a dropped fn may
      // schedule more.
    }
  }

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  void Post(absl::AnyInvocable<void() &&> fn) override {
    RunAt(absl::InfinitePast(), std::move(fn), nullptr);
  }

  void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn,
             std::shared_ptr<Cancellation> cancellation = nullptr) override {
    if (cancellation != nullptr && cancellation->cancelled()) return;
    Key key;
    bool now;
    {
      absl::MutexLock lock(&mu_);
      now = shut_down_;
      if (!now) {
        key = {when, next_seq_++};
        timers_.emplace(key, Timer{std::move(fn), cancellation});
      }
    }
    if (now) {  // after Shutdown(): at once
      std::move(fn)();
      return;
    }
    if (cancellation == nullptr) return;
    const Cancellation::HookId hook = cancellation->AddHook([this, key] { Drop(key); });
    bool keep;
    {
      absl::MutexLock lock(&mu_);
      auto it = timers_.find(key);
      keep = it != timers_.end();
      if (keep) it->second.hook = hook;
    }
    // Already run or dropped: nobody else would remove the hook.
    if (!keep) cancellation->RemoveHook(hook);
  }

  bool IsLoopThread() const override { return std::this_thread::get_id() == thread_; }

  // Runs the posted fns and the timers due now (and what they schedule for
  // now). Returns how many ran.
  int RunPending() {
    int ran = 0;
    while (RunNext(Now(), /*move_time=*/true)) ++ran;
    return ran;
  }

  // Moves time forward by `d`, running what falls due on the way (see the
  // class comment). A negative `d` sets the clock back, as a wall clock can
  // be: then only what is due at the new time runs.
  void Advance(absl::Duration d) { AdvanceTo(Now() + d); }
  void AdvanceTo(absl::Time t) {
    {
      absl::MutexLock lock(&mu_);
      if (t < now_) now_ = t;
    }
    while (RunNext(t, /*move_time=*/true)) {
    }
    absl::MutexLock lock(&mu_);
    if (now_ < t) now_ = t;
  }

  // The shutdown contract of a real loop: runs every pending fn at once,
  // early, in time order (and what they schedule), without moving time;
  // from then on fns run at once on the caller's thread.
  void Shutdown() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (timers_.empty()) {
          shut_down_ = true;
          return;
        }
      }
      RunNext(absl::InfiniteFuture(), /*move_time=*/false);
    }
  }

  // Fns waiting (posted ones and timers; not the cancelled).
  int pending() const {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(timers_.size());
  }

  // When the next fn is due (InfinitePast for a posted one); nullopt when
  // none waits.
  std::optional<absl::Time> next_due() const {
    absl::MutexLock lock(&mu_);
    if (timers_.empty()) return std::nullopt;
    return timers_.begin()->first.first;
  }

 private:
  using Key = std::pair<absl::Time, uint64_t>;  // the sequence breaks ties

  struct Timer {
    absl::AnyInvocable<void() &&> fn;
    std::shared_ptr<Cancellation> cancellation;
    Cancellation::HookId hook = 0;

    void Unhook() {
      if (cancellation != nullptr && hook != 0) cancellation->RemoveHook(hook);
    }
  };

  // Runs the earliest fn due at or before `limit`; false when there is none.
  bool RunNext(absl::Time limit, bool move_time) {
    Timer timer;
    {
      absl::MutexLock lock(&mu_);
      if (timers_.empty() || timers_.begin()->first.first > limit) return false;
      auto node = timers_.extract(timers_.begin());
      if (move_time && node.key().first > now_) now_ = node.key().first;
      timer = std::move(node.mapped());
    }
    timer.Unhook();
    std::move(timer.fn)();
    return true;
  }

  // The cancellation hook of the timer at `key`: drops it unrun.
  void Drop(Key key) {
    Timer dropped;
    {
      absl::MutexLock lock(&mu_);
      auto it = timers_.find(key);
      if (it == timers_.end()) return;
      dropped = std::move(it->second);
      timers_.erase(it);
    }
    // Destroyed here, outside the lock (its captures may schedule).
  }

  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<Key, Timer> timers_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  const std::thread::id thread_;
};

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_TESTING_SIMULATED_EVENT_LOOP_H_

#include "adapters/cancellation.h"

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace execgw {
namespace {

// How long a test waits for what must happen at once before it fails, so
// that a deadlock fails the test instead of hanging it (generous: CI
// machines are loaded).
constexpr absl::Duration kBound = absl::Seconds(10);

// How long a test watches for what must not happen (a call returning too
// early) before taking it as not happening.
constexpr absl::Duration kGrace = absl::Milliseconds(100);

// Runs `fn` on a thread of its own, at once, and lets the test wait for it
// to return within kBound. If it does not, the thread is left behind
// (detached) with what `fn` holds: `fn` must own everything it touches
// (shared_ptr captures), so that a failed test cannot touch freed memory.
class BoundedCall {
 public:
  explicit BoundedCall(std::function<void()> fn)
      : returned_(std::make_shared<absl::Notification>()),
        thread_([fn = std::move(fn), returned = returned_] {
          fn();
          returned->Notify();
        }) {}

  ~BoundedCall() {
    if (!hung_ && returned_->WaitForNotificationWithTimeout(kBound)) {
      thread_.join();
    } else {
      thread_.detach();
    }
  }

  // True once `fn` returned; waits at most `wait` for it.
  bool ReturnedWithin(absl::Duration wait) {
    return returned_->WaitForNotificationWithTimeout(wait);
  }
  // Waits kBound at most; false (the call hangs) makes the destructor wait
  // no longer.
  bool Returned() {
    hung_ = !ReturnedWithin(kBound);
    return !hung_;
  }

 private:
  const std::shared_ptr<absl::Notification> returned_;
  std::thread thread_;
  bool hung_ = false;
};

// What hooks saw, shared by the test and the threads it starts.
struct Trace {
  std::atomic<int> a{0}, b{0};
  std::atomic<bool> returned{false};  // set by the caller once Cancel returned
  std::atomic<bool> ran_after_return{false};
  // Written by the cancelling thread and its hooks, read after it returned.
  std::thread::id canceller, a_thread, b_thread;
  std::vector<char> order;
};

TEST(CancellationTest, RunsEachHookOnceOnTheCancellingThreadBeforeCancelReturns) {
  auto c = std::make_shared<Cancellation>();
  auto t = std::make_shared<Trace>();
  c->AddHook([t] {
    ++t->a;
    t->a_thread = std::this_thread::get_id();
    t->order.push_back('a');
    if (t->returned) t->ran_after_return = true;
  });
  c->AddHook([t] {
    ++t->b;
    t->b_thread = std::this_thread::get_id();
    t->order.push_back('b');
    if (t->returned) t->ran_after_return = true;
  });
  EXPECT_FALSE(c->cancelled());
  EXPECT_EQ(t->a, 0);  // nothing runs before Cancel
  {
    BoundedCall cancel([c, t] {
      t->canceller = std::this_thread::get_id();
      c->Cancel();
      t->returned = true;
      c->Cancel();  // a second Cancel runs nothing again
    });
    ASSERT_TRUE(cancel.Returned());
  }
  EXPECT_TRUE(c->cancelled());
  EXPECT_EQ(t->a, 1);
  EXPECT_EQ(t->b, 1);
  EXPECT_FALSE(t->ran_after_return);
  EXPECT_EQ(t->a_thread, t->canceller);
  EXPECT_EQ(t->b_thread, t->canceller);
  EXPECT_EQ(t->order, (std::vector<char>{'a', 'b'}));  // one after another, in order added
}

TEST(CancellationTest, HookAddedAfterCancelRunsAtOnceOnTheAddingThread) {
  Cancellation c;
  c.Cancel();
  int ran = 0;
  std::thread::id ran_on;
  EXPECT_EQ(c.AddHook([&] {
    ++ran;
    ran_on = std::this_thread::get_id();
  }),
            0u);
  EXPECT_EQ(ran, 1);  // before AddHook returned
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  c.Cancel();
  EXPECT_EQ(ran, 1);  // and never again
}

TEST(CancellationTest, RemovedHookDoesNotRun) {
  Cancellation c;
  int ran = 0, kept = 0;
  auto id = c.AddHook([&] { ++ran; });
  c.AddHook([&] { ++kept; });
  c.RemoveHook(id);
  c.RemoveHook(id);  // twice, or an unknown id, does nothing
  c.RemoveHook(0);
  c.RemoveHook(12345);
  c.Cancel();
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(kept, 1);
}

TEST(CancellationTest, RemovingAHookThatAlreadyRanReturnsAtOnce) {
  auto c = std::make_shared<Cancellation>();
  auto ran = std::make_shared<std::atomic<int>>(0);
  auto id = c->AddHook([ran] { ++*ran; });
  c->Cancel();
  ASSERT_EQ(*ran, 1);
  BoundedCall remove([c, id] { c->RemoveHook(id); });
  EXPECT_TRUE(remove.Returned());
}

TEST(CancellationTest, HookMayRemoveItselfWithoutWaitingForItself) {
  auto c = std::make_shared<Cancellation>();
  auto id = std::make_shared<std::atomic<Cancellation::HookId>>(0);
  auto ran = std::make_shared<std::atomic<int>>(0);
  auto removed = std::make_shared<std::atomic<bool>>(false);
  *id = c->AddHook([c = c.get(), id, ran, removed] {
    ++*ran;
    c->RemoveHook(*id);  // must return: it is this very hook
    *removed = true;
  });
  BoundedCall cancel([c] { c->Cancel(); });
  ASSERT_TRUE(cancel.Returned()) << "a hook removing itself deadlocked";
  EXPECT_EQ(*ran, 1);
  EXPECT_TRUE(*removed);
}

TEST(CancellationTest, RemoveWaitsForTheRunningHookToFinish) {
  auto c = std::make_shared<Cancellation>();
  auto in_hook = std::make_shared<absl::Notification>();
  auto release = std::make_shared<absl::Notification>();
  auto hook_done = std::make_shared<std::atomic<bool>>(false);
  auto done_when_removed = std::make_shared<std::atomic<bool>>(false);
  auto id = c->AddHook([in_hook, release, hook_done] {
    in_hook->Notify();
    release->WaitForNotificationWithTimeout(kBound);
    *hook_done = true;
  });
  BoundedCall cancel([c] { c->Cancel(); });
  ASSERT_TRUE(in_hook->WaitForNotificationWithTimeout(kBound));
  BoundedCall remove([c, id, hook_done, done_when_removed] {
    c->RemoveHook(id);
    *done_when_removed = hook_done->load();
  });
  // While the hook runs on the cancelling thread, RemoveHook waits.
  EXPECT_FALSE(remove.ReturnedWithin(kGrace)) << "RemoveHook returned while its hook ran";
  release->Notify();
  ASSERT_TRUE(remove.Returned()) << "RemoveHook still waits after its hook finished";
  EXPECT_TRUE(*done_when_removed);  // it returned only after the hook finished
  EXPECT_TRUE(cancel.Returned());
}

TEST(CancellationTest, HookMayRemoveAnotherPendingHook) {
  auto c = std::make_shared<Cancellation>();
  auto second_ran = std::make_shared<std::atomic<int>>(0);
  auto second = std::make_shared<std::atomic<Cancellation::HookId>>(0);
  c->AddHook([c = c.get(), second] { c->RemoveHook(*second); });  // runs first (lower id)
  *second = c->AddHook([second_ran] { ++*second_ran; });
  BoundedCall cancel([c] { c->Cancel(); });
  ASSERT_TRUE(cancel.Returned()) << "removing a pending hook from a hook deadlocked";
  EXPECT_EQ(*second_ran, 0);
}

TEST(CancellationTest, CancelFromAHookDoesNothing) {
  auto c = std::make_shared<Cancellation>();
  auto ran = std::make_shared<std::atomic<int>>(0);
  auto later_ran = std::make_shared<std::atomic<int>>(0);
  auto cancelled_inside = std::make_shared<std::atomic<bool>>(false);
  c->AddHook([c = c.get(), ran, cancelled_inside] {
    ++*ran;
    *cancelled_inside = c->cancelled();
    c->Cancel();  // returns at once, runs nothing
  });
  c->AddHook([later_ran] { ++*later_ran; });
  BoundedCall cancel([c] { c->Cancel(); });
  ASSERT_TRUE(cancel.Returned()) << "Cancel from a hook deadlocked";
  EXPECT_EQ(*ran, 1);
  EXPECT_EQ(*later_ran, 1);  // the outer Cancel still ran the rest, once
  EXPECT_TRUE(*cancelled_inside);
}

TEST(CancellationTest, RemovingAPendingHookDoesNotWaitForTheRunningOne) {
  auto c = std::make_shared<Cancellation>();
  auto in_slow = std::make_shared<absl::Notification>();
  auto release = std::make_shared<absl::Notification>();
  auto slow_ran = std::make_shared<std::atomic<int>>(0);
  auto other_ran = std::make_shared<std::atomic<int>>(0);
  c->AddHook([in_slow, release, slow_ran] {
    ++*slow_ran;
    in_slow->Notify();
    // Outlasts the wait for RemoveHook below, so that a RemoveHook that
    // waited for this hook fails the test.
    release->WaitForNotificationWithTimeout(2 * kBound);
  });
  auto other = c->AddHook([other_ran] { ++*other_ran; });
  BoundedCall cancel([c] { c->Cancel(); });
  ASSERT_TRUE(in_slow->WaitForNotificationWithTimeout(kBound));
  {
    // The slow hook is still running: the pending one is dropped at once.
    BoundedCall remove([c, other] { c->RemoveHook(other); });
    EXPECT_TRUE(remove.Returned()) << "RemoveHook waited for another hook";
  }
  release->Notify();
  ASSERT_TRUE(cancel.Returned());
  EXPECT_EQ(*slow_ran, 1);
  EXPECT_EQ(*other_ran, 0);  // removed before its turn: never ran
}

}  // namespace
}  // namespace execgw

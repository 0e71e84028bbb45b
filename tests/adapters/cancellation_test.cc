#include "adapters/cancellation.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace execgw {
namespace {

TEST(CancellationTest, RunsEachHookOnceOnCancel) {
  Cancellation c;
  int a = 0, b = 0;
  c.AddHook([&] { ++a; });
  c.AddHook([&] { ++b; });
  EXPECT_FALSE(c.cancelled());
  c.Cancel();
  c.Cancel();
  EXPECT_TRUE(c.cancelled());
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
}

TEST(CancellationTest, HookAddedAfterCancelRunsAtOnce) {
  Cancellation c;
  c.Cancel();
  int ran = 0;
  EXPECT_EQ(c.AddHook([&] { ++ran; }), 0u);
  EXPECT_EQ(ran, 1);
}

TEST(CancellationTest, RemovedHookDoesNotRun) {
  Cancellation c;
  int ran = 0;
  auto id = c.AddHook([&] { ++ran; });
  c.RemoveHook(id);
  c.Cancel();
  EXPECT_EQ(ran, 0);
}

TEST(CancellationTest, HookMayRemoveItself) {
  Cancellation c;
  Cancellation::HookId id = 0;
  int ran = 0;
  id = c.AddHook([&] {
    ++ran;
    c.RemoveHook(id);
  });
  c.Cancel();
  EXPECT_EQ(ran, 1);
}

TEST(CancellationTest, RemoveWaitsForRunningHook) {
  Cancellation c;
  std::atomic<bool> in_hook{false}, hook_done{false};
  auto id = c.AddHook([&] {
    in_hook = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    hook_done = true;
  });
  std::thread t([&] { c.Cancel(); });
  while (!in_hook) std::this_thread::yield();
  c.RemoveHook(id);
  EXPECT_TRUE(hook_done);  // RemoveHook returned only after the hook finished
  t.join();
}

TEST(CancellationTest, HookMayRemoveAnotherPendingHook) {
  Cancellation c;
  int second_ran = 0;
  Cancellation::HookId second = 0;
  c.AddHook([&] { c.RemoveHook(second); });  // runs first (lower id)
  second = c.AddHook([&] { ++second_ran; });
  c.Cancel();
  EXPECT_EQ(second_ran, 0);
}

TEST(CancellationTest, CancelFromAHookDoesNothing) {
  Cancellation c;
  int ran = 0;
  c.AddHook([&] {
    ++ran;
    c.Cancel();  // must not deadlock
  });
  c.Cancel();
  EXPECT_EQ(ran, 1);
}

TEST(CancellationTest, RemovingAnUnrelatedHookDoesNotWaitForASlowOne) {
  Cancellation c;
  std::atomic<bool> in_slow{false}, release{false};
  c.AddHook([&] {
    in_slow = true;
    while (!release) std::this_thread::yield();
  });
  auto other = c.AddHook([] {});
  std::thread t([&] { c.Cancel(); });
  while (!in_slow) std::this_thread::yield();
  c.RemoveHook(other);  // pending: dropped at once, no wait for the slow hook
  release = true;
  t.join();
}

}  // namespace
}  // namespace execgw

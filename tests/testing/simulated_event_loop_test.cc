#include "tests/testing/simulated_event_loop.h"

#include <memory>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "adapters/cancellation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace execgw::testing {
namespace {

using ::testing::ElementsAre;

TEST(SimulatedEventLoopTest, TimersRunInTimeOrderAtTheirTimeWhenTheTestAdvances) {
  SimulatedEventLoop loop;
  const absl::Time t0 = loop.Now();
  std::vector<int> order;
  std::vector<absl::Time> at;
  auto record = [&](int i) {
    return [&, i] {
      order.push_back(i);
      at.push_back(loop.Now());
    };
  };
  loop.RunAt(t0 + absl::Seconds(3), record(4));
  loop.RunAt(t0 + absl::Seconds(1), record(2));
  loop.RunAt(t0 - absl::Seconds(1), record(1));  // past: due now
  loop.RunAfter(absl::Seconds(3), record(5));    // ties keep order
  loop.RunAt(t0 + absl::Seconds(2), record(3));
  EXPECT_EQ(loop.pending(), 5);
  EXPECT_EQ(loop.RunPending(), 1);
  EXPECT_THAT(order, ElementsAre(1));
  loop.Advance(absl::Milliseconds(2999));
  EXPECT_THAT(order, ElementsAre(1, 2, 3));
  loop.Advance(absl::Milliseconds(1));
  EXPECT_THAT(order, ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(at, ElementsAre(t0, t0 + absl::Seconds(1), t0 + absl::Seconds(2),
                              t0 + absl::Seconds(3), t0 + absl::Seconds(3)));
  EXPECT_EQ(loop.Now(), t0 + absl::Seconds(3));
  EXPECT_EQ(loop.pending(), 0);
}

TEST(SimulatedEventLoopTest, PostedWorkRunsInOrderAtTheNextTurnOnly) {
  SimulatedEventLoop loop;
  std::vector<int> order;
  loop.Post([&] { order.push_back(1); });
  loop.Post([&] { order.push_back(2); });
  EXPECT_TRUE(order.empty());  // never inside Post
  loop.Advance(absl::ZeroDuration());
  EXPECT_THAT(order, ElementsAre(1, 2));
  EXPECT_TRUE(loop.IsLoopThread());
  bool other_thread_is_loop = true;
  std::thread([&] { other_thread_is_loop = loop.IsLoopThread(); }).join();
  EXPECT_FALSE(other_thread_is_loop);
}

TEST(SimulatedEventLoopTest, WorkScheduledByAFnForATimeReachedRunsInTheSameAdvance) {
  SimulatedEventLoop loop;
  const absl::Time t0 = loop.Now();
  std::vector<absl::Time> at;
  loop.RunAfter(absl::Seconds(1), [&] {
    at.push_back(loop.Now());
    loop.RunAfter(absl::Seconds(1), [&] { at.push_back(loop.Now()); });
    loop.Post([&] { at.push_back(loop.Now()); });
    loop.RunAfter(absl::Seconds(5), [&] { at.push_back(loop.Now()); });
  });
  loop.Advance(absl::Seconds(2));
  EXPECT_THAT(at, ElementsAre(t0 + absl::Seconds(1), t0 + absl::Seconds(1), t0 + absl::Seconds(2)));
  EXPECT_EQ(loop.next_due(), t0 + absl::Seconds(6));
}

TEST(SimulatedEventLoopTest, CancelledTimersAreDroppedUnrun) {
  SimulatedEventLoop loop;
  auto cancellation = std::make_shared<Cancellation>();
  auto fn_alive = std::make_shared<int>(0);
  bool ran = false;
  loop.RunAfter(
      absl::Seconds(1), [&ran, fn_alive] { ran = true; }, cancellation);
  EXPECT_EQ(fn_alive.use_count(), 2);
  cancellation->Cancel();
  EXPECT_EQ(fn_alive.use_count(), 1);  // dropped at once
  EXPECT_EQ(loop.pending(), 0);
  loop.RunAfter(
      absl::Seconds(1), [&] { ran = true; }, cancellation);  // already cancelled
  loop.Advance(absl::Seconds(2));
  EXPECT_FALSE(ran);
}

TEST(SimulatedEventLoopTest, ShutdownRunsPendingWorkEarlyThenRunsNewWorkAtOnce) {
  SimulatedEventLoop loop;
  const absl::Time t0 = loop.Now();
  std::vector<int> order;
  loop.RunAfter(absl::Hours(2), [&] { order.push_back(2); });
  loop.RunAfter(absl::Hours(1), [&] {
    order.push_back(1);
    loop.Post([&] { order.push_back(3); });
  });
  loop.Shutdown();
  EXPECT_THAT(order, ElementsAre(1, 3, 2));
  EXPECT_EQ(loop.Now(), t0);  // early: time did not move
  loop.RunAfter(absl::Hours(1), [&] { order.push_back(4); });
  EXPECT_THAT(order, ElementsAre(1, 3, 2, 4));
}

TEST(SimulatedEventLoopTest, TheClockCanBeSetBackLikeAWallClock) {
  SimulatedEventLoop loop;
  const absl::Time t0 = loop.Now();
  bool ran = false;
  loop.RunAt(t0 + absl::Seconds(1), [&] { ran = true; });
  loop.Advance(-absl::Hours(1));
  EXPECT_EQ(loop.Now(), t0 - absl::Hours(1));
  EXPECT_FALSE(ran);
  loop.AdvanceTo(t0 + absl::Seconds(1));
  EXPECT_TRUE(ran);
}

TEST(SimulatedEventLoopTest, OtherThreadsMaySchedule) {
  SimulatedEventLoop loop;
  int ran = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 100; ++j) loop.RunAfter(absl::Milliseconds(j), [&] { ++ran; });
    });
  }
  for (std::thread& t : threads) t.join();
  loop.Advance(absl::Seconds(1));
  EXPECT_EQ(ran, 400);
}

}  // namespace
}  // namespace execgw::testing

#include "sim/polos/scenario.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace execgw::polos {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);

Timing At(absl::Time created) { return Timing{created, std::nullopt, std::nullopt}; }

TEST(PolosScenario, HappyPath) {
  Scenario s;  // queued 1 s, claimed 0.5 s, running 3 s
  const Timing t = At(kT0);
  EXPECT_EQ(Materialize(s, t, kT0).status, "queued");
  EXPECT_FALSE(Materialize(s, t, kT0).worker.has_value());
  ExecutionView claimed = Materialize(s, t, kT0 + absl::Milliseconds(1200));
  EXPECT_EQ(claimed.status, "claimed");
  EXPECT_TRUE(claimed.worker.has_value());
  EXPECT_FALSE(claimed.started_at.has_value());
  ExecutionView running = Materialize(s, t, kT0 + absl::Seconds(2));
  EXPECT_EQ(running.status, "running");
  EXPECT_EQ(running.started_at, kT0 + absl::Milliseconds(1500));
  EXPECT_FALSE(running.terminal);
  ExecutionView done = Materialize(s, t, kT0 + absl::Seconds(5));
  EXPECT_EQ(done.status, "completed");
  EXPECT_TRUE(done.terminal);
  EXPECT_EQ(done.completed_at, kT0 + absl::Milliseconds(4500));
  EXPECT_EQ(done.result_json, R"({"ok":true})");
  EXPECT_FALSE(done.error.has_value());
  EXPECT_EQ(done.retry_count, 0);
}

TEST(PolosScenario, WaitingPhase) {
  Scenario s;
  s.queued_for = absl::ZeroDuration();
  s.claimed_for = absl::ZeroDuration();
  s.running_for = absl::Seconds(2);
  s.waiting_for = absl::Seconds(10);
  const Timing t = At(kT0);
  EXPECT_EQ(Materialize(s, t, kT0 + absl::Milliseconds(500)).status, "running");
  EXPECT_EQ(Materialize(s, t, kT0 + absl::Seconds(5)).status, "waiting");
  EXPECT_EQ(Materialize(s, t, kT0 + absl::Milliseconds(11500)).status, "running");
  EXPECT_EQ(Materialize(s, t, kT0 + absl::Seconds(12)).status, "completed");
}

TEST(PolosScenario, RetriesGoBackToQueuedWithTheErrorKept) {
  Scenario s;
  s.failed_attempts = 1;
  s.error = "boom";
  const Timing t = At(kT0);
  // First attempt ends at 4.5 s; the second is queued until 5.5 s.
  ExecutionView requeued = Materialize(s, t, kT0 + absl::Seconds(5));
  EXPECT_EQ(requeued.status, "queued");
  EXPECT_EQ(requeued.retry_count, 1);
  EXPECT_EQ(requeued.error, "boom");
  EXPECT_FALSE(requeued.worker.has_value());
  EXPECT_FALSE(requeued.terminal);
  ExecutionView done = Materialize(s, t, kT0 + absl::Seconds(10));
  EXPECT_EQ(done.status, "completed");
  EXPECT_EQ(done.retry_count, 1);
  EXPECT_EQ(done.error, "boom");  // the old error stays
  EXPECT_EQ(done.completed_at, kT0 + absl::Seconds(9));
}

TEST(PolosScenario, FailsAfterTheLastAttempt) {
  Scenario s;
  s.failed_attempts = 5;
  s.max_attempts = 3;
  const Timing t = At(kT0);
  EXPECT_EQ(Materialize(s, t, kT0 + absl::Seconds(13)).status, "running");
  ExecutionView failed = Materialize(s, t, kT0 + absl::Milliseconds(13500));
  EXPECT_EQ(failed.status, "failed");
  EXPECT_TRUE(failed.terminal);
  EXPECT_EQ(failed.retry_count, 3);
  EXPECT_TRUE(failed.error.has_value());
  EXPECT_FALSE(failed.result_json.has_value());
}

TEST(PolosScenario, RunTimeoutCancelsWithCancelledByTimeout) {
  Scenario s;
  s.running_for = absl::InfiniteDuration();
  Timing t = At(kT0);
  t.run_timeout = absl::Seconds(60);
  EXPECT_EQ(Materialize(s, t, kT0 + absl::Seconds(59)).status, "running");
  ExecutionView v = Materialize(s, t, kT0 + absl::Seconds(60));
  EXPECT_EQ(v.status, "cancelled");
  EXPECT_EQ(v.cancelled_by, "timeout");
  EXPECT_EQ(v.cancelled_at, kT0 + absl::Seconds(60));
  EXPECT_TRUE(v.terminal);
  // A run that finishes in time is not affected.
  Scenario quick;
  EXPECT_EQ(Materialize(quick, t, kT0 + absl::Hours(1)).status, "completed");
}

TEST(PolosScenario, ManualCancelGoesThroughPendingCancel) {
  Scenario s;
  s.running_for = absl::Minutes(10);
  s.cancel_confirm_after = absl::Seconds(2);
  Timing t = At(kT0);
  t.cancel_requested_at = kT0 + absl::Seconds(3);
  EXPECT_EQ(Materialize(s, t, kT0 + absl::Seconds(2)).status, "running");
  ExecutionView pending = Materialize(s, t, kT0 + absl::Seconds(4));
  EXPECT_EQ(pending.status, "pending_cancel");
  EXPECT_EQ(pending.cancelled_at, kT0 + absl::Seconds(3));
  EXPECT_FALSE(pending.terminal);
  ExecutionView cancelled = Materialize(s, t, kT0 + absl::Seconds(5));
  EXPECT_EQ(cancelled.status, "cancelled");
  EXPECT_EQ(cancelled.cancelled_by, "manual");
  EXPECT_TRUE(cancelled.terminal);
}

TEST(PolosScenario, EventsFollowTheTimeline) {
  Scenario s;
  const Timing t = At(kT0);
  EXPECT_TRUE(EventsUntil(s, t, kT0 + absl::Seconds(1)).empty());
  std::vector<TimelineEvent> running = EventsUntil(s, t, kT0 + absl::Seconds(2));
  ASSERT_EQ(running.size(), 2u);
  EXPECT_EQ(running[0].event_type, "workflow_start");
  EXPECT_EQ(running[1].event_type, "step_start");
  std::vector<TimelineEvent> done = EventsUntil(s, t, kT0 + absl::Seconds(5));
  ASSERT_EQ(done.size(), 4u);
  EXPECT_EQ(done[2].event_type, "step_finish");
  EXPECT_EQ(done[3].event_type, "workflow_finish");
  EXPECT_NE(done[3].data_json.find("completed"), std::string::npos);
}

}  // namespace
}  // namespace execgw::polos

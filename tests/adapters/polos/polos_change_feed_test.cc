// PolosBackend::FollowChanges over real loopback HTTP against the
// simulator's event stream.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/polos/backend_fixture.h"

namespace execgw::polos::testing {
namespace {

// What a feed reported; its callbacks run on the client's loop thread.
struct FeedLog {
  absl::Mutex mu;
  std::vector<std::string> cursors ABSL_GUARDED_BY(mu);
  std::optional<absl::Status> end ABSL_GUARDED_BY(mu);

  ChangeFeedCallbacks Callbacks() {
    ChangeFeedCallbacks c;
    c.on_change = [this](const std::string& cursor) {
      absl::MutexLock lock(&mu);
      cursors.push_back(cursor);
    };
    c.on_end = [this](absl::Status s) {
      absl::MutexLock lock(&mu);
      end = std::move(s);
    };
    return c;
  }
  size_t changes() {
    absl::MutexLock lock(&mu);
    return cursors.size();
  }
  std::vector<std::string> Cursors() {
    absl::MutexLock lock(&mu);
    return cursors;
  }
  // Waits for the end (real time).
  std::optional<absl::Status> WaitForEnd(absl::Duration timeout = absl::Seconds(5)) {
    absl::MutexLock lock(&mu);
    auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return end.has_value(); };
    mu.AwaitWithTimeout(absl::Condition(&ended), timeout);
    return end;
  }
  bool WaitForChanges(size_t n, absl::Duration timeout = absl::Seconds(5)) {
    absl::MutexLock lock(&mu);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return cursors.size() >= n; };
    mu.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return cursors.size() >= n;
  }
};

class PolosChangeFeedTest : public PolosBackendTest {
 protected:
  v1::Execution Read(const std::string& id) {
    absl::StatusOr<v1::Execution> e = Get(id);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : v1::Execution();
  }
};

TEST_F(PolosChangeFeedTest, ReportsOnConnectAndOnEveryEventWithItsSequenceId) {
  Scenario s;
  s.running_for = absl::Hours(1);
  const std::string id = Add(s);
  FeedLog log;
  auto feed = backend_->FollowChanges(Read(id), "", log.Callbacks());
  ASSERT_NE(feed, nullptr);
  ASSERT_TRUE(log.WaitForChanges(1));
  EXPECT_EQ(log.Cursors()[0], "") << "the connect hint carries the cursor given";
  clock_.Advance(absl::Seconds(3));  // claimed, running: events published
  ASSERT_TRUE(log.WaitForChanges(2));
  // Every event published so far has arrived (they come within a few ms).
  absl::SleepFor(absl::Milliseconds(300));
  const auto cursors = log.Cursors();
  int64_t previous = 0;
  for (size_t i = 1; i < cursors.size(); ++i) {
    int64_t seq = 0;
    ASSERT_TRUE(absl::SimpleAtoi(cursors[i], &seq)) << cursors[i];
    EXPECT_GT(seq, previous);
    previous = seq;
  }
  // Keepalives (every 50 ms) are no changes.
  const size_t seen = log.changes();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(log.changes(), seen);
  EXPECT_FALSE(log.WaitForEnd(absl::Milliseconds(1)).has_value());
}

TEST_F(PolosChangeFeedTest, AResumeDoesNotReplayTheEventsBeforeTheCursor) {
  Scenario s;
  s.running_for = absl::Hours(1);
  const std::string id = Add(s);
  clock_.Advance(absl::Seconds(3));
  std::string last;
  {
    FeedLog first;
    auto feed = backend_->FollowChanges(Read(id), "", first.Callbacks());
    ASSERT_TRUE(first.WaitForChanges(2));
    absl::SleepFor(absl::Milliseconds(100));
    last = first.Cursors().back();
  }
  FeedLog resumed;
  auto feed = backend_->FollowChanges(Read(id), last, resumed.Callbacks());
  ASSERT_TRUE(resumed.WaitForChanges(1));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_THAT(resumed.Cursors(), ::testing::ElementsAre(last)) << "events replayed";
}

TEST_F(PolosChangeFeedTest, AFinishedRunsStreamEndsOkAndAFailedOnesWithItsError) {
  Scenario ok;
  ok.running_for = absl::Seconds(1);
  const std::string good = Add(ok);
  Scenario bad;
  bad.failed_attempts = 3;
  bad.error = "step exploded";
  const std::string failed = Add(bad);
  const v1::Execution good_e = Read(good), failed_e = Read(failed);
  FeedLog good_log, failed_log;
  auto good_feed = backend_->FollowChanges(good_e, "", good_log.Callbacks());
  auto failed_feed = backend_->FollowChanges(failed_e, "", failed_log.Callbacks());
  ASSERT_TRUE(good_log.WaitForChanges(1));
  ASSERT_TRUE(failed_log.WaitForChanges(1));
  clock_.Advance(absl::Minutes(5));
  auto end = good_log.WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->ok()) << *end;
  end = failed_log.WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(end->message(), "step exploded")) << *end;
  EXPECT_GE(failed_log.changes(), 2u) << "the error frame is a change too";
}

TEST_F(PolosChangeFeedTest, SilenceBeyondTheBoundEndsTheFeed) {
  Scenario s;
  s.running_for = absl::Hours(1);
  const std::string id = Add(s);
  const v1::Execution e = Read(id);
  PolosBackendOptions o;
  o.name = std::string(kBackend);
  o.base_url = sim_->base_url();
  o.project_id = sim_->project_id();
  o.api_key = sim_->api_key();
  o.event_stream_silence = absl::Milliseconds(300);
  auto backend = NewPolosBackend(o, *client_);
  http::ServerResponse stall;
  stall.status = 0;
  stall.delay = absl::Seconds(10);  // not even the headers
  sim_->faults().Add("events", stall, 1);
  FeedLog log;
  const absl::Time start = absl::Now();
  auto feed = backend->FollowChanges(e, "", log.Callbacks());
  auto end = log.WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(end->message(), "silent")) << *end;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(log.changes(), 0u);
}

TEST_F(PolosChangeFeedTest, AnHttpErrorEndsTheFeedWithTheErrorTablesStatus) {
  Scenario s;
  s.running_for = absl::Hours(1);
  const std::string id = Add(s);
  const v1::Execution e = Read(id);
  auto wrong_key = MakeBackend("sk_wrong_key_0000", sim_->project_id());
  FeedLog log;
  auto feed = wrong_key->FollowChanges(e, "", log.Callbacks());
  auto end = log.WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), absl::StatusCode::kUnauthenticated) << *end;
  EXPECT_FALSE(absl::StrContains(AllText(*end), "sk_wrong")) << "the key leaked";
  EXPECT_EQ(log.changes(), 0u);
}

TEST_F(PolosChangeFeedTest, ADestroyedFeedReportsNothingMore) {
  Scenario s;
  s.running_for = absl::Hours(1);
  const std::string id = Add(s);
  FeedLog log;
  auto feed = backend_->FollowChanges(Read(id), "", log.Callbacks());
  ASSERT_TRUE(log.WaitForChanges(1));
  feed.reset();
  clock_.Advance(absl::Seconds(3));  // events that nobody hears
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(log.changes(), 1u);
  EXPECT_FALSE(log.WaitForEnd(absl::Milliseconds(1)).has_value());
}

TEST_F(PolosChangeFeedTest, AnExecutionWithoutAWorkflowHasNoFeed) {
  v1::Execution e;
  e.set_execution_id("6f1c2d3e-0000-4000-8000-000000000001");
  FeedLog log;
  EXPECT_EQ(backend_->FollowChanges(e, "", log.Callbacks()), nullptr);
}

}  // namespace
}  // namespace execgw::polos::testing

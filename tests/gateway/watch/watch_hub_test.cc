// The watch hub on simulated time, reading a real Blaxel backend over
// loopback HTTP: the hub's timers and the simulator's lifecycles move only
// when the test moves the clock; the reads are real requests.
#include "gateway/watch/watch_hub.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/blaxel/blaxel_backend.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/http/resilient_http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/blaxel/simulator.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::gateway {
namespace {

// A watcher that records what it hears.
class Recorder final : public WatchSubscriber {
 public:
  void OnExecution(std::shared_ptr<const WatchSnapshot> snapshot) override {
    ASSERT_FALSE(ended_) << "a content after the end";
    snapshots_.push_back(std::move(snapshot));
    if (snapshots_.back()->terminal) ended_ = true;
  }
  void OnHealth(const FollowHealth& health) override { health_.push_back(health); }
  void OnEnd(const absl::Status& status, bool shutting_down) override {
    ASSERT_FALSE(ended_) << "an end after the end";
    ended_ = true;
    end_ = status;
    shutting_down_ = shutting_down;
  }

  const std::vector<std::shared_ptr<const WatchSnapshot>>& snapshots() const { return snapshots_; }
  const std::vector<FollowHealth>& health() const { return health_; }
  bool ended() const { return ended_; }
  bool terminal() const { return !snapshots_.empty() && snapshots_.back()->terminal; }
  const std::optional<absl::Status>& end() const { return end_; }
  bool shutting_down() const { return shutting_down_; }

 private:
  std::vector<std::shared_ptr<const WatchSnapshot>> snapshots_;
  std::vector<FollowHealth> health_;
  bool ended_ = false;
  std::optional<absl::Status> end_;
  bool shutting_down_ = false;
};

// A backend with change hints the test raises: reads go to the wrapped
// (real) backend; FollowChanges hands the test the feed's callbacks.
class HintingBackend final : public Backend {
 public:
  explicit HintingBackend(Backend& reads) : reads_(reads) {}

  const std::string& name() const override { return reads_.name(); }
  v1::BackendKind kind() const override { return reads_.kind(); }
  void GetExecution(const ExecutionName& name, const CallContext& context,
                    Done<v1::Execution> done) override {
    reads_.GetExecution(name, context, std::move(done));
  }
  std::unique_ptr<ChangeFeed> FollowChanges(const v1::Execution&, const std::string&,
                                            ChangeFeedCallbacks callbacks) override {
    callbacks_ = std::move(callbacks);
    ++feeds_;
    return std::make_unique<ChangeFeed>();
  }

  // An event on the feed (on the loop thread, as a real feed's).
  void Hint() { callbacks_.on_change("cursor"); }
  int feeds() const { return feeds_; }

 private:
  Backend& reads_;
  ChangeFeedCallbacks callbacks_;
  int feeds_ = 0;
};

class WatchHubTest : public ::testing::Test {
 protected:
  // Reads every second, exactly (min = max), polling only.
  static FollowPolicy Fixed() {
    FollowPolicy p;
    p.min_interval = absl::Seconds(1);
    p.max_interval = absl::Seconds(1);
    p.follow_changes = false;
    p.read_timeout = absl::Seconds(30);
    return p;
  }

  void SetUp() override { Start(Fixed()); }

  void Start(FollowPolicy policy) {
    blaxel::BlaxelSimulatorOptions so;
    so.clock = &loop_;
    auto sim = blaxel::BlaxelSimulator::Start(so);
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = *std::move(sim);
    curl_ = http::NewCurlHttpClient();
    http::ResilienceOptions ro;
    ro.backend = "bx";
    ro.max_attempts = 1;  // one upstream request per read, so counts are exact
    ro.failure_threshold = 1000000;
    resilient_ = std::make_unique<http::ResilientHttpClient>(*curl_, ro);
    blaxel::BlaxelBackendOptions bo;
    bo.name = "bx";
    bo.base_url = sim_->base_url();
    bo.workspace = sim_->options().workspace;
    bo.api_key = sim_->options().api_key;
    backend_ = blaxel::NewBlaxelBackend(bo, *resilient_);
    WatchHub::Options options;
    options.policies["bx"] = policy;
    options.seed = 42;
    hub_ = std::make_unique<WatchHub>(loop_, options);
  }

  void TearDown() override {
    // The watchers (the tests' locals) are gone: stop without telling them.
    hub_.reset();
    backend_.reset();
    resilient_.reset();
    if (curl_ != nullptr) curl_->Shutdown();
  }

  ExecutionName Name(const std::string& id) { return ExecutionName{"bx", "etl", id}; }

  // Runs what is due until every read started has come back (real time
  // passes only for the HTTP round trips).
  void Settle() {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (true) {
      loop_.RunPending();
      if (hub_ == nullptr) return;
      const auto& c = hub_->counters();
      if (c.reads == c.reads_done) {
        // A completion may be on its way to the loop after the count.
        loop_.RunPending();
        if (hub_->counters().reads == hub_->counters().reads_done) return;
      }
      ASSERT_LT(absl::Now(), give_up) << "reads did not come back";
      absl::SleepFor(absl::Milliseconds(1));
    }
  }

  // Moves the clock `steps` times by `step`, settling after each.
  void Run(int steps, absl::Duration step = absl::Seconds(1)) {
    for (int i = 0; i < steps; ++i) {
      loop_.Advance(step);
      Settle();
    }
  }

  int Gets() const { return sim_->request_count("get"); }

  testing::SimulatedEventLoop loop_{absl::Now()};
  std::unique_ptr<blaxel::BlaxelSimulator> sim_;
  std::unique_ptr<http::HttpClient> curl_;
  std::unique_ptr<http::ResilientHttpClient> resilient_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<WatchHub> hub_;
};

TEST_F(WatchHubTest, ManyWatchersOfOneExecutionCostOneGetPerInterval) {
  blaxel::SimulatedJob job;
  job.timeout_seconds = 7200;
  sim_->PutJob("etl", job);
  sim_->PutExecution("etl", "exec-long", blaxel::SimulatedScenario::kTimeout, loop_.Now(), 1);
  std::vector<std::unique_ptr<Recorder>> watchers;
  for (int i = 0; i < 50; ++i) {
    watchers.push_back(std::make_unique<Recorder>());
    hub_->Subscribe(*backend_, Name("exec-long"), watchers.back().get());
  }
  Settle();
  EXPECT_EQ(Gets(), 1) << "the first read serves every watcher";
  for (auto& w : watchers) EXPECT_EQ(w->snapshots().size(), 1u);
  Run(20);
  // The first gap is half to all of an interval (a follower's phase), then
  // one read per interval: 20 or 21 reads after the first.
  EXPECT_GE(Gets() - 1, 20);
  EXPECT_LE(Gets() - 1, 21);
  EXPECT_EQ(hub_->followers(), 1u);
  EXPECT_EQ(hub_->subscribers(), 50u);
}

// Change hints read again at once, five in a burst, then no more than one
// per min_interval however many come: a flooding event stream costs what
// polling at the minimum interval does. A hint over budget is served when
// the budget allows, not at the next (max_interval) poll.
TEST_F(WatchHubTest, ChangeHintsReadAtOnceWithinABudgetAndNoFasterBeyondIt) {
  FollowPolicy policy = Fixed();
  policy.max_interval = absl::Seconds(30);  // the safety-net poll, out of the way
  policy.follow_changes = true;
  TearDown();
  Start(policy);
  HintingBackend hinting(*backend_);
  sim_->PutExecution("etl", "exec-h", blaxel::SimulatedScenario::kTimeout, loop_.Now(), 1);
  Recorder watcher;
  hub_->Subscribe(hinting, Name("exec-h"), &watcher);
  Settle();
  ASSERT_EQ(Gets(), 1);
  ASSERT_EQ(hinting.feeds(), 1) << "no feed after the first read";
  // A burst: each of the first five hints reads again at once.
  for (int i = 1; i <= 5; ++i) {
    hinting.Hint();
    Settle();
    EXPECT_EQ(Gets(), 1 + i) << "hint " << i;
  }
  // A flood at the same instant: no read until the budget allows one.
  for (int i = 0; i < 100; ++i) {
    hinting.Hint();
    Settle();
  }
  EXPECT_EQ(Gets(), 6) << "hints beyond the budget read at once";
  // One more read a min_interval later, serving all the waiting hints.
  loop_.Advance(absl::Milliseconds(999));
  Settle();
  EXPECT_EQ(Gets(), 6);
  loop_.Advance(absl::Milliseconds(1));
  Settle();
  EXPECT_EQ(Gets(), 7);
  // A steady flood: about one read per min_interval, over 20 s.
  for (int step = 0; step < 200; ++step) {
    hinting.Hint();
    Run(1, absl::Milliseconds(100));
  }
  EXPECT_GE(Gets() - 7, 19);
  EXPECT_LE(Gets() - 7, 21);
  // Quiet for a while: the burst is back.
  Run(10);
  const int before = Gets();
  for (int i = 1; i <= 5; ++i) {
    hinting.Hint();
    Settle();
  }
  EXPECT_EQ(Gets(), before + 5);
}

TEST_F(WatchHubTest, TheHealthOfAFollowedExecutionConfirmsEveryReadChangedOrNot) {
  blaxel::SimulatedJob job;
  job.timeout_seconds = 7200;
  sim_->PutJob("etl", job);
  sim_->PutExecution("etl", "exec-long", blaxel::SimulatedScenario::kTimeout, loop_.Now(), 1);
  EXPECT_EQ(hub_->HealthOf(Name("exec-long")), nullptr) << "not followed yet";
  Recorder watcher;
  hub_->Subscribe(*backend_, Name("exec-long"), &watcher);
  Settle();
  // Past the start (queued, then running): the content then stays.
  Run(10);
  const FollowHealth* health = hub_->HealthOf(Name("exec-long"));
  ASSERT_NE(health, nullptr);
  const absl::Time before = health->confirmed_at;
  const size_t contents = watcher.snapshots().size();
  EXPECT_LE(watcher.snapshots().back()->confirmed_at, before);
  Run(5);
  // Unchanged reads tell the watchers nothing, yet the health moves.
  EXPECT_EQ(watcher.snapshots().size(), contents);
  health = hub_->HealthOf(Name("exec-long"));
  ASSERT_NE(health, nullptr);
  EXPECT_GE(health->confirmed_at - before, absl::Seconds(4));
  EXPECT_TRUE(health->error.ok());
  hub_->Unsubscribe(Name("exec-long"), &watcher);
  EXPECT_EQ(hub_->HealthOf(Name("exec-long")), nullptr);
}

TEST_F(WatchHubTest, EachExecutionIsReadOncePerIntervalWhateverItsWatcherCount) {
  blaxel::SimulatedJob job;
  job.timeout_seconds = 7200;
  sim_->PutJob("etl", job);
  sim_->PutExecution("etl", "exec-a", blaxel::SimulatedScenario::kTimeout, loop_.Now(), 1);
  sim_->PutExecution("etl", "exec-b", blaxel::SimulatedScenario::kTimeout, loop_.Now(), 1);
  Recorder a1, a2, a3, b1;
  hub_->Subscribe(*backend_, Name("exec-a"), &a1);
  hub_->Subscribe(*backend_, Name("exec-a"), &a2);
  hub_->Subscribe(*backend_, Name("exec-a"), &a3);
  hub_->Subscribe(*backend_, Name("exec-b"), &b1);
  Settle();
  Run(10);
  EXPECT_EQ(hub_->followers(), 2u);
  EXPECT_GE(Gets(), 2 * 11);
  EXPECT_LE(Gets(), 2 * 12);
  // The last watcher of exec-b leaves: its follower stops reading.
  hub_->Unsubscribe(Name("exec-b"), &b1);
  EXPECT_EQ(hub_->followers(), 1u);
  const int before = Gets();
  Run(10);
  EXPECT_GE(Gets() - before, 10);
  EXPECT_LE(Gets() - before, 11);
}

TEST_F(WatchHubTest, EveryWatcherGetsEachChangeInOrderAndTheTerminalOneLast) {
  sim_->PutExecution("etl", "exec-ok", blaxel::SimulatedScenario::kSucceed, loop_.Now(), 3);
  Recorder early;
  hub_->Subscribe(*backend_, Name("exec-ok"), &early);
  Settle();
  Run(3);
  // A late watcher gets the content known so far at once, without a read.
  const int gets = Gets();
  Recorder late;
  hub_->Subscribe(*backend_, Name("exec-ok"), &late);
  ASSERT_EQ(late.snapshots().size(), 1u);
  EXPECT_EQ(late.snapshots()[0], early.snapshots().back());
  EXPECT_EQ(Gets(), gets);
  Run(60);
  for (Recorder* r : {&early, &late}) {
    ASSERT_TRUE(r->terminal());
    for (size_t i = 1; i < r->snapshots().size(); ++i) {
      EXPECT_NE(r->snapshots()[i]->etag, r->snapshots()[i - 1]->etag);
      EXPECT_GE(r->snapshots()[i]->confirmed_at, r->snapshots()[i - 1]->confirmed_at);
    }
  }
  EXPECT_GE(early.snapshots().size(), 3u);
  EXPECT_EQ(early.snapshots().back(), late.snapshots().back());
  // Done: no follower, no more reads.
  EXPECT_EQ(hub_->followers(), 0u);
  const int after = Gets();
  Run(5);
  EXPECT_EQ(Gets(), after);
}

TEST_F(WatchHubTest, TransientFailuresAreToldAndRetriedWithBackoffThenTheRecoveryIsTold) {
  hub_.reset();
  FollowPolicy p = Fixed();
  p.max_interval = absl::Seconds(8);
  Start(p);
  blaxel::SimulatedJob job;
  job.timeout_seconds = 7200;
  sim_->PutJob("etl", job);
  sim_->PutExecution("etl", "exec-long", blaxel::SimulatedScenario::kTimeout, loop_.Now(), 1);
  Recorder w;
  hub_->Subscribe(*backend_, Name("exec-long"), &w);
  Settle();
  ASSERT_EQ(w.snapshots().size(), 1u);
  http::ServerResponse down;
  down.status = 503;
  sim_->faults().Add("get", down, /*times=*/-1);
  const int before = Gets();
  Run(60);
  ASSERT_FALSE(w.health().empty());
  const FollowHealth& failing = w.health().front();
  EXPECT_EQ(failing.error.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(failing.failing_since, absl::InfinitePast());
  EXPECT_EQ(failing.confirmed_at, w.snapshots()[0]->confirmed_at);
  // Backing off up to 8 s: far fewer than one read a second.
  EXPECT_LT(Gets() - before, 20);
  EXPECT_GE(Gets() - before, 60 / 8);
  EXPECT_FALSE(w.ended());
  const size_t health_before = w.health().size();
  const size_t snapshots_before = w.snapshots().size();
  sim_->faults().Clear();
  Run(10);
  // Recovered: told with a health notice, or with the changed content.
  if (w.snapshots().size() == snapshots_before) {
    ASSERT_GT(w.health().size(), health_before);
    EXPECT_TRUE(w.health().back().error.ok());
    EXPECT_GT(w.health().back().confirmed_at, failing.confirmed_at);
  } else {
    EXPECT_GT(w.snapshots().back()->confirmed_at, failing.failing_since);
  }
}

TEST_F(WatchHubTest, A429WithRetryAfterHoldsTheFollowerBack) {
  blaxel::SimulatedJob job;
  job.timeout_seconds = 7200;
  sim_->PutJob("etl", job);
  sim_->PutExecution("etl", "exec-long", blaxel::SimulatedScenario::kTimeout, loop_.Now(), 1);
  Recorder w;
  hub_->Subscribe(*backend_, Name("exec-long"), &w);
  Settle();
  http::ServerResponse limited;
  limited.status = 429;
  limited.headers = {{"Retry-After", "30"}};
  limited.body = R"({"code":429,"error":"rate limited","message":"slow down"})";
  sim_->faults().Add("get", limited, 1);
  Run(2);  // the next read meets the 429
  const int after_429 = Gets();
  Run(27);
  EXPECT_EQ(Gets(), after_429) << "read again before the 30 s the upstream asked for";
  Run(5);
  EXPECT_GT(Gets(), after_429);
}

TEST_F(WatchHubTest, AnExecutionTheUpstreamDoesNotHaveEndsEveryWatcherNotFound) {
  Recorder a, b;
  hub_->Subscribe(*backend_, Name("exec-none"), &a);
  hub_->Subscribe(*backend_, Name("exec-none"), &b);
  Settle();
  for (Recorder* r : {&a, &b}) {
    ASSERT_TRUE(r->end().has_value());
    EXPECT_EQ(r->end()->code(), absl::StatusCode::kNotFound);
    EXPECT_FALSE(r->shutting_down());
  }
  EXPECT_EQ(hub_->followers(), 0u);
}

TEST_F(WatchHubTest, ShutdownEndsEveryWatcherAndRefusesNewOnes) {
  sim_->PutExecution("etl", "exec-ok", blaxel::SimulatedScenario::kSucceed, loop_.Now(), 3);
  Recorder a;
  hub_->Subscribe(*backend_, Name("exec-ok"), &a);
  Settle();
  hub_->Shutdown();
  EXPECT_TRUE(a.shutting_down());
  Recorder late;
  hub_->Subscribe(*backend_, Name("exec-ok"), &late);
  EXPECT_TRUE(late.shutting_down());
  EXPECT_EQ(hub_->followers(), 0u);
}

TEST_F(WatchHubTest, HundredsOfExecutionsAllReachTheirTerminalStateThroughFaults) {
  const std::vector<std::string> ids =
      sim_->AddExecutions("etl", 300, loop_.Now(), absl::Milliseconds(200));
  std::vector<std::unique_ptr<Recorder>> watchers;
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t k = 0; k < 1 + i % 3; ++k) {
      watchers.push_back(std::make_unique<Recorder>());
      hub_->Subscribe(*backend_, Name(ids[i]), watchers.back().get());
    }
  }
  Settle();
  http::ServerResponse unavailable;
  unavailable.status = 503;
  http::ServerResponse reset;
  reset.status = 0;  // the real answer, with the connection reset instead
  reset.fault = http::ServerResponse::Fault::kResetConnection;
  http::ServerResponse limited;
  limited.status = 429;
  limited.headers = {{"Retry-After", "2"}};
  for (int step = 0; step < 90; ++step) {
    switch (step % 15) {
      case 1:
        sim_->faults().Add("get", unavailable, 40);
        break;
      case 4:
        sim_->faults().Add("get", reset, 30);
        break;
      case 7:
        sim_->faults().Add("get", limited, 20);
        break;
      case 9:  // down for a while: every read fails
        sim_->faults().Add("get", unavailable, -1);
        break;
      case 12:
        sim_->faults().Clear();
        break;
    }
    Run(1);
  }
  sim_->faults().Clear();
  Run(30);
  int terminal = 0;
  int told_stale = 0;
  for (const auto& w : watchers) {
    told_stale += w->health().empty() ? 0 : 1;
    EXPECT_FALSE(w->end().has_value()) << w->end()->ToString();
    terminal += w->terminal() ? 1 : 0;
  }
  EXPECT_EQ(terminal, static_cast<int>(watchers.size()));
  EXPECT_EQ(hub_->followers(), 0u);
  // The faults were met (and told), not dodged.
  EXPECT_GT(told_stale, 100);
}

}  // namespace
}  // namespace execgw::gateway

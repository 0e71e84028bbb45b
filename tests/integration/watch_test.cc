// WatchExecution end to end: a real gateway on the simulators, real gRPC
// streams. The simulators' lifecycles move on the harness's simulated
// clock; the gateway reads them on real time, every 20 ms here.
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "adapters/upstream_error.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"
#include "tests/testing/eventually.h"

namespace execgw::testing {
namespace {

using ::testing::ElementsAre;

constexpr absl::Duration kWait = absl::Seconds(10);

GatewayHarness::Options FastWatch() {
  GatewayHarness::Options o;
  o.watch.set_min_poll_interval_ms(20);
  o.watch.set_max_poll_interval_ms(20);
  o.watch.set_disable_event_stream(true);
  o.watch_limits.set_heartbeat_interval_ms(60000);
  o.resilience.set_max_attempts(1);
  // The watch reads' breaker opens after 5 failures: keep it open briefly.
  o.resilience.set_breaker_open_ms(100);
  return o;
}

// One WatchExecution stream read on its own thread.
class Watch {
 public:
  Watch(v1::ExecutionService::Stub& stub, v1::WatchExecutionRequest request,
        absl::Duration timeout = absl::InfiniteDuration(), bool start_reading = true)
      : request_(std::move(request)) {
    if (timeout != absl::InfiniteDuration()) {
      context_.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    }
    reader_ = stub.WatchExecution(&context_, request_);
    if (start_reading) StartReading();
  }
  ~Watch() {
    context_.TryCancel();
    StartReading();
    thread_.join();
  }

  void StartReading() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] {
      v1::WatchExecutionResponse response;
      while (reader_->Read(&response)) {
        absl::MutexLock lock(&mu_);
        messages_.push_back(response);
      }
      grpc::Status status = reader_->Finish();
      absl::MutexLock lock(&mu_);
      status_ = status;
      done_ = true;
    });
  }

  void Cancel() { context_.TryCancel(); }

  // Waits until `n` messages have arrived or the stream has ended.
  bool WaitForMessages(size_t n, absl::Duration timeout = kWait) {
    absl::MutexLock lock(&mu_);
    auto ready = [&] { return messages_.size() >= n || done_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    return messages_.size() >= n;
  }
  // Waits for the end of the stream; its status.
  grpc::Status WaitForEnd(absl::Duration timeout = kWait) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&done_), timeout);
    EXPECT_TRUE(done_) << "the stream did not end";
    return status_;
  }
  std::vector<v1::WatchExecutionResponse> messages() const {
    absl::MutexLock lock(&mu_);
    return messages_;
  }
  // The execution messages only.
  std::vector<v1::Execution> executions() const {
    std::vector<v1::Execution> out;
    for (const auto& m : messages()) {
      if (m.has_execution()) out.push_back(m.execution());
    }
    return out;
  }
  bool done() const {
    absl::MutexLock lock(&mu_);
    return done_;
  }

 private:
  v1::WatchExecutionRequest request_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchExecutionResponse>> reader_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<v1::WatchExecutionResponse> messages_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

v1::WatchExecutionRequest WatchRequest(const std::string& name, const std::string& etag = "") {
  v1::WatchExecutionRequest r;
  r.set_name(name);
  r.set_etag(etag);
  return r;
}

std::string PolosName(const std::string& id) {
  return absl::StrCat("backends/", GatewayHarness::kPolos, "/executions/", id);
}

bool Eventually(const std::function<bool()>& done, absl::Duration timeout = kWait) {
  return testing::Eventually(done, timeout);
}

std::vector<v1::Execution::State> StatesOf(const std::vector<v1::Execution>& executions) {
  std::vector<v1::Execution::State> out;
  for (const auto& e : executions) out.push_back(e.state());
  return out;
}

void ExpectDistinctEtagsInOrder(const std::vector<v1::Execution>& executions) {
  for (size_t i = 1; i < executions.size(); ++i) {
    EXPECT_NE(executions[i].etag(), executions[i - 1].etag()) << "message " << i;
  }
}

class WatchTest : public ::testing::Test {
 protected:
  explicit WatchTest(GatewayHarness::Options options = FastWatch()) : h_(std::move(options)) {}

  // A Polos run created now on the simulated clock: queued 1 s, claimed
  // 0.5 s, running `running_for`, then completed.
  std::string AddRun(absl::Duration running_for = absl::Seconds(3)) {
    polos::NewExecution n;
    n.workflow_id = "ingest";
    n.scenario.running_for = running_for;
    return h_.polos().AddExecution(n);
  }

  GatewayHarness h_;
};

TEST_F(WatchTest, SnapshotFirstThenEachChangeInOrderThenTheTerminalStateEndsTheStreamOk) {
  const std::string id = AddRun();
  Watch watch(h_.stub(), WatchRequest(PolosName(id)));
  ASSERT_TRUE(watch.WaitForMessages(1));
  h_.clock().Advance(absl::Milliseconds(1200));  // claimed
  ASSERT_TRUE(watch.WaitForMessages(2));
  h_.clock().Advance(absl::Milliseconds(500));  // running
  ASSERT_TRUE(watch.WaitForMessages(3));
  h_.clock().Advance(absl::Seconds(5));  // completed
  const grpc::Status end = watch.WaitForEnd();
  EXPECT_TRUE(end.ok()) << end.error_message();
  const auto executions = watch.executions();
  EXPECT_THAT(StatesOf(executions),
              ElementsAre(v1::Execution::STATE_QUEUED, v1::Execution::STATE_PENDING,
                          v1::Execution::STATE_RUNNING, v1::Execution::STATE_SUCCEEDED));
  ExpectDistinctEtagsInOrder(executions);
  for (const auto& m : watch.messages()) {
    EXPECT_TRUE(m.has_confirm_time());
    EXPECT_FALSE(m.has_upstream_error());
  }
  EXPECT_EQ(executions.back().name(), PolosName(id));
}

TEST_F(WatchTest, AnExecutionAlreadyFinishedGivesItsSnapshotAndEndsOk) {
  const std::string id = AddRun();
  h_.clock().Advance(absl::Seconds(10));
  Watch watch(h_.stub(), WatchRequest(PolosName(id)));
  EXPECT_TRUE(watch.WaitForEnd().ok());
  EXPECT_THAT(StatesOf(watch.executions()), ElementsAre(v1::Execution::STATE_SUCCEEDED));
}

TEST_F(WatchTest, TheTerminalStateArrivesEvenWhenTheStatesBeforeItWereTooBriefToSee) {
  const std::string id = AddRun(absl::Milliseconds(1));
  Watch watch(h_.stub(), WatchRequest(PolosName(id)));
  ASSERT_TRUE(watch.WaitForMessages(1));
  h_.clock().Advance(absl::Seconds(10));  // claimed, running and completed at once
  EXPECT_TRUE(watch.WaitForEnd().ok());
  EXPECT_THAT(StatesOf(watch.executions()),
              ElementsAre(v1::Execution::STATE_QUEUED, v1::Execution::STATE_SUCCEEDED));
}

TEST_F(WatchTest, ManyWatchersOfOneExecutionShareOneUpstreamRead) {
  const std::string id = AddRun(absl::Hours(1));
  const int gets_before = h_.polos().request_count("get");
  std::vector<std::unique_ptr<Watch>> watches;
  for (int i = 0; i < 100; ++i) {
    watches.push_back(std::make_unique<Watch>(h_.stub(), WatchRequest(PolosName(id))));
  }
  for (auto& w : watches) ASSERT_TRUE(w->WaitForMessages(1));
  const absl::Time start = absl::Now();
  const int gets_start = h_.polos().request_count("get");
  absl::SleepFor(absl::Milliseconds(500));
  const int gets = h_.polos().request_count("get") - gets_start;
  const double intervals = absl::ToDoubleMilliseconds(absl::Now() - start) / 20.0;
  // One follower reads every 20 ms: about 25 reads, whatever the watcher
  // count (100 watchers polling would be 2,500). Loose bounds: real time.
  EXPECT_LE(gets, intervals + 3) << "100 watchers, " << intervals << " intervals";
  EXPECT_GE(gets, 3);
  EXPECT_GE(gets_start - gets_before, 1);
  // Every watcher saw the same snapshot.
  for (auto& w : watches) EXPECT_EQ(w->executions()[0].etag(), watches[0]->executions()[0].etag());
}

TEST_F(WatchTest, AResumeWithTheCurrentEtagSkipsTheSnapshotAndGetsTheNextChange) {
  const std::string id = AddRun();
  std::string etag;
  {
    Watch first(h_.stub(), WatchRequest(PolosName(id)));
    ASSERT_TRUE(first.WaitForMessages(1));
    etag = first.executions()[0].etag();
  }
  Watch resumed(h_.stub(), WatchRequest(PolosName(id), etag));
  // Several reads happen meanwhile; none is sent: the client has it.
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(resumed.messages().empty());
  h_.clock().Advance(absl::Milliseconds(1200));  // claimed
  ASSERT_TRUE(resumed.WaitForMessages(1));
  const auto executions = resumed.executions();
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0].state(), v1::Execution::STATE_PENDING);
  EXPECT_NE(executions[0].etag(), etag);
}

TEST_F(WatchTest, AResumeWithAnOutdatedEtagStartsWithTheSnapshot) {
  const std::string id = AddRun();
  Watch watch(h_.stub(), WatchRequest(PolosName(id), "an-etag-of-long-ago"));
  ASSERT_TRUE(watch.WaitForMessages(1));
  EXPECT_EQ(watch.executions().at(0).state(), v1::Execution::STATE_QUEUED);
}

TEST_F(WatchTest, AResumeOfAFinishedExecutionWithItsLastEtagEndsOkWithoutRepeatingIt) {
  const std::string id = AddRun();
  h_.clock().Advance(absl::Seconds(10));
  std::string etag;
  {
    Watch first(h_.stub(), WatchRequest(PolosName(id)));
    ASSERT_TRUE(first.WaitForEnd().ok());
    etag = first.executions().back().etag();
  }
  Watch resumed(h_.stub(), WatchRequest(PolosName(id), etag));
  EXPECT_TRUE(resumed.WaitForEnd().ok());
  EXPECT_TRUE(resumed.executions().empty());
}

TEST_F(WatchTest, AnExecutionTheUpstreamDoesNotHaveEndsTheStreamNotFound) {
  Watch watch(h_.stub(), WatchRequest(absl::StrCat("backends/", GatewayHarness::kBlaxel,
                                                   "/jobs/etl/executions/exec-that-never-was")));
  const grpc::Status end = watch.WaitForEnd();
  EXPECT_EQ(end.error_code(), grpc::StatusCode::NOT_FOUND) << end.error_message();
  EXPECT_TRUE(watch.messages().empty());
}

TEST_F(WatchTest, WhileTheUpstreamFailsWatchersAreToldAndTheStreamStaysOpen) {
  const std::string id = AddRun(absl::Hours(1));
  Watch watch(h_.stub(), WatchRequest(PolosName(id)));
  ASSERT_TRUE(watch.WaitForMessages(1));
  http::ServerResponse down;
  down.status = 503;
  h_.polos().faults().Add("get", down, /*times=*/-1);
  ASSERT_TRUE(watch.WaitForMessages(2));
  const auto failing = watch.messages()[1];
  EXPECT_TRUE(failing.has_heartbeat());
  ASSERT_TRUE(failing.has_upstream_error());
  EXPECT_EQ(failing.upstream_error().code(), static_cast<int>(grpc::StatusCode::UNAVAILABLE));
  EXPECT_FALSE(failing.upstream_error().message().empty());
  EXPECT_TRUE(failing.upstream_error().has_since());
  // The content was confirmed (by the reads between the first message and
  // the fault, too) before the failures began.
  using google::protobuf::util::TimeUtil;
  EXPECT_GE(TimeUtil::TimestampToNanoseconds(failing.confirm_time()),
            TimeUtil::TimestampToNanoseconds(watch.messages()[0].confirm_time()));
  EXPECT_LE(TimeUtil::TimestampToNanoseconds(failing.confirm_time()),
            TimeUtil::TimestampToNanoseconds(failing.upstream_error().since()));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(watch.done());
  h_.polos().faults().Clear();
  h_.clock().Advance(absl::Milliseconds(1200));  // claimed
  ASSERT_TRUE(Eventually([&] { return watch.executions().size() == 2; }));
  const auto messages = watch.messages();
  EXPECT_FALSE(messages.back().has_upstream_error());
  EXPECT_EQ(messages.back().execution().state(), v1::Execution::STATE_PENDING);
}

TEST_F(WatchTest, TheCallersDeadlineEndsTheWatchAndTheUpstreamReadsStop) {
  const std::string id = AddRun(absl::Hours(1));
  // Connected first: the deadline is for the watch, not for the channel's and
  // the gateway's first connections.
  ASSERT_TRUE(testing::GetExecutionStatus(h_.stub(), PolosName(id)).ok());
  Watch watch(h_.stub(), WatchRequest(PolosName(id)), absl::Milliseconds(1000));
  EXPECT_EQ(watch.WaitForEnd().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(watch.executions().size(), 1u);
  // The follower stops with its last watcher (the gateway learns of the end
  // on its own schedule): the reads stop for good within a few seconds,
  // though the follower polled every 20 ms while the watch was open.
  int gets = h_.polos().request_count("get");
  EXPECT_TRUE(Eventually([&] {
    absl::SleepFor(absl::Milliseconds(300));
    const int now = h_.polos().request_count("get");
    return std::exchange(gets, now) == now;
  }));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(h_.polos().request_count("get"), gets);
}

TEST_F(WatchTest, ACancelledWatchEndsAndTheOthersGoOn) {
  const std::string id = AddRun();
  Watch leaving(h_.stub(), WatchRequest(PolosName(id)));
  Watch staying(h_.stub(), WatchRequest(PolosName(id)));
  ASSERT_TRUE(leaving.WaitForMessages(1));
  ASSERT_TRUE(staying.WaitForMessages(1));
  leaving.Cancel();
  EXPECT_EQ(leaving.WaitForEnd().error_code(), grpc::StatusCode::CANCELLED);
  h_.clock().Advance(absl::Seconds(10));
  EXPECT_TRUE(staying.WaitForEnd().ok());
  EXPECT_EQ(staying.executions().back().state(), v1::Execution::STATE_SUCCEEDED);
}

TEST_F(WatchTest, ASlowReaderGetsTheNewestContentAndTheTerminalOneWithoutHoldingUpTheOthers) {
  // A run that goes through many states: each failed attempt is queued
  // again with a new retry_count.
  polos::NewExecution n;
  n.workflow_id = "ingest";
  n.scenario.failed_attempts = 2;
  n.scenario.max_attempts = 3;
  // Large enough that a reader who does not read fills the stream's flow
  // control window at once: the gateway then has writes held up.
  n.payload_json = absl::StrCat("{\"blob\":\"", std::string(512 * 1024, 'x'), "\"}");
  const std::string id = h_.polos().AddExecution(n);
  Watch slow(h_.stub(), WatchRequest(PolosName(id)), absl::InfiniteDuration(),
             /*start_reading=*/false);
  Watch fast(h_.stub(), WatchRequest(PolosName(id)));
  ASSERT_TRUE(fast.WaitForMessages(1));
  for (int step = 0; step < 60 && !fast.done(); ++step) {
    const size_t seen = fast.executions().size();
    h_.clock().Advance(absl::Milliseconds(250));
    // Each step that changes the content reaches the fast reader.
    Eventually([&] { return fast.executions().size() > seen || fast.done(); },
               absl::Milliseconds(100));
  }
  ASSERT_TRUE(fast.WaitForEnd().ok());
  const auto all = fast.executions();
  EXPECT_GE(all.size(), 6u);
  EXPECT_EQ(all.back().state(), v1::Execution::STATE_SUCCEEDED);
  slow.StartReading();
  ASSERT_TRUE(slow.WaitForEnd().ok());
  const auto some = slow.executions();
  ASSERT_FALSE(some.empty());
  EXPECT_EQ(some.back().etag(), all.back().etag());
  // The contents it could not take in time were skipped (only the newest
  // unsent one is kept), the terminal one was not.
  EXPECT_LT(some.size(), all.size());
  // What the slow reader got is a subsequence of what the fast one got.
  size_t at = 0;
  for (const auto& e : some) {
    while (at < all.size() && all[at].etag() != e.etag()) ++at;
    EXPECT_LT(at, all.size()) << "etag " << e.etag() << " out of order or unknown";
  }
}

class WatchHeartbeatTest : public WatchTest {
 protected:
  static GatewayHarness::Options Options() {
    GatewayHarness::Options o = FastWatch();
    o.watch_limits.set_heartbeat_interval_ms(50);
    return o;
  }
  WatchHeartbeatTest() : WatchTest(Options()) {}
};

TEST_F(WatchHeartbeatTest, AnIdleStreamGetsHeartbeatsAtTheIntervalItAskedForIfLonger) {
  const std::string id = AddRun(absl::Hours(1));
  Watch watch(h_.stub(), WatchRequest(PolosName(id)));
  ASSERT_TRUE(watch.WaitForMessages(4));
  const auto messages = watch.messages();
  EXPECT_TRUE(messages[0].has_execution());
  for (size_t i = 1; i < messages.size(); ++i) {
    EXPECT_TRUE(messages[i].has_heartbeat()) << i;
    EXPECT_FALSE(messages[i].has_execution()) << i;
    EXPECT_TRUE(messages[i].has_confirm_time()) << i;
  }
  // The content does not change, yet each heartbeat confirms a newer read
  // (the follower reads every 20 ms; heartbeats go every 50 ms).
  using google::protobuf::util::TimeUtil;
  EXPECT_GT(TimeUtil::TimestampToNanoseconds(messages[3].confirm_time()),
            TimeUtil::TimestampToNanoseconds(messages[0].confirm_time()));
  EXPECT_GT(TimeUtil::TimestampToNanoseconds(messages[3].confirm_time()),
            TimeUtil::TimestampToNanoseconds(messages[1].confirm_time()));
  // A caller asking for 400 ms gets fewer heartbeats than one at 50 ms.
  v1::WatchExecutionRequest slow_beat = WatchRequest(PolosName(id));
  slow_beat.mutable_heartbeat_interval()->set_nanos(400000000);
  Watch slower(h_.stub(), slow_beat);
  Watch faster(h_.stub(), WatchRequest(PolosName(id)));
  absl::SleepFor(absl::Milliseconds(900));
  auto beats = [](const Watch& w) {
    int n = 0;
    for (const auto& m : w.messages()) n += m.has_heartbeat() ? 1 : 0;
    return n;
  };
  EXPECT_GE(beats(slower), 1);
  EXPECT_LE(beats(slower), 3);
  EXPECT_GE(beats(faster), 8);
}

class WatchLimitTest : public WatchTest {
 protected:
  static GatewayHarness::Options Options() {
    GatewayHarness::Options o = FastWatch();
    o.watch_limits.set_max_watches(3);
    o.watch_limits.set_max_watches_per_caller(2);
    return o;
  }
  WatchLimitTest() : WatchTest(Options()) {}
};

TEST_F(WatchLimitTest, WatchesBeyondTheCallersLimitAreRefusedUntilOneEnds) {
  const std::string id = AddRun(absl::Hours(1));
  auto first = std::make_unique<Watch>(h_.stub(), WatchRequest(PolosName(id)));
  Watch second(h_.stub(), WatchRequest(PolosName(id)));
  ASSERT_TRUE(first->WaitForMessages(1));
  ASSERT_TRUE(second.WaitForMessages(1));
  {
    Watch refused(h_.stub(), WatchRequest(PolosName(id)));
    const grpc::Status s = refused.WaitForEnd();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    const ErrorDetails details = DetailsOf(s);
    ASSERT_TRUE(details.has_error_info);
    EXPECT_EQ(details.error_info.reason(), reason::kWatchLimitExceeded);
    EXPECT_EQ(details.error_info.metadata().at("limit"), "per_caller");
    EXPECT_EQ(details.error_info.metadata().at("max"), "2");
  }
  first.reset();  // its slot is given back once the gateway is done with it
  ASSERT_TRUE(Eventually([&] {
    Watch again(h_.stub(), WatchRequest(PolosName(id)));
    return again.WaitForMessages(1);
  }));
}

class WatchEventsTest : public WatchTest {
 protected:
  // Polls too rarely to see a change in time: only the event stream can.
  static GatewayHarness::Options Options() {
    GatewayHarness::Options o = FastWatch();
    o.watch.set_min_poll_interval_ms(5000);
    o.watch.set_max_poll_interval_ms(5000);
    o.watch.set_disable_event_stream(false);
    return o;
  }
  WatchEventsTest() : WatchTest(Options()) {}
};

TEST_F(WatchEventsTest, PolosChangesArriveThroughTheEventStreamWellWithinThePollInterval) {
  const std::string id = AddRun(absl::Hours(1));
  Watch watch(h_.stub(), WatchRequest(PolosName(id)));
  ASSERT_TRUE(watch.WaitForMessages(1));
  ASSERT_TRUE(Eventually([&] { return h_.polos().request_count("events") >= 1; }));
  // The read the subscription makes when it connects.
  absl::SleepFor(absl::Milliseconds(200));
  const absl::Time changed = absl::Now();
  h_.clock().Advance(absl::Milliseconds(1600));  // claimed, then running: workflow_start
  ASSERT_TRUE(watch.WaitForMessages(2, absl::Seconds(2)));
  EXPECT_LT(absl::Now() - changed, absl::Seconds(2)) << "a poll (every 5 s) would be later";
  const auto executions = watch.executions();
  ASSERT_GE(executions.size(), 2u);
  EXPECT_EQ(executions.back().state(), v1::Execution::STATE_RUNNING);
}

TEST_F(WatchEventsTest, AFinishedRunsStreamEndsAndTheWatchStillGetsTheTerminalState) {
  const std::string id = AddRun(absl::Seconds(2));
  Watch watch(h_.stub(), WatchRequest(PolosName(id)));
  ASSERT_TRUE(watch.WaitForMessages(1));
  ASSERT_TRUE(Eventually([&] { return h_.polos().request_count("events") >= 1; }));
  h_.clock().Advance(absl::Seconds(10));  // workflow_finish; the stream closes
  const grpc::Status end = watch.WaitForEnd(absl::Seconds(3));
  EXPECT_TRUE(end.ok()) << end.error_message();
  EXPECT_EQ(watch.executions().back().state(), v1::Execution::STATE_SUCCEEDED);
}

class WatchEventsFallbackTest : public WatchTest {
 protected:
  static GatewayHarness::Options Options() {
    GatewayHarness::Options o = FastWatch();
    o.watch.set_min_poll_interval_ms(50);
    o.watch.set_max_poll_interval_ms(5000);
    o.watch.set_disable_event_stream(false);
    return o;
  }
  WatchEventsFallbackTest() : WatchTest(Options()) {}
};

TEST_F(WatchEventsFallbackTest, WithoutTheEventStreamTheFollowerPollsAndTriesTheStreamAgain) {
  http::ServerResponse down;
  down.status = 503;
  h_.polos().faults().Add("events", down, /*times=*/-1);
  const std::string id = AddRun(absl::Hours(1));
  Watch watch(h_.stub(), WatchRequest(PolosName(id)));
  ASSERT_TRUE(watch.WaitForMessages(1));
  ASSERT_TRUE(Eventually([&] { return h_.polos().request_count("events") >= 1; }));
  h_.clock().Advance(absl::Milliseconds(1600));
  // Polling at the fast interval brings the change.
  ASSERT_TRUE(watch.WaitForMessages(2, absl::Seconds(3)));
  EXPECT_EQ(watch.executions().back().state(), v1::Execution::STATE_RUNNING);
  // And the subscription is tried again (after a backoff of about 1 s).
  h_.polos().faults().Clear();
  EXPECT_TRUE(
      Eventually([&] { return h_.polos().request_count("events") >= 2; }, absl::Seconds(5)));
}

TEST_F(WatchTest, ShutdownEndsOpenWatchesUnavailableWithTheEtagToResumeFrom) {
  const std::string id = AddRun(absl::Hours(1));
  Watch watch(h_.stub(), WatchRequest(PolosName(id)));
  ASSERT_TRUE(watch.WaitForMessages(1));
  const std::string etag = watch.executions()[0].etag();
  std::thread stop([&] { h_.server().Shutdown(absl::Seconds(2)); });
  const grpc::Status end = watch.WaitForEnd();
  stop.join();
  EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE) << end.error_message();
  const ErrorDetails details = DetailsOf(end);
  ASSERT_TRUE(details.has_error_info);
  EXPECT_EQ(details.error_info.reason(), reason::kGatewayShuttingDown);
  EXPECT_EQ(details.error_info.metadata().at("etag"), etag);
}

}  // namespace
}  // namespace execgw::testing

// Cancelling an in-flight call: one rule for every kind of backend, each
// over real loopback HTTP against its upstream's simulator.
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/blaxel/blaxel_backend.h"
#include "adapters/cancellation.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/polos/polos_backend.h"
#include "adapters/upstream_error.h"
#include "gtest/gtest.h"
#include "sim/blaxel/simulator.h"
#include "sim/polos/simulator.h"
#include "tests/testing/backend_under_test.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::testing {
namespace {

// A stalled answer: longer than every wait of the test, so that only the
// cancellation can end the call in time.
constexpr absl::Duration kStall = absl::Seconds(5);

// A delay-only fault: the real answer, `delay` late.
http::ServerResponse Stall(absl::Duration delay) {
  http::ServerResponse r;
  r.status = 0;
  r.delay = delay;
  return r;
}

class BlaxelUnderTest final : public BackendUnderTest {
 public:
  static constexpr char kKey[] = "bl-test-key-5f3a9c";
  static constexpr char kJob[] = "data-processing-job";

  BlaxelUnderTest() {
    blaxel::BlaxelSimulatorOptions options;
    options.api_key = kKey;
    options.workspace = "acme";
    options.clock = &clock_;
    auto sim = blaxel::BlaxelSimulator::Start(options);
    EXPECT_TRUE(sim.ok()) << sim.status();
    if (!sim.ok()) return;
    sim_ = *std::move(sim);
    sim_->PutJob(kJob, blaxel::SimulatedJob{});
    blaxel::BlaxelBackendOptions o;
    o.name = "bx";
    o.base_url = sim_->base_url();
    o.workspace = "acme";
    o.api_key = kKey;
    backend_ = blaxel::NewBlaxelBackend(o, *client_);
  }

  Backend& backend() override { return *backend_; }
  ExecutionName AddExecution() override {
    const std::string id = absl::StrCat("exec-", ++added_);
    sim_->PutExecution(kJob, id, blaxel::SimulatedScenario::kSucceed, clock_.Now(), 1);
    return ExecutionName{"bx", kJob, id};
  }
  void StallNext(const std::string& endpoint, absl::Duration delay) override {
    sim_->faults().Add(endpoint, Stall(delay));
  }
  int requests(const std::string& endpoint) const override { return sim_->request_count(endpoint); }

 private:
  SimulatedEventLoop clock_{absl::FromUnixSeconds(1767225600)};
  std::unique_ptr<blaxel::BlaxelSimulator> sim_;
  std::unique_ptr<http::HttpClient> client_ = http::NewCurlHttpClient();
  std::unique_ptr<Backend> backend_;
  int added_ = 0;
};

class PolosUnderTest final : public BackendUnderTest {
 public:
  PolosUnderTest() {
    polos::PolosSimulatorOptions options;
    options.clock = &clock_;
    auto sim = polos::PolosSimulator::Start(options);
    EXPECT_TRUE(sim.ok()) << sim.status();
    if (!sim.ok()) return;
    sim_ = *std::move(sim);
    polos::PolosBackendOptions o;
    o.name = "polos-test";
    o.base_url = sim_->base_url();
    o.project_id = sim_->project_id();
    o.api_key = sim_->api_key();
    backend_ = polos::NewPolosBackend(std::move(o), *client_);
  }

  Backend& backend() override { return *backend_; }
  ExecutionName AddExecution() override {
    polos::NewExecution e;
    e.workflow_id = "wf";
    return ExecutionName{"polos-test", "", sim_->AddExecution(std::move(e))};
  }
  void StallNext(const std::string& endpoint, absl::Duration delay) override {
    sim_->faults().Add(endpoint, Stall(delay));
  }
  int requests(const std::string& endpoint) const override { return sim_->request_count(endpoint); }

 private:
  SimulatedEventLoop clock_;
  std::unique_ptr<polos::PolosSimulator> sim_;
  std::unique_ptr<http::HttpClient> client_ = http::NewCurlHttpClient();
  std::unique_ptr<Backend> backend_;
};

struct BackendKind {
  std::string name;
  std::function<std::unique_ptr<BackendUnderTest>()> make;
};

void PrintTo(const BackendKind& kind, std::ostream* os) { *os << kind.name; }

class BackendCancellationTest : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    under_ = GetParam().make();
    ASSERT_FALSE(::testing::Test::HasFailure()) << "the simulator did not start";
  }

  // Waits (polling, at most `limit`) until `condition` holds.
  static bool Eventually(const std::function<bool()>& condition,
                         absl::Duration limit = absl::Seconds(3)) {
    const absl::Time end = absl::Now() + limit;
    while (!condition()) {
      if (absl::Now() > end) return false;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return true;
  }

  std::unique_ptr<BackendUnderTest> under_;
};

TEST_P(BackendCancellationTest, CancellingAnInFlightGetAnswersCancelledAtOnce) {
  const ExecutionName name = under_->AddExecution();
  under_->StallNext("get", kStall);
  auto cancellation = std::make_shared<Cancellation>();
  CallContext context;
  context.cancellation = cancellation;
  // Shared with the callback, which may come late when the test fails.
  struct Answer {
    absl::Notification done;
    absl::StatusOr<v1::Execution> result;
  };
  auto answer = std::make_shared<Answer>();
  under_->backend().GetExecution(name, context, [answer](absl::StatusOr<v1::Execution> e) {
    answer->result = std::move(e);
    answer->done.Notify();
  });
  // In flight: the upstream holds the request, its answer stalled.
  ASSERT_TRUE(Eventually([&] { return under_->requests("get") == 1; }))
      << "the request never reached the upstream";
  EXPECT_FALSE(answer->done.HasBeenNotified()) << "answered before the stalled answer came";
  const absl::Time cancelled_at = absl::Now();
  cancellation->Cancel();
  ASSERT_TRUE(answer->done.WaitForNotificationWithTimeout(absl::Seconds(3)));
  EXPECT_LT(absl::Now() - cancelled_at, absl::Seconds(1));
  EXPECT_EQ(answer->result.status().code(), absl::StatusCode::kCancelled)
      << answer->result.status();
  EXPECT_EQ(ErrorReasonOf(answer->result.status()), reason::kCancelled);
  EXPECT_EQ(under_->requests("get"), 1);  // not sent again
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, BackendCancellationTest,
    ::testing::Values(BackendKind{"Blaxel", [] { return std::make_unique<BlaxelUnderTest>(); }},
                      BackendKind{"Polos", [] { return std::make_unique<PolosUnderTest>(); }}),
    [](const ::testing::TestParamInfo<BackendKind>& info) { return info.param.name; });

}  // namespace
}  // namespace execgw::testing

// The retry budget: for each RPC of each kind of backend, the most upstream
// HTTP requests one call can cost (README.md, "Retries and limits"), held
// by driving the worst case against the upstream's simulator over real
// loopback HTTP, behind the retrying client with its default maxAttempts:
// every retryable step fails until its last attempt, and every extra step
// (token refresh, read-back, health probe) is forced.
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/blaxel/blaxel_backend.h"
#include "adapters/event_loop.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/http/resilient_http_client.h"
#include "adapters/polos/polos_backend.h"
#include "adapters/upstream_error.h"
#include "gtest/gtest.h"
#include "sim/blaxel/simulator.h"
#include "sim/polos/simulator.h"
#include "tests/testing/backend_under_test.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::testing {
namespace {

// The default maxAttempts: every bound below is written in terms of it.
const int M = http::ResilienceOptions{}.max_attempts;

http::ServerResponse Reply(int status, std::string body = "") {
  http::ServerResponse r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty()) r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

// The real answer, unchanged (a fault that only adds its zero delay).
http::ServerResponse Real() { return Reply(0); }

const http::ServerResponse kUnavailable = Reply(503);

// A BackendUnderTest behind the gateway's retrying client, whose upstream
// can be told what to answer, request by request.
class BudgetedBackend : public BackendUnderTest {
 public:
  // The next answers of `endpoint`, in order, after those queued already.
  void Then(const std::string& endpoint, const http::ServerResponse& response, int times = 1) {
    faults().Add(endpoint, response, times);
  }
  // The worst case of one retried request: M - 1 passing failures, then
  // `last` (whatever it is, the client stops there).
  void Attempts(const std::string& endpoint, const http::ServerResponse& last) {
    Then(endpoint, kUnavailable, M - 1);
    Then(endpoint, last);
  }
  // The worst case of one Blaxel exchange with the request's credential:
  // with OAuth, a token fetch first, a 401 to the request, a second fetch
  // and the resend.
  virtual void Exchange(const std::string& endpoint, const http::ServerResponse& last) {
    Attempts(endpoint, last);
  }

  void StallNext(const std::string& endpoint, absl::Duration delay) override {
    http::ServerResponse r = Real();
    r.delay = delay;
    faults().Add(endpoint, r);
  }

  virtual http::FaultInjector& faults() = 0;
  virtual ParentName parent() const = 0;

  // Runs one call of the backend to completion.
  template <typename T, typename Start>
  static absl::StatusOr<T> Run(Start start) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<T>>>();
    std::future<absl::StatusOr<T>> future = promise->get_future();
    start(Context(), [promise](absl::StatusOr<T> r) { promise->set_value(std::move(r)); });
    if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      return absl::InternalError("the call did not complete");
    }
    return future.get();
  }

 protected:
  // No deadline: the OAuth cases time the backend on a clock that runs far
  // ahead of the wall clock (EverLaterLoop), on which any real deadline has
  // long passed. Run's own wait bounds each call instead.
  static CallContext Context() { return CallContext{}; }

  // Fast, deterministic retries; a breaker that stays closed (an open one
  // only lowers the count).
  static http::ResilienceOptions Options(std::string backend) {
    http::ResilienceOptions o;
    o.backend = std::move(backend);
    o.initial_backoff = absl::Milliseconds(1);
    o.failure_threshold = 1000;
    o.jitter = [](absl::Duration) { return absl::ZeroDuration(); };
    return o;
  }

  std::unique_ptr<http::HttpClient> curl_ = http::NewCurlHttpClient();
};

// The real loop of `client`, except that its time runs 3 hours further on
// every look, so that every exchange starts with a token refresh: the OAuth
// worst case. Timers are set on the real loop at the same distance from now.
class EverLaterLoop final : public EventLoop {
 public:
  explicit EverLaterLoop(EventLoop& real) : real_(real) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    ahead_ += absl::Hours(3);
    return real_.Now() + ahead_;
  }
  void Post(absl::AnyInvocable<void() &&> fn) override { real_.Post(std::move(fn)); }
  void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn,
             std::shared_ptr<Cancellation> cancellation = nullptr) override {
    absl::Duration ahead;
    {
      absl::MutexLock lock(&mu_);
      ahead = ahead_;
    }
    real_.RunAt(when - ahead, std::move(fn), std::move(cancellation));
  }
  bool IsLoopThread() const override { return real_.IsLoopThread(); }

 private:
  EventLoop& real_;
  mutable absl::Mutex mu_;
  mutable absl::Duration ahead_ = absl::ZeroDuration();
};

// `inner`'s requests, timed by an EverLaterLoop: what the Blaxel backend (its
// OAuth token source and read-back delays) sees, while the retrying client
// below keeps the real loop for backoff and deadlines.
class EverLaterClient final : public http::HttpClient {
 public:
  explicit EverLaterClient(http::HttpClient& inner) : inner_(inner), loop_(inner.loop()) {}
  void Send(http::HttpRequest request, http::ResponseCallback done) override {
    inner_.Send(std::move(request), std::move(done));
  }
  void Stream(http::HttpRequest request, http::StreamCallbacks callbacks) override {
    inner_.Stream(std::move(request), std::move(callbacks));
  }
  EventLoop& loop() override { return loop_; }

 private:
  http::HttpClient& inner_;
  EverLaterLoop loop_;
};

class BlaxelBudget final : public BudgetedBackend {
 public:
  static constexpr char kJob[] = "data-processing-job";

  explicit BlaxelBudget(bool oauth) : oauth_(oauth) {
    blaxel::BlaxelSimulatorOptions options;
    options.api_key = "bl-budget-key";
    options.workspace = "acme";
    options.clock = &sim_clock_;
    auto sim = blaxel::BlaxelSimulator::Start(options);
    EXPECT_TRUE(sim.ok()) << sim.status();
    if (!sim.ok()) return;
    sim_ = *std::move(sim);
    sim_->PutJob(kJob, blaxel::SimulatedJob{});
    resilient_ = std::make_unique<http::ResilientHttpClient>(*curl_, Options("bx"));
    blaxel::BlaxelBackendOptions o;
    o.name = "bx";
    o.base_url = sim_->base_url();
    o.workspace = "acme";
    if (oauth) {
      o.oauth_client_id = options.oauth_client_id;
      o.oauth_client_secret = options.oauth_client_secret;
    } else {
      o.api_key = options.api_key;
    }
    if (oauth) ever_later_ = std::make_unique<EverLaterClient>(*resilient_);
    backend_ = blaxel::NewBlaxelBackend(
        o, oauth ? static_cast<http::HttpClient&>(*ever_later_) : *resilient_);
  }
  ~BlaxelBudget() override { backend_.reset(); }

  void Exchange(const std::string& endpoint, const http::ServerResponse& last) override {
    if (!oauth_) {
      Attempts(endpoint, last);
      return;
    }
    Attempts("token", Real());
    Attempts(endpoint, Reply(401, R"({"code":401,"error":"Unauthorized","message":"expired"})"));
    Attempts("token", Real());
    Attempts(endpoint, last);
  }

  Backend& backend() override { return *backend_; }
  ExecutionName AddExecution() override {
    const std::string id = absl::StrCat("exec-", ++added_);
    sim_->PutExecution(kJob, id, blaxel::SimulatedScenario::kSucceed, sim_clock_.Now(), 1);
    return ExecutionName{"bx", kJob, id};
  }
  int requests(const std::string& endpoint) const override { return sim_->request_count(endpoint); }
  http::FaultInjector& faults() override { return sim_->faults(); }
  ParentName parent() const override { return ParentName{"bx", kJob, ""}; }

 private:
  const bool oauth_;
  testing::SimulatedEventLoop sim_clock_;
  std::unique_ptr<blaxel::BlaxelSimulator> sim_;
  std::unique_ptr<http::ResilientHttpClient> resilient_;
  std::unique_ptr<EverLaterClient> ever_later_;
  std::unique_ptr<Backend> backend_;
  int added_ = 0;
};

class PolosBudget final : public BudgetedBackend {
 public:
  PolosBudget() {
    polos::PolosSimulatorOptions options;
    options.clock = &clock_;
    auto sim = polos::PolosSimulator::Start(options);
    EXPECT_TRUE(sim.ok()) << sim.status();
    if (!sim.ok()) return;
    sim_ = *std::move(sim);
    resilient_ = std::make_unique<http::ResilientHttpClient>(*curl_, Options("polos-test"));
    polos::PolosBackendOptions o;
    o.name = "polos-test";
    o.base_url = sim_->base_url();
    o.project_id = sim_->project_id();
    o.api_key = sim_->api_key();
    backend_ = polos::NewPolosBackend(std::move(o), *resilient_);
  }
  ~PolosBudget() override { backend_.reset(); }

  Backend& backend() override { return *backend_; }
  ExecutionName AddExecution() override {
    polos::NewExecution e;
    e.workflow_id = "wf";
    e.scenario.running_for = absl::InfiniteDuration();
    return ExecutionName{"polos-test", "", sim_->AddExecution(std::move(e))};
  }
  int requests(const std::string& endpoint) const override { return sim_->request_count(endpoint); }
  http::FaultInjector& faults() override { return sim_->faults(); }
  ParentName parent() const override { return ParentName{"polos-test", "", "wf"}; }

 private:
  testing::SimulatedEventLoop clock_;
  std::unique_ptr<polos::PolosSimulator> sim_;
  std::unique_ptr<http::ResilientHttpClient> resilient_;
  std::unique_ptr<Backend> backend_;
};

// Polos' ambiguous answers (a missing execution, or a sick server).
const http::ServerResponse kPolosEmpty500 = Reply(500);
const http::ServerResponse kPolosCancelLookupFailed =
    Reply(500, R"({"error":"Failed to get execution","error_type":"INTERNAL_ERROR"})");
const http::ServerResponse kBlaxelNotFound =
    Reply(404, R"({"code":404,"error":"Not Found","message":"not yet"})");

struct BudgetCase {
  std::string name;  // backend kind and RPC
  std::function<std::unique_ptr<BudgetedBackend>()> make;
  // Queues the worst case, runs the RPC and answers its status.
  std::function<absl::Status(BudgetedBackend&)> run;
  // README's bound, in terms of M, per simulator endpoint.
  std::function<std::map<std::string, int>()> bound;
  absl::StatusCode code;  // what the call answers at the end of it
};

void PrintTo(const BudgetCase& c, std::ostream* os) { *os << c.name; }

absl::Status Get(BudgetedBackend& b, const ExecutionName& name) {
  return BudgetedBackend::Run<v1::Execution>([&](const CallContext& context, auto done) {
           b.backend().GetExecution(name, context, std::move(done));
         })
      .status();
}

absl::Status List(BudgetedBackend& b, v1::ExecutionView view, int page_size) {
  ListExecutionsQuery query;
  query.parent = b.parent();
  query.page_size = page_size;
  query.view = view;
  return BudgetedBackend::Run<ExecutionPage>([&](const CallContext& context, auto done) {
           b.backend().ListExecutions(query, context, std::move(done));
         })
      .status();
}

absl::Status Tasks(BudgetedBackend& b, const ExecutionName& name) {
  ListTasksQuery query;
  query.execution = name;
  return BudgetedBackend::Run<TaskPage>([&](const CallContext& context, auto done) {
           b.backend().ListExecutionTasks(query, context, std::move(done));
         })
      .status();
}

absl::Status Create(BudgetedBackend& b, const v1::CreateExecutionRequest& request) {
  return BudgetedBackend::Run<v1::Execution>([&](const CallContext& context, auto done) {
           b.backend().CreateExecution(b.parent(), request, context, std::move(done));
         })
      .status();
}

absl::Status Cancel(BudgetedBackend& b, const ExecutionName& name) {
  return BudgetedBackend::Run<v1::Execution>([&](const CallContext& context, auto done) {
           b.backend().CancelExecution(name, context, std::move(done));
         })
      .status();
}

// Blaxel, with E the cost of one exchange: M with an API key, 4M with
// OAuth (token fetch, the request answered 401, a second fetch, the resend).
std::vector<BudgetCase> BlaxelCases(bool oauth) {
  const std::string kind = oauth ? "BlaxelOAuth" : "BlaxelApiKey";
  auto make = [oauth]() -> std::unique_ptr<BudgetedBackend> {
    return std::make_unique<BlaxelBudget>(oauth);
  };
  // An exchange's requests to `endpoint`: M, or 2M when a 401 makes it
  // send twice; and the token fetches: none, or 2M.
  const int per_send = oauth ? 2 * M : M;
  auto with_tokens = [oauth](std::map<std::string, int> counts, int exchanges) {
    if (oauth) counts["token"] = 2 * M * exchanges;
    return counts;
  };
  return {
      {kind + "_Get", make,
       [](BudgetedBackend& b) {
         b.Exchange("get", kUnavailable);
         return Get(b, b.AddExecution());
       },
       [=] {
         return with_tokens({{"get", per_send}}, 1);
       },
       absl::StatusCode::kUnavailable},
      {kind + "_List", make,
       [](BudgetedBackend& b) {
         b.Exchange("list", kUnavailable);
         return List(b, v1::EXECUTION_VIEW_BASIC, 20);
       },
       [=] {
         return with_tokens({{"list", per_send}}, 1);
       },
       absl::StatusCode::kUnavailable},
      {kind + "_ListTasks", make,
       [](BudgetedBackend& b) {
         b.Exchange("tasks", kUnavailable);
         return Tasks(b, b.AddExecution());
       },
       [=] {
         return with_tokens({{"tasks", per_send}}, 1);
       },
       absl::StatusCode::kUnavailable},
      // 2E: the read first, then the DELETE.
      {kind + "_Cancel", make,
       [](BudgetedBackend& b) {
         const ExecutionName name = b.AddExecution();
         b.Exchange("get", Real());
         b.Exchange("cancel", kUnavailable);
         return Cancel(b, name);
       },
       [=] {
         return with_tokens({{"get", per_send}, {"cancel", per_send}}, 2);
       },
       absl::StatusCode::kUnavailable},
      // 4E: the POST (idempotent: it carries an execution id), then up to
      // three reads of the new execution, the 2nd and 3rd after a 404.
      {kind + "_Create", make,
       [](BudgetedBackend& b) {
         b.Exchange("create", Real());
         b.Exchange("get", kBlaxelNotFound);
         b.Exchange("get", kBlaxelNotFound);
         b.Exchange("get", kUnavailable);
         v1::CreateExecutionRequest request;
         request.set_request_id("budget-1");
         return Create(b, request);
       },
       [=] {
         return with_tokens({{"create", per_send}, {"get", 3 * per_send}}, 4);
       },
       absl::StatusCode::kUnknown},
  };
}

std::vector<BudgetCase> PolosCases() {
  auto make = []() -> std::unique_ptr<BudgetedBackend> { return std::make_unique<PolosBudget>(); };
  return {
      // 3M: the GET's attempts, the last an ambiguous 500, then the probe's
      // (GET /api/v1/workflows/runs, the simulator's "list"), then the GET
      // once more (errors.h), ending the same way.
      {"Polos_Get", make,
       [](BudgetedBackend& b) {
         b.Attempts("get", kPolosEmpty500);
         b.Attempts("list", Real());
         b.Attempts("get", kPolosEmpty500);
         return Get(b, b.AddExecution());
       },
       [] {
         return std::map<std::string, int>{{"get", 2 * M}, {"list", M}};
       },
       absl::StatusCode::kNotFound},
      // M + 3M·n for n items read in full: here one (EXECUTION_VIEW_FULL,
      // one run), whose read ends like Polos_Get.
      {"Polos_List", make,
       [](BudgetedBackend& b) {
         b.AddExecution();
         b.Attempts("list", Real());
         b.Attempts("get", kPolosEmpty500);
         b.Attempts("list", Real());
         b.Attempts("get", kPolosEmpty500);
         return List(b, v1::EXECUTION_VIEW_FULL, 1);
       },
       [] {
         return std::map<std::string, int>{{"list", 2 * M}, {"get", 2 * M}};
       },
       absl::StatusCode::kOk},
      {"Polos_ListTasks", make, [](BudgetedBackend& b) { return Tasks(b, b.AddExecution()); },
       [] { return std::map<std::string, int>{}; }, absl::StatusCode::kFailedPrecondition},
      // 1 + 3M: the run is never retried (Polos has no idempotency key);
      // the read-back ends like Polos_Get.
      {"Polos_Create", make,
       [](BudgetedBackend& b) {
         b.Then("run", Real());
         b.Attempts("get", kPolosEmpty500);
         b.Attempts("list", Real());
         b.Attempts("get", kPolosEmpty500);
         v1::CreateExecutionRequest request;
         request.mutable_input()->set_string_value("x");
         return Create(b, request);
       },
       [] {
         return std::map<std::string, int>{{"run", 1}, {"get", 2 * M}, {"list", M}};
       },
       absl::StatusCode::kUnknown},
      // 6M: the cancel's attempts, the last ambiguous, the probe, the
      // cancel once more (confirmed this time), then the read-back, which
      // ends like Polos_Get.
      {"Polos_Cancel", make,
       [](BudgetedBackend& b) {
         const ExecutionName name = b.AddExecution();
         b.Attempts("cancel", kPolosCancelLookupFailed);
         b.Attempts("list", Real());
         b.Attempts("cancel", Real());
         b.Attempts("get", kPolosEmpty500);
         b.Attempts("list", Real());
         b.Attempts("get", kPolosEmpty500);
         return Cancel(b, name);
       },
       [] {
         return std::map<std::string, int>{{"cancel", 2 * M}, {"get", 2 * M}, {"list", 2 * M}};
       },
       absl::StatusCode::kUnknown},
      // 3M: an ambiguous cancel answer, the probe, and the same answer to
      // the cancel once more: NOT_FOUND.
      {"Polos_CancelAmbiguous", make,
       [](BudgetedBackend& b) {
         const ExecutionName name = b.AddExecution();
         b.Attempts("cancel", kPolosCancelLookupFailed);
         b.Attempts("list", Real());
         b.Attempts("cancel", kPolosCancelLookupFailed);
         return Cancel(b, name);
       },
       [] {
         return std::map<std::string, int>{{"cancel", 2 * M}, {"list", M}};
       },
       absl::StatusCode::kNotFound},
  };
}

std::vector<BudgetCase> AllCases() {
  std::vector<BudgetCase> all = BlaxelCases(/*oauth=*/false);
  for (BudgetCase& c : BlaxelCases(/*oauth=*/true)) all.push_back(std::move(c));
  for (BudgetCase& c : PolosCases()) all.push_back(std::move(c));
  return all;
}

class RetryBudgetTest : public ::testing::TestWithParam<BudgetCase> {};

TEST_P(RetryBudgetTest, TheWorstCaseCostsExactlyTheDocumentedBound) {
  ASSERT_GE(M, 2) << "the worst case needs retries";
  std::unique_ptr<BudgetedBackend> b = GetParam().make();
  ASSERT_FALSE(::testing::Test::HasFailure()) << "the simulator did not start";
  const absl::Status status = GetParam().run(*b);
  EXPECT_EQ(status.code(), GetParam().code) << status;
  int total = 0, bound = 0;
  const std::map<std::string, int> expected = GetParam().bound();
  for (const auto& [endpoint, count] : expected) {
    EXPECT_EQ(b->requests(endpoint), count) << endpoint;
    total += b->requests(endpoint);
    bound += count;
  }
  for (const char* endpoint : {"get", "list", "tasks", "create", "run", "cancel", "token"}) {
    if (!expected.contains(endpoint)) {
      EXPECT_EQ(b->requests(endpoint), 0) << endpoint;
    }
  }
  EXPECT_EQ(total, bound);
}

INSTANTIATE_TEST_SUITE_P(EveryRpcOfEveryBackend, RetryBudgetTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<BudgetCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace execgw::testing

#ifndef EXECGW_TESTS_ADAPTERS_POLOS_BACKEND_FIXTURE_H_
#define EXECGW_TESTS_ADAPTERS_POLOS_BACKEND_FIXTURE_H_

// PolosBackend over real loopback HTTP: the curl client (behind a recorder)
// against the Polos simulator on port 0, its lifecycles driven by a
// simulated loop's clock. Synchronous wrappers for every Backend operation.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/polos/polos_backend.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "sim/polos/simulator.h"
#include "tests/testing/recording_http_client.h"
#include "tests/testing/simulated_event_loop.h"
#include "tests/testing/status_details.h"

namespace execgw::polos::testing {

using ::execgw::testing::SimulatedEventLoop;

using ::execgw::testing::RetryDelayOf;

inline constexpr absl::string_view kBackend = "polos-test";
inline constexpr absl::string_view kMissingId = "00000000-1111-4222-8333-444444444444";

using ::execgw::testing::AllText;
using ::execgw::testing::RecordingHttpClient;

// The ErrorInfo metadata of a status built with MakeError.
inline std::map<std::string, std::string> ErrorMetadataOf(const absl::Status& s) {
  google::rpc::ErrorInfo info;
  if (auto p = s.GetPayload("type.googleapis.com/google.rpc.ErrorInfo"); p.has_value()) {
    info.ParseFromString(std::string(*p));
  }
  return {info.metadata().begin(), info.metadata().end()};
}

class PolosBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { StartSimulator(); }

  // (Re)starts the simulator and the backend.
  void StartSimulator(bool end_time_exclusive = false,
                      absl::Duration keepalive_interval = absl::Milliseconds(50)) {
    backend_.reset();
    client_.reset();
    sim_.reset();
    PolosSimulatorOptions options;
    options.clock = &clock_;
    options.end_time_exclusive = end_time_exclusive;
    options.keepalive_interval = keepalive_interval;
    absl::StatusOr<std::unique_ptr<PolosSimulator>> sim = PolosSimulator::Start(options);
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = *std::move(sim);
    client_ = std::make_unique<RecordingHttpClient>(http::NewCurlHttpClient());
    backend_ = MakeBackend(sim_->api_key(), sim_->project_id());
  }

  // A backend on the simulator; `client` (default: the recording client)
  // must outlive it.
  std::unique_ptr<Backend> MakeBackend(const std::string& key, const std::string& project,
                                       absl::Duration timeout = absl::Seconds(30),
                                       http::HttpClient* client = nullptr) {
    PolosBackendOptions o;
    o.name = std::string(kBackend);
    o.base_url = sim_->base_url() + "/";
    o.project_id = project;
    o.api_key = key;
    o.request_timeout = timeout;
    return NewPolosBackend(std::move(o), client != nullptr ? *client : *client_);
  }

  static ExecutionName Name(absl::string_view id) {
    return ExecutionName{std::string(kBackend), "", std::string(id)};
  }
  static ParentName Workflow(absl::string_view workflow) {
    return ParentName{std::string(kBackend), "", std::string(workflow)};
  }
  static ParentName WholeBackend() { return ParentName{std::string(kBackend), "", ""}; }

  // Runs one backend operation and waits for its result.
  template <typename T, typename Start>
  absl::StatusOr<T> Await(Start start) {
    absl::Notification done;
    absl::StatusOr<T> out;
    start([&](absl::StatusOr<T> r) {
      out = std::move(r);
      done.Notify();
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(20)));
    if (!out.ok()) {
      // Any 8 characters of the key's start count: a cut can keep a prefix.
      EXPECT_FALSE(absl::StrContains(AllText(out.status()), sim_->api_key().substr(0, 8)))
          << "API key leaked: " << out.status();
    }
    return out;
  }

  absl::StatusOr<v1::Execution> Get(absl::string_view id, CallContext context = {},
                                    Backend* backend = nullptr) {
    return GetName(Name(id), context, backend);
  }

  absl::StatusOr<v1::Execution> GetName(const ExecutionName& name, CallContext context = {},
                                        Backend* backend = nullptr) {
    Backend* b = backend != nullptr ? backend : backend_.get();
    return Await<v1::Execution>(
        [&](Done<v1::Execution> done) { b->GetExecution(name, context, std::move(done)); });
  }

  absl::StatusOr<ExecutionPage> List(const ListExecutionsQuery& query, CallContext context = {}) {
    return Await<ExecutionPage>([&](Done<ExecutionPage> done) {
      backend_->ListExecutions(query, context, std::move(done));
    });
  }

  absl::StatusOr<TaskPage> Tasks(const ExecutionName& name) {
    ListTasksQuery query;
    query.execution = name;
    return Await<TaskPage>([&](Done<TaskPage> done) {
      backend_->ListExecutionTasks(query, CallContext{}, std::move(done));
    });
  }

  absl::StatusOr<v1::Execution> Create(const ParentName& parent,
                                       const v1::CreateExecutionRequest& request) {
    return Await<v1::Execution>([&](Done<v1::Execution> done) {
      backend_->CreateExecution(parent, request, CallContext{}, std::move(done));
    });
  }

  // FindCreated between `since` and `until` (default: now).
  absl::StatusOr<std::optional<v1::Execution>> FindCreated(
      const ParentName& parent, const v1::CreateExecutionRequest& request, absl::Time since,
      std::optional<absl::Time> until = std::nullopt) {
    const absl::Time to = until.value_or(clock_.Now());
    return Await<std::optional<v1::Execution>>([&](Done<std::optional<v1::Execution>> done) {
      backend_->FindCreated(parent, request, since, to, CallContext{}, std::move(done));
    });
  }

  absl::StatusOr<v1::Execution> Cancel(absl::string_view id) {
    return Await<v1::Execution>([&](Done<v1::Execution> done) {
      backend_->CancelExecution(Name(id), CallContext{}, std::move(done));
    });
  }

  std::string Add(Scenario scenario, std::optional<int> timeout = std::nullopt,
                  std::string parent = "", std::string workflow = "wf") {
    NewExecution e;
    e.workflow_id = std::move(workflow);
    e.payload_json = R"({"n":1})";
    e.scenario = std::move(scenario);
    e.run_timeout_seconds = timeout;
    e.parent_execution_id = std::move(parent);
    return sim_->AddExecution(std::move(e));
  }

  SimulatedEventLoop clock_;
  std::unique_ptr<PolosSimulator> sim_;
  std::unique_ptr<RecordingHttpClient> client_;
  std::unique_ptr<Backend> backend_;
};

}  // namespace execgw::polos::testing

#endif  // EXECGW_TESTS_ADAPTERS_POLOS_BACKEND_FIXTURE_H_

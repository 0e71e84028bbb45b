#ifndef EXECGW_TESTS_ADAPTERS_BLAXEL_BACKEND_FIXTURE_H_
#define EXECGW_TESTS_ADAPTERS_BLAXEL_BACKEND_FIXTURE_H_

// BlaxelBackend over real loopback HTTP: the curl client (behind a recorder)
// against the Blaxel simulator on port 0, its lifecycles driven by a
// simulated loop's clock. Synchronous wrappers for every Backend
// operation, each checking that no credential leaks into an error.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/blaxel/blaxel_backend.h"
#include "adapters/http/curl_http_client.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "sim/blaxel/simulator.h"
#include "tests/testing/recording_http_client.h"
#include "tests/testing/simulated_event_loop.h"
#include "tests/testing/suite_secrets.h"

namespace execgw::blaxel::testing {

using ::execgw::testing::SimulatedEventLoop;

inline constexpr char kBackend[] = "bx";
inline constexpr char kKey[] = "bl-test-key-5f3a9c";
inline constexpr char kClientId[] = "bx-client";
inline constexpr const char* kClientSecret = ::execgw::testing::kFixtureClientSecret;
inline constexpr char kWorkspace[] = "acme";
inline constexpr char kJob[] = "data-processing-job";

using ::execgw::testing::AllText;
using ::execgw::testing::RecordingHttpClient;

// The ErrorInfo metadata a status carries (empty if none).
inline std::map<std::string, std::string> ErrorMetadataOf(const absl::Status& s) {
  std::map<std::string, std::string> out;
  auto payload = s.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  google::rpc::ErrorInfo info;
  if (payload.has_value() && info.ParseFromString(std::string(*payload))) {
    out.insert(info.metadata().begin(), info.metadata().end());
  }
  return out;
}

// A 200 JSON answer, for FaultInjector.
inline http::ServerResponse JsonReply(std::string body, int status = 200) {
  http::ServerResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

class BlaxelBackendFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    BlaxelSimulatorOptions options;
    options.api_key = kKey;
    options.workspace = kWorkspace;
    options.oauth_client_id = kClientId;
    options.oauth_client_secret = kClientSecret;
    options.clock = &clock_;
    if (edit_simulator_) edit_simulator_(options);
    absl::StatusOr<std::unique_ptr<BlaxelSimulator>> sim = BlaxelSimulator::Start(options);
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = *std::move(sim);
    sim_->PutJob(kJob, SimulatedJob{});
    client_ = std::make_unique<RecordingHttpClient>(http::NewCurlHttpClient());
    backend_ = MakeBackend();
  }

  // A backend on the simulator with the contract's options, then `edit`,
  // over `client` (nullptr: client_).
  std::unique_ptr<Backend> MakeBackend(
      const std::function<void(BlaxelBackendOptions&)>& edit = nullptr,
      http::HttpClient* client = nullptr) {
    BlaxelBackendOptions o;
    o.name = kBackend;
    o.base_url = sim_->base_url();
    o.workspace = kWorkspace;
    o.api_key = kKey;
    if (edit) edit(o);
    return NewBlaxelBackend(o, client != nullptr ? *client : *client_);
  }

  static ExecutionName Name(absl::string_view id, absl::string_view job = kJob) {
    return ExecutionName{kBackend, std::string(job), std::string(id)};
  }
  static ParentName Job(absl::string_view job = kJob) {
    return ParentName{kBackend, std::string(job), ""};
  }

  // Runs one backend operation and waits for its result.
  template <typename T, typename Start>
  absl::StatusOr<T> Await(Start start) {
    absl::Notification done;
    absl::StatusOr<T> out;
    start([&](absl::StatusOr<T> r) {
      out = std::move(r);
      done.Notify();
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    if (!out.ok()) ExpectNoSecret(out.status());
    return out;
  }

  void ExpectNoSecret(const absl::Status& s) {
    // Any 8 characters of a secret's start count: a cut can keep a prefix.
    const std::string text = AllText(s);
    EXPECT_FALSE(absl::StrContains(text, absl::string_view(kKey).substr(0, 8)))
        << "API key leaked: " << s;
    EXPECT_FALSE(absl::StrContains(text, absl::string_view(kClientSecret).substr(0, 8)))
        << "client secret leaked: " << s;
    EXPECT_FALSE(absl::StrContains(text, "bl-oauth-")) << "access token leaked: " << s;
  }

  absl::StatusOr<v1::Execution> Get(absl::string_view id, CallContext context = {},
                                    Backend* backend = nullptr) {
    return Await<v1::Execution>([&](Done<v1::Execution> done) {
      (backend ? backend : backend_.get())->GetExecution(Name(id), context, std::move(done));
    });
  }

  absl::StatusOr<ExecutionPage> List(const ListExecutionsQuery& query, CallContext context = {},
                                     Backend* backend = nullptr) {
    return Await<ExecutionPage>([&](Done<ExecutionPage> done) {
      (backend ? backend : backend_.get())->ListExecutions(query, context, std::move(done));
    });
  }

  struct Walked {
    std::vector<std::string> ids;
    int pages = 0;
    std::vector<int64_t> totals;
    absl::Status status;
  };

  // Follows `next` from `query` to the end; `between` runs after each page.
  Walked WalkList(ListExecutionsQuery query, Backend* backend = nullptr,
                  const std::function<void(int page)>& between = nullptr) {
    Walked out;
    for (int page = 0; page < 10000; ++page) {
      absl::StatusOr<ExecutionPage> p = List(query, {}, backend);
      if (!p.ok()) {
        out.status = p.status();
        return out;
      }
      ++out.pages;
      out.totals.push_back(p->total_size);
      for (const v1::Execution& e : p->executions) out.ids.push_back(e.execution_id());
      if (!p->next.has_value()) return out;
      query.position = *p->next;
      if (between) between(page);
    }
    ADD_FAILURE() << "the listing did not end";
    return out;
  }

  absl::StatusOr<TaskPage> Tasks(const ListTasksQuery& query, Backend* backend = nullptr) {
    return Await<TaskPage>([&](Done<TaskPage> done) {
      (backend ? backend : backend_.get())->ListExecutionTasks(query, {}, std::move(done));
    });
  }

  absl::StatusOr<v1::Execution> Create(const v1::CreateExecutionRequest& request,
                                       const ParentName& parent = Job(), CallContext context = {},
                                       Backend* backend = nullptr) {
    return Await<v1::Execution>([&](Done<v1::Execution> done) {
      (backend ? backend : backend_.get())
          ->CreateExecution(parent, request, context, std::move(done));
    });
  }

  absl::StatusOr<v1::Execution> Cancel(absl::string_view id, Backend* backend = nullptr) {
    return Await<v1::Execution>([&](Done<v1::Execution> done) {
      (backend ? backend : backend_.get())->CancelExecution(Name(id), {}, std::move(done));
    });
  }

  // Set before SetUp (in a derived constructor) to change the simulator.
  std::function<void(BlaxelSimulatorOptions&)> edit_simulator_;
  SimulatedEventLoop clock_{absl::FromUnixSeconds(1767225600) + absl::Nanoseconds(123456789)};
  std::unique_ptr<BlaxelSimulator> sim_;
  std::unique_ptr<RecordingHttpClient> client_;
  std::unique_ptr<Backend> backend_;
};

}  // namespace execgw::blaxel::testing

#endif  // EXECGW_TESTS_ADAPTERS_BLAXEL_BACKEND_FIXTURE_H_

// How ExecutionService hands calls to its workers (worker.h): each call's
// backend operation runs on one worker's loop thread; calls about one
// execution, and creates with one request_id, always meet on the same
// worker; the rest are spread. Real gRPC over loopback, real worker loops
// (CurlHttpClient), backends that answer at once.
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "adapters/backend.h"
#include "adapters/http/curl_http_client.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "gateway/execution_service.h"
#include "gateway/page_token.h"
#include "gateway/worker.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace execgw::gateway {
namespace {

// A backend that answers every call at once and records, per call, the
// key it was about and whether it ran on its worker's loop thread.
class LoopCheckingBackend final : public Backend {
 public:
  explicit LoopCheckingBackend(const EventLoop* loop) : loop_(loop) {}

  const std::string& name() const override { return name_; }
  v1::BackendKind kind() const override { return v1::BACKEND_KIND_BLAXEL; }
  bool deduplicates_creates() const override { return true; }

  void GetExecution(const ExecutionName& name, const CallContext&,
                    Done<v1::Execution> done) override {
    Record(name.ToString());
    v1::Execution e;
    e.set_name(name.ToString());
    std::move(done)(std::move(e));
  }
  void ListExecutions(const ListExecutionsQuery& query, const CallContext&,
                      Done<ExecutionPage> done) override {
    Record(query.parent.ToString());
    std::move(done)(ExecutionPage());
  }
  void ListExecutionTasks(const ListTasksQuery& query, const CallContext&,
                          Done<TaskPage> done) override {
    Record(query.execution.ToString());
    std::move(done)(TaskPage());
  }
  void CreateExecution(const ParentName&, const v1::CreateExecutionRequest& request,
                       const CallContext&, Done<v1::Execution> done) override {
    Record(request.request_id());
    v1::Execution e;
    e.set_name(absl::StrCat(request.parent(), "/executions/", request.request_id()));
    std::move(done)(std::move(e));
  }
  void CancelExecution(const ExecutionName& name, const CallContext&,
                       Done<v1::Execution> done) override {
    Record(name.ToString());
    v1::Execution e;
    e.set_name(name.ToString());
    e.set_state(v1::Execution::STATE_CANCELLING);
    std::move(done)(std::move(e));
  }

  // The keys of the calls this backend served, in order.
  std::vector<std::string> keys() const {
    absl::MutexLock lock(&mu_);
    return keys_;
  }
  int off_loop_calls() const {
    absl::MutexLock lock(&mu_);
    return off_loop_;
  }

 private:
  void Record(std::string key) {
    absl::MutexLock lock(&mu_);
    if (!loop_->IsLoopThread()) ++off_loop_;
    keys_.push_back(std::move(key));
  }

  const std::string name_ = "bx";
  const EventLoop* const loop_;
  mutable absl::Mutex mu_;
  std::vector<std::string> keys_ ABSL_GUARDED_BY(mu_);
  int off_loop_ ABSL_GUARDED_BY(mu_) = 0;
};

class WorkerRoutingTest : public ::testing::Test {
 protected:
  static constexpr int kWorkers = 3;

  void SetUp() override {
    ExecutionService::Dependencies deps;
    for (int i = 0; i < kWorkers; ++i) {
      std::unique_ptr<http::HttpClient> http = http::NewCurlHttpClient();
      auto backend = std::make_unique<LoopCheckingBackend>(&http->loop());
      backends_.push_back(backend.get());
      std::vector<std::unique_ptr<Backend>> list;
      list.push_back(std::move(backend));
      workers_.push_back(std::make_unique<Worker>(
          std::move(http), std::make_unique<BackendRegistry>(std::move(list)),
          CreateDeduplicator::Options()));
      deps.workers.push_back(workers_.back().get());
    }
    deps.page_tokens = &page_tokens_;
    service_ = std::make_unique<ExecutionService>(std::move(deps));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::ExecutionService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    stub_.reset();
    server_->Shutdown();
    server_->Wait();
  }

  // The workers whose backend served a call about `key`.
  std::set<int> WorkersThatServed(const std::string& key) const {
    std::set<int> out;
    for (int i = 0; i < kWorkers; ++i) {
      for (const std::string& k : backends_[i]->keys()) {
        if (k == key) out.insert(i);
      }
    }
    return out;
  }
  // The workers that served any call.
  std::set<int> BusyWorkers() const {
    std::set<int> out;
    for (int i = 0; i < kWorkers; ++i) {
      if (!backends_[i]->keys().empty()) out.insert(i);
    }
    return out;
  }
  int OffLoopCalls() const {
    int n = 0;
    for (const LoopCheckingBackend* b : backends_) n += b->off_loop_calls();
    return n;
  }

  grpc::Status Get(const std::string& name) {
    grpc::ClientContext context;
    v1::GetExecutionRequest request;
    request.set_name(name);
    v1::Execution e;
    return stub_->GetExecution(&context, request, &e);
  }

  PageTokenCodec page_tokens_{std::string(32, 'k'), WallClock()};
  std::vector<LoopCheckingBackend*> backends_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<ExecutionService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::ExecutionService::Stub> stub_;
};

TEST_F(WorkerRoutingTest, CallsAboutOneExecutionAlwaysRunOnTheSameWorkersLoop) {
  const std::string name = "backends/bx/jobs/etl/executions/exec-1";
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Get(name).ok());
    grpc::ClientContext context;
    v1::CancelExecutionRequest cancel;
    cancel.set_name(name);
    v1::Execution e;
    ASSERT_TRUE(stub_->CancelExecution(&context, cancel, &e).ok());
    grpc::ClientContext tasks_context;
    v1::ListExecutionTasksRequest tasks;
    tasks.set_parent(name);
    v1::ListExecutionTasksResponse page;
    ASSERT_TRUE(stub_->ListExecutionTasks(&tasks_context, tasks, &page).ok());
  }
  EXPECT_EQ(WorkersThatServed(name).size(), 1u);
  EXPECT_EQ(BusyWorkers().size(), 1u);
  EXPECT_EQ(OffLoopCalls(), 0);
}

TEST_F(WorkerRoutingTest, DifferentExecutionsAreSpreadOverTheWorkers) {
  for (int i = 0; i < 30; ++i) {
    const std::string name = absl::StrCat("backends/bx/jobs/etl/executions/exec-", i);
    ASSERT_TRUE(Get(name).ok());
    ASSERT_TRUE(Get(name).ok());
    EXPECT_EQ(WorkersThatServed(name).size(), 1u) << name;
  }
  // 30 names hashed to 3 workers: all on one has probability 3^-29.
  EXPECT_GT(BusyWorkers().size(), 1u);
  EXPECT_EQ(OffLoopCalls(), 0);
}

TEST_F(WorkerRoutingTest, CreatesWithOneRequestIdMeetOnOneWorkerOthersAreSpread) {
  auto create = [&](const std::string& request_id) {
    grpc::ClientContext context;
    v1::CreateExecutionRequest request;
    request.set_parent("backends/bx/jobs/etl");
    request.set_request_id(request_id);
    v1::Execution e;
    return stub_->CreateExecution(&context, request, &e);
  };
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(create("req-same").ok());
  EXPECT_EQ(WorkersThatServed("req-same").size(), 1u);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(create("").ok());
  EXPECT_GT(WorkersThatServed("").size(), 1u);
  EXPECT_EQ(OffLoopCalls(), 0);
}

TEST_F(WorkerRoutingTest, ListingsAreSpreadOverTheWorkers) {
  for (int i = 0; i < 30; ++i) {
    grpc::ClientContext context;
    v1::ListExecutionsRequest request;
    request.set_parent("backends/bx/jobs/etl");
    v1::ListExecutionsResponse page;
    ASSERT_TRUE(stub_->ListExecutions(&context, request, &page).ok());
  }
  EXPECT_GT(WorkersThatServed("backends/bx/jobs/etl").size(), 1u);
  EXPECT_EQ(OffLoopCalls(), 0);
}

}  // namespace
}  // namespace execgw::gateway

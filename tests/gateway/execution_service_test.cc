// ExecutionService on its own: a real in-process gRPC server on loopback,
// real channels, and recording backends in place of the adapters, so each
// test sees exactly what reached a backend and answers it by hand.
#include "gateway/execution_service.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/upstream_error.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "gateway/backend_registry.h"
#include "gateway/page_token.h"
#include "gateway/worker.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "tests/gateway/recording_backend.h"
#include "tests/testing/grpc_error_details.h"
#include "tests/testing/raw_grpc_call.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::gateway {
namespace {

using ::execgw::testing::CallExecutionServiceRaw;
using ::execgw::testing::SimulatedEventLoop;

using ::execgw::testing::DetailsOf;
using ::execgw::testing::ErrorDetails;
using testing::ExecutionNamed;
using ::testing::HasSubstr;
using testing::RecordingBackend;

// How long a test waits for what must happen soon.
constexpr absl::Duration kWait = absl::Seconds(10);

// Waits (polling, at most kWait) until `condition` holds.
bool Eventually(const std::function<bool()>& condition) {
  const absl::Time end = absl::Now() + kWait;
  while (!condition()) {
    if (absl::Now() > end) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

// What an RPC in flight has, whatever its messages.
struct RpcBase {
  grpc::ClientContext context;
  grpc::Status status;
  absl::Notification done;

  bool Wait() { return done.WaitForNotificationWithTimeout(kWait); }
};

// One RPC in flight. The fixture keeps it until the call has ended (see
// TearDown), so a test that fails early leaves nothing dangling; its
// completion holds only a pointer to it.
template <typename Request, typename Response>
struct Rpc : RpcBase {
  Request request;
  Response response;
};

constexpr char kBlaxelExecution[] = "backends/bx/jobs/etl/executions/exec-1";
constexpr char kPolosExecution[] = "backends/px/executions/0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a02";

class ExecutionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto bx = std::make_unique<RecordingBackend>("bx", /*deduplicates_creates=*/true);
    auto px = std::make_unique<RecordingBackend>("px", /*deduplicates_creates=*/false);
    bx_ = bx.get();
    px_ = px.get();
    std::vector<std::unique_ptr<Backend>> backends;
    backends.push_back(std::move(bx));
    backends.push_back(std::move(px));
    worker_ = std::make_unique<Worker>(http::NewCurlHttpClient(),
                                       std::make_unique<BackendRegistry>(std::move(backends)),
                                       CreateDeduplicator::Options());
    service_ = std::make_unique<ExecutionService>(
        ExecutionService::Dependencies{{worker_.get()}, &page_tokens_});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    stub_ = v1::ExecutionService::NewStub(channel_);
  }

  void TearDown() override {
    // Calls a test left pending end, so that the server can shut down.
    for (RecordingBackend* b : {bx_, px_}) b->FailPending(absl::CancelledError("test over"));
    // Every call ends, and is destroyed here on the test's thread, before the
    // channel is released: each ClientContext holds a reference to the
    // Channel, and a completion runs on a gRPC callback thread, which must
    // not drop the last one. With gRPC 1.51 that thread would then shut down
    // and free the shared callback completion queue it polls (once the
    // server has let go of it) and abort on its next poll
    // (`ref_counted.h: prior > 0`).
    for (const std::shared_ptr<RpcBase>& rpc : rpcs_) {
      if (!rpc->Wait()) {
        rpc->context.TryCancel();
        rpc->done.WaitForNotification();
      }
    }
    rpcs_.clear();
    stub_.reset();
    channel_.reset();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + kWait));
    server_->Wait();
  }

  // Starts an RPC; `invoke(async, context, request, response, done)` calls
  // one method of the stub's callback API.
  template <typename Response, typename Request, typename Invoke>
  std::shared_ptr<Rpc<Request, Response>> Start(Request request, Invoke invoke,
                                                absl::Duration timeout = absl::Seconds(30)) {
    auto rpc = std::make_shared<Rpc<Request, Response>>();
    rpcs_.push_back(rpc);
    rpc->request = std::move(request);
    if (timeout != absl::InfiniteDuration()) {
      rpc->context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    }
    invoke(stub_->async(), &rpc->context, &rpc->request, &rpc->response,
           [rpc = rpc.get()](grpc::Status s) {
             rpc->status = std::move(s);
             rpc->done.Notify();  // the last use of `rpc` here: TearDown may destroy it
           });
    return rpc;
  }

  auto StartGet(const std::string& name, absl::Duration timeout = absl::Seconds(30)) {
    v1::GetExecutionRequest request;
    request.set_name(name);
    return Start<v1::Execution>(
        std::move(request),
        [](auto* a, auto* c, auto* q, auto* p, auto d) { a->GetExecution(c, q, p, d); }, timeout);
  }
  auto StartCancel(const std::string& name) {
    v1::CancelExecutionRequest request;
    request.set_name(name);
    return Start<v1::Execution>(std::move(request), [](auto* a, auto* c, auto* q, auto* p, auto d) {
      a->CancelExecution(c, q, p, d);
    });
  }
  auto StartCreate(v1::CreateExecutionRequest request) {
    return Start<v1::Execution>(std::move(request), [](auto* a, auto* c, auto* q, auto* p, auto d) {
      a->CreateExecution(c, q, p, d);
    });
  }
  auto StartList(v1::ListExecutionsRequest request) {
    return Start<v1::ListExecutionsResponse>(
        std::move(request),
        [](auto* a, auto* c, auto* q, auto* p, auto d) { a->ListExecutions(c, q, p, d); });
  }
  auto StartTasks(v1::ListExecutionTasksRequest request) {
    return Start<v1::ListExecutionTasksResponse>(
        std::move(request),
        [](auto* a, auto* c, auto* q, auto* p, auto d) { a->ListExecutionTasks(c, q, p, d); });
  }

  static v1::ListExecutionsRequest ListRequest(const std::string& parent,
                                               const std::string& page_token = "",
                                               const std::string& filter = "") {
    v1::ListExecutionsRequest request;
    request.set_parent(parent);
    request.set_page_token(page_token);
    request.set_filter(filter);
    return request;
  }

  // Sends `bytes` as the request message of `method`.
  grpc::Status CallRaw(const std::string& method, const std::string& bytes) {
    return CallExecutionServiceRaw(channel_, method, bytes, kWait);
  }

  size_t BackendCalls() const { return bx_->calls() + px_->calls(); }

  SimulatedEventLoop clock_;
  PageTokenCodec page_tokens_{std::string(32, 'k'), &clock_};
  RecordingBackend* bx_ = nullptr;
  RecordingBackend* px_ = nullptr;
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<ExecutionService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ExecutionService::Stub> stub_;
  std::vector<std::shared_ptr<RpcBase>> rpcs_;  // every RPC started, until TearDown
};

// ------------------------------------------------------------------ routing

TEST_F(ExecutionServiceTest, GetGoesToTheBackendItsNameNamesAndAnswersItsExecution) {
  struct Case {
    const char* name;
    RecordingBackend* to;
    RecordingBackend* not_to;
    ExecutionName parsed;
  };
  const Case cases[] = {
      {kBlaxelExecution, bx_, px_, {"bx", "etl", "exec-1"}},
      {kPolosExecution, px_, bx_, {"px", "", "0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a02"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const size_t elsewhere = c.not_to->gets().size();
    auto rpc = StartGet(c.name);
    ASSERT_TRUE(Eventually([&] { return c.to->gets().size() == 1; }));
    EXPECT_EQ(c.to->gets()[0].name, c.parsed);
    v1::Execution answer = ExecutionNamed(c.name, v1::Execution::STATE_SUCCEEDED);
    answer.set_raw_status("done, really");
    c.to->CompleteGet(0, answer);
    ASSERT_TRUE(rpc->Wait());
    ASSERT_TRUE(rpc->status.ok()) << rpc->status.error_message();
    EXPECT_EQ(rpc->response.SerializeAsString(), answer.SerializeAsString());
    EXPECT_EQ(c.not_to->gets().size(), elsewhere);
  }
}

TEST_F(ExecutionServiceTest, EveryMethodGoesToTheBackendItsNameOrParentNames) {
  v1::CreateExecutionRequest create;
  create.set_parent("backends/px/workflows/wf");
  auto created = StartCreate(create);
  ASSERT_TRUE(Eventually([&] { return px_->creates().size() == 1; }));
  EXPECT_EQ(px_->creates()[0].parent, (ParentName{"px", "", "wf"}));
  px_->CompleteCreate(0, ExecutionNamed(kPolosExecution, v1::Execution::STATE_QUEUED));

  auto cancelled = StartCancel(kBlaxelExecution);
  ASSERT_TRUE(Eventually([&] { return bx_->cancels().size() == 1; }));
  EXPECT_EQ(bx_->cancels()[0].name, (ExecutionName{"bx", "etl", "exec-1"}));
  bx_->CompleteCancel(0, ExecutionNamed(kBlaxelExecution, v1::Execution::STATE_CANCELLING));

  auto listed = StartList(ListRequest("backends/bx/jobs/etl"));
  ASSERT_TRUE(Eventually([&] { return bx_->lists().size() == 1; }));
  EXPECT_EQ(bx_->lists()[0].query.parent, (ParentName{"bx", "etl", ""}));
  ExecutionPage page;
  page.executions.push_back(ExecutionNamed(kBlaxelExecution));
  page.total_size = 1;
  bx_->CompleteList(0, page);

  v1::ListExecutionTasksRequest tasks;
  tasks.set_parent(kPolosExecution);
  auto tasked = StartTasks(tasks);
  ASSERT_TRUE(Eventually([&] { return px_->tasks().size() == 1; }));
  EXPECT_EQ(px_->tasks()[0].query.execution.backend, "px");
  px_->CompleteTasks(0, TaskPage{});

  for (auto* done : {&created->done, &cancelled->done, &listed->done, &tasked->done}) {
    ASSERT_TRUE(done->WaitForNotificationWithTimeout(kWait));
  }
  ASSERT_TRUE(created->status.ok()) << created->status.error_message();
  EXPECT_EQ(created->response.state(), v1::Execution::STATE_QUEUED);
  ASSERT_TRUE(cancelled->status.ok()) << cancelled->status.error_message();
  EXPECT_EQ(cancelled->response.state(), v1::Execution::STATE_CANCELLING);
  ASSERT_TRUE(listed->status.ok()) << listed->status.error_message();
  ASSERT_EQ(listed->response.executions_size(), 1);
  EXPECT_EQ(listed->response.executions(0).name(), kBlaxelExecution);
  EXPECT_EQ(listed->response.total_size(), 1);
  EXPECT_TRUE(tasked->status.ok()) << tasked->status.error_message();
  EXPECT_TRUE(bx_->gets().empty() && px_->gets().empty());
  EXPECT_TRUE(bx_->creates().empty() && px_->cancels().empty() && px_->lists().empty());
}

TEST_F(ExecutionServiceTest, ABackendsErrorReachesTheCallerWithItsDetails) {
  auto rpc = StartGet(kBlaxelExecution);
  ASSERT_TRUE(Eventually([&] { return bx_->gets().size() == 1; }));
  bx_->CompleteGet(0, MakeError(absl::StatusCode::kFailedPrecondition, "it is finished",
                                "SOME_REASON", {{"backend", "bx"}}));
  ASSERT_TRUE(rpc->Wait());
  EXPECT_EQ(rpc->status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(rpc->status.error_message(), "it is finished");
  ErrorDetails details = DetailsOf(rpc->status);
  ASSERT_TRUE(details.has_error_info);
  EXPECT_EQ(details.error_info.reason(), "SOME_REASON");
  EXPECT_EQ(details.error_info.metadata().at("backend"), "bx");
}

TEST_F(ExecutionServiceTest, AnUnconfiguredBackendIsNotFoundOnEveryMethodAndCallsNoBackend) {
  std::vector<grpc::Status> answers;
  auto get = StartGet("backends/nope/executions/e");
  auto cancel = StartCancel("backends/nope/jobs/j/executions/e");
  v1::CreateExecutionRequest create;
  create.set_parent("backends/nope/jobs/j");
  auto created = StartCreate(create);
  auto listed = StartList(ListRequest("backends/nope"));
  v1::ListExecutionTasksRequest tasks;
  tasks.set_parent("backends/nope/jobs/j/executions/e");
  auto tasked = StartTasks(tasks);
  for (auto* done : {&get->done, &cancel->done, &created->done, &listed->done, &tasked->done}) {
    ASSERT_TRUE(done->WaitForNotificationWithTimeout(kWait));
  }
  for (const grpc::Status* s :
       {&get->status, &cancel->status, &created->status, &listed->status, &tasked->status}) {
    EXPECT_EQ(s->error_code(), grpc::StatusCode::NOT_FOUND) << s->error_message();
    EXPECT_THAT(s->error_message(), HasSubstr("backend \"nope\" is not configured"));
    EXPECT_THAT(s->error_message(), HasSubstr("configured: bx, px"));
    EXPECT_EQ(DetailsOf(*s).error_info.reason(), reason::kBackendNotConfigured);
  }
  EXPECT_EQ(BackendCalls(), 0u);
}

TEST_F(ExecutionServiceTest, TheCallersDeadlineReachesTheBackend) {
  const absl::Time before = absl::Now();
  auto with_deadline = StartCancel(kBlaxelExecution);  // 30 s
  auto without = StartGet(kBlaxelExecution, absl::InfiniteDuration());
  ASSERT_TRUE(Eventually([&] { return bx_->cancels().size() == 1 && bx_->gets().size() == 1; }));
  const absl::Time deadline = bx_->cancels()[0].context.deadline;
  EXPECT_GE(deadline, before + absl::Seconds(29));
  EXPECT_LE(deadline, absl::Now() + absl::Seconds(31));  // gRPC rounds timeouts up
  EXPECT_EQ(bx_->gets()[0].context.deadline, absl::InfiniteFuture());
}

// --------------------------------------------------------------- validation

TEST_F(ExecutionServiceTest, InvalidRequestsNameTheFieldAndCallNoBackend) {
  struct Case {
    std::string label;
    std::function<grpc::Status()> call;
    std::string field;
  };
  auto wait = [](auto rpc) {
    if (!rpc->Wait()) return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "gave up");
    return rpc->status;
  };
  auto create = [&](const std::string& parent, const std::string& request_id) {
    v1::CreateExecutionRequest r;
    r.set_parent(parent);
    r.set_request_id(request_id);
    return wait(StartCreate(r));
  };
  auto tasks = [&](const std::string& parent, int page_size) {
    v1::ListExecutionTasksRequest r;
    r.set_parent(parent);
    r.set_page_size(page_size);
    return wait(StartTasks(r));
  };
  auto list = [&](v1::ListExecutionsRequest r) { return wait(StartList(std::move(r))); };
  v1::ListExecutionsRequest negative = ListRequest("backends/bx/jobs/etl");
  negative.set_page_size(-1);
  v1::ListExecutionsRequest unordered = ListRequest("backends/bx/jobs/etl");
  unordered.set_order_by("priority desc");
  const std::vector<Case> cases = {
      {"get without a name", [&] { return wait(StartGet("")); }, "name"},
      {"get of a parent", [&] { return wait(StartGet("backends/bx/jobs/etl")); }, "name"},
      {"cancel of junk", [&] { return wait(StartCancel("executions/x")); }, "name"},
      {"create under a whole backend", [&] { return create("backends/px", ""); }, "parent"},
      {"create under junk", [&] { return create("jobs/etl", ""); }, "parent"},
      {"request_id with a slash", [&] { return create("backends/px/workflows/w", "a/b"); },
       "request_id"},
      {"request_id too long",
       [&] { return create("backends/px/workflows/w", std::string(129, 'r')); }, "request_id"},
      {"request_id ..", [&] { return create("backends/px/workflows/w", ".."); }, "request_id"},
      {"list without a parent", [&] { return list(ListRequest("")); }, "parent"},
      {"list with a bad filter",
       [&] { return list(ListRequest("backends/bx/jobs/etl", "", "state = NOPE")); }, "filter"},
      {"list with a negative page_size", [&] { return list(negative); }, "page_size"},
      {"list with an unknown order", [&] { return list(unordered); }, "order_by"},
      {"list with a forged token",
       [&] { return list(ListRequest("backends/bx/jobs/etl", "bm90LWEtdG9rZW4")); }, "page_token"},
      {"tasks of a job", [&] { return tasks("backends/bx/jobs/etl", 0); }, "parent"},
      {"tasks with a negative page_size", [&] { return tasks(kBlaxelExecution, -3); }, "page_size"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    grpc::Status s = c.call();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(s.error_message().rfind(c.field + ": ", 0), 0u) << s.error_message();
    ErrorDetails details = DetailsOf(s);
    ASSERT_TRUE(details.has_bad_request) << s.error_message();
    ASSERT_EQ(details.bad_request.field_violations_size(), 1);
    EXPECT_EQ(details.bad_request.field_violations(0).field(), c.field);
  }
  EXPECT_EQ(BackendCalls(), 0u);
}

TEST_F(ExecutionServiceTest, UnparsableRequestsAreInvalidArgumentNamingTheirType) {
  const std::string garbage("\xff\xff\xff\xff", 4);
  for (const auto& [method, type] : ::execgw::testing::kExecutionServiceMethods) {
    SCOPED_TRACE(method);
    grpc::Status s = CallRaw(method, garbage);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat("could not be parsed as a ", type)));
    EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("\xff")));
    ErrorDetails details = DetailsOf(s);
    ASSERT_TRUE(details.has_error_info);
    EXPECT_EQ(details.error_info.reason(), reason::kInvalidArgument);
    EXPECT_EQ(details.error_info.metadata().at("message_type"), type);
  }
  EXPECT_EQ(BackendCalls(), 0u);
}

TEST_F(ExecutionServiceTest, WatchRefusesABadRequestNamingTheFieldBeforeAnyBackendCall) {
  struct Case {
    std::string name;
    std::string etag;
    int64_t heartbeat_seconds;  // -1: unset
    grpc::StatusCode code;
    std::string message_prefix;
  };
  const std::vector<Case> cases = {
      {"", "", -1, grpc::StatusCode::INVALID_ARGUMENT, "name: "},
      {kPolosExecution, std::string(129, 'e'), -1, grpc::StatusCode::INVALID_ARGUMENT, "etag: "},
      {kPolosExecution, "", 3601, grpc::StatusCode::INVALID_ARGUMENT, "heartbeat_interval: "},
      {kPolosExecution, "", -5, grpc::StatusCode::INVALID_ARGUMENT, "heartbeat_interval: "},
      {"backends/nope/executions/x", "", -1, grpc::StatusCode::NOT_FOUND, "backend \"nope\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message_prefix);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kWait));
    v1::WatchExecutionRequest request;
    request.set_name(c.name);
    request.set_etag(c.etag);
    if (c.heartbeat_seconds != -1)
      request.mutable_heartbeat_interval()->set_seconds(c.heartbeat_seconds);
    auto reader = stub_->WatchExecution(&context, request);
    v1::WatchExecutionResponse response;
    EXPECT_FALSE(reader->Read(&response));
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), c.code) << s.error_message();
    EXPECT_EQ(s.error_message().rfind(c.message_prefix, 0), 0u) << s.error_message();
  }
  EXPECT_EQ(BackendCalls(), 0u);
}

// -------------------------------------------------------------- page tokens

TEST_F(ExecutionServiceTest, TheNextPositionIsSealedInAPageTokenThatBringsItBack) {
  auto first = StartList(ListRequest("backends/bx/jobs/etl", "", "state = RUNNING"));
  ASSERT_TRUE(Eventually([&] { return bx_->lists().size() == 1; }));
  EXPECT_EQ(bx_->lists()[0].query.position, UpstreamPosition{});
  const UpstreamPosition next = std::string("upstream-cursor-42\0\x01", 20);
  ExecutionPage page;
  page.executions.push_back(ExecutionNamed(kBlaxelExecution));
  page.next = next;
  page.total_size = 7;
  bx_->CompleteList(0, page);
  ASSERT_TRUE(first->Wait());
  ASSERT_TRUE(first->status.ok()) << first->status.error_message();
  const std::string token = first->response.next_page_token();
  ASSERT_FALSE(token.empty());
  EXPECT_THAT(token, ::testing::Not(HasSubstr("upstream-cursor-42")));  // sealed, not raw
  EXPECT_EQ(first->response.total_size(), 7);

  auto second = StartList(ListRequest("backends/bx/jobs/etl", token, "state = RUNNING"));
  ASSERT_TRUE(Eventually([&] { return bx_->lists().size() == 2; }));
  EXPECT_EQ(bx_->lists()[1].query.position, next);
  bx_->CompleteList(1, ExecutionPage{});  // the last page
  ASSERT_TRUE(second->Wait());
  ASSERT_TRUE(second->status.ok()) << second->status.error_message();
  EXPECT_EQ(second->response.next_page_token(), "");
}

TEST_F(ExecutionServiceTest, APageTokenServesOnlyItsOwnQueryAndOnlyUntilItExpires) {
  auto first = StartList(ListRequest("backends/bx/jobs/etl", "", "state = RUNNING"));
  ASSERT_TRUE(Eventually([&] { return bx_->lists().size() == 1; }));
  ExecutionPage page;
  page.next = UpstreamPosition("c");
  bx_->CompleteList(0, page);
  ASSERT_TRUE(first->Wait());
  const std::string token = first->response.next_page_token();
  ASSERT_FALSE(token.empty());

  std::string altered = token;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  v1::ListExecutionTasksRequest tasks;
  tasks.set_parent(kBlaxelExecution);
  tasks.set_page_token(token);
  struct Case {
    std::string label;
    grpc::Status status;
    std::string message;
  };
  auto status_of = [](auto rpc) {
    return rpc->Wait() ? rpc->status : grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "");
  };
  std::vector<Case> cases = {
      {"another filter",
       status_of(StartList(ListRequest("backends/bx/jobs/etl", token, "state = QUEUED"))),
       "page_token: was issued for a different query"},
      {"another parent",
       status_of(StartList(ListRequest("backends/bx/jobs/other", token, "state = RUNNING"))),
       "page_token: was issued for a different query"},
      {"the tasks of an execution", status_of(StartTasks(tasks)),
       "page_token: was issued for a different query"},
      {"altered",
       status_of(StartList(ListRequest("backends/bx/jobs/etl", altered, "state = RUNNING"))),
       "page_token: is not a valid page token"},
  };
  clock_.Advance(absl::Hours(24) + absl::Seconds(1));
  cases.push_back(
      {"expired",
       status_of(StartList(ListRequest("backends/bx/jobs/etl", token, "state = RUNNING"))),
       "page_token: has expired"});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    EXPECT_EQ(c.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(c.status.error_message(), HasSubstr(c.message));
    EXPECT_EQ(DetailsOf(c.status).error_info.reason(), reason::kInvalidPageToken);
  }
  EXPECT_EQ(bx_->lists().size(), 1u);  // none reached the backend
  EXPECT_TRUE(bx_->tasks().empty());
}

TEST_F(ExecutionServiceTest, TaskPagesSealTheirPositionForTheirExecutionOnly) {
  v1::ListExecutionTasksRequest request;
  request.set_parent(kBlaxelExecution);
  auto first = StartTasks(request);
  ASSERT_TRUE(Eventually([&] { return bx_->tasks().size() == 1; }));
  TaskPage page;
  const UpstreamPosition next = "offset 20";
  page.next = next;
  page.total_size = 40;
  bx_->CompleteTasks(0, page);
  ASSERT_TRUE(first->Wait());
  ASSERT_TRUE(first->status.ok()) << first->status.error_message();
  ASSERT_FALSE(first->response.next_page_token().empty());
  EXPECT_EQ(first->response.total_size(), 40);

  request.set_page_token(first->response.next_page_token());
  auto second = StartTasks(request);
  ASSERT_TRUE(Eventually([&] { return bx_->tasks().size() == 2; }));
  EXPECT_EQ(bx_->tasks()[1].query.position, next);
  bx_->CompleteTasks(1, TaskPage{});
  ASSERT_TRUE(second->Wait());

  request.set_parent("backends/bx/jobs/etl/executions/exec-2");
  auto other = StartTasks(request);
  ASSERT_TRUE(other->Wait());
  EXPECT_EQ(other->status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(DetailsOf(other->status).error_info.reason(), reason::kInvalidPageToken);
  EXPECT_EQ(bx_->tasks().size(), 2u);
}

TEST_F(ExecutionServiceTest, APositionTooLongToSealIsAnInvalidUpstreamAnswer) {
  auto rpc = StartList(ListRequest("backends/bx/jobs/etl"));
  ASSERT_TRUE(Eventually([&] { return bx_->lists().size() == 1; }));
  ExecutionPage page;
  page.executions.push_back(ExecutionNamed(kBlaxelExecution));
  page.next = UpstreamPosition(PageTokenCodec::kMaxPositionSize + 1, 'c');
  bx_->CompleteList(0, page);
  ASSERT_TRUE(rpc->Wait());
  EXPECT_FALSE(rpc->status.ok());  // never a page whose next page cannot be reached
  EXPECT_EQ(DetailsOf(rpc->status).error_info.reason(), reason::kUpstreamInvalidResponse);
  EXPECT_THAT(rpc->status.error_message(), HasSubstr("a paging position longer than 8448 bytes"));
}

TEST_F(ExecutionServiceTest, TotalSizeIsClampedToTheProtosRange) {
  const std::pair<int64_t, int32_t> cases[] = {
      {int64_t{1} << 40, INT32_MAX}, {-1, -1}, {-9, -1}, {12, 12}};
  size_t i = 0;
  for (const auto& [total, shown] : cases) {
    SCOPED_TRACE(total);
    auto rpc = StartList(ListRequest("backends/bx/jobs/etl"));
    ASSERT_TRUE(Eventually([&] { return bx_->lists().size() == i + 1; }));
    ExecutionPage page;
    page.total_size = total;
    bx_->CompleteList(i++, page);
    ASSERT_TRUE(rpc->Wait());
    ASSERT_TRUE(rpc->status.ok()) << rpc->status.error_message();
    EXPECT_EQ(rpc->response.total_size(), shown);
  }
}

// ------------------------------------------------------------- cancellation

// Each method, whether it reaches its backend directly (list, tasks,
// cancel, a Blaxel create) or through call sharing (get, a Polos create
// with a request_id): the caller going away fires the Cancellation in the
// backend's CallContext, and the caller is answered CANCELLED at once.
TEST_F(ExecutionServiceTest, ACallersCancellationReachesTheBackendsCallContext) {
  struct Case {
    std::string label;
    std::function<grpc::ClientContext*()> start;
    std::function<std::vector<CallContext>()> received;
  };
  // The callers' answers, each waited for (at most kWait).
  std::vector<std::function<grpc::Status()>> answers;
  auto keep = [&](auto rpc) {
    answers.push_back([rpc] {
      return rpc->Wait() ? rpc->status : grpc::Status(grpc::StatusCode::UNKNOWN, "no answer");
    });
    return &rpc->context;
  };
  auto contexts = [](const auto& calls) {
    std::vector<CallContext> out;
    for (const auto& c : calls) out.push_back(c.context);
    return out;
  };
  v1::CreateExecutionRequest polos_create;
  polos_create.set_parent("backends/px/workflows/wf");
  polos_create.set_request_id("retry-safe-1");
  v1::CreateExecutionRequest blaxel_create;
  blaxel_create.set_parent("backends/bx/jobs/etl");
  v1::ListExecutionTasksRequest tasks;
  tasks.set_parent(kBlaxelExecution);
  const std::vector<Case> cases = {
      {"get", [&] { return keep(StartGet(kBlaxelExecution)); },
       [&] { return contexts(bx_->gets()); }},
      {"list", [&] { return keep(StartList(ListRequest("backends/bx/jobs/etl"))); },
       [&] { return contexts(bx_->lists()); }},
      {"tasks", [&] { return keep(StartTasks(tasks)); }, [&] { return contexts(bx_->tasks()); }},
      {"cancel", [&] { return keep(StartCancel(kPolosExecution)); },
       [&] { return contexts(px_->cancels()); }},
      {"deduplicated create", [&] { return keep(StartCreate(polos_create)); },
       [&] { return contexts(px_->creates()); }},
      {"create", [&] { return keep(StartCreate(blaxel_create)); },
       [&] { return contexts(bx_->creates()); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    grpc::ClientContext* client = c.start();
    ASSERT_TRUE(Eventually([&] { return c.received().size() == 1; }));
    std::shared_ptr<Cancellation> cancellation = c.received()[0].cancellation;
    ASSERT_NE(cancellation, nullptr);
    EXPECT_FALSE(cancellation->cancelled());
    client->TryCancel();
    EXPECT_TRUE(Eventually([&] { return cancellation->cancelled(); }));
  }
  // Every caller was answered CANCELLED, though no backend has answered.
  ASSERT_EQ(answers.size(), cases.size());
  for (const auto& answer : answers) {
    EXPECT_EQ(answer().error_code(), grpc::StatusCode::CANCELLED);
  }
}

TEST_F(ExecutionServiceTest, TheCallersDeadlineFiresTheBackendsCancellation) {
  auto rpc = StartGet(kBlaxelExecution, absl::Milliseconds(300));
  ASSERT_TRUE(Eventually([&] { return bx_->gets().size() == 1; }));
  std::shared_ptr<Cancellation> cancellation = bx_->gets()[0].context.cancellation;
  ASSERT_NE(cancellation, nullptr);
  ASSERT_TRUE(rpc->Wait());
  EXPECT_EQ(rpc->status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(Eventually([&] { return cancellation->cancelled(); }));
  // The backend's late answer goes nowhere and breaks nothing.
  bx_->CompleteGet(0, ExecutionNamed(kBlaxelExecution));
}

}  // namespace
}  // namespace execgw::gateway

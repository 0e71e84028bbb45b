// ListExecutions, ListExecutionTasks, CreateExecution and CancelExecution end
// to end: gRPC client -> execgw -> adapters -> HTTP -> simulators.
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/upstream_time.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"

namespace execgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kJobParent = "backends/bx/jobs/etl";
const std::string kWorkflowParent = "backends/px/workflows/ingest";

class UnaryRpcsTest : public ::testing::Test {
 protected:
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(20)) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return c;
  }

  grpc::Status List(v1::ListExecutionsRequest request, v1::ListExecutionsResponse* out) {
    return h_.stub().ListExecutions(Context().get(), request, out);
  }

  // Pages through `parent` to the end, calling `between` after each page.
  std::vector<std::string> ListAll(const std::string& parent, int page_size,
                                   const std::string& filter = "", const std::string& order_by = "",
                                   const std::function<void()>& between = nullptr,
                                   int* pages = nullptr) {
    std::vector<std::string> names;
    v1::ListExecutionsRequest request;
    request.set_parent(parent);
    request.set_page_size(page_size);
    request.set_filter(filter);
    request.set_order_by(order_by);
    int n = 0;
    do {
      v1::ListExecutionsResponse response;
      grpc::Status s = List(request, &response);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      EXPECT_LE(response.executions_size(), page_size);
      for (const auto& e : response.executions()) names.push_back(e.name());
      request.set_page_token(response.next_page_token());
      ++n;
      if (between) between();
    } while (!request.page_token().empty() && n < 10000);
    if (pages != nullptr) *pages = n;
    return names;
  }

  GatewayHarness h_;
};

// ---------------------------------------------------------------- listing

TEST_F(UnaryRpcsTest, BlaxelPagesThroughMoreThanAThousandWhileNewOnesArrive) {
  const absl::Time t0 = h_.clock().Now() - absl::Hours(24);
  std::set<std::string> expected;
  for (int i = 0; i < 1050; ++i) {
    const std::string id = absl::StrCat("exec-", 100000 + i);
    h_.blaxel().PutExecution("etl", id, blaxel::SimulatedScenario::kSucceed, t0 + absl::Seconds(i),
                             1);
    expected.insert(absl::StrCat(kJobParent, "/executions/", id));
  }
  int added = 0;
  int pages = 0;
  std::vector<std::string> names = ListAll(
      kJobParent, 100, "", "",
      [&] {
        // Newer executions appear between pages; with newest-first paging
        // they must neither shift the pages nor show up twice.
        h_.blaxel().PutExecution("etl", absl::StrCat("exec-new-", added++),
                                 blaxel::SimulatedScenario::kSucceed, h_.clock().Now(), 1);
      },
      &pages);
  std::set<std::string> seen(names.begin(), names.end());
  EXPECT_EQ(seen.size(), names.size()) << "duplicates across pages";
  for (const auto& name : expected) EXPECT_TRUE(seen.count(name)) << "gap: " << name;
  EXPECT_GE(pages, 11);
}

TEST_F(UnaryRpcsTest, PolosPagesThroughMoreThanAThousandWhileNewOnesArrive) {
  const auto ids = h_.polos().AddExecutions("ingest", 1050, h_.clock().Now() - absl::Hours(24),
                                            absl::Seconds(1));
  std::set<std::string> expected;
  for (const auto& id : ids) expected.insert(absl::StrCat("backends/px/executions/", id));
  std::vector<std::string> names = ListAll(kWorkflowParent, 100, "", "", [&] {
    polos::NewExecution n;
    n.workflow_id = "ingest";
    h_.polos().AddExecution(n);
    h_.clock().Advance(absl::Milliseconds(10));
  });
  std::set<std::string> seen(names.begin(), names.end());
  EXPECT_EQ(seen.size(), names.size()) << "duplicates across pages";
  for (const auto& name : expected) EXPECT_TRUE(seen.count(name)) << "gap: " << name;
}

TEST_F(UnaryRpcsTest, BlaxelOrderTotalAndStateFilter) {
  const absl::Time t0 = h_.clock().Now() - absl::Hours(3);
  for (int i = 0; i < 12; ++i) {
    h_.blaxel().PutExecution("etl", absl::StrCat("exec-old-", i),
                             blaxel::SimulatedScenario::kSucceed, t0 + absl::Minutes(i), 1);
  }
  for (int i = 0; i < 5; ++i) {
    h_.blaxel().PutExecution("etl", absl::StrCat("exec-now-", i),
                             blaxel::SimulatedScenario::kSucceed, h_.clock().Now(), 1);
  }
  v1::ListExecutionsRequest request;
  request.set_parent(kJobParent);
  request.set_order_by("create_time asc");
  request.set_page_size(5);
  v1::ListExecutionsResponse response;
  ASSERT_TRUE(List(request, &response).ok());
  EXPECT_EQ(response.total_size(), 17);
  ASSERT_EQ(response.executions_size(), 5);
  for (int i = 1; i < 5; ++i) {
    EXPECT_LE(response.executions(i - 1).create_time().seconds(),
              response.executions(i).create_time().seconds());
  }
  auto queued = ListAll(kJobParent, 7, "state = STATE_QUEUED");
  EXPECT_EQ(queued.size(), 5u);
  for (const auto& n : queued) EXPECT_THAT(n, HasSubstr("exec-now-"));
  auto done = ListAll(kJobParent, 7, "(state = SUCCEEDED OR state = FAILED)");
  EXPECT_EQ(done.size(), 12u);
  auto recent =
      ListAll(kJobParent, 7,
              absl::StrCat("create_time >= \"", FormatRfc3339(t0 + absl::Minutes(10)), "\""));
  EXPECT_EQ(recent.size(), 7u);  // old-10, old-11 and the five new ones
}

TEST_F(UnaryRpcsTest, PolosWholeBackendAndWorkflowParents) {
  h_.polos().AddExecutions("ingest", 3, h_.clock().Now() - absl::Hours(1), absl::Seconds(1));
  h_.polos().AddExecutions("report", 2, h_.clock().Now() - absl::Hours(1), absl::Seconds(1));
  EXPECT_EQ(ListAll(kWorkflowParent, 10).size(), 3u);
  EXPECT_EQ(ListAll("backends/px/workflows/report", 10).size(), 2u);
  EXPECT_EQ(ListAll("backends/px", 10).size(), 5u);
  v1::ListExecutionsRequest request;
  request.set_parent("backends/px");
  request.set_order_by("create_time asc");
  v1::ListExecutionsResponse response;
  grpc::Status s = List(request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("order_by"));
}

TEST_F(UnaryRpcsTest, TamperedOrReplayedPageTokensNeverReachTheUpstream) {
  for (int i = 0; i < 30; ++i) {
    h_.blaxel().PutExecution("etl", absl::StrCat("exec-", i), blaxel::SimulatedScenario::kSucceed,
                             h_.clock().Now() - absl::Minutes(i), 1);
  }
  v1::ListExecutionsRequest request;
  request.set_parent(kJobParent);
  request.set_page_size(10);
  v1::ListExecutionsResponse first;
  ASSERT_TRUE(List(request, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  const int lists_before = h_.blaxel().request_count("list");

  const std::string token = first.next_page_token();
  for (size_t i = 0; i < token.size(); i += 3) {
    std::string forged = token;
    forged[i] = forged[i] == 'A' ? 'B' : 'A';
    request.set_page_token(forged);
    v1::ListExecutionsResponse r;
    grpc::Status s = List(request, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << i;
    EXPECT_EQ(DetailsOf(s).error_info.reason(), "INVALID_PAGE_TOKEN") << i;
  }
  request.set_page_token("not-a-token");
  v1::ListExecutionsResponse r;
  EXPECT_EQ(List(request, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // The genuine token replayed with another query.
  request.set_page_token(token);
  request.set_filter("state = STATE_RUNNING");
  grpc::Status replay = List(request, &r);
  EXPECT_EQ(replay.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(replay.error_message(), HasSubstr("different query"));
  request.set_filter("");
  request.set_parent("backends/bx/jobs/other");
  EXPECT_EQ(List(request, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.set_parent(kJobParent);
  request.set_order_by("create_time asc");
  EXPECT_EQ(List(request, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  EXPECT_EQ(h_.blaxel().request_count("list"), lists_before) << "a bad token reached Blaxel";

  // A different page size is the same query: allowed.
  request.set_order_by("");
  request.set_page_size(20);
  ASSERT_TRUE(List(request, &r).ok());
  EXPECT_EQ(r.executions_size(), 20);
}

TEST_F(UnaryRpcsTest, BadListRequests) {
  struct Case {
    std::string parent, filter, order_by;
    int page_size;
    const char* fragment;
  };
  const Case cases[] = {
      {"", "", "", 0, "parent"},
      {"backends/bx", "", "", 0, "parent"},
      {"backends/px/jobs/etl", "", "", 0, "parent"},
      {kJobParent, "state = SLEEPING", "", 0, "filter"},
      {kJobParent, "", "name desc", 0, "order_by"},
      {kJobParent, "", "", -1, "page_size"},
      {"backends/nope/jobs/etl", "", "", 0, "nope"},
  };
  for (const auto& c : cases) {
    v1::ListExecutionsRequest request;
    request.set_parent(c.parent);
    request.set_filter(c.filter);
    request.set_order_by(c.order_by);
    request.set_page_size(c.page_size);
    v1::ListExecutionsResponse r;
    grpc::Status s = List(request, &r);
    EXPECT_FALSE(s.ok()) << c.fragment;
    EXPECT_THAT(s.error_message(), HasSubstr(c.fragment));
  }
}

// ---------------------------------------------------------------- tasks

TEST_F(UnaryRpcsTest, BlaxelTasksArePaged) {
  h_.blaxel().PutExecution("etl", "exec-many", blaxel::SimulatedScenario::kSucceed,
                           h_.clock().Now() - absl::Hours(1), 120);
  v1::ListExecutionTasksRequest request;
  request.set_parent("backends/bx/jobs/etl/executions/exec-many");
  std::set<std::string> names;
  int pages = 0;
  do {
    v1::ListExecutionTasksResponse response;
    grpc::Status s = h_.stub().ListExecutionTasks(Context().get(), request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_LE(response.tasks_size(), 50);
    for (const auto& t : response.tasks()) names.insert(t.name());
    request.set_page_token(response.next_page_token());
    ++pages;
  } while (!request.page_token().empty());
  EXPECT_EQ(names.size(), 120u);
  EXPECT_EQ(pages, 3);
}

TEST_F(UnaryRpcsTest, PolosTasksAreFailedPreconditionEveryTime) {
  polos::NewExecution n;
  n.id = "0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a01";
  h_.polos().AddExecution(n);
  for (int i = 0; i < 2; ++i) {
    v1::ListExecutionTasksRequest request;
    request.set_parent("backends/px/executions/0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a01");
    v1::ListExecutionTasksResponse response;
    grpc::Status s = h_.stub().ListExecutionTasks(Context().get(), request, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }
}

// ---------------------------------------------------------------- create

TEST_F(UnaryRpcsTest, CreateOnBothBackendsReturnsTheFullExecution) {
  h_.blaxel().PutJob("etl", blaxel::SimulatedJob{});
  v1::CreateExecutionRequest bx;
  bx.set_parent(kJobParent);
  bx.set_request_id("req-bx-1");
  (*bx.add_task_parameters()->mutable_fields())["n"].set_number_value(1);
  (*bx.add_task_parameters()->mutable_fields())["n"].set_number_value(2);
  (*bx.mutable_env())["MODE"] = "fast";
  v1::Execution e;
  grpc::Status s = h_.stub().CreateExecution(Context().get(), bx, &e);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(e.backend_kind(), v1::BACKEND_KIND_BLAXEL);
  EXPECT_EQ(e.workload(), "etl");
  EXPECT_EQ(e.execution_id(), "req-bx-1");  // the request id is the execution id
  EXPECT_EQ(e.blaxel().env_override().at("MODE"), "***");
  EXPECT_NE(e.state(), v1::Execution::STATE_UNSPECIFIED);
  // A retry of the same request answers the same execution.
  v1::Execution again;
  ASSERT_TRUE(h_.stub().CreateExecution(Context().get(), bx, &again).ok());
  EXPECT_EQ(again.name(), e.name());

  v1::CreateExecutionRequest px;
  px.set_parent(kWorkflowParent);
  (*px.mutable_input()->mutable_struct_value()->mutable_fields())["doc"].set_string_value("q3");
  px.mutable_timeout()->set_seconds(120);
  px.set_queue("bulk");
  v1::Execution p;
  s = h_.stub().CreateExecution(Context().get(), px, &p);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(p.backend_kind(), v1::BACKEND_KIND_POLOS);
  EXPECT_EQ(p.workload(), "ingest");
  EXPECT_EQ(p.input().struct_value().fields().at("doc").string_value(), "q3");
  EXPECT_EQ(p.timeout().seconds(), 120);
  EXPECT_EQ(p.queueing().queue(), "bulk");
}

TEST_F(UnaryRpcsTest, ConcurrentPolosCreatesWithOneRequestIdStartOneRun) {
  v1::CreateExecutionRequest request;
  request.set_parent(kWorkflowParent);
  request.set_request_id("req-px-once");
  request.mutable_input()->set_string_value("hello");
  std::vector<std::string> names(16);
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      v1::Execution e;
      grpc::Status s = h_.stub().CreateExecution(Context().get(), request, &e);
      if (s.ok()) names[i] = e.name();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& n : names) EXPECT_EQ(n, names[0]);
  EXPECT_FALSE(names[0].empty());
  EXPECT_EQ(h_.polos().request_count("run"), 1);
  // The same id with another request is refused.
  request.mutable_input()->set_string_value("different");
  v1::Execution e;
  grpc::Status s = h_.stub().CreateExecution(Context().get(), request, &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id"));
}

// Polos took the run but its answer was lost (cut short after 200, a
// deadline that passed while Polos was slow): the retry with the same
// request_id finds that run instead of starting a second one. A create that
// Polos refused started nothing, and its retry creates.
TEST_F(UnaryRpcsTest, PolosRetryAfterAnUnknownOutcomeAnswersTheRunItStarted) {
  struct Case {
    const char* what;
    http::ServerResponse fault;
    grpc::StatusCode code;
    int64_t deadline_ms;
  };
  http::ServerResponse cut;
  cut.status = 0;  // the real answer, cut short
  cut.fault = http::ServerResponse::Fault::kTruncateBody;
  http::ServerResponse slow;
  slow.status = 0;  // the real answer, too late
  slow.delay = absl::Seconds(2);
  http::ServerResponse refused;
  refused.status = 429;
  // The search looks at runs created since the first attempt, by Polos'
  // clock (the simulator's) against the gateway's: set them together.
  h_.clock().AdvanceTo(absl::Now());
  const Case cases[] = {
      {"cut short", cut, grpc::StatusCode::UNKNOWN, 10000},
      {"too slow", slow, grpc::StatusCode::DEADLINE_EXCEEDED, 500},
      {"refused", refused, grpc::StatusCode::RESOURCE_EXHAUSTED, 10000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    v1::CreateExecutionRequest request;
    request.set_parent(kWorkflowParent);
    request.set_request_id(absl::StrCat("req-px-", c.code));
    request.mutable_input()->set_string_value(c.what);
    const int runs = h_.polos().request_count("run");
    h_.polos().faults().Add("run", c.fault);
    v1::Execution first;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(c.deadline_ms)));
    grpc::Status s = h_.stub().CreateExecution(&context, request, &first);
    ASSERT_EQ(s.error_code(), c.code) << s.error_message();
    absl::SleepFor(absl::Seconds(2));  // the slow answer is over

    v1::Execution again;
    s = h_.stub().CreateExecution(Context().get(), request, &again);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(again.input().string_value(), c.what);
    const bool refused_first = c.code == grpc::StatusCode::RESOURCE_EXHAUSTED;
    EXPECT_EQ(h_.polos().request_count("run"), runs + (refused_first ? 2 : 1));
    int with_this_input = 0;
    for (const std::string& payload : h_.polos().RunPayloads("ingest")) {
      with_this_input += payload == absl::StrCat("\"", c.what, "\"");
    }
    EXPECT_EQ(with_this_input, 1);
    // And from now on the same execution, read.
    v1::Execution third;
    s = h_.stub().CreateExecution(Context().get(), request, &third);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(third.name(), again.name());
  }
}

TEST_F(UnaryRpcsTest, ConcurrentBlaxelCreatesWithOneRequestIdMakeOneExecution) {
  h_.blaxel().PutJob("etl", blaxel::SimulatedJob{});
  v1::CreateExecutionRequest request;
  request.set_parent(kJobParent);
  request.set_request_id("req-bx-once");
  std::vector<std::string> names(12);
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&, i] {
      v1::Execution e;
      grpc::Status s = h_.stub().CreateExecution(Context().get(), request, &e);
      EXPECT_TRUE(s.ok()) << s.error_message();
      names[i] = e.name();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& n : names) EXPECT_EQ(n, kJobParent + "/executions/req-bx-once");
  EXPECT_EQ(ListAll(kJobParent, 100).size(), 1u);
}

TEST_F(UnaryRpcsTest, CreateOptionsABackendCannotHonourAreNamed) {
  struct Case {
    std::string parent;
    std::function<void(v1::CreateExecutionRequest&)> set;
    const char* field;
  };
  const Case cases[] = {
      {kJobParent, [](auto& r) { r.set_queue("q"); }, "queue"},
      {kJobParent, [](auto& r) { r.mutable_input()->set_string_value("x"); }, "input"},
      {kWorkflowParent, [](auto& r) { (*r.mutable_env())["A"] = "b"; }, "env"},
      {kWorkflowParent, [](auto& r) { r.set_memory_mb(512); }, "memory_mb"},
      {kWorkflowParent, [](auto& r) { r.set_request_id("bad id!"); }, "request_id"},
      {"backends/px", [](auto& r) {}, "parent"},
  };
  for (const auto& c : cases) {
    v1::CreateExecutionRequest request;
    request.set_parent(c.parent);
    if (c.parent != kJobParent) request.mutable_input()->set_string_value("x");
    c.set(request);
    v1::Execution e;
    grpc::Status s = h_.stub().CreateExecution(Context().get(), request, &e);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_THAT(s.error_message(), HasSubstr(c.field));
  }
  EXPECT_EQ(h_.polos().request_count("run"), 0);
}

// ---------------------------------------------------------------- cancel

class CancelTest : public UnaryRpcsTest, public ::testing::WithParamInterface<bool> {
 protected:
  // A running execution's name on the backend under test.
  std::string Running() {
    if (GetParam()) {
      polos::Scenario sc;
      sc.running_for = absl::Hours(1);
      polos::NewExecution n;
      n.workflow_id = "ingest";
      n.scenario = sc;
      n.created_at = h_.clock().Now() - absl::Minutes(1);
      return absl::StrCat("backends/px/executions/", h_.polos().AddExecution(n));
    }
    blaxel::SimulatedJob job;
    job.timeout_seconds = 7200;
    job.scenario = blaxel::SimulatedScenario::kTimeout;  // long-running tasks
    h_.blaxel().PutJob("long", job);
    h_.blaxel().PutExecution("long", "exec-run", blaxel::SimulatedScenario::kTimeout,
                             h_.clock().Now() - absl::Minutes(1), 2);
    return "backends/bx/jobs/long/executions/exec-run";
  }
  std::string Finished() {
    if (GetParam()) {
      polos::NewExecution n;
      n.workflow_id = "ingest";
      n.created_at = h_.clock().Now() - absl::Hours(1);
      return absl::StrCat("backends/px/executions/", h_.polos().AddExecution(n));
    }
    h_.blaxel().PutExecution("etl", "exec-done", blaxel::SimulatedScenario::kSucceed,
                             h_.clock().Now() - absl::Hours(1), 1);
    return "backends/bx/jobs/etl/executions/exec-done";
  }
  grpc::Status Cancel(const std::string& name, v1::Execution* out) {
    v1::CancelExecutionRequest request;
    request.set_name(name);
    return h_.stub().CancelExecution(Context().get(), request, out);
  }
};

TEST_P(CancelTest, RunningThenCancellingThenCancelled) {
  const std::string name = Running();
  v1::Execution e;
  grpc::Status s = Cancel(name, &e);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(e.name(), name);
  EXPECT_TRUE(e.state() == v1::Execution::STATE_CANCELLING ||
              e.state() == v1::Execution::STATE_CANCELLED)
      << e.raw_status();
  // Cancelling again while it is still being cancelled succeeds.
  if (e.state() == v1::Execution::STATE_CANCELLING) {
    v1::Execution again;
    ASSERT_TRUE(Cancel(name, &again).ok());
  }
  h_.clock().Advance(absl::Minutes(5));
  ASSERT_TRUE(h_.Get(name, &e).ok());
  EXPECT_EQ(e.state(), v1::Execution::STATE_CANCELLED) << e.raw_status();
}

TEST_P(CancelTest, FinishedIsFailedPrecondition) {
  v1::Execution e;
  grpc::Status s = Cancel(Finished(), &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
}

TEST_P(CancelTest, MissingIsNotFound) {
  v1::Execution e;
  grpc::Status s = Cancel(GetParam() ? "backends/px/executions/0b5c7a2e-1f1d-4c39-9a57-00000000ffff"
                                     : "backends/bx/jobs/etl/executions/exec-missing",
                          &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
}

INSTANTIATE_TEST_SUITE_P(Both, CancelTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Polos" : "Blaxel"; });

TEST_F(UnaryRpcsTest, PolosCancelReachesTheParent) {
  polos::Scenario sc;
  sc.running_for = absl::Hours(1);
  polos::NewExecution parent;
  parent.workflow_id = "research";
  parent.scenario = sc;
  parent.created_at = h_.clock().Now() - absl::Minutes(2);
  const std::string parent_id = h_.polos().AddExecution(parent);
  polos::NewExecution child;
  child.workflow_id = "search";
  child.scenario = sc;
  child.parent_execution_id = parent_id;
  child.created_at = h_.clock().Now() - absl::Minutes(1);
  const std::string child_id = h_.polos().AddExecution(child);
  v1::CancelExecutionRequest request;
  request.set_name(absl::StrCat("backends/px/executions/", child_id));
  v1::Execution e;
  ASSERT_TRUE(h_.stub().CancelExecution(Context().get(), request, &e).ok());
  v1::Execution p;
  ASSERT_TRUE(h_.Get(absl::StrCat("backends/px/executions/", parent_id), &p).ok());
  EXPECT_EQ(p.state(), v1::Execution::STATE_CANCELLING) << p.raw_status();
}

// ---------------------------------------------------------------- faults

struct RpcFault {
  const char* label;
  int status;
  const char* retry_after;
  http::ServerResponse::Fault transport;
  grpc::StatusCode code;
};

// The catalogue checks mapping, not the circuit breaker: give it a breaker
// that does not open (BreakerTest below covers the breaker).
class RpcFaultTest : public ::testing::TestWithParam<std::tuple<bool, RpcFault>> {
 protected:
  static GatewayHarness::Options NoBreaker() {
    GatewayHarness::Options o;
    o.resilience.set_breaker_failure_threshold(1000000);
    o.resilience.set_initial_backoff_ms(10);
    return o;
  }
  std::unique_ptr<grpc::ClientContext> Context() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return c;
  }
  GatewayHarness h_{NoBreaker()};
};

// Every RPC of both backends meets the same fault catalogue. Faults are
// injected on every endpoint ("*"), so retries meet them too.
TEST_P(RpcFaultTest, EveryRpcMapsTheFault) {
  const bool polos = std::get<0>(GetParam());
  const RpcFault& f = std::get<1>(GetParam());
  std::string execution;
  if (polos) {
    polos::NewExecution n;
    n.workflow_id = "ingest";
    execution = absl::StrCat("backends/px/executions/", h_.polos().AddExecution(n));
  } else {
    h_.blaxel().PutExecution("etl", "exec-f", blaxel::SimulatedScenario::kSucceed, h_.clock().Now(),
                             1);
    execution = "backends/bx/jobs/etl/executions/exec-f";
  }
  http::ServerResponse r;
  r.status = f.status;
  r.fault = f.transport;
  r.body = f.status == 200 ? "{garbage" : "";
  if (f.retry_after[0] != '\0') r.headers.push_back({"Retry-After", f.retry_after});
  (polos ? h_.polos().faults() : h_.blaxel().faults()).Add("*", r, -1);

  std::vector<std::pair<std::string, grpc::Status>> results;
  {
    v1::Execution e;
    v1::GetExecutionRequest q;
    q.set_name(execution);
    results.push_back({"get", h_.stub().GetExecution(Context().get(), q, &e)});
  }
  {
    v1::ListExecutionsRequest q;
    q.set_parent(polos ? kWorkflowParent : kJobParent);
    v1::ListExecutionsResponse resp;
    results.push_back({"list", h_.stub().ListExecutions(Context().get(), q, &resp)});
  }
  {
    v1::CreateExecutionRequest q;
    q.set_parent(polos ? kWorkflowParent : kJobParent);
    if (polos) q.mutable_input()->set_string_value("x");
    v1::Execution e;
    results.push_back({"create", h_.stub().CreateExecution(Context().get(), q, &e)});
  }
  {
    v1::CancelExecutionRequest q;
    q.set_name(execution);
    v1::Execution e;
    results.push_back({"cancel", h_.stub().CancelExecution(Context().get(), q, &e)});
  }
  for (const auto& [rpc, s] : results) {
    // The write rule (OutcomeUnknownStatus): a write whose 2xx answer
    // cannot be read may have happened, so it is UNKNOWN / OUTCOME_UNKNOWN,
    // not INTERNAL. Blaxel's cancel reads the execution first, and that
    // read fails before anything is written.
    grpc::StatusCode code = f.code;
    const bool written = rpc == "create" || (rpc == "cancel" && polos);
    if (f.status == 200 && f.transport == http::ServerResponse::Fault::kNone && written) {
      code = grpc::StatusCode::UNKNOWN;
      EXPECT_EQ(DetailsOf(s).error_info.reason(), "OUTCOME_UNKNOWN") << rpc;
    }
    EXPECT_EQ(s.error_code(), code) << f.label << " " << rpc << ": " << s.error_message();
    EXPECT_TRUE(DetailsOf(s).has_error_info) << rpc;
    if (f.retry_after[0] != '\0') EXPECT_TRUE(DetailsOf(s).has_retry_info) << rpc;
  }
}

const RpcFault kRpcFaults[] = {
    {"401", 401, "", http::ServerResponse::Fault::kNone, grpc::StatusCode::UNAUTHENTICATED},
    {"403", 403, "", http::ServerResponse::Fault::kNone, grpc::StatusCode::PERMISSION_DENIED},
    {"429", 429, "1", http::ServerResponse::Fault::kNone, grpc::StatusCode::RESOURCE_EXHAUSTED},
    {"503", 503, "", http::ServerResponse::Fault::kNone, grpc::StatusCode::UNAVAILABLE},
    {"Garbage", 200, "", http::ServerResponse::Fault::kNone, grpc::StatusCode::INTERNAL},
    {"Reset", 200, "", http::ServerResponse::Fault::kResetConnection,
     grpc::StatusCode::UNAVAILABLE},
};

INSTANTIATE_TEST_SUITE_P(Catalogue, RpcFaultTest,
                         ::testing::Combine(::testing::Bool(), ::testing::ValuesIn(kRpcFaults)),
                         [](const auto& info) {
                           return absl::StrCat(std::get<0>(info.param) ? "Polos_" : "Blaxel_",
                                               "Http", std::get<1>(info.param).label);
                         });

// ---------------------------------------------------------------- slow bodies

class TrickleTest : public UnaryRpcsTest, public ::testing::WithParamInterface<bool> {
 protected:
  std::string Prepare(absl::Duration interval, size_t bytes) {
    http::ServerResponse r;
    r.status = 0;  // the real answer, trickled
    r.fault = http::ServerResponse::Fault::kTrickle;
    r.trickle_bytes = bytes;
    r.trickle_interval = interval;
    if (GetParam()) {
      polos::NewExecution n;
      const std::string id = h_.polos().AddExecution(n);
      h_.polos().faults().Add("get", r, -1);
      return absl::StrCat("backends/px/executions/", id);
    }
    h_.blaxel().PutExecution("etl", "exec-slow", blaxel::SimulatedScenario::kSucceed,
                             h_.clock().Now(), 1);
    h_.blaxel().faults().Add("get", r, -1);
    return "backends/bx/jobs/etl/executions/exec-slow";
  }
};

TEST_P(TrickleTest, SlowButSteadyBodyArrivesWhole) {
  const std::string name = Prepare(absl::Milliseconds(2), 64);
  v1::Execution e;
  grpc::Status s = h_.Get(name, &e, absl::Seconds(20));
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(e.name(), name);
}

TEST_P(TrickleTest, BodyTooSlowForTheDeadlineEndsAtTheDeadline) {
  const std::string name = Prepare(absl::Milliseconds(200), 1);
  v1::Execution e;
  const absl::Time start = absl::Now();
  grpc::Status s = h_.Get(name, &e, absl::Milliseconds(600));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

INSTANTIATE_TEST_SUITE_P(Both, TrickleTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Polos" : "Blaxel"; });

// ---------------------------------------------------------------- auth

TEST(BlaxelAuthTest, OAuthTokenExpiryMidTraffic) {
  GatewayHarness h(GatewayHarness::Options{.blaxel_oauth = true});
  h.blaxel().PutExecution("etl", "exec-a", blaxel::SimulatedScenario::kSucceed, h.clock().Now(), 1);
  const std::string name = "backends/bx/jobs/etl/executions/exec-a";
  std::atomic<int> failures{0};
  auto traffic = [&] {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 10; ++i) {
          v1::Execution e;
          grpc::Status s = h.Get(name, &e);
          if (!s.ok()) {
            ++failures;
            ADD_FAILURE() << s.error_message();
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  };
  traffic();
  EXPECT_EQ(h.blaxel().request_count("token"), 1) << "one token for all concurrent calls";
  // The token expires on the upstream's clock while the gateway still
  // holds it: the 401 forces one refresh, and the calls keep succeeding.
  h.clock().Advance(absl::Hours(3));
  traffic();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(h.blaxel().request_count("token"), 2);
}

TEST(BlaxelAuthTest, RejectedClientSecretIsUnauthenticatedAndNeverEchoed) {
  GatewayHarness h(GatewayHarness::Options{.blaxel_oauth = true});
  setenv("EXECGW_IT_BLAXEL_CLIENT_SECRET", "definitely-wrong-secret", 1);
  // The harness resolved the secret at start; restart a gateway on the
  // wrong one through the same config.
  auto server = gateway::GatewayServer::Start(h.config(), "127.0.0.1:0");
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::ExecutionService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*server)->port()), grpc::InsecureChannelCredentials()));
  h.blaxel().PutExecution("etl", "exec-a", blaxel::SimulatedScenario::kSucceed, h.clock().Now(), 1);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::GetExecutionRequest request;
  request.set_name("backends/bx/jobs/etl/executions/exec-a");
  v1::Execution e;
  grpc::Status s = stub->GetExecution(&context, request, &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), Not(HasSubstr("definitely-wrong-secret")));
}

TEST(BlaxelVersionTest, LegacyVersionListsPageByOffset) {
  GatewayHarness h(GatewayHarness::Options{.blaxel_api_version = "2026-04-16"});
  for (int i = 0; i < 45; ++i) {
    h.blaxel().PutExecution("etl", absl::StrCat("exec-", 100 + i),
                            blaxel::SimulatedScenario::kSucceed, h.clock().Now() - absl::Minutes(i),
                            1);
  }
  std::set<std::string> seen;
  v1::ListExecutionsRequest request;
  request.set_parent("backends/bx/jobs/etl");
  request.set_page_size(20);
  int pages = 0;
  do {
    grpc::ClientContext context;
    v1::ListExecutionsResponse response;
    grpc::Status s = h.stub().ListExecutions(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(response.total_size(), -1);  // bare arrays carry no total
    for (const auto& e : response.executions()) EXPECT_TRUE(seen.insert(e.name()).second);
    request.set_page_token(response.next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 10);
  EXPECT_EQ(seen.size(), 45u);
  EXPECT_EQ(pages, 3);
}

// ---------------------------------------------------------------- breaker

TEST(BreakerTest, OneBackendDownTheOtherKeepsServing) {
  GatewayHarness::Options o;
  o.resilience.set_breaker_failure_threshold(3);
  o.resilience.set_breaker_open_ms(60000);
  o.resilience.set_initial_backoff_ms(5);
  GatewayHarness h(o);
  h.blaxel().PutExecution("etl", "exec-ok", blaxel::SimulatedScenario::kSucceed, h.clock().Now(),
                          1);
  polos::NewExecution n;
  const std::string polos_name = absl::StrCat("backends/px/executions/", h.polos().AddExecution(n));
  http::ServerResponse down;
  down.status = 503;
  h.polos().faults().Add("*", down, -1);

  // Polos fails until its breaker opens; then calls fail fast, without
  // reaching it, and say when to retry.
  v1::Execution e;
  for (int i = 0; i < 3; ++i) h.Get(polos_name, &e);
  const int polos_requests = h.polos().request_count("get");
  const absl::Time start = absl::Now();
  grpc::Status s = h.Get(polos_name, &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(DetailsOf(s).error_info.reason(), "CIRCUIT_OPEN");
  EXPECT_TRUE(DetailsOf(s).has_retry_info);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  EXPECT_EQ(h.polos().request_count("get"), polos_requests);

  // Blaxel is unaffected.
  for (int i = 0; i < 5; ++i) {
    grpc::Status b = h.Get("backends/bx/jobs/etl/executions/exec-ok", &e);
    EXPECT_TRUE(b.ok()) << b.error_message();
  }
}

}  // namespace
}  // namespace execgw::testing

// PolosBackend::ListExecutions over real loopback HTTP (backend_fixture.h):
// snapshot-stable offset paging, parents, filters, and lists agreeing with
// GetExecution on timed-out runs.

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/field_rules.h"
#include "adapters/polos/list_position.h"
#include "adapters/polos/polos_backend.h"
#include "adapters/upstream_error.h"
#include "adapters/upstream_time.h"
#include "gtest/gtest.h"
#include "tests/adapters/polos/backend_fixture.h"

namespace execgw::polos {
namespace {

using testing::kBackend;
using testing::PolosBackendTest;

class PolosListTest : public PolosBackendTest {
 protected:
  // What the backend's position bytes hold.
  static ListPosition At(const UpstreamPosition& position) {
    absl::StatusOr<ListPosition> at = DecodeListPosition(position, kBackend);
    EXPECT_TRUE(at.ok()) << at.status();
    return at.value_or(ListPosition());
  }

  ListExecutionsQuery Query(ParentName parent, int page_size = 100) {
    ListExecutionsQuery q;
    q.parent = std::move(parent);
    q.page_size = page_size;
    return q;
  }

  // Every page of `query`, in order; `between(n)` runs after page n (1-based)
  // when another page follows.
  std::vector<std::string> ListAll(ListExecutionsQuery query,
                                   const std::function<void(int)>& between = nullptr,
                                   int* pages = nullptr) {
    std::vector<std::string> ids;
    int n = 0;
    for (;;) {
      absl::StatusOr<ExecutionPage> page = List(query);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      ++n;
      for (const v1::Execution& e : page->executions) ids.push_back(e.execution_id());
      if (!page->next.has_value()) break;
      EXPECT_TRUE(At(*page->next).snapshot.has_value()) << "page " << n;
      query.position = *page->next;
      if (between) between(n);
      if (n > 1000) {
        ADD_FAILURE() << "paging does not end";
        break;
      }
    }
    if (pages != nullptr) *pages = n;
    return ids;
  }

  // `n` runs of workflow "bulk", 1 ms apart, the newest 1 s before now.
  std::vector<std::string> AddBulk(int n) {
    return sim_->AddExecutions("bulk", n,
                               clock_.Now() - absl::Seconds(1) - n * absl::Milliseconds(1),
                               absl::Milliseconds(1));
  }

  // A run created now by someone else, after the clock moved on.
  std::string NewRun(const std::string& workflow = "bulk") {
    clock_.Advance(absl::Milliseconds(1));
    NewExecution e;
    e.workflow_id = workflow;
    return sim_->AddExecution(std::move(e));
  }

  static void ExpectNoDuplicates(const std::vector<std::string>& ids) {
    std::map<std::string, int> seen;
    for (const std::string& id : ids) {
      if (++seen[id] == 2) ADD_FAILURE() << "listed twice: " << id;
    }
  }
};

std::vector<std::string> NewestFirst(std::vector<std::string> ids) {
  return std::vector<std::string>(ids.rbegin(), ids.rend());
}

TEST_F(PolosListTest, PagesMoreThanAThousandWithoutDuplicateOrGap) {
  for (bool exclusive : {false, true}) {
    SCOPED_TRACE(exclusive ? "end_time exclusive" : "end_time inclusive");
    StartSimulator(exclusive);
    const std::vector<std::string> bulk = AddBulk(1234);
    int pages = 0;
    EXPECT_EQ(ListAll(Query(Workflow("bulk")), nullptr, &pages), NewestFirst(bulk));
    EXPECT_EQ(pages, 13);
    EXPECT_EQ(sim_->request_count("list"), 13);
  }
}

TEST_F(PolosListTest, RunsCreatedBetweenPagesDoNotShiftThePages) {
  for (bool exclusive : {false, true}) {
    SCOPED_TRACE(exclusive ? "end_time exclusive" : "end_time inclusive");
    StartSimulator(exclusive);
    const std::vector<std::string> bulk = AddBulk(1234);
    std::vector<std::string> created_later;
    const std::vector<std::string> listed = ListAll(Query(Workflow("bulk")), [&](int page) {
      // Directly in the simulator and through the backend's own create.
      for (int i = 0; i < 3; ++i) created_later.push_back(NewRun());
      clock_.Advance(absl::Milliseconds(1));
      v1::CreateExecutionRequest request;
      request.mutable_input()->set_number_value(page);
      absl::StatusOr<v1::Execution> e = Create(Workflow("bulk"), request);
      ASSERT_TRUE(e.ok()) << e.status();
      created_later.push_back(e->execution_id());
    });
    // Exactly the runs that existed when paging started, in order.
    EXPECT_EQ(listed, NewestFirst(bulk));
    ExpectNoDuplicates(listed);
    // A new listing sees everything.
    const std::vector<std::string> again = ListAll(Query(Workflow("bulk")));
    EXPECT_EQ(again.size(), bulk.size() + created_later.size());
    ExpectNoDuplicates(again);
  }
}

TEST_F(PolosListTest, RunsCreatedConcurrentlyNeitherRepeatNorHideOlderRuns) {
  const std::vector<std::string> bulk = AddBulk(1100);
  std::atomic<bool> stop = false;
  std::atomic<int> created = 0;
  std::thread creator([&] {
    while (!stop.load()) {
      NewRun();
      created.fetch_add(1);
      absl::SleepFor(absl::Microseconds(500));
    }
  });
  const std::vector<std::string> listed = ListAll(Query(Workflow("bulk"), 50));
  stop = true;
  creator.join();
  EXPECT_GT(created.load(), 0);
  ExpectNoDuplicates(listed);
  // Every run older than the first page is listed once, in order, after
  // whatever concurrent runs the first page caught.
  std::vector<std::string> tail(listed.end() - std::min(listed.size(), bulk.size()), listed.end());
  EXPECT_EQ(tail, NewestFirst(bulk));
}

TEST_F(PolosListTest, FirstPageFixesTheSnapshotAndLaterPagesSendIt) {
  const std::vector<std::string> bulk = AddBulk(5);
  absl::StatusOr<v1::Execution> newest = Get(bulk.back());
  ASSERT_TRUE(newest.ok()) << newest.status();
  ListExecutionsQuery q = Query(Workflow("bulk"), 2);
  absl::StatusOr<ExecutionPage> first = List(q);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->next.has_value());
  EXPECT_EQ(At(*first->next).offset, 2);
  EXPECT_EQ(first->total_size, -1);
  const absl::Time ceiling = FromProtoTimestamp(newest->create_time()) + absl::Microseconds(1);
  EXPECT_EQ(At(*first->next).snapshot, ceiling);

  NewRun();
  client_->Clear();
  q.position = *first->next;
  absl::StatusOr<ExecutionPage> second = List(q);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(client_->sent().size(), 1u);
  const testing::RecordingHttpClient::Sent sent = client_->sent()[0];
  EXPECT_EQ(sent.method, "GET");
  EXPECT_TRUE(sent.idempotent);
  // One more than the page holds, to know whether more follow.
  EXPECT_TRUE(
      absl::StrContains(sent.url, "workflow_type=workflow&workflow_id=bulk&limit=3&offset=2"))
      << sent.url;
  const std::string end = absl::StrReplaceAll(FormatRfc3339(ceiling), {{":", "%3A"}});
  EXPECT_TRUE(absl::StrContains(sent.url, absl::StrCat("&end_time=", end))) << sent.url;
  ASSERT_EQ(second->executions.size(), 2u);
  EXPECT_EQ(second->executions[0].execution_id(), bulk[2]);
  EXPECT_EQ(At(*second->next).snapshot, ceiling);  // carried as it was

  q.position = *second->next;
  absl::StatusOr<ExecutionPage> last = List(q);
  ASSERT_TRUE(last.ok()) << last.status();
  ASSERT_EQ(last->executions.size(), 1u);
  EXPECT_EQ(last->executions[0].execution_id(), bulk[0]);
  EXPECT_FALSE(last->next.has_value());
}

TEST_F(PolosListTest, WorkflowParentVersusWholeBackend) {
  const std::string a1 = Add(Scenario{}, std::nullopt, "", "alpha");
  clock_.Advance(absl::Milliseconds(1));
  const std::string b1 = Add(Scenario{}, std::nullopt, "", "beta");
  clock_.Advance(absl::Milliseconds(1));
  const std::string a2 = Add(Scenario{}, std::nullopt, "", "alpha");
  EXPECT_EQ(ListAll(Query(Workflow("alpha"))), (std::vector<std::string>{a2, a1}));
  EXPECT_EQ(ListAll(Query(Workflow("beta"))), (std::vector<std::string>{b1}));
  EXPECT_EQ(ListAll(Query(WholeBackend())), (std::vector<std::string>{a2, b1, a1}));
  EXPECT_TRUE(ListAll(Query(Workflow("gamma"))).empty());

  client_->Clear();
  absl::StatusOr<ExecutionPage> page = List(Query(WholeBackend()));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_FALSE(absl::StrContains(client_->sent()[0].url, "workflow_id")) << client_->sent()[0].url;
  const v1::Execution& e = page->executions[0];
  EXPECT_EQ(e.name(), absl::StrCat("backends/", kBackend, "/executions/", a2));
  EXPECT_EQ(e.workload(), "alpha");
  EXPECT_EQ(e.state(), v1::Execution::STATE_QUEUED);
  // The input is not part of the default (BASIC) view; FULL carries it.
  EXPECT_FALSE(e.has_input());
  ListExecutionsQuery full = Query(WholeBackend());
  full.view = v1::EXECUTION_VIEW_FULL;
  absl::StatusOr<ExecutionPage> full_page = List(full);
  ASSERT_TRUE(full_page.ok()) << full_page.status();
  EXPECT_EQ(full_page->executions[0].input().struct_value().fields().at("n").number_value(), 1);
}

TEST_F(PolosListTest, StateFilterIsAppliedToEachPage) {
  Scenario fast;  // completes after 4.5 s
  Scenario slow;
  slow.running_for = absl::InfiniteDuration();
  std::set<std::string> done_ids;
  for (int i = 0; i < 30; ++i) {
    const std::string id = Add(i % 3 == 0 ? fast : slow);
    if (i % 3 == 0) done_ids.insert(id);
    clock_.Advance(absl::Milliseconds(1));
  }
  clock_.Advance(absl::Seconds(10));
  ListExecutionsQuery q = Query(Workflow("wf"), 4);
  q.states = {v1::Execution::STATE_SUCCEEDED};
  int pages = 0;
  bool saw_short_page_with_next = false;
  std::vector<std::string> listed;
  for (;;) {
    absl::StatusOr<ExecutionPage> page = List(q);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    for (const v1::Execution& e : page->executions) {
      EXPECT_EQ(e.state(), v1::Execution::STATE_SUCCEEDED);
      listed.push_back(e.execution_id());
    }
    if (!page->next.has_value()) break;
    if (page->executions.size() < 4) saw_short_page_with_next = true;
    q.position = *page->next;
  }
  EXPECT_EQ(pages, 8);  // 30 runs, 4 per upstream page
  EXPECT_TRUE(saw_short_page_with_next);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), done_ids);
  EXPECT_EQ(listed.size(), done_ids.size());
}

TEST_F(PolosListTest, TimeRangeIsHalfOpen) {
  for (bool exclusive : {false, true}) {
    SCOPED_TRACE(exclusive ? "end_time exclusive" : "end_time inclusive");
    StartSimulator(exclusive);
    const absl::Time t0 = clock_.Now() - absl::Seconds(100);
    const std::vector<std::string> ids = sim_->AddExecutions("timed", 10, t0, absl::Seconds(1));
    ListExecutionsQuery q = Query(Workflow("timed"));
    q.created_from = t0 + absl::Seconds(2);  // includes ids[2]
    q.created_to = t0 + absl::Seconds(6);    // excludes ids[6]
    EXPECT_EQ(ListAll(q), (std::vector<std::string>{ids[5], ids[4], ids[3], ids[2]}));
    q.created_from.reset();
    EXPECT_EQ(ListAll(q).size(), 6u);
    client_->Clear();
    q.created_to.reset();
    q.created_from = t0 + absl::Seconds(9);
    EXPECT_EQ(ListAll(q), (std::vector<std::string>{ids[9]}));
    EXPECT_TRUE(absl::StrContains(client_->sent()[0].url, "&start_time="))
        << client_->sent()[0].url;
    // Bounds finer than Polos' microseconds lose nothing either way.
    q.created_from = t0 + absl::Seconds(2) - absl::Nanoseconds(1);
    q.created_to = t0 + absl::Seconds(4) + absl::Nanoseconds(1);
    EXPECT_EQ(ListAll(q), (std::vector<std::string>{ids[4], ids[3], ids[2]}));
    q.created_from = t0 + absl::Seconds(2) + absl::Nanoseconds(1);
    q.created_to = t0 + absl::Seconds(4) - absl::Nanoseconds(1);
    EXPECT_EQ(ListAll(q), (std::vector<std::string>{ids[3]}));
  }
}

TEST_F(PolosListTest, CreatedToBelowTheSnapshotWins) {
  const absl::Time t0 = clock_.Now() - absl::Seconds(100);
  const std::vector<std::string> ids = sim_->AddExecutions("timed", 10, t0, absl::Seconds(1));
  ListExecutionsQuery q = Query(Workflow("timed"), 2);
  q.created_to = t0 + absl::Seconds(7);
  int pages = 0;
  EXPECT_EQ(ListAll(
                q, [&](int) { NewRun("timed"); }, &pages),
            (std::vector<std::string>{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}));
  // 8 upstream runs at or below created_to (this simulator's end_time is
  // inclusive; the page drops the one at created_to), 2 a page, and no empty
  // page after them (there was one before pages asked for one more run).
  EXPECT_EQ(pages, 4);
}

TEST_F(PolosListTest, AscendingOrderIsRejected) {
  ListExecutionsQuery q = Query(Workflow("wf"));
  q.ascending = true;
  absl::StatusOr<ExecutionPage> page = List(q);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(page.status()), reason::kInvalidArgument);
  EXPECT_EQ(page.status().message(),
            "order_by: Polos lists newest first only; use \"create_time desc\"");
  EXPECT_EQ(sim_->request_count("list"), 0);
}

TEST_F(PolosListTest, JobParentIsTheWrongKind) {
  absl::StatusOr<ExecutionPage> page =
      List(Query(ParentName{std::string(kBackend), "nightly", ""}));
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(page.status()), reason::kWrongBackendKind);
  EXPECT_TRUE(absl::StartsWith(page.status().message(), "parent: ")) << page.status();
  EXPECT_EQ(sim_->request_count("list"), 0);
}

TEST_F(PolosListTest, TimedOutRunsReadTimedOutAsFromGet) {
  Scenario forever;
  forever.running_for = absl::InfiniteDuration();
  forever.cancel_confirm_after = absl::ZeroDuration();
  const std::string timed_out = Add(forever, 30);
  const std::string manual = Add(forever);
  const std::string running = Add(forever);
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(Cancel(manual).ok());
  clock_.Advance(absl::Seconds(60));
  const int gets_before = sim_->request_count("get");

  absl::StatusOr<ExecutionPage> page = List(Query(Workflow("wf")));
  ASSERT_TRUE(page.ok()) << page.status();
  std::map<std::string, v1::Execution> by_id;
  for (const v1::Execution& e : page->executions) by_id[e.execution_id()] = e;
  ASSERT_EQ(by_id.size(), 3u);
  EXPECT_EQ(by_id[timed_out].state(), v1::Execution::STATE_TIMED_OUT);
  EXPECT_EQ(by_id[manual].state(), v1::Execution::STATE_CANCELLED);
  EXPECT_EQ(by_id[running].state(), v1::Execution::STATE_RUNNING);
  EXPECT_EQ(sim_->request_count("get") - gets_before, 2);  // the two cancelled only
  for (const std::string& id : {timed_out, manual}) {
    absl::StatusOr<v1::Execution> got = Get(id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(by_id[id].state(), got->state());
    EXPECT_EQ(FromProtoTimestamp(by_id[id].end_time()), FromProtoTimestamp(got->end_time()));
    // BASIC items (the default) carry no etag and no Polos details.
    EXPECT_EQ(by_id[id].etag(), "");
    EXPECT_FALSE(by_id[id].has_polos());
  }

  // A filter that cannot tell CANCELLED from TIMED_OUT apart needs no GET.
  const int gets_mid = sim_->request_count("get");
  ListExecutionsQuery running_only = Query(Workflow("wf"));
  running_only.states = {v1::Execution::STATE_RUNNING};
  absl::StatusOr<ExecutionPage> filtered = List(running_only);
  ASSERT_TRUE(filtered.ok()) << filtered.status();
  ASSERT_EQ(filtered->executions.size(), 1u);
  EXPECT_EQ(sim_->request_count("get"), gets_mid);

  ListExecutionsQuery timed_out_only = Query(Workflow("wf"));
  timed_out_only.states = {v1::Execution::STATE_TIMED_OUT};
  absl::StatusOr<ExecutionPage> t = List(timed_out_only);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->executions.size(), 1u);
  EXPECT_EQ(t->executions[0].execution_id(), timed_out);
}

TEST_F(PolosListTest, ManyCancelledRunsAreReadBackInBoundedParallel) {
  Scenario forever;
  forever.running_for = absl::InfiniteDuration();
  std::set<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    ids.insert(Add(forever, 10));
    clock_.Advance(absl::Milliseconds(1));
  }
  clock_.Advance(absl::Seconds(20));
  absl::StatusOr<ExecutionPage> page = List(Query(Workflow("wf")));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->executions.size(), 40u);
  for (const v1::Execution& e : page->executions) {
    EXPECT_EQ(e.state(), v1::Execution::STATE_TIMED_OUT) << e.execution_id();
  }
  EXPECT_EQ(sim_->request_count("get"), 40);
}

TEST_F(PolosListTest, FailedReadBackKeepsTheSummary) {
  Scenario forever;
  forever.running_for = absl::InfiniteDuration();
  const std::string id = Add(forever, 10);
  clock_.Advance(absl::Seconds(20));
  http::ServerResponse broken;
  broken.status = 503;
  sim_->faults().Add("get", broken);
  absl::StatusOr<ExecutionPage> page = List(Query(Workflow("wf")));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->executions.size(), 1u);
  EXPECT_EQ(page->executions[0].execution_id(), id);
  EXPECT_EQ(page->executions[0].state(), v1::Execution::STATE_CANCELLED);
}

// The gateway seals positions without reading them; reading them is the
// backend's, and one it cannot read is a page token it cannot honour.
TEST_F(PolosListTest, PositionsRoundTripAndOthersAreInvalidPageTokens) {
  const absl::Time snapshot = absl::FromUnixNanos(1767225600123456789);
  for (const ListPosition& p : {ListPosition{0, std::nullopt}, ListPosition{40, snapshot},
                                ListPosition{-1, absl::FromUnixSeconds(-5)}}) {
    const UpstreamPosition bytes = EncodeListPosition(p);
    EXPECT_FALSE(bytes.empty());
    EXPECT_EQ(At(bytes), p);
  }
  EXPECT_EQ(At(""), ListPosition());  // the first page

  const UpstreamPosition valid = EncodeListPosition({40, snapshot});
  std::string bad_flags = valid;
  bad_flags[9] = '\x02';
  const UpstreamPosition unreadable[] = {
      "P",
      valid.substr(0, valid.size() - 1),
      valid + "x",
      "B" + valid.substr(1),  // another layout's first byte
      bad_flags,
  };
  client_->Clear();
  for (const UpstreamPosition& bytes : unreadable) {
    SCOPED_TRACE(bytes.size());
    ListExecutionsQuery q = Query(WholeBackend(), 10);
    q.position = bytes;
    absl::StatusOr<ExecutionPage> page = List(q);
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(page.status().message(), "page_token: is not a valid page token");
    EXPECT_EQ(ErrorReasonOf(page.status()), reason::kInvalidPageToken);
  }
  EXPECT_TRUE(client_->sent().empty());  // refused before Polos is asked
}

TEST_F(PolosListTest, UpstreamFailuresAreMapped) {
  http::ServerResponse broken;
  broken.status = 500;
  broken.body = R"({"error":"database unavailable","error_type":"INTERNAL_ERROR"})";
  sim_->faults().Add("list", broken);
  absl::StatusOr<ExecutionPage> page = List(Query(WholeBackend()));
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kUnavailable) << page.status();

  http::ServerResponse odd;
  odd.status = 200;
  odd.body = R"({"runs":[]})";
  sim_->faults().Add("list", odd);
  page = List(Query(WholeBackend()));
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInternal) << page.status();
  EXPECT_EQ(ErrorReasonOf(page.status()), reason::kUpstreamInvalidResponse);
}

TEST_F(PolosListTest, AFullLastPageIsTheEnd) {
  const std::vector<std::string> bulk = AddBulk(36);
  std::vector<size_t> sizes;
  ListExecutionsQuery q = Query(Workflow("bulk"), 12);
  for (int n = 0; n < 10; ++n) {
    absl::StatusOr<ExecutionPage> page = List(q);
    ASSERT_TRUE(page.ok()) << page.status();
    sizes.push_back(page->executions.size());
    if (!page->next.has_value()) break;
    q.position = *page->next;
  }
  // No empty fourth page: the token is empty exactly at the end.
  EXPECT_EQ(sizes, (std::vector<size_t>{12, 12, 12}));
}

// A run summary as Polos lists it, numbered `i`.
std::string SummaryJson(int i) {
  return absl::StrFormat(
      R"({"id":"00000000-0000-4000-8000-%012d","root_execution_id":null,"workflow_id":"w",)"
      R"("session_id":null,"created_at":"2026-02-24T19:45:54.123456+00:00","status":"queued",)"
      R"("completed_at":null,"payload":{"i":%d},"result":null,"error":null})",
      i, i);
}

TEST_F(PolosListTest, PolosIgnoringTheLimitNeverOverfillsAPage) {
  std::vector<std::string> items;
  for (int i = 0; i < 3000; ++i) items.push_back(SummaryJson(i));
  http::ServerResponse flood;
  flood.status = 200;
  flood.headers = {{"Content-Type", "application/json"}};
  flood.body = absl::StrCat("[", absl::StrJoin(items, ","), "]");
  sim_->faults().Add("list", flood, 2);
  ListExecutionsQuery q = Query(WholeBackend(), 20);
  absl::StatusOr<ExecutionPage> first = List(q);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->executions.size(), 20u);
  EXPECT_EQ(first->executions[0].execution_id(), "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(first->executions[19].execution_id(), "00000000-0000-4000-8000-000000000019");
  ASSERT_TRUE(first->next.has_value());
  EXPECT_EQ(At(*first->next).offset, 20);  // exactly where this page stopped

  client_->Clear();
  q.position = *first->next;
  absl::StatusOr<ExecutionPage> second = List(q);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->executions.size(), 20u);
  EXPECT_TRUE(absl::StrContains(client_->sent()[0].url, "&limit=21&offset=20"))
      << client_->sent()[0].url;
  EXPECT_EQ(At(*second->next).offset, 40);
}

TEST_F(PolosListTest, ItemsWhoseIdsCannotBeNamedKeepTheirIdAndHaveNoName) {
  http::ServerResponse odd;
  odd.status = 200;
  odd.body =
      absl::StrCat("[", SummaryJson(1), ",",
                   R"({"id":"string","workflow_id":"w","created_at":"2026-02-24T19:45:54+00:00",)",
                   R"("status":"cancelled","payload":{}},)",
                   R"({"id":"","workflow_id":"w","status":"queued","payload":{}}])");
  sim_->faults().Add("list", odd);
  absl::StatusOr<ExecutionPage> page = List(Query(WholeBackend()));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->executions.size(), 3u);
  EXPECT_EQ(
      page->executions[0].name(),
      absl::StrCat("backends/", kBackend, "/executions/00000000-0000-4000-8000-000000000001"));
  EXPECT_EQ(page->executions[1].execution_id(), "string");
  EXPECT_EQ(page->executions[1].name(), "");
  EXPECT_EQ(page->executions[1].state(), v1::Execution::STATE_CANCELLED);  // not read back
  EXPECT_EQ(page->executions[2].execution_id(), "");
  EXPECT_EQ(page->executions[2].name(), "");
  EXPECT_EQ(sim_->request_count("get"), 0);
}

TEST_F(PolosListTest, BasicViewHoldsOnlyTheBasicFields) {
  Scenario s;
  s.running_for = absl::InfiniteDuration();
  const std::string id = Add(s, 600);
  clock_.Advance(absl::Seconds(5));
  absl::StatusOr<ExecutionPage> page = List(Query(Workflow("wf")));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->executions.size(), 1u);
  v1::Execution e = page->executions[0];
  EXPECT_EQ(e.execution_id(), id);
  EXPECT_EQ(e.state(), v1::Execution::STATE_RUNNING);
  EXPECT_TRUE(e.has_create_time());
  EXPECT_EQ(e.etag(), "");
  EXPECT_FALSE(e.has_input());
  EXPECT_FALSE(e.has_polos());
  EXPECT_FALSE(e.has_lineage());
  v1::Execution basic = e;
  KeepBasicView(basic);
  EXPECT_EQ(basic.SerializeAsString(), e.SerializeAsString());
}

TEST_F(PolosListTest, FullViewItemsEqualGetExecution) {
  Scenario forever;
  forever.running_for = absl::InfiniteDuration();
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    ids.push_back(Add(forever, i % 2 == 0 ? 600 : 10, "", "wf"));
    clock_.Advance(absl::Milliseconds(1));
  }
  clock_.Advance(absl::Seconds(20));  // the odd ones timed out
  ListExecutionsQuery q = Query(Workflow("wf"));
  q.view = v1::EXECUTION_VIEW_FULL;
  const int gets_before = sim_->request_count("get");
  absl::StatusOr<ExecutionPage> page = List(q);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->executions.size(), 20u);
  EXPECT_EQ(sim_->request_count("get") - gets_before, 20);
  for (const v1::Execution& e : page->executions) {
    absl::StatusOr<v1::Execution> got = Get(e.execution_id());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_FALSE(e.etag().empty());
    EXPECT_EQ(e.etag(), got->etag());
    EXPECT_EQ(e.SerializeAsString(), got->SerializeAsString()) << e.DebugString();
  }
}

TEST_F(PolosListTest, FullViewItemWhoseReadFailsComesBackBasic) {
  const std::string a = Add(Scenario{});
  clock_.Advance(absl::Milliseconds(1));
  const std::string b = Add(Scenario{});
  http::ServerResponse broken;
  broken.status = 503;
  sim_->faults().Add("get", broken);  // the first read back only
  ListExecutionsQuery q = Query(Workflow("wf"));
  q.view = v1::EXECUTION_VIEW_FULL;
  absl::StatusOr<ExecutionPage> page = List(q);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->executions.size(), 2u);
  int basic = 0;
  for (const v1::Execution& e : page->executions) {
    if (e.etag().empty()) {
      ++basic;
      EXPECT_FALSE(e.has_input()) << e.DebugString();
    } else {
      EXPECT_TRUE(e.has_input()) << e.DebugString();
    }
  }
  EXPECT_EQ(basic, 1);

  // The caller's own deadline running out fails the page.
  http::ServerResponse slow;
  slow.status = 0;
  slow.delay = absl::Seconds(2);
  sim_->faults().Add("get", slow, -1);
  CallContext context;
  context.deadline = absl::Now() + absl::Milliseconds(300);
  absl::StatusOr<ExecutionPage> late = List(q, context);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded) << late.status();
  sim_->faults().Clear();
}

}  // namespace
}  // namespace execgw::polos

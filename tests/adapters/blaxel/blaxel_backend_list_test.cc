// BlaxelBackend ListExecutions and ListExecutionTasks over loopback HTTP.
#include <algorithm>
#include <atomic>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/blaxel/list_position.h"
#include "adapters/field_rules.h"
#include "adapters/upstream_error.h"
#include "gateway/list_query.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/adapters/blaxel/backend_fixture.h"

namespace execgw::blaxel::testing {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

class BlaxelListTest : public BlaxelBackendFixture {
 protected:
  // What the backend's position bytes hold.
  static ListPosition At(const UpstreamPosition& position) {
    absl::StatusOr<ListPosition> at = DecodeListPosition(position, kBackend);
    EXPECT_TRUE(at.ok()) << at.status();
    return at.value_or(ListPosition());
  }

  static ListExecutionsQuery Query(int page_size, bool ascending = false) {
    ListExecutionsQuery q;
    q.parent = Job();
    q.page_size = page_size;
    q.ascending = ascending;
    return q;
  }

  // Ids in an order, without repeats: fails on the first repeat.
  static void ExpectNoDuplicates(const std::vector<std::string>& ids) {
    std::set<std::string> seen;
    for (const std::string& id : ids) EXPECT_TRUE(seen.insert(id).second) << "repeated: " << id;
  }

  std::unique_ptr<Backend> LegacyBackend() {
    return MakeBackend([](BlaxelBackendOptions& o) { o.api_version = "2026-04-16"; });
  }
};

TEST_F(BlaxelListTest, PagesThroughMoreThanAThousandNewestFirst) {
  const std::vector<std::string> ids =
      sim_->AddExecutions(kJob, 1234, clock_.Now() - absl::Hours(2), absl::Seconds(1));
  sim_->AddExecutions("other-job", 5, clock_.Now() - absl::Hours(2), absl::Seconds(1));
  client_->Clear();
  Walked walked = WalkList(Query(100));
  ASSERT_TRUE(walked.status.ok()) << walked.status;
  std::vector<std::string> want(ids.rbegin(), ids.rend());
  EXPECT_THAT(walked.ids, ElementsAreArray(want));
  EXPECT_EQ(walked.pages, 13);
  for (int64_t total : walked.totals) EXPECT_EQ(total, 1234);
  std::vector<RecordingHttpClient::Sent> sent = client_->sent();
  ASSERT_EQ(sent.size(), 13u);
  EXPECT_THAT(sent[0].url,
              HasSubstr("/jobs/data-processing-job/executions?limit=100&sort=createdAt:desc"));
  EXPECT_FALSE(absl::StrContains(sent[0].url, "cursor="));
  EXPECT_THAT(sent[1].url, HasSubstr("&cursor="));
  for (const auto& s : sent) {
    EXPECT_EQ(s.method, "GET");
    EXPECT_TRUE(s.idempotent);
  }
}

TEST_F(BlaxelListTest, PagesThroughMoreThanAThousandOldestFirst) {
  const std::vector<std::string> ids =
      sim_->AddExecutions(kJob, 1111, clock_.Now() - absl::Hours(2), absl::Seconds(1));
  Walked walked = WalkList(Query(100, /*ascending=*/true));
  ASSERT_TRUE(walked.status.ok()) << walked.status;
  EXPECT_THAT(walked.ids, ElementsAreArray(ids));
  EXPECT_EQ(walked.pages, 12);
  EXPECT_THAT(client_->sent().back().url, HasSubstr("sort=createdAt:asc"));
}

TEST_F(BlaxelListTest, ExecutionsCreatedBetweenPagesCauseNoDuplicateOrGap) {
  const std::vector<std::string> ids =
      sim_->AddExecutions(kJob, 1050, clock_.Now() - absl::Hours(2), absl::Seconds(1));
  for (bool ascending : {false, true}) {
    SCOPED_TRACE(ascending ? "oldest first" : "newest first");
    std::vector<std::string> created;
    // Each page is followed by creations over HTTP, through the backend,
    // some at the same instant as the previous one.
    Walked walked = WalkList(Query(97, ascending), nullptr, [&](int page) {
      for (int i = 0; i < 3; ++i) {
        if (i != 1) clock_.Advance(absl::Milliseconds(250));
        absl::StatusOr<v1::Execution> e = Create(v1::CreateExecutionRequest());
        ASSERT_TRUE(e.ok()) << e.status();
        created.push_back(e->execution_id());
      }
    });
    ASSERT_TRUE(walked.status.ok()) << walked.status;
    ExpectNoDuplicates(walked.ids);
    // Every execution that existed before the listing, in order.
    std::vector<std::string> old;
    std::copy_if(walked.ids.begin(), walked.ids.end(), std::back_inserter(old),
                 [](const std::string& id) { return absl::StartsWith(id, "exec-bulk-"); });
    std::vector<std::string> want = ids;
    if (!ascending) std::reverse(want.begin(), want.end());
    EXPECT_THAT(old, ElementsAreArray(want));
    if (ascending) {
      // Newer than everything listed before them: they come at the end.
      EXPECT_GT(walked.ids.size(), ids.size());
    }
  }
}

TEST_F(BlaxelListTest, ExecutionsCreatedConcurrentlyCauseNoDuplicateOrGap) {
  const std::vector<std::string> ids =
      sim_->AddExecutions(kJob, 1020, clock_.Now() - absl::Hours(2), absl::Seconds(1));
  std::atomic<bool> stop{false};
  std::unique_ptr<Backend> writer = MakeBackend();
  std::thread creator([&] {
    while (!stop.load()) {
      absl::StatusOr<v1::Execution> e =
          Create(v1::CreateExecutionRequest(), Job(), {}, writer.get());
      EXPECT_TRUE(e.ok()) << e.status();
    }
  });
  Walked walked = WalkList(Query(50));
  stop = true;
  creator.join();
  ASSERT_TRUE(walked.status.ok()) << walked.status;
  ExpectNoDuplicates(walked.ids);
  std::vector<std::string> old;
  std::copy_if(walked.ids.begin(), walked.ids.end(), std::back_inserter(old),
               [](const std::string& id) { return absl::StartsWith(id, "exec-bulk-"); });
  EXPECT_THAT(old, ElementsAreArray(std::vector<std::string>(ids.rbegin(), ids.rend())));
}

class BlaxelFilterTest : public BlaxelListTest {
 protected:
  void SetUp() override {
    BlaxelListTest::SetUp();
    t0_ = clock_.Now() - absl::Hours(24);
    // At t0 + k min: succeeded; at t0 + k min + 30 s: failed (k = 0..99).
    succeeded_ = sim_->AddExecutions(kJob, 100, t0_, absl::Minutes(1));
    failed_ = sim_->AddExecutions(kJob, 100, t0_ + absl::Seconds(30), absl::Minutes(1),
                                  SimulatedScenario::kTaskRetriedThenFail);
  }
  // The ids created in [t0 + from min, t0 + to min), oldest first.
  std::vector<std::string> Between(int from, int to) const {
    std::vector<std::string> out;
    for (int k = from; k < to; ++k) {
      out.push_back(succeeded_[k]);
      out.push_back(failed_[k]);
    }
    return out;
  }

  absl::Time t0_;
  std::vector<std::string> succeeded_, failed_;
};

TEST_F(BlaxelFilterTest, StateFilterIsAppliedToEachPage) {
  ListExecutionsQuery q = Query(25);
  q.states = {v1::Execution::STATE_FAILED};
  Walked walked = WalkList(q);
  ASSERT_TRUE(walked.status.ok()) << walked.status;
  EXPECT_THAT(walked.ids,
              ElementsAreArray(std::vector<std::string>(failed_.rbegin(), failed_.rend())));
  EXPECT_EQ(walked.pages, 8);  // every upstream page, some of them half empty
  for (int64_t total : walked.totals) EXPECT_EQ(total, 200);  // ignores the filter

  q.states = {v1::Execution::STATE_SUCCEEDED, v1::Execution::STATE_FAILED};
  EXPECT_EQ(WalkList(q).ids.size(), 200u);
  q.states = {v1::Execution::STATE_RUNNING};
  Walked none = WalkList(q);
  EXPECT_TRUE(none.ids.empty());
  EXPECT_EQ(none.pages, 8);
}

TEST_F(BlaxelFilterTest, NewestFirstEndsAtTheFirstExecutionOlderThanTheRange) {
  ListExecutionsQuery q = Query(10);
  q.created_from = t0_ + absl::Minutes(90);  // inclusive: k = 90 is in
  client_->Clear();
  Walked walked = WalkList(q);
  ASSERT_TRUE(walked.status.ok()) << walked.status;
  std::vector<std::string> want = Between(90, 100);
  std::reverse(want.begin(), want.end());
  EXPECT_THAT(walked.ids, ElementsAreArray(want));
  // Two full pages in range, the third reaches older executions: the end,
  // instead of 20 pages through the whole job.
  EXPECT_EQ(walked.pages, 3);
  EXPECT_EQ(client_->sent().size(), 3u);
}

TEST_F(BlaxelFilterTest, OldestFirstEndsAtTheFirstExecutionPastTheRange) {
  ListExecutionsQuery q = Query(10, /*ascending=*/true);
  q.created_to = t0_ + absl::Minutes(10);  // exclusive: k = 10 is out
  Walked walked = WalkList(q);
  ASSERT_TRUE(walked.status.ok()) << walked.status;
  EXPECT_THAT(walked.ids, ElementsAreArray(Between(0, 10)));
  EXPECT_EQ(walked.pages, 3);
}

TEST_F(BlaxelFilterTest, RangeAndStateTogether) {
  ListExecutionsQuery q = Query(7, /*ascending=*/true);
  q.created_from = t0_ + absl::Minutes(40);
  q.created_to = t0_ + absl::Minutes(50);
  q.states = {v1::Execution::STATE_SUCCEEDED};
  Walked walked = WalkList(q);
  ASSERT_TRUE(walked.status.ok()) << walked.status;
  EXPECT_THAT(walked.ids, ElementsAreArray(std::vector<std::string>(succeeded_.begin() + 40,
                                                                    succeeded_.begin() + 50)));
  // Newest first the same range: the listing walks down to it, then ends.
  q.ascending = false;
  Walked desc = WalkList(q);
  ASSERT_TRUE(desc.status.ok()) << desc.status;
  EXPECT_THAT(desc.ids, ElementsAreArray(std::vector<std::string>(succeeded_.rbegin() + 50,
                                                                  succeeded_.rbegin() + 60)));
}

// Legacy offset lists ask for one more than the page size, so that a token
// comes exactly when more executions exist: no empty last page. (This test
// used to expect pages of 100 and an empty page after an exactly full one.)
TEST_F(BlaxelListTest, LegacyVersionPagesByOffset) {
  const std::vector<std::string> ids =
      sim_->AddExecutions(kJob, 250, clock_.Now() - absl::Hours(2), absl::Seconds(1));
  std::unique_ptr<Backend> legacy = LegacyBackend();
  client_->Clear();
  Walked walked = WalkList(Query(50), legacy.get());
  ASSERT_TRUE(walked.status.ok()) << walked.status;
  EXPECT_THAT(walked.ids, ElementsAreArray(std::vector<std::string>(ids.rbegin(), ids.rend())));
  EXPECT_EQ(walked.pages, 5);
  for (int64_t total : walked.totals) EXPECT_EQ(total, -1);
  std::vector<RecordingHttpClient::Sent> sent = client_->sent();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_THAT(sent[0].url, HasSubstr("?limit=51&offset=0"));
  EXPECT_THAT(sent[4].url, HasSubstr("?limit=51&offset=200"));
  EXPECT_FALSE(absl::StrContains(sent[0].url, "sort="));

  // At Blaxel's largest limit (100) there is no room for the one more:
  // pages of 99.
  Walked largest = WalkList(Query(100), legacy.get());
  ASSERT_TRUE(largest.status.ok()) << largest.status;
  EXPECT_EQ(largest.ids.size(), 250u);
  EXPECT_EQ(largest.pages, 3);
  EXPECT_THAT(client_->sent().back().url, HasSubstr("?limit=100&offset=198"));

  // Legacy lists are newest first only.
  absl::StatusOr<ExecutionPage> asc = List(Query(10, /*ascending=*/true), {}, legacy.get());
  ASSERT_FALSE(asc.ok());
  EXPECT_EQ(asc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(asc.status().message(), "order_by:")) << asc.status();
}

TEST_F(BlaxelListTest, LegacyFullLastPageEndsTheListing) {
  sim_->AddExecutions(kJob, 36, clock_.Now() - absl::Hours(1), absl::Seconds(1));
  std::unique_ptr<Backend> legacy = LegacyBackend();
  std::vector<size_t> sizes;
  ListExecutionsQuery q = Query(12);
  for (int page = 0; page < 10; ++page) {
    absl::StatusOr<ExecutionPage> p = List(q, {}, legacy.get());
    ASSERT_TRUE(p.ok()) << p.status();
    sizes.push_back(p->executions.size());
    if (!p->next.has_value()) break;
    q.position = *p->next;
  }
  EXPECT_THAT(sizes, ElementsAreArray({12u, 12u, 12u}));  // was 12, 12, 12, 0
}

TEST_F(BlaxelListTest, LegacyVersionWithATimeRangeEndsEarlyToo) {
  const absl::Time t0 = clock_.Now() - absl::Hours(2);
  const std::vector<std::string> ids = sim_->AddExecutions(kJob, 300, t0, absl::Seconds(1));
  std::unique_ptr<Backend> legacy = LegacyBackend();
  ListExecutionsQuery q = Query(50);
  q.created_from = t0 + absl::Seconds(260);
  Walked walked = WalkList(q, legacy.get());
  ASSERT_TRUE(walked.status.ok()) << walked.status;
  EXPECT_THAT(walked.ids,
              ElementsAreArray(std::vector<std::string>(ids.rbegin(), ids.rbegin() + 40)));
  EXPECT_EQ(walked.pages, 1);
}

TEST_F(BlaxelListTest, ExpiredOrForeignCursorIsAnInvalidPageToken) {
  sim_->AddExecutions(kJob, 30, clock_.Now() - absl::Hours(2), absl::Seconds(1));
  absl::StatusOr<ExecutionPage> first = List(Query(10));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->next.has_value());
  ListExecutionsQuery later = Query(10);
  later.position = *first->next;
  EXPECT_TRUE(List(later).ok());

  clock_.Advance(absl::Hours(25));
  absl::StatusOr<ExecutionPage> expired = List(later);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(expired.status()), reason::kInvalidPageToken);
  EXPECT_EQ(expired.status().message(),
            "page_token: has expired or no longer matches; start again without it");

  ListPosition foreign = At(later.position);
  foreign.cursor = "not-a-cursor";
  later.position = EncodeListPosition(foreign);
  EXPECT_EQ(ErrorReasonOf(List(later).status()), reason::kInvalidPageToken);
  // Without a cursor a 400 is the error table's.
  sim_->faults().Add("list", [] {
    http::ServerResponse r;
    r.status = 400;
    r.body = R"({"code":400,"error":"Bad Request","message":"nope"})";
    return r;
  }());
  absl::StatusOr<ExecutionPage> plain = List(Query(10));
  EXPECT_EQ(ErrorReasonOf(plain.status()), reason::kUpstreamBadRequest);
}

TEST_F(BlaxelListTest, ParentMustBeAJob) {
  client_->Clear();
  ListExecutionsQuery whole = Query(10);
  whole.parent = ParentName{kBackend, "", ""};
  absl::StatusOr<ExecutionPage> r = List(whole);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "parent:")) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("per job"));

  ListExecutionsQuery workflow = Query(10);
  workflow.parent = ParentName{kBackend, "", "nightly"};
  r = List(workflow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(r.status()), reason::kWrongBackendKind);
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "parent:")) << r.status();
  EXPECT_TRUE(client_->sent().empty());

  ListExecutionsQuery missing = Query(10);
  missing.parent = Job("no-such-job");
  EXPECT_EQ(List(missing).status().code(), absl::StatusCode::kNotFound);
}

// The gateway normalises page_size (list_query.h); the backend sends what it
// gets as Blaxel's limit.
TEST_F(BlaxelListTest, PageSizeIsTheLimit) {
  auto normalised = [](int page_size) {
    v1::ListExecutionsRequest request;
    request.set_parent(Job().ToString());
    request.set_page_size(page_size);
    absl::StatusOr<ListExecutionsQuery> query = gateway::ParseListExecutionsRequest(request);
    EXPECT_TRUE(query.ok()) << query.status();
    return query.value_or(Query(page_size));
  };
  sim_->AddExecutions(kJob, 150, clock_.Now() - absl::Hours(2), absl::Seconds(1));
  absl::StatusOr<ExecutionPage> p = List(normalised(0));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->executions.size(), 20u);
  EXPECT_THAT(client_->sent().back().url, HasSubstr("limit=20&"));
  p = List(normalised(500));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->executions.size(), 100u);
  // Named under the job; the basic view by default (no etag: see the next
  // test; this test used to expect one).
  EXPECT_EQ(p->executions[0].name(), absl::StrCat("backends/bx/jobs/", kJob, "/executions/",
                                                  p->executions[0].execution_id()));
  EXPECT_EQ(p->executions[0].state(), v1::Execution::STATE_SUCCEEDED);
  EXPECT_TRUE(p->executions[0].etag().empty());
}

// AIP-157: BASIC (the default) holds the basic fields only and no etag;
// FULL items are exactly what GetExecution returns (Blaxel's list items are
// whole JobExecutions, so no extra reads).
TEST_F(BlaxelListTest, ViewsBasicByDefaultFullAsGetExecution) {
  sim_->PutExecution(kJob, "e1", SimulatedScenario::kSucceed, clock_.Now() - absl::Hours(1), 3,
                     {"MODE"});
  sim_->PutExecution(kJob, "e2", SimulatedScenario::kTaskRetriedThenFail,
                     clock_.Now() - absl::Minutes(1), 2);
  absl::StatusOr<ExecutionPage> basic = List(Query(10));
  ASSERT_TRUE(basic.ok()) << basic.status();
  ASSERT_EQ(basic->executions.size(), 2u);
  for (const v1::Execution& e : basic->executions) {
    SCOPED_TRACE(e.execution_id());
    v1::Execution expected = *Get(e.execution_id());
    KeepBasicView(expected);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(e, expected))
        << e.DebugString() << "\nvs\n"
        << expected.DebugString();
    EXPECT_TRUE(e.etag().empty());
    EXPECT_EQ(e.tasks_size(), 0);
    EXPECT_TRUE(e.has_create_time());
  }

  ListExecutionsQuery q = Query(10);
  q.view = v1::EXECUTION_VIEW_FULL;
  client_->Clear();
  absl::StatusOr<ExecutionPage> full = List(q);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(client_->sent().size(), 1u);
  ASSERT_EQ(full->executions.size(), 2u);
  for (const v1::Execution& e : full->executions) {
    SCOPED_TRACE(e.execution_id());
    absl::StatusOr<v1::Execution> got = Get(e.execution_id());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_FALSE(e.etag().empty());
    EXPECT_EQ(e.etag(), got->etag());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(e, *got));
  }
}

// An upstream that ignores `limit`: a page never holds more than page_size,
// and the next continues exactly where it stopped (the same cursor, with
// the count already returned from that upstream page).
TEST_F(BlaxelListTest, AnUpstreamIgnoringLimitNeverOverfillsAPage) {
  // The first upstream page holds 1,050 executions, the next (at cursor
  // "c2") 5 more.
  auto page = [&](int from, int n, const std::string& next) {
    std::string data;
    for (int i = from; i < from + n; ++i) {
      absl::StrAppend(&data, data.empty() ? "" : ",", R"({"metadata":{"id":"big-)", i,
                      R"(","job":"data-processing-job","createdAt":"2025-12-01T00:00:00Z"},)"
                      R"("status":"succeeded"})");
    }
    return JsonReply(absl::StrCat(R"({"data":[)", data, R"(],"meta":{"hasMore":)",
                                  next.empty() ? "false" : "true", R"(,"nextCursor":")", next,
                                  R"(","total":1055}})"));
  };
  sim_->faults().Add("list", page(0, 1050, "c2"), 53);  // 52 full pages and a 10-item one
  sim_->faults().Add("list", page(1050, 5, ""), 1);
  client_->Clear();
  std::vector<size_t> sizes;
  std::vector<std::string> ids;
  ListExecutionsQuery q = Query(20);
  for (int n = 0; n < 100; ++n) {
    absl::StatusOr<ExecutionPage> p = List(q);
    ASSERT_TRUE(p.ok()) << p.status();
    sizes.push_back(p->executions.size());
    for (const v1::Execution& e : p->executions) ids.push_back(e.execution_id());
    if (!p->next.has_value()) break;
    q.position = *p->next;
  }
  ASSERT_EQ(ids.size(), 1055u);
  for (int i = 0; i < 1055; ++i) EXPECT_EQ(ids[i], absl::StrCat("big-", i));
  for (size_t size : sizes) EXPECT_LE(size, 20u);
  EXPECT_EQ(sizes.size(), 54u);
  EXPECT_EQ(sizes[52], 10u);  // the rest of the first upstream page
  EXPECT_EQ(sizes[53], 5u);
  EXPECT_THAT(client_->sent()[53].url, HasSubstr("&cursor=c2"));

  // A legacy list that ignores `limit`: the same bound.
  sim_->faults().Clear();
  std::string bare;
  for (int i = 0; i < 1000; ++i) {
    absl::StrAppend(&bare, bare.empty() ? "[" : ",", R"({"metadata":{"id":"old-)", i, R"("}})");
  }
  sim_->faults().Add("list", JsonReply(bare + "]"));
  std::unique_ptr<Backend> legacy = LegacyBackend();
  absl::StatusOr<ExecutionPage> first = List(Query(20), {}, legacy.get());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->executions.size(), 20u);
  ASSERT_TRUE(first->next.has_value());
  EXPECT_EQ(At(*first->next).offset, 20);
}

TEST_F(BlaxelListTest, ACursorThatDoesNotAdvanceIsAnInvalidResponse) {
  sim_->faults().Add("list",
                     JsonReply(R"({"data":[{"metadata":{"id":"e1"},"status":"running"}],)"
                               R"("meta":{"hasMore":true,"nextCursor":"same","total":9}})"),
                     -1);
  Walked walked = WalkList(Query(10));
  EXPECT_EQ(walked.pages, 1);
  EXPECT_EQ(walked.status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReasonOf(walked.status), reason::kUpstreamInvalidResponse);
  EXPECT_THAT(walked.status.message(), HasSubstr("the upstream paging cursor did not advance"));
}

// The gateway seals positions without reading them; reading them is the
// backend's, and one it cannot read is a page token it cannot honour.
TEST_F(BlaxelListTest, PositionsRoundTripAndOthersAreInvalidPageTokens) {
  for (const ListPosition& p : {ListPosition{"", 0}, ListPosition{"c2", 7},
                                ListPosition{std::string(kMaxCursorSize, '\0'), -1}}) {
    const UpstreamPosition bytes = EncodeListPosition(p);
    EXPECT_FALSE(bytes.empty());
    EXPECT_LE(bytes.size(), kMaxUpstreamPositionSize);
    EXPECT_EQ(At(bytes), p);
  }
  EXPECT_EQ(At(""), ListPosition());  // the first page

  const UpstreamPosition valid = EncodeListPosition({"c2", 7});
  const UpstreamPosition unreadable[] = {
      "B",
      valid.substr(0, valid.size() - 1),
      valid + "x",
      "P" + valid.substr(1),  // another layout's first byte
      EncodeListPosition({std::string(kMaxCursorSize + 1, 'c'), 0}),
  };
  for (const UpstreamPosition& bytes : unreadable) {
    SCOPED_TRACE(bytes.size());
    ListExecutionsQuery q = Query(10);
    q.position = bytes;
    absl::StatusOr<ExecutionPage> page = List(q);
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(page.status().message(), "page_token: is not a valid page token");
    EXPECT_EQ(ErrorReasonOf(page.status()), reason::kInvalidPageToken);
    absl::StatusOr<TaskPage> tasks = Tasks(ListTasksQuery{Name("e1"), 10, bytes});
    ASSERT_FALSE(tasks.ok());
    EXPECT_EQ(ErrorReasonOf(tasks.status()), reason::kInvalidPageToken);
  }
  EXPECT_TRUE(client_->sent().empty());  // refused before Blaxel is asked
}

// A next cursor no position can hold would end paging on the next page: the
// answer is refused at once, as the gateway refused it before positions
// were the backend's.
TEST_F(BlaxelListTest, ANextCursorLongerThanAPositionHoldsIsAnInvalidResponse) {
  auto reply = [](size_t cursor_size) {
    return JsonReply(absl::StrCat(R"({"data":[{"metadata":{"id":"e1"},"status":"running"}],)",
                                  R"("meta":{"hasMore":true,"nextCursor":")",
                                  std::string(cursor_size, 'c'), R"(","total":9}})"));
  };
  sim_->faults().Add("list", reply(kMaxCursorSize));
  absl::StatusOr<ExecutionPage> longest = List(Query(10));
  ASSERT_TRUE(longest.ok()) << longest.status();
  ASSERT_TRUE(longest->next.has_value());
  EXPECT_EQ(At(*longest->next).cursor, std::string(kMaxCursorSize, 'c'));

  sim_->faults().Add("list", reply(kMaxCursorSize + 1));
  absl::StatusOr<ExecutionPage> longer = List(Query(10));
  ASSERT_FALSE(longer.ok());
  EXPECT_EQ(longer.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReasonOf(longer.status()), reason::kUpstreamInvalidResponse);
  EXPECT_THAT(longer.status().message(), HasSubstr("a paging cursor longer than 8192 bytes"));
}

// Listed ids are named escaped, and the name reads the execution back; ids
// no name can hold keep execution_id as sent with an empty name.
TEST_F(BlaxelListTest, ListedIdsAreNamedSoThatGetReadsThemBack) {
  sim_->PutExecution(kJob, "my exec/1", SimulatedScenario::kSucceed, clock_.Now(), 1);
  sim_->PutRaw(kJob, "dots", R"({"metadata":{"id":"..","job":"data-processing-job"}})");
  absl::StatusOr<ExecutionPage> p = List(Query(10));
  ASSERT_TRUE(p.ok()) << p.status();
  std::map<std::string, std::string> names;
  for (const v1::Execution& e : p->executions) names[e.execution_id()] = e.name();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[".."], "");
  EXPECT_EQ(names["my exec/1"], "backends/bx/jobs/data-processing-job/executions/my%20exec%2F1");
  absl::StatusOr<ExecutionName> parsed = ParseExecutionName(names["my exec/1"]);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  absl::StatusOr<v1::Execution> got = Await<v1::Execution>(
      [&](Done<v1::Execution> done) { backend_->GetExecution(*parsed, {}, std::move(done)); });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->execution_id(), "my exec/1");
  EXPECT_EQ(got->name(), names["my exec/1"]);
}

TEST_F(BlaxelListTest, CredentialsEchoedInListItemsAreRedacted) {
  // OAuth: the client secret, the access token and the key are never
  // echoed, whatever the escape.
  std::unique_ptr<Backend> oauth = MakeBackend([](BlaxelBackendOptions& o) {
    o.api_key.clear();
    o.oauth_client_id = kClientId;
    o.oauth_client_secret = kClientSecret;
  });
  sim_->PutRaw(kJob, "echo",
               R"({"metadata":{"id":"echo"},"status":"running",)"
               R"("debug":"\u0073\u0033cr3t-7d1e9b and bl-\u006fauth-1-"})");
  ListExecutionsQuery q = Query(10);
  q.view = v1::EXECUTION_VIEW_FULL;
  absl::StatusOr<ExecutionPage> p = List(q, {}, oauth.get());
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->executions.size(), 1u);
  const std::string text = p->executions[0].DebugString();
  EXPECT_FALSE(absl::StrContains(text, kClientSecret)) << text;
  EXPECT_THAT(text, HasSubstr("[redacted] and bl-oauth-1-"));
}

// ---------------------------------------------------------------- tasks

class BlaxelTasksTest : public BlaxelListTest {
 protected:
  struct WalkedTasks {
    std::vector<std::string> names;
    int pages = 0;
    std::vector<int64_t> totals;
    absl::Status status;
  };
  WalkedTasks WalkTasks(ListTasksQuery query, Backend* backend = nullptr) {
    WalkedTasks out;
    for (int page = 0; page < 1000; ++page) {
      absl::StatusOr<TaskPage> p = Tasks(query, backend);
      if (!p.ok()) {
        out.status = p.status();
        return out;
      }
      ++out.pages;
      out.totals.push_back(p->total_size);
      for (const v1::Task& t : p->tasks) out.names.push_back(t.name());
      if (!p->next.has_value()) return out;
      query.position = *p->next;
    }
    ADD_FAILURE() << "the listing did not end";
    return out;
  }
  static std::vector<std::string> TaskNames(int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(absl::StrCat("task-", i));
    return out;
  }
};

TEST_F(BlaxelTasksTest, PagesThroughTheTasksEndpoint) {
  sim_->PutExecution(kJob, "big", SimulatedScenario::kSucceed, clock_.Now(), 230);
  clock_.Advance(absl::Minutes(10));
  client_->Clear();
  ListTasksQuery q{Name("big"), 64, {}};
  WalkedTasks walked = WalkTasks(q);
  ASSERT_TRUE(walked.status.ok()) << walked.status;
  EXPECT_THAT(walked.names, ElementsAreArray(TaskNames(230)));
  EXPECT_EQ(walked.pages, 4);
  for (int64_t total : walked.totals) EXPECT_EQ(total, 230);
  std::vector<RecordingHttpClient::Sent> sent = client_->sent();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_THAT(
      sent[0].url,
      HasSubstr("/jobs/data-processing-job/executions/big/tasks?limit=64&sort=createdAt:asc"));
  EXPECT_TRUE(sent[0].idempotent);
  EXPECT_THAT(sent[1].url, HasSubstr("&cursor="));

  // A page_size of 0 as the gateway normalises it (list_query.h).
  absl::StatusOr<int> page_size = gateway::NormalizeTaskPageSize(0);
  ASSERT_TRUE(page_size.ok()) << page_size.status();
  absl::StatusOr<TaskPage> first = Tasks(ListTasksQuery{Name("big"), *page_size, {}});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->tasks.size(), 50u);  // the default
  EXPECT_EQ(first->tasks[0].state(), v1::Task::STATE_SUCCEEDED);
  EXPECT_EQ(Tasks(ListTasksQuery{Name("missing"), 10, {}}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(BlaxelTasksTest, LegacyVersionPagesTheExecutionsTasks) {
  sim_->PutExecution(kJob, "big", SimulatedScenario::kSucceed, clock_.Now(), 130);
  std::unique_ptr<Backend> legacy = LegacyBackend();
  client_->Clear();
  WalkedTasks walked = WalkTasks(ListTasksQuery{Name("big"), 50, {}}, legacy.get());
  ASSERT_TRUE(walked.status.ok()) << walked.status;
  EXPECT_THAT(walked.names, ElementsAreArray(TaskNames(130)));
  EXPECT_EQ(walked.pages, 3);
  for (int64_t total : walked.totals) EXPECT_EQ(total, 130);
  for (const auto& s : client_->sent()) {
    EXPECT_FALSE(absl::StrContains(s.url, "/tasks"));
    EXPECT_TRUE(s.idempotent);
  }
  EXPECT_EQ(sim_->request_count("tasks"), 0);
}

TEST_F(BlaxelTasksTest, ExpiredTaskCursorIsAnInvalidPageToken) {
  sim_->PutExecution(kJob, "big", SimulatedScenario::kSucceed, clock_.Now(), 30);
  absl::StatusOr<TaskPage> first = Tasks(ListTasksQuery{Name("big"), 10, {}});
  ASSERT_TRUE(first.ok() && first->next.has_value());
  clock_.Advance(absl::Hours(25));
  absl::StatusOr<TaskPage> expired = Tasks(ListTasksQuery{Name("big"), 10, *first->next});
  EXPECT_EQ(ErrorReasonOf(expired.status()), reason::kInvalidPageToken);
}

TEST_F(BlaxelTasksTest, AnUpstreamIgnoringLimitNeverOverfillsAPage) {
  sim_->PutExecution(kJob, "big", SimulatedScenario::kSucceed, clock_.Now(), 1);
  std::string data;
  for (int i = 0; i < 1200; ++i) {
    absl::StrAppend(&data, data.empty() ? "" : ",", R"({"metadata":{"name":"t-)", i,
                    R"("},"status":"succeeded"})");
  }
  sim_->faults().Add("tasks",
                     JsonReply(absl::StrCat(R"({"data":[)", data,
                                            R"(],"meta":{"hasMore":false,"nextCursor":""}})")),
                     -1);
  std::vector<std::string> names;
  ListTasksQuery q{Name("big"), 64, {}};
  int pages = 0;
  for (; pages < 100; ++pages) {
    absl::StatusOr<TaskPage> p = Tasks(q);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_LE(p->tasks.size(), 64u);
    for (const v1::Task& t : p->tasks) names.push_back(t.name());
    if (!p->next.has_value()) break;
    q.position = *p->next;
  }
  ASSERT_EQ(names.size(), 1200u);
  for (int i = 0; i < 1200; ++i) EXPECT_EQ(names[i], absl::StrCat("t-", i));
  EXPECT_EQ(pages + 1, 19);  // 18 pages of 64 and one of 48
}

TEST_F(BlaxelTasksTest, ACursorThatDoesNotAdvanceIsAnInvalidResponse) {
  sim_->PutExecution(kJob, "big", SimulatedScenario::kSucceed, clock_.Now(), 1);
  sim_->faults().Add("tasks",
                     JsonReply(R"({"data":[{"metadata":{"name":"a"}}],)"
                               R"("meta":{"hasMore":true,"nextCursor":"again"}})"),
                     -1);
  WalkedTasks walked = WalkTasks(ListTasksQuery{Name("big"), 10, {}});
  EXPECT_EQ(walked.pages, 1);
  EXPECT_EQ(ErrorReasonOf(walked.status), reason::kUpstreamInvalidResponse);
  EXPECT_THAT(walked.status.message(), HasSubstr("did not advance"));
}

TEST_F(BlaxelTasksTest, NameMustHaveTheJobForm) {
  absl::StatusOr<TaskPage> r = Tasks(ListTasksQuery{ExecutionName{kBackend, "", "x"}, 10, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorReasonOf(r.status()), reason::kWrongBackendKind);
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "parent:")) << r.status();
}

}  // namespace
}  // namespace execgw::blaxel::testing

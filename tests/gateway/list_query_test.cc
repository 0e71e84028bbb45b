#include "gateway/list_query.h"

#include <climits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/json_value.h"
#include "adapters/upstream_error.h"
#include "adapters/upstream_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace execgw::gateway {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using State = v1::Execution::State;

constexpr char kJob[] = "backends/prod/jobs/nightly";

v1::ListExecutionsRequest Request(const std::string& filter, const std::string& order_by = "",
                                  int page_size = 0, const std::string& parent = kJob) {
  v1::ListExecutionsRequest request;
  request.set_parent(parent);
  request.set_filter(filter);
  request.set_order_by(order_by);
  request.set_page_size(page_size);
  return request;
}

absl::Time T(const char* text) {
  std::optional<absl::Time> t = ParseUpstreamTime(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(absl::UnixEpoch());
}

const absl::Duration kNs = absl::Nanoseconds(1);

// ---- filter: valid forms ----

struct FilterCase {
  std::string filter;
  std::set<State> states;
  std::optional<absl::Time> from;
  std::optional<absl::Time> to;
};

TEST(ParseListExecutionsRequestTest, ValidFilters) {
  const absl::Time jan1 = T("2026-01-01T00:00:00Z");
  const absl::Time jan2 = T("2026-01-02T00:00:00Z");
  const std::vector<FilterCase> cases = {
      {"", {}, std::nullopt, std::nullopt},
      {" \t\n ", {}, std::nullopt, std::nullopt},
      {"state = RUNNING", {v1::Execution::STATE_RUNNING}, std::nullopt, std::nullopt},
      {"state=STATE_RUNNING", {v1::Execution::STATE_RUNNING}, std::nullopt, std::nullopt},
      {"(state = RUNNING)", {v1::Execution::STATE_RUNNING}, std::nullopt, std::nullopt},
      {"state = UNRECOGNIZED", {v1::Execution::STATE_UNRECOGNIZED}, std::nullopt, std::nullopt},
      {"(state = RUNNING OR state = STATE_WAITING)",
       {v1::Execution::STATE_RUNNING, v1::Execution::STATE_WAITING},
       std::nullopt,
       std::nullopt},
      {"(state=RUNNING OR state=RUNNING)",
       {v1::Execution::STATE_RUNNING},
       std::nullopt,
       std::nullopt},
      {"(\n state = FAILED\n OR state = TIMED_OUT\n OR state = CANCELLED\n)",
       {v1::Execution::STATE_FAILED, v1::Execution::STATE_TIMED_OUT,
        v1::Execution::STATE_CANCELLED},
       std::nullopt,
       std::nullopt},
      {"create_time > \"2026-01-01T00:00:00Z\"", {}, jan1 + kNs, std::nullopt},
      {"create_time >= \"2026-01-01T00:00:00Z\"", {}, jan1, std::nullopt},
      {"create_time < \"2026-01-01T00:00:00Z\"", {}, std::nullopt, jan1},
      {"create_time <= \"2026-01-01T00:00:00Z\"", {}, std::nullopt, jan1 + kNs},
      {"create_time>=\"2026-01-01T00:00:00+00:00\"", {}, jan1, std::nullopt},
      {"create_time >= \"2026-01-01T00:00:00.5Z\"",
       {},
       jan1 + absl::Milliseconds(500),
       std::nullopt},
      // The tighter of two lower (upper) bounds wins, whatever their order.
      {"create_time >= \"2026-01-01T00:00:00Z\" AND create_time > \"2026-01-02T00:00:00Z\"",
       {},
       jan2 + kNs,
       std::nullopt},
      {"create_time > \"2026-01-02T00:00:00Z\" AND create_time >= \"2026-01-01T00:00:00Z\"",
       {},
       jan2 + kNs,
       std::nullopt},
      {"create_time < \"2026-01-03T00:00:00Z\" AND create_time <= \"2026-01-02T00:00:00Z\"",
       {},
       std::nullopt,
       jan2 + kNs},
      {"create_time >= \"2026-01-01T00:00:00Z\" AND create_time < \"2026-01-02T00:00:00Z\"",
       {},
       jan1,
       jan2},
      // The smallest non-empty range: exactly one instant.
      {"create_time >= \"2026-01-01T00:00:00Z\" AND create_time <= \"2026-01-01T00:00:00Z\"",
       {},
       jan1,
       jan1 + kNs},
      {"state = FAILED AND create_time >= \"2026-01-01T00:00:00Z\" AND create_time < "
       "\"2026-01-02T00:00:00Z\"",
       {v1::Execution::STATE_FAILED},
       jan1,
       jan2},
      {"create_time < \"2026-01-02T00:00:00Z\" AND (state = QUEUED OR state = PENDING)",
       {v1::Execution::STATE_QUEUED, v1::Execution::STATE_PENDING},
       std::nullopt,
       jan2},
  };
  for (const FilterCase& c : cases) {
    SCOPED_TRACE(c.filter);
    absl::StatusOr<ListExecutionsQuery> query = ParseListExecutionsRequest(Request(c.filter));
    ASSERT_TRUE(query.ok()) << query.status();
    EXPECT_EQ(query->states, c.states);
    EXPECT_EQ(query->created_from, c.from);
    EXPECT_EQ(query->created_to, c.to);
    EXPECT_EQ(query->position, UpstreamPosition());
  }
}

// ---- filter: invalid forms ----

struct BadFilterCase {
  std::string filter;
  std::vector<std::string> fragments;
};

TEST(ParseListExecutionsRequestTest, InvalidFilters) {
  const std::vector<BadFilterCase> cases = {
      {"state = RUNNING AND state = FAILED",
       {"state comparison at position 21", "position 1", "OR inside parentheses"}},
      {"state = RUNNING AND (state = FAILED OR state = QUEUED)",
       {"position 21", "OR inside parentheses"}},
      {"state = RUNNING OR state = FAILED", {"OR at position 17", "inside parentheses"}},
      {"state = running", {"\"running\" at position 9", "is not an execution state", "QUEUED"}},
      {"state = UNSPECIFIED", {"\"UNSPECIFIED\" at position 9", "is not an execution state"}},
      {"state = STATE_UNSPECIFIED", {"is not an execution state"}},
      {"state = STATE_STATE_RUNNING", {"is not an execution state"}},
      {"state != RUNNING", {"state supports only \"=\"", "\"!=\" at position 7"}},
      {"state : RUNNING", {"state supports only \"=\"", "\":\" at position 7"}},
      {"state = \"RUNNING\"",
       {"a state name such as RUNNING (unquoted)", "\"RUNNING\" at position 9"}},
      {"state", {"\"=\" after state", "found the end of the filter"}},
      {"state =", {"a state name", "found the end of the filter"}},
      {"State = RUNNING", {"\"State\" at position 1 is not a field you can filter on"}},
      {"name = \"x\"", {"\"name\" at position 1 is not a field you can filter on"}},
      {"create_time = \"2026-01-01T00:00:00Z\"",
       {"create_time supports >, >=, < and <=", "\"=\" at position 13"}},
      {"create_time > 2026-01-01T00:00:00Z", {"a quoted RFC 3339 time", "\"2026\" at position 15"}},
      {"create_time >", {"a quoted RFC 3339 time", "the end of the filter"}},
      {"create_time", {">, >=, < or <= after create_time", "the end of the filter"}},
      {"create_time > \"yesterday\"", {"\"yesterday\" at position 15 is not an RFC 3339 time"}},
      {"create_time > \"2026-13-01T00:00:00Z\"", {"is not an RFC 3339 time"}},
      {"create_time > \"0001-01-01T00:00:00Z\"", {"is not an RFC 3339 time"}},
      {"create_time > \"2026-01-01", {"string starting at position 15 has no closing quote"}},
      {"create_time > \"2026-01-02T00:00:00Z\" AND create_time < \"2026-01-01T00:00:00Z\"",
       {"positions 1 and 42", "empty range", "2026-01-02T00:00:00.000000001Z",
        "2026-01-01T00:00:00Z"}},
      {"create_time >= \"2026-01-01T00:00:00Z\" AND create_time < \"2026-01-01T00:00:00Z\"",
       {"empty range"}},
      {"create_time > \"2026-01-01T00:00:00Z\" AND create_time <= \"2026-01-01T00:00:00Z\"",
       {"empty range"}},
      {"state = RUNNING AND", {"expected a comparison", "found the end of the filter"}},
      {"AND state = RUNNING", {"expected a comparison", "\"AND\" at position 1"}},
      {"state = RUNNING state = FAILED",
       {"expected AND or the end of the filter", "\"state\" at position 17"}},
      {"state = RUNNING and state = FAILED", {"expected AND", "\"and\" at position 17"}},
      {"(state = RUNNING", {"expected OR or \")\"", "found the end of the filter"}},
      {"(state = RUNNING AND state = FAILED)",
       {"AND at position 18 is not allowed inside parentheses"}},
      {"(create_time > \"2026-01-01T00:00:00Z\")",
       {"\"create_time\" at position 2", "only state comparisons"}},
      {"()", {"expected \"state\"", "\")\" at position 2"}},
      {"((state = RUNNING))", {"expected \"state\"", "\"(\" at position 2"}},
      {"state = RUNNING)", {"expected AND or the end of the filter", "\")\" at position 16"}},
      {"state = RUNNING; DROP", {"unexpected character ';' at position 16"}},
      {"state = RUNNING\x01", {"unexpected character '\\x01' at position 16"}},
      {"state = RUNNING AND !", {"unexpected character '!' at position 21"}},
      {"state = 'RUNNING'", {"unexpected character ''' at position 9"}},
  };
  for (const BadFilterCase& c : cases) {
    SCOPED_TRACE(c.filter);
    absl::StatusOr<ListExecutionsQuery> query = ParseListExecutionsRequest(Request(c.filter));
    ASSERT_FALSE(query.ok());
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(query.status().message()), StartsWith("filter: "));
    for (const std::string& fragment : c.fragments) {
      EXPECT_THAT(std::string(query.status().message()), HasSubstr(fragment));
    }
    EXPECT_EQ(ErrorReasonOf(query.status()), reason::kInvalidArgument);
  }
}

// ---- order_by ----

TEST(ParseListExecutionsRequestTest, OrderBy) {
  const std::vector<std::pair<std::string, bool>> valid = {
      {"", false},
      {"create_time desc", false},
      {"  create_time \t desc  ", false},
      {"create_time", true},
      {" create_time ", true},
      {"create_time asc", true},
      {"\tcreate_time\nasc", true},
  };
  for (const auto& [order_by, ascending] : valid) {
    SCOPED_TRACE(order_by);
    absl::StatusOr<ListExecutionsQuery> query = ParseListExecutionsRequest(Request("", order_by));
    ASSERT_TRUE(query.ok()) << query.status();
    EXPECT_EQ(query->ascending, ascending);
  }
  for (const std::string order_by :
       {"create_time DESC", "name", "create_time desc, name", "create_time desc asc", "desc",
        "create_time,desc", "update_time desc"}) {
    SCOPED_TRACE(order_by);
    absl::StatusOr<ListExecutionsQuery> query = ParseListExecutionsRequest(Request("", order_by));
    ASSERT_FALSE(query.ok());
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(query.status().message()),
                AllOf(StartsWith("order_by: \"" + order_by + "\" is not supported"),
                      HasSubstr("\"create_time desc\""), HasSubstr("\"create_time asc\"")));
  }
}

// Found by tests/fuzz (list_filter): bytes that are not UTF-8 (a proto
// string parsed elsewhere, or built in process) were echoed as they were
// into the message and its field violation, which must be UTF-8.
TEST(ParseListExecutionsRequestTest, ErrorsEchoOnlyUtf8) {
  for (const auto& [filter, order_by] : std::vector<std::pair<std::string, std::string>>{
           {"create_time >= \"2026-01-01T00:00:0\xb0Z\"", ""}, {"", "create_time\xff"}}) {
    absl::StatusOr<ListExecutionsQuery> query =
        ParseListExecutionsRequest(Request(filter, order_by));
    ASSERT_FALSE(query.ok());
    const std::string message(query.status().message());
    EXPECT_EQ(SanitizeUtf8(message), message);
    EXPECT_THAT(message, HasSubstr("\xEF\xBF\xBD"));  // U+FFFD where the byte was
    for (const FieldViolation& v : FieldViolationsOf(query.status())) {
      EXPECT_EQ(SanitizeUtf8(v.description), v.description);
    }
  }
}

// ---- page_size ----

TEST(ParseListExecutionsRequestTest, PageSize) {
  const std::vector<std::pair<int, int>> cases = {{0, 20},    {1, 1},     {20, 20},
                                                  {100, 100}, {101, 100}, {INT_MAX, 100}};
  for (const auto& [given, expected] : cases) {
    absl::StatusOr<ListExecutionsQuery> query = ParseListExecutionsRequest(Request("", "", given));
    ASSERT_TRUE(query.ok()) << query.status();
    EXPECT_EQ(query->page_size, expected) << given;
  }
  for (int negative : {-1, INT_MIN}) {
    absl::StatusOr<ListExecutionsQuery> query =
        ParseListExecutionsRequest(Request("", "", negative));
    ASSERT_FALSE(query.ok());
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(query.status().message(), "page_size: must not be negative");
  }
}

TEST(ParseListExecutionsRequestTest, View) {
  const std::vector<std::pair<v1::ExecutionView, v1::ExecutionView>> cases = {
      {v1::EXECUTION_VIEW_UNSPECIFIED, v1::EXECUTION_VIEW_BASIC},
      {v1::EXECUTION_VIEW_BASIC, v1::EXECUTION_VIEW_BASIC},
      {v1::EXECUTION_VIEW_FULL, v1::EXECUTION_VIEW_FULL},
  };
  for (const auto& [given, expected] : cases) {
    v1::ListExecutionsRequest request = Request("");
    request.set_view(given);
    absl::StatusOr<ListExecutionsQuery> query = ParseListExecutionsRequest(request);
    ASSERT_TRUE(query.ok()) << query.status();
    EXPECT_EQ(query->view, expected) << given;
  }
  // A number this proto does not define (open enum: a newer client's view).
  for (int unknown : {3, -1, 1000}) {
    v1::ListExecutionsRequest request = Request("");
    request.set_view(static_cast<v1::ExecutionView>(unknown));
    absl::StatusOr<ListExecutionsQuery> query = ParseListExecutionsRequest(request);
    ASSERT_FALSE(query.ok()) << unknown;
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(query.status().message()), StartsWith("view: "));
    EXPECT_EQ(ErrorReasonOf(query.status()), reason::kInvalidArgument);
  }
}

TEST(NormalizeTaskPageSizeTest, DefaultsAndCaps) {
  EXPECT_EQ(NormalizeTaskPageSize(0).value(), 50);
  EXPECT_EQ(NormalizeTaskPageSize(1).value(), 1);
  EXPECT_EQ(NormalizeTaskPageSize(200).value(), 200);
  EXPECT_EQ(NormalizeTaskPageSize(201).value(), 200);
  EXPECT_EQ(NormalizeTaskPageSize(INT_MAX).value(), 200);
  absl::StatusOr<int> negative = NormalizeTaskPageSize(-5);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(negative.status().message(), "page_size: must not be negative");
}

// ---- parent ----

TEST(ParseListExecutionsRequestTest, Parent) {
  absl::StatusOr<ListExecutionsQuery> job = ParseListExecutionsRequest(Request(""));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->parent, (ParentName{"prod", "nightly", ""}));

  absl::StatusOr<ListExecutionsQuery> backend =
      ParseListExecutionsRequest(Request("", "", 0, "backends/polos"));
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ(backend->parent, (ParentName{"polos", "", ""}));

  for (const std::string parent : {"", "jobs/nightly", "backends/Prod", "backends/p/jobs/"}) {
    SCOPED_TRACE(parent);
    absl::StatusOr<ListExecutionsQuery> query =
        ParseListExecutionsRequest(Request("", "", 0, parent));
    ASSERT_FALSE(query.ok());
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(query.status().message()), StartsWith("parent: "));
  }
}

TEST(ParseListExecutionsRequestTest, ParentIsCheckedBeforeTheRest) {
  absl::StatusOr<ListExecutionsQuery> query =
      ParseListExecutionsRequest(Request("nonsense", "nonsense", -1, "nonsense"));
  ASSERT_FALSE(query.ok());
  EXPECT_THAT(std::string(query.status().message()), StartsWith("parent: "));
}

// ---- fingerprints ----

std::string Fingerprint(const v1::ListExecutionsRequest& request) {
  absl::StatusOr<ListExecutionsQuery> query = ParseListExecutionsRequest(request);
  EXPECT_TRUE(query.ok()) << query.status();
  return query.ok() ? QueryFingerprint(*query) : "";
}

TEST(QueryFingerprintTest, EquivalentRequestsAgree) {
  const std::vector<std::vector<v1::ListExecutionsRequest>> groups = {
      {Request("state = RUNNING"), Request("state=STATE_RUNNING"), Request("(state = RUNNING)"),
       Request(" ( state = STATE_RUNNING OR state = RUNNING ) ")},
      {Request("(state = RUNNING OR state = FAILED)"),
       Request("(state = FAILED OR state = RUNNING)")},
      {Request("state = FAILED AND create_time >= \"2026-01-01T00:00:00Z\""),
       Request("create_time >= \"2026-01-01T00:00:00+00:00\" AND state = STATE_FAILED"),
       Request("create_time > \"2025-12-31T23:59:59.999999999Z\" AND state = FAILED"),
       Request("create_time >= \"2025-01-01T00:00:00Z\" AND state = FAILED AND "
               "create_time >= \"2026-01-01T00:00:00.000Z\"")},
      {Request("create_time <= \"2026-01-01T00:00:00Z\""),
       Request("create_time < \"2026-01-01T00:00:00.000000001Z\"")},
      {Request("", ""), Request("", "create_time desc"), Request("", " create_time  desc"),
       Request("", "", 5), Request("", "", 500)},
      {Request("", "create_time"), Request("", "create_time asc")},
  };
  for (const auto& group : groups) {
    const std::string first = Fingerprint(group[0]);
    for (const auto& request : group) {
      EXPECT_EQ(Fingerprint(request), first)
          << request.filter() << " | " << request.order_by() << " | " << request.page_size();
    }
  }
  // The page token is not part of the query either.
  v1::ListExecutionsRequest with_token = Request("");
  with_token.set_page_token("anything");
  EXPECT_EQ(Fingerprint(with_token), Fingerprint(Request("")));
  // Nor is the view: a caller may page in BASIC and read a page in FULL.
  for (v1::ExecutionView view : {v1::EXECUTION_VIEW_BASIC, v1::EXECUTION_VIEW_FULL}) {
    v1::ListExecutionsRequest with_view = Request("state = RUNNING");
    with_view.set_view(view);
    EXPECT_EQ(Fingerprint(with_view), Fingerprint(Request("state = RUNNING"))) << view;
  }
}

TEST(QueryFingerprintTest, DifferentRequestsDiffer) {
  const std::vector<v1::ListExecutionsRequest> requests = {
      Request(""),
      Request("", "", 0, "backends/prod/jobs/other"),
      Request("", "", 0, "backends/prod/workflows/nightly"),
      Request("", "", 0, "backends/prod"),
      Request("", "", 0, "backends/staging/jobs/nightly"),
      Request("", "create_time asc"),
      Request("state = RUNNING"),
      Request("state = FAILED"),
      Request("(state = RUNNING OR state = FAILED)"),
      Request("create_time >= \"2026-01-01T00:00:00Z\""),
      Request("create_time > \"2026-01-01T00:00:00Z\""),
      Request("create_time < \"2026-01-01T00:00:00Z\""),
      Request("create_time <= \"2026-01-01T00:00:00Z\""),
      Request("create_time >= \"9000-01-01T00:00:00Z\""),
      Request("create_time >= \"9999-01-01T00:00:00Z\""),
  };
  std::set<std::string> seen;
  for (const auto& request : requests) {
    EXPECT_TRUE(seen.insert(Fingerprint(request)).second)
        << request.parent() << " | " << request.filter() << " | " << request.order_by();
  }
  // Listing kinds never share a fingerprint.
  EXPECT_FALSE(seen.contains(TaskQueryFingerprint(ExecutionName{"prod", "nightly", "x"})));
}

TEST(TaskQueryFingerprintTest, OnePerExecution) {
  const ExecutionName a{"prod", "nightly", "exec-1"};
  EXPECT_EQ(TaskQueryFingerprint(a), TaskQueryFingerprint(a));
  EXPECT_NE(TaskQueryFingerprint(a),
            TaskQueryFingerprint(ExecutionName{"prod", "nightly", "exec-2"}));
  EXPECT_NE(TaskQueryFingerprint(a), TaskQueryFingerprint(ExecutionName{"prod", "", "exec-1"}));
  EXPECT_NE(TaskQueryFingerprint(a),
            TaskQueryFingerprint(ExecutionName{"dev", "nightly", "exec-1"}));
}

TEST(ListQueryLimitsTest, OverlongInputIsRefusedWithoutEchoingIt) {
  v1::ListExecutionsRequest request;
  request.set_parent("backends/bx/jobs/etl");
  request.set_order_by(std::string(5000, 'x'));
  auto q = ParseListExecutionsRequest(request);
  ASSERT_FALSE(q.ok());
  EXPECT_LT(q.status().message().size(), 200u);
  request.clear_order_by();
  request.set_filter("state = " + std::string(1500, 'Q'));
  q = ParseListExecutionsRequest(request);
  ASSERT_FALSE(q.ok());
  EXPECT_LT(q.status().message().size(), 400u) << q.status().message();
  request.set_filter(std::string(3000, ' '));
  q = ParseListExecutionsRequest(request);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("longer than 2000"), absl::string_view::npos);
}

}  // namespace
}  // namespace execgw::gateway

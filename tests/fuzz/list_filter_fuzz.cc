// ListExecutions' filter and order_by (gateway/list_query.h) and the
// filter the adapters apply with the query (adapters/list_filter.h). The
// input is a caller's filter, and then a caller's order_by.
//  - Errors are INVALID_ARGUMENT naming filter (order_by), bounded.
//  - A filter that parses means what its canonical spelling means: the
//    states, `create_time >= from` and `create_time < to` written out
//    parse to the same query fingerprint.
//  - The range is not empty, and Matches / PastRange agree with it at its
//    bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "adapters/list_filter.h"
#include "adapters/upstream_time.h"
#include "gateway/list_query.h"
#include "tests/fuzz/fuzz_checks.h"

namespace execgw::fuzz {
namespace {

v1::ListExecutionsRequest Request(absl::string_view filter, absl::string_view order_by) {
  v1::ListExecutionsRequest request;
  request.set_parent("backends/fuzz");
  request.set_filter(std::string(filter));
  request.set_order_by(std::string(order_by));
  return request;
}

std::string CanonicalFilter(const ListExecutionsQuery& query) {
  std::vector<std::string> terms;
  if (!query.states.empty()) {
    std::vector<std::string> states;
    for (v1::Execution::State s : query.states) {
      states.push_back(absl::StrCat("state = ", v1::Execution::State_Name(s)));
    }
    terms.push_back(absl::StrCat("(", absl::StrJoin(states, " OR "), ")"));
  }
  if (query.created_from.has_value()) {
    terms.push_back(absl::StrCat("create_time >= \"", FormatRfc3339(*query.created_from), "\""));
  }
  if (query.created_to.has_value()) {
    terms.push_back(absl::StrCat("create_time < \"", FormatRfc3339(*query.created_to), "\""));
  }
  return absl::StrJoin(terms, " AND ");
}

v1::Execution CreatedAt(absl::Time t, const ListExecutionsQuery& query) {
  v1::Execution e;
  e.set_state(query.states.empty() ? v1::Execution::STATE_RUNNING : *query.states.begin());
  *e.mutable_create_time() = ToProtoTimestamp(t);
  return e;
}

void CheckQuery(const ListExecutionsQuery& query, absl::string_view input) {
  const std::string canonical = CanonicalFilter(query);
  absl::StatusOr<ListExecutionsQuery> again =
      gateway::ParseListExecutionsRequest(Request(canonical, query.ascending ? "create_time" : ""));
  FUZZ_CHECK(again.ok(), "the canonical filter ", canonical, " of ", input,
             " fails: ", again.status().ToString());
  FUZZ_CHECK(gateway::QueryFingerprint(*again) == gateway::QueryFingerprint(query), "\"", input,
             "\" and its canonical filter \"", canonical, "\" differ");

  if (query.created_from.has_value() && query.created_to.has_value()) {
    FUZZ_CHECK(*query.created_from < *query.created_to, canonical);
  }
  if (query.created_from.has_value()) {
    const absl::Time from = *query.created_from;
    FUZZ_CHECK(Matches(query, CreatedAt(from, query)) ==
                   (!query.created_to.has_value() || from < *query.created_to),
               canonical);
    FUZZ_CHECK(!Matches(query, CreatedAt(from - absl::Nanoseconds(1), query)), canonical);
    FUZZ_CHECK(PastRange(query, CreatedAt(from - absl::Nanoseconds(1), query)) != query.ascending,
               canonical);
  }
  if (query.created_to.has_value()) {
    const absl::Time to = *query.created_to;
    FUZZ_CHECK(!Matches(query, CreatedAt(to, query)), canonical);
    FUZZ_CHECK(PastRange(query, CreatedAt(to, query)) == query.ascending, canonical);
  }
}

}  // namespace
}  // namespace execgw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace execgw;
  using namespace execgw::fuzz;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<ListExecutionsQuery> query =
      gateway::ParseListExecutionsRequest(Request(input, ""));
  if (query.ok()) {
    CheckQuery(*query, input);
  } else {
    CheckFieldError(query.status(), "filter");
  }

  query = gateway::ParseListExecutionsRequest(Request("", input));
  if (query.ok()) {
    FUZZ_CHECK(query->states.empty() && !query->created_from && !query->created_to, input);
  } else {
    CheckFieldError(query.status(), "order_by");
  }
  return 0;
}

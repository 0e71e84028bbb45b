#ifndef EXECGW_GATEWAY_LIST_QUERY_H_
#define EXECGW_GATEWAY_LIST_QUERY_H_

#include <string>

#include "absl/status/statusor.h"
#include "adapters/backend.h"
#include "adapters/resource_name.h"
#include "execgw/v1/execution_service.pb.h"

namespace execgw::gateway {

inline constexpr int kDefaultExecutionPageSize = 20;
inline constexpr int kMaxExecutionPageSize = 100;
inline constexpr size_t kMaxFilterLength = 2000;
inline constexpr size_t kMaxOrderByLength = 100;
inline constexpr int kDefaultTaskPageSize = 50;
inline constexpr int kMaxTaskPageSize = 200;

// Validates a ListExecutionsRequest and turns it into the query backends
// receive. `page_token` is not looked at (see PageTokenCodec); the returned
// query's `position` is the first page's.
//
//  - parent: ParseParentName(parent, "parent").
//  - page_size: negative is an error; 0 gives 20; above 100 gives 100.
//  - view: UNSPECIFIED gives EXECUTION_VIEW_BASIC; BASIC and FULL are kept;
//    any other number (a client built from a newer proto) is an error
//    naming `view`.
//  - order_by (surrounding and repeated whitespace ignored): "" or
//    "create_time desc" give newest first; "create_time" or
//    "create_time asc" give oldest first. Anything else is an error.
//  - filter (AIP-160 subset; keywords and names are case-sensitive):
//        filter := [ term { "AND" term } ]
//        term   := state | "(" state { "OR" state } ")" | time
//        state  := "state" "=" NAME      NAME: STATE_RUNNING or RUNNING, any
//                                        Execution.State but UNSPECIFIED
//        time   := "create_time" OP "\"RFC 3339 time\""   OP: > >= < <=
//    At most one state term (two are an error that says to use OR inside
//    parentheses). Time comparisons become [created_from, created_to):
//    `> t` from t+1ns, `>= t` from t, `< t` to t, `<= t` to t+1ns; of
//    several lower (upper) bounds the tightest wins; bounds that leave an
//    empty range are an error.
//
// Errors are INVALID_ARGUMENT built with MakeError (reason
// INVALID_ARGUMENT, metadata `field`) with a message "field: problem";
// filter errors name the offending text and its 1-based character position.
absl::StatusOr<ListExecutionsQuery> ParseListExecutionsRequest(
    const v1::ListExecutionsRequest& request);

// ListExecutionTasks' page_size: negative is an error ("page_size: must
// not be negative"); 0 gives 50; above 200 gives 200.
absl::StatusOr<int> NormalizeTaskPageSize(int page_size);

// A canonical description of what a query selects and in which order:
// parent, states (sorted), created_from/created_to and the order, but not
// page_size, view or position (a caller may change those between pages). Requests that mean the
// same listing (whatever the spelling, spacing or term order of their filter) give the same string;
// requests that differ give different strings. Page tokens are bound to it.
std::string QueryFingerprint(const ListExecutionsQuery& query);

// The same for ListExecutionTasks: the execution. Never equal to a
// QueryFingerprint, so a token of one listing kind fails on the other.
std::string TaskQueryFingerprint(const ExecutionName& execution);

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_LIST_QUERY_H_

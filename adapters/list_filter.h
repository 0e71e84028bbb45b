#ifndef EXECGW_ADAPTERS_LIST_FILTER_H_
#define EXECGW_ADAPTERS_LIST_FILTER_H_

#include "adapters/backend.h"
#include "execgw/v1/execution.pb.h"

namespace execgw {

// The filters of a ListExecutionsQuery, for the adapters that apply them to
// upstream pages (no upstream applies all of them exactly).

// True when `execution` passes the query's filters: its state is one of
// query.states (any state when empty) and its create time lies in
// [created_from, created_to) where they are set. An execution without a
// create time passes the time bounds: nothing says it is out of range.
bool Matches(const ListExecutionsQuery& query, const v1::Execution& execution);

// True when `execution` lies past the far bound of the query's create-time
// range in the listing's order: created before created_from when newest
// first, at or after created_to when oldest first. In a listing ordered by
// create time, nothing after it can match. False without a create time.
bool PastRange(const ListExecutionsQuery& query, const v1::Execution& execution);

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_LIST_FILTER_H_

#include "adapters/list_filter.h"

#include "absl/time/time.h"
#include "adapters/upstream_time.h"

namespace execgw {

bool Matches(const ListExecutionsQuery& query, const v1::Execution& execution) {
  if (!query.states.empty() && !query.states.contains(execution.state())) return false;
  if (!execution.has_create_time()) return true;
  const absl::Time created = FromProtoTimestamp(execution.create_time());
  if (query.created_from.has_value() && created < *query.created_from) return false;
  return !query.created_to.has_value() || created < *query.created_to;
}

bool PastRange(const ListExecutionsQuery& query, const v1::Execution& execution) {
  if (!execution.has_create_time()) return false;
  const absl::Time created = FromProtoTimestamp(execution.create_time());
  if (query.ascending) return query.created_to.has_value() && created >= *query.created_to;
  return query.created_from.has_value() && created < *query.created_from;
}

}  // namespace execgw

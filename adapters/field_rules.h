#ifndef EXECGW_ADAPTERS_FIELD_RULES_H_
#define EXECGW_ADAPTERS_FIELD_RULES_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "execgw/v1/execution.pb.h"

namespace execgw {

// The rules every translator applies to odd upstream values, so that the
// same odd value reads the same from every backend.

// How one upstream time text reads:
//  - empty (or only whitespace): unset, nothing recorded (both upstreams
//    document "" as "no time");
//  - an RFC 3339 time (ParseUpstreamTime): that time;
//  - anything else, Go's zero-time placeholder `0001-01-01T00:00:00Z`
//    included: unset, and the raw text is kept in `unparsed_fields` under
//    the field's JSON path.
struct UpstreamTimeReading {
  std::optional<absl::Time> time;
  bool keep_raw = false;  // record the raw text in unparsed_fields
};
UpstreamTimeReading ReadUpstreamTimeText(absl::string_view text);

// An upstream status word, ready to match against a vocabulary: ASCII
// whitespace trimmed, lower-cased. Both adapters match statuses
// case-insensitively (`TIMEOUT` reads as `timeout`, `CANCELLED` as
// `cancelled`); `raw_status` keeps the word exactly as sent.
std::string StatusWord(absl::string_view raw);

// Leaves in `execution` only the fields of EXECUTION_VIEW_BASIC (see the
// proto): name, execution_id, backend, backend_kind, workload, state,
// raw_status, create_time, end_time, error_message. The etag is cleared.
void KeepBasicView(v1::Execution& execution);

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_FIELD_RULES_H_

#ifndef EXECGW_ADAPTERS_POLOS_TRANSLATOR_H_
#define EXECGW_ADAPTERS_POLOS_TRANSLATOR_H_

#include "absl/strings/string_view.h"
#include "execgw/v1/execution.pb.h"
#include "rapidjson/document.h"

namespace execgw::polos {

// Translates a Polos execution (the body of GET /api/v1/executions/{id},
// schema ExecutionResponse) into the unified Execution of backend
// `backend_name`, with `name`, `backend_kind` POLOS and `etag` set.
//
// Never fails: upstream data can be odd and still spec-valid. The rules
// shared by every adapter are field_rules.h's.
// - id: `execution_id` keeps it as sent. `name` is
//   `backends/{backend}/executions/{id}` with the id lower-cased (Polos ids
//   are UUIDs, compared case-insensitively: names are canonical), or empty
//   when the id is not a UUID (such an id cannot be addressed).
// - status: matched case-insensitively (StatusWord) per the table on
//   execgw.v1.Execution.State; `pending` (docs only) and `claimed` are
//   PENDING, `cancelled` with `cancelled_by` "timeout" is TIMED_OUT; any
//   other value is STATE_UNRECOGNIZED. The word itself is always kept in
//   `raw_status`.
// - Times (`created_at`, `started_at`, `completed_at`, `cancelled_at`) go
//   through ReadUpstreamTimeText. Null, absent or empty: unset. A text that
//   does not give a time (a placeholder, garbage): unset, and the raw text
//   kept in `unparsed_fields` under the JSON field name. A terminal run
//   without `completed_at` (one cancelled by its timeout) gets `end_time`
//   from `cancelled_at` when that is set.
// - A known field of the wrong type (a number where a string belongs...)
//   is left unset and its JSON text kept in `unparsed_fields` likewise;
//   so is a `run_timeout_seconds` that is not a positive integer.
// - `payload` -> `input`: present (even JSON null: payload is required and
//   null is then the input the caller gave) sets it; absent leaves it unset.
// - `result` -> `result`: absent or null leaves it unset (Polos reports
//   "no result yet" as null).
// - `error` -> `error_message`, kept whatever the status: Polos keeps the
//   error of a failed attempt when it retries.
// - Lineage: `parent_execution_id` / `root_execution_id` become resource
//   names as `name` does (empty for an id that is not a UUID); the raw ids
//   stay in PolosDetails.
// - Fields the gateway does not know are kept in PolosDetails.extra_fields.
// - A non-object document gives an execution with only backend fields,
//   STATE_UNRECOGNIZED and an empty name.
v1::Execution TranslateExecution(const rapidjson::Value& doc, absl::string_view backend_name);

// Translates one item of GET /api/v1/workflows/runs (schema
// WorkflowRunSummary: id, root_execution_id, workflow_id, session_id,
// created_at, status, completed_at, payload, result, error), with the same
// rules. A summary carries no `cancelled_by`, so a run cancelled by its
// timeout reads STATE_CANCELLED here and STATE_TIMED_OUT from
// TranslateExecution; it has no `retry_count` either (left 0).
v1::Execution TranslateRunSummary(const rapidjson::Value& summary, absl::string_view backend_name);

// The unified state for a Polos `status` (and `cancelled_by`, which only
// matters for `cancelled`).
v1::Execution::State StateFromPolosStatus(absl::string_view status, absl::string_view cancelled_by);

}  // namespace execgw::polos

#endif  // EXECGW_ADAPTERS_POLOS_TRANSLATOR_H_

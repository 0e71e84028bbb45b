#ifndef EXECGW_ADAPTERS_BLAXEL_TRANSLATOR_H_
#define EXECGW_ADAPTERS_BLAXEL_TRANSLATOR_H_

#include "absl/strings/string_view.h"
#include "execgw/v1/execution.pb.h"
#include "rapidjson/document.h"

namespace execgw::blaxel {

// Translates one Blaxel `JobExecution` document (GET/DELETE answer, or an
// item of a list page) into the unified execution. Never fails: odd but
// valid data is translated as far as it can be and nothing is dropped.
//
//   metadata.id               execution_id (else `id_hint`)
//   metadata.job              workload (else `job_hint`); with the id, the
//                             name, left empty when either cannot be named
//                             (IsNameableId)
//   metadata.createdAt ...    create/start/end(completedAt)/update/expire(expiredAt)
//                             times; deletedAt -> blaxel.delete_time. A
//                             finished execution (succeeded, failed,
//                             cancelled, timeout) without a usable
//                             completedAt gets end_time from updatedAt
//   metadata.workspace/cluster blaxel.workspace / blaxel.cluster
//   status                    state per the Execution.State table (read as
//                             StatusWord: case-insensitive; `completed` ->
//                             SUCCEEDED; absent or
//                             unknown -> STATE_UNRECOGNIZED), raw_status as sent
//   spec.timeout              timeout (integer seconds; a Go duration string
//                             is accepted too)
//   spec.envOverride          blaxel.env_override: an object, or the same
//                             object JSON-encoded in a string (the spec's own
//                             example)
//   spec.memoryOverride       blaxel.memory_override_mb
//   spec.parallelism          blaxel.parallelism
//   tasks (else spec.tasks)   tasks, see TranslateTask
//   spec.tasks of bare        input (a list of the per-task parameter
//   parameter objects         objects): only when every item is an object
//                             without any JobExecutionTask key
//   stats                     task_stats (success -> succeeded, failure ->
//                             failed), retry_count = stats.retried
//
// Times follow ReadUpstreamTimeText (field_rules.h): an empty string means
// unset; any other unparseable time (Go's zero-time placeholder
// `0001-01-01T00:00:00Z` included), duration or number is left unset and
// its raw text kept in `unparsed_fields` under its JSON path ("metadata.startedAt",
// "tasks[1].spec.timeout"). Members this translator does not map (at the
// top level, in metadata/spec/stats, in tasks and conditions) and members
// of an unexpected JSON type where an object or array was expected are kept
// in `blaxel.extra_fields` under their path ("spec.foo", "tasks[0].bar").
// Nulls are treated as absent. The etag is set last.
v1::Execution TranslateJobExecution(const rapidjson::Value& job_execution,
                                    absl::string_view backend_name, absl::string_view job_hint,
                                    absl::string_view id_hint = {});

// Translates one `JobExecutionTask` (an item of `tasks`, `spec.tasks` or a
// tasks list page). `path_prefix` is the task's JSON path ("tasks[1]"),
// used to key odd values in `sink->unparsed_fields` and unmapped members in
// `sink->blaxel().extra_fields`; `sink` may be null to discard them. When
// the task has no `metadata.name` and `index` >= 0, the name is Blaxel's
// default `task-{index}`.
v1::Task TranslateTask(const rapidjson::Value& task, absl::string_view path_prefix, int index,
                       v1::Execution* sink);

// The status tables (Execution.State and Task.State comments in
// execution.proto), matched on StatusWord (case-insensitive).
v1::Execution::State ExecutionStateFromBlaxel(absl::string_view status);
v1::Task::State TaskStateFromBlaxel(absl::string_view status);

}  // namespace execgw::blaxel

#endif  // EXECGW_ADAPTERS_BLAXEL_TRANSLATOR_H_

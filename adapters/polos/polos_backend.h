#ifndef EXECGW_ADAPTERS_POLOS_POLOS_BACKEND_H_
#define EXECGW_ADAPTERS_POLOS_POLOS_BACKEND_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/http/http_client.h"

namespace execgw::polos {

struct PolosBackendOptions {
  // The configured backend name, as used in resource names.
  std::string name;
  // Where the orchestrator listens, such as `http://127.0.0.1:8080`
  // (no trailing path; a trailing '/' is tolerated).
  std::string base_url;
  // The project UUID, sent as X-Project-ID on every call.
  std::string project_id;
  // The API key (`sk_...`), sent as `Authorization: Bearer`. Never appears
  // in errors or logs.
  std::string api_key;
  // Upper bound on each attempt of an upstream request (a retrying client
  // retries an idempotent attempt that runs out of it); the caller's
  // deadline bounds the request as a whole.
  absl::Duration request_timeout = absl::Seconds(30);
  // FollowChanges: how long the event stream may stay silent (not even a
  // keepalive frame or a comment; Polos sends one every few tens of
  // milliseconds) before the feed counts it as lost.
  absl::Duration event_stream_silence = absl::Seconds(30);
};

// A Backend for a Polos orchestrator (v1 API), speaking HTTP through
// `client`, which must outlive the backend and every call it started.
//
// Requests are marked for a retrying client: GETs (executions, lists, the
// probe) and cancels are `idempotent`, runs never are. Every request carries
// Polos' classifier (errors.h: PolosVerdict), which reads each answer once:
// the ambiguous answers of errors.h (500 with an empty body; 500 "Failed to
// get execution") are definitive, so they reach the probe at once instead
// of being retried.
//
// GetExecution:
// - a name with a `jobs/` segment (the Blaxel form) gives INVALID_ARGUMENT
//   (reason WRONG_BACKEND_KIND) naming the field `name` and the expected
//   form; an execution id that is not a UUID gives INVALID_ARGUMENT
//   (reason INVALID_ARGUMENT), without calling Polos. A UUID in upper or
//   mixed case is accepted and lower-cased (Polos compares ids as UUIDs):
//   requests, answers and names carry that canonical form;
// - sends `GET {base_url}/api/v1/executions/{id}` with the context's
//   deadline and cancellation, each attempt bounded by request_timeout;
// - a 2xx body that is not a JSON object, or that describes another
//   execution (ids compared as UUIDs), gives INTERNAL
//   (UPSTREAM_INVALID_RESPONSE); every 2xx body has the API key redacted
//   from its strings (RedactJsonStrings) before it is translated;
// - failures are mapped by the table in errors.h, including the health
//   probe that tells a missing execution (NOT_FOUND) from a sick server
//   (UNAVAILABLE).
//
// ListExecutions (GET /api/v1/workflows/runs, workflow_type=workflow):
// - parent `backends/{b}` lists every workflow's runs (children included,
//   as Polos lists them), `backends/{b}/workflows/{w}` sends workflow_id=w;
//   the jobs form gives INVALID_ARGUMENT (WRONG_BACKEND_KIND) naming
//   `parent`; `ascending` gives INVALID_ARGUMENT naming `order_by` (Polos
//   lists newest first only).
// - Positions are ListPositions (list_position.h); bytes of another layout
//   give INVALID_ARGUMENT / INVALID_PAGE_TOKEN before Polos is asked.
// - Offset paging: limit = page_size + 1, offset = ListPosition.offset. At
//   most page_size items are returned (and only those translated), even
//   when Polos ignores `limit`; `next` (offset + items returned) is set
//   exactly when Polos answered more than page_size, so a full last page
//   is the end. total_size is always -1.
// - Stable paging while runs are created: the first page (offset 0, no
//   snapshot) is requested without a ceiling; its newest `created_at` plus
//   1 microsecond becomes ListPosition.snapshot, sent as `end_time` on every
//   later page. Every run of the first page is at or below the ceiling and
//   runs created afterwards are above it, so later pages count offsets in
//   the same set the first page came from: no duplicate, no gap. The
//   ceiling comes from Polos' own timestamps (no gateway/upstream clock
//   skew) and works whether Polos applies end_time inclusively or
//   exclusively (runs have microsecond timestamps). Residual limits: a run
//   created within the same microsecond as the ceiling under an inclusive
//   end_time, a transaction committing a run older than the ceiling after
//   the first page, and runs sharing one created_at (Polos orders ties
//   arbitrarily) can still shift a later page.
// - created_from -> start_time, min(created_to, snapshot) -> end_time
//   (RFC 3339, percent-encoded), widened to whole microseconds so that
//   neither bound can lose a run whichever way Polos compares (start_time
//   = created_from rounded down, minus 1 us; created_to rounded up). The
//   exact [created_from, created_to) range and the state filter are then
//   applied to each page, so a page may hold fewer than page_size
//   executions, even none, with `next` set.
// - Views (query.view). Run summaries lack most fields. BASIC (the
//   default): every item is cut to the basic fields (KeepBasicView, no
//   etag); summaries lack `cancelled_by`, so each cancelled run is still
//   read in full first (GET), so that a run cancelled by its timeout reads
//   TIMED_OUT as it does from GetExecution (skipped when the state filter
//   excludes both CANCELLED and TIMED_OUT). FULL: every item whose id is a
//   UUID is read in full and equals GetExecution's answer, etag included.
//   Reads run at most 8 at a time. If one fails because the caller's
//   deadline or cancellation ran out, the list fails with that; after any
//   other failure (and for an id that cannot be read) the item comes back
//   in BASIC form from its summary (a cancelled run then reads CANCELLED).
// - Items whose id is not a UUID keep it in execution_id with an empty
//   `name` (no name could address them).
//
// ListExecutionTasks: after checking the name as GetExecution does (field
// `parent`), always FAILED_PRECONDITION (reason FAILED_PRECONDITION):
// Polos executions have no tasks. Polos is not called.
//
// CreateExecution (POST /api/v1/workflows/{w}/run, never retried: Polos has
// no idempotency key, so deduplicates_creates() is false):
// - parent must be `backends/{b}/workflows/{w}` (jobs form: WRONG_BACKEND_KIND);
// - Blaxel-only fields (execution_id, task_parameters, env, memory_mb,
//   reject_if_no_capacity) give one INVALID_ARGUMENT naming each set one
//   (`env: not supported by Polos backends`; metadata `field` lists them);
// - `input` is required (any JSON value, null included) and becomes
//   `payload`; `timeout` must be whole positive seconds (at most 2^31-1)
//   and becomes run_timeout_seconds; queue -> queue_name, concurrency_key,
//   session_id, user_id, deployment_id as they are; request_id is not sent,
//   but a request with a request_id and no session_id gets session_id set
//   to a UUID (version 8) derived from project_id and the request_id, the
//   same for every attempt (FindCreated tells its run by it);
// - the answer is the execution read back with GET. Writes never answer
//   OK for what did not happen (OutcomeUnknownStatus, UNKNOWN /
//   OUTCOME_UNKNOWN): a 2xx run answer without a usable execution_id is
//   confirmed=false (Polos may or may not have started it); an
//   execution_id that is not a UUID is confirmed=true without a name; a
//   failed read-back after Polos took the run is confirmed=true with the
//   execution's name, so the caller reads it instead of starting it again.
//
// FindCreated (for the gateway's create deduplicator, after a create whose
// outcome it does not know): after checking the request as CreateExecution
// does, UNIMPLEMENTED (the gateway then creates again) unless the request
// has a request_id and no session_id: only the session derived above tells
// this request's runs from another's with the same input. Then GET
// /api/v1/workflows/runs?workflow_type=workflow&workflow_id={w}
// &start_time={since - 30 s}&end_time={until + 30 s} (Polos' clock may
// differ from the gateway's), in pages of 200 (limit, offset), newest
// first, to the last page; a run matches when its id is a UUID, its
// session_id is the derived one (compared as a UUID), its payload equals
// `input` and its created_at (when given) lies in that window. The oldest
// match is read with GET and answered (a failed read: the create's
// confirmed OUTCOME_UNKNOWN naming it); none found is nullopt. After 25
// full pages (5,000 runs) the search stops: with a match seen, that match
// is the answer (every match is a run of this request); without one,
// UNKNOWN / OUTCOME_UNKNOWN (confirmed=false), the gateway cannot tell. A
// list that fails gives its error (the list rows of errors.h).
//
// CancelExecution (POST /api/v1/executions/{id}/cancel, idempotent): checks
// the name as GetExecution does, then answers the execution read back with
// GET (CANCELLING while `pending_cancel`, or CANCELLED). The 2xx answer
// must confirm the cancel: a JSON object {"execution_id", "status",
// "cancelled_at"} about this execution (compared as a UUID) whose status is
// pending_cancel or cancelled (any case); anything else is OUTCOME_UNKNOWN
// with confirmed=false, and a confirmed cancel whose read-back fails is
// OUTCOME_UNKNOWN with confirmed=true (both with the execution's name). Polos marks the
// execution's descendants and ancestors too. Cancelling a `pending_cancel`
// execution again succeeds; a finished one gives FAILED_PRECONDITION naming
// its Polos status; a missing one NOT_FOUND (errors.h: cancel rows).
// FollowChanges follows the run's event stream, `GET /api/v1/events/stream`
// with topic `workflow/{workflow_id}/{run_id}` (and the same as the
// workflow_id / workflow_run_id parameters), resuming after the cursor
// (`last_sequence_id`). It reports on_change when connected and on every
// event frame (the cursor is its sequence_id); `data: keepalive` frames and
// comments only count as signs of life. It ends (on_end) with OK when Polos
// closes the stream (the run finished), UNAVAILABLE after an error frame
// (`{"type":"error","message":...}`, whose message it quotes), on a
// transport failure or after event_stream_silence without a byte, and with
// the error table's status for a non-200 answer. nullptr for an execution
// without a workflow id or run id.
std::unique_ptr<Backend> NewPolosBackend(PolosBackendOptions options, http::HttpClient& client);

}  // namespace execgw::polos

#endif  // EXECGW_ADAPTERS_POLOS_POLOS_BACKEND_H_

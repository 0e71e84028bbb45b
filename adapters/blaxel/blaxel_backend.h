#ifndef EXECGW_ADAPTERS_BLAXEL_BLAXEL_BACKEND_H_
#define EXECGW_ADAPTERS_BLAXEL_BLAXEL_BACKEND_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/http/http_client.h"
#include "adapters/http/upstream_observer.h"

namespace execgw::blaxel {

struct BlaxelBackendOptions {
  // The configured backend name (resource names: backends/{name}/...).
  std::string name;
  // The API root including the version path, e.g. "https://api.blaxel.ai/v0"
  // or "http://127.0.0.1:PORT/v0". A trailing '/' is ignored.
  std::string base_url;
  // Sent as X-Blaxel-Workspace.
  std::string workspace;
  // Sent as "Authorization: Bearer ..."; never written to errors or logs.
  std::string api_key;
  // OAuth client credentials, used when api_key is empty: access tokens
  // come from POST {base_url}/oauth/token (see oauth_token_source.h). The
  // secret and the tokens are never written to errors or logs.
  std::string oauth_client_id, oauth_client_secret;
  // Sent as Blaxel-Version. Versions older than 2026-04-28 (2026-04-16, or
  // empty: the header is then sent empty, which Blaxel reads as its oldest
  // version) list with bare arrays and offsets and have no tasks endpoint.
  std::string api_version = "2026-04-28";
  // Upper bound on each attempt of an upstream request (a retrying client
  // retries an idempotent attempt that runs out of it); the caller's
  // deadline bounds the request as a whole.
  absl::Duration request_timeout = absl::Seconds(30);
  // Optional, not owned, outlives the backend: told of OAuth token
  // refreshes.
  http::UpstreamObserver* observer = nullptr;
};

// A Backend for the Blaxel control plane v0 (job executions). `client` must
// outlive the backend; its loop times the backend (OAuth token lifetimes,
// the create's read-back delays). Names must have the job form
// (backends/{b}/jobs/{job}/executions/{id}); parents too
// (backends/{b}/jobs/{job}): Blaxel lists and creates per job.
//
// Requests: GET (get, list, tasks) and DELETE (cancel) are marked
// idempotent; a create only when it sends an execution id (request_id or
// execution_id), which Blaxel deduplicates on. Every request carries
// Blaxel's classifier (errors.h: BlaxelVerdict), which reads each answer
// once for the retrying client and the adapter alike. With OAuth, an HTTP
// 401 invalidates the token used and the request is sent once more with a
// fresh token (never more than once).
//
// Every 2xx body is parsed and every credential it could echo (the API key,
// the OAuth access token, the client secret), in any JSON escape, redacted
// from its strings before it is translated. An execution in an answer
// (GetExecution, the cancel's DELETE, the create's read-back) is the one
// asked for: metadata.id or metadata.job present, non-empty and different is
// INTERNAL, UPSTREAM_INVALID_RESPONSE.
//
// ListExecutions: GET /jobs/{job}/executions?limit&sort=createdAt:asc|desc
// &cursor; page_size (normalised by the gateway) becomes limit; total_size is
// meta.total. State and create-time filters are applied to each page here
// (Blaxel has neither); since pages come in create-time order, the listing
// ends (next unset) at the first execution beyond the range's far bound
// (older than created_from when newest first, at or after created_to when
// oldest first). A cursor the upstream rejects (400, e.g. expired after
// 24 h) gives INVALID_ARGUMENT / INVALID_PAGE_TOKEN; a meta.nextCursor equal
// to the cursor sent is INTERNAL, UPSTREAM_INVALID_RESPONSE (it would never
// end). A page never holds more than page_size: of an upstream page that
// holds more (an upstream ignoring limit) only page_size items are
// translated, and next is the same cursor with the count already returned
// (ListPosition.offset). Positions are ListPositions (list_position.h); bytes
// of another layout give INVALID_ARGUMENT / INVALID_PAGE_TOKEN before Blaxel
// is asked, and a meta.nextCursor longer than kMaxCursorSize is INTERNAL,
// UPSTREAM_INVALID_RESPONSE. The listing dialect (cursors, or legacy offsets)
// follows api_version and is chosen once, when the backend is built. Under a
// legacy Blaxel-Version the list is a
// bare array paged by limit/offset: page_size + 1 is asked for (at most 100,
// so a page_size of 100 returns 99), and next is set exactly when more
// executions exist (total_size -1; newest first only, so ascending order is
// INVALID_ARGUMENT naming order_by). List items are whole JobExecutions:
// EXECUTION_VIEW_FULL items are translated as GetExecution translates them
// (the same etag); EXECUTION_VIEW_BASIC items are cut to the basic view.
//
// ListExecutionTasks: GET .../executions/{id}/tasks?limit&sort=createdAt:asc
// &cursor (oldest first, the order of the execution's own task list; next
// carries the cursor and, like executions, the count already returned from
// the upstream page at it). Unnamed tasks of the first upstream page get
// Blaxel's default name task-N from their position; under a legacy version
// the execution is read and its tasks are paged by offset (all named).
//
// CreateExecution: POST /jobs/{job}/executions with executionId
// (execution_id, else request_id), id (request_id), tasks
// (task_parameters), env, memory (memory_mb), allowQueue false
// (reject_if_no_capacity); the partial answer is completed by reading the
// execution back (a 404 right after the create is retried twice, shortly,
// within the deadline). The write rule (OutcomeUnknownStatus): a 2xx answer
// that is not a JSON object, carries no executionId, or another one than
// sent is UNKNOWN / OUTCOME_UNKNOWN (not confirmed); a new id no name can
// hold, or a read-back that fails, is OUTCOME_UNKNOWN confirmed (naming the
// execution when it can be named): never an execution made up from the
// request. An execution id Blaxel already had gives that execution back:
// when what Blaxel shows of it (the create answer's task parameters, the
// env keys and memory override read back, and the task parameters when it
// reports them) differs from the request, the answer is
// RequestIdReusedStatus (or INVALID_ARGUMENT naming execution_id when no
// request_id was set). Env values are masked upstream, so a changed value
// cannot be detected. input, timeout, queue, concurrency_key, session_id,
// user_id and deployment_id give INVALID_ARGUMENT naming each; so do a
// negative memory_mb, an execution_id that breaks CheckPlainId's rules or
// differs from request_id. 429 (no capacity with reject_if_no_capacity)
// gives RESOURCE_EXHAUSTED, 400 (can never fit) INVALID_ARGUMENT.
//
// CancelExecution reads the execution first: finished (succeeded, failed,
// timed out, cancelled) gives FAILED_PRECONDITION naming the state;
// cancelling is returned as it is; anything else is cancelled with DELETE
// and returned as that answers it (cancelling or cancelled). Should it have
// finished otherwise in between, or the DELETE answer 409, the result is
// FAILED_PRECONDITION too. A 2xx DELETE answer that is not a JSON object is
// UNKNOWN / OUTCOME_UNKNOWN (operation cancel, not confirmed).
std::unique_ptr<Backend> NewBlaxelBackend(BlaxelBackendOptions options, http::HttpClient& client);

}  // namespace execgw::blaxel

#endif  // EXECGW_ADAPTERS_BLAXEL_BLAXEL_BACKEND_H_

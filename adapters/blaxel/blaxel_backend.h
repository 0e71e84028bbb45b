#ifndef EXECGW_ADAPTERS_BLAXEL_BLAXEL_BACKEND_H_
#define EXECGW_ADAPTERS_BLAXEL_BLAXEL_BACKEND_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/clock.h"
#include "adapters/http/http_client.h"

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
  // Upper bound of one upstream request; the caller's deadline, if sooner,
  // wins.
  absl::Duration request_timeout = absl::Seconds(30);
  // Measures OAuth token lifetimes; not owned. nullptr: the wall clock.
  Clock* clock = nullptr;
};

// A Backend for the Blaxel control plane v0 (job executions). `client` must
// outlive the backend. Names must have the job form
// (backends/{b}/jobs/{job}/executions/{id}); parents too
// (backends/{b}/jobs/{job}): Blaxel lists and creates per job.
//
// Requests: GET (get, list, tasks) and DELETE (cancel) are marked
// idempotent; a create only when it sends an execution id (request_id or
// execution_id), which Blaxel deduplicates on. With OAuth, an HTTP 401
// invalidates the token used and the request is sent once more with a fresh
// token (never more than once).
//
// ListExecutions: GET /jobs/{job}/executions?limit&sort=createdAt:asc|desc
// &cursor; page_size becomes limit (0: 20; at most 100); total_size is
// meta.total. State and create-time filters are applied to each page here
// (Blaxel has neither); since pages come in create-time order, the listing
// ends (next unset) at the first execution beyond the range's far bound
// (older than created_from when newest first, at or after created_to when
// oldest first). A cursor the upstream rejects (400, e.g. expired after
// 24 h) gives INVALID_ARGUMENT / INVALID_PAGE_TOKEN. Under a legacy
// Blaxel-Version the list is a bare array paged by limit/offset (next
// offset when the page was full; total_size -1; newest first only, so
// ascending order is INVALID_ARGUMENT naming order_by).
//
// ListExecutionTasks: GET .../executions/{id}/tasks?limit&sort=createdAt:asc
// &cursor (oldest first, the order of the execution's own task list; next
// carries the cursor and the count of tasks served so far, so that unnamed
// tasks get their default name task-N); under a legacy version the
// execution is read and its tasks are paged by offset.
//
// CreateExecution: POST /jobs/{job}/executions with executionId
// (execution_id, else request_id), id (request_id), tasks
// (task_parameters), env, memory (memory_mb), allowQueue false
// (reject_if_no_capacity); the partial answer is completed by reading the
// execution back (a 404 right after the create is retried twice, shortly,
// within the deadline). If the read-back fails, the execution is returned
// as the create answer and the request describe it (state QUEUED), so a
// caller is never told to start it again. input, timeout, queue,
// concurrency_key, session_id, user_id and deployment_id give
// INVALID_ARGUMENT naming each; so do a negative memory_mb and an
// execution_id that differs from request_id. 429 (no capacity with
// reject_if_no_capacity) gives RESOURCE_EXHAUSTED, 400 (can never fit)
// INVALID_ARGUMENT.
//
// CancelExecution reads the execution first: finished (succeeded, failed,
// timed out, cancelled) gives FAILED_PRECONDITION naming the state;
// cancelling is returned as it is; anything else is cancelled with DELETE
// and returned as that answers it (cancelling or cancelled). Should it have
// finished otherwise in between, or the DELETE answer 409, the result is
// FAILED_PRECONDITION too.
std::unique_ptr<Backend> NewBlaxelBackend(BlaxelBackendOptions options, http::HttpClient& client);

}  // namespace execgw::blaxel

#endif  // EXECGW_ADAPTERS_BLAXEL_BLAXEL_BACKEND_H_

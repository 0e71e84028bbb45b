#ifndef EXECGW_SIM_BLAXEL_SIMULATOR_H_
#define EXECGW_SIM_BLAXEL_SIMULATOR_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/event_loop.h"
#include "sim/http/fault_injector.h"
#include "sim/http/http_server.h"
#include "sim/http/simulated_api.h"

namespace execgw::blaxel {

class BlaxelSimulator;

// How a simulated execution's tasks behave.
enum class SimulatedScenario {
  // Every task runs a few seconds and succeeds.
  kSucceed,
  // task-0 fails, is retried (reconciling), fails again; the others
  // succeed; the execution ends `failed` with stats.retried 1.
  kTaskRetriedThenFail,
  // Tasks run far longer than the job's timeout: the execution ends
  // `timeout` once it has run that long.
  kTimeout,
};

// A job of the simulated workspace.
struct SimulatedJob {
  int timeout_seconds = 3600;
  int parallelism = 5;
  int memory_mb = 4096;
  // Executions that may be unfinished at once; beyond it, a create with
  // allowQueue false answers 429.
  int capacity = 10;
  int max_retries = 1;
  // The scenario of executions created over HTTP.
  SimulatedScenario scenario = SimulatedScenario::kSucceed;
};

struct BlaxelSimulatorOptions {
  // Accepted as "Bearer <api_key>"; empty: API keys are not accepted (only
  // OAuth access tokens).
  std::string api_key = "bl-sim-key";
  std::string workspace = "sim-workspace";
  // The OAuth client the token endpoint knows, and the lifetime of the
  // access tokens it issues (measured on `clock`).
  std::string oauth_client_id = "sim-client";
  std::string oauth_client_secret = "sim-client-secret";
  absl::Duration token_lifetime = absl::Seconds(7200);
  // Drives every lifecycle; not owned. Tests pass a clock they move by hand.
  const Clock* clock = WallClock();
  int port = 0;
  // Seeds jobs and executions in every interesting state (see seeded()).
  bool seed_demo_data = false;
  // Called with the simulator before it serves its first request, to put
  // jobs and executions in place (PutJob, PutExecution...): a simulator
  // restarted on the same port then never answers for an empty workspace.
  std::function<void(BlaxelSimulator&)> before_serving;
};

// An execution put in place by seed_demo_data, for a demo to print.
struct SeededExecution {
  std::string job;
  std::string execution_id;
  std::string description;
};

// A loopback Blaxel control plane v0, job-executions part: the contract it
// simulates, quirks included, under the path prefix /v0.
//
//   POST   /v0/jobs/{job}/executions                 create      "create"
//   GET    /v0/jobs/{job}/executions                 list        "list"
//   GET    /v0/jobs/{job}/executions/{id}            get         "get"
//   DELETE /v0/jobs/{job}/executions/{id}            cancel      "cancel"
//   GET    /v0/jobs/{job}/executions/{id}/tasks      tasks       "tasks"
//   POST   /v0/oauth/token                           OAuth token "token"
//
// The quoted names are the FaultInjector endpoints (faults()); a fault is
// applied after routing, before auth, and a replacing fault (status != 0)
// has no side effect. Another path answers 404, a known path with another
// method 405.
//
// Errors have the body {"code": <status>, "error": "<text>", "message":
// "<text>"}; an unknown job or execution is 404.
//
// The token endpoint takes "Authorization: Basic base64(id:secret)" and a
// JSON (or form) body with grant_type client_credentials; it answers
// {"access_token","token_type":"Bearer","expires_in"} or, for unknown
// client credentials, 401 invalid_client (400 unsupported_grant_type for
// another grant). Tokens are accepted as Bearer credentials until their
// lifetime has passed on the simulator's clock; then 401 (token expired).
//
// Every other endpoint checks, in order: credentials (Authorization or
// X-Blaxel-Authorization "Bearer <api_key or live access token>", else
// 401), workspace (X-Blaxel-Workspace or ?workspace=; missing 400, another
// 403), Blaxel-Version (2026-04-28 or 2026-04-16; omitted means 2026-04-16;
// anything else 400 invalid_api_version). Under 2026-04-16 lists are bare
// arrays with limit/offset paging and the tasks endpoint answers 400.
//
// Create takes an optional JSON object: `executionId` (generated when
// absent), `id` (a message id), `tasks` (an array of objects, one task's
// parameters each), `env` (a string map, shown as envOverride keys),
// `memory` (MB; 400 beyond the job's) and `allowQueue` (default true;
// false: 429 with Retry-After while the job's capacity is used up). The
// same executionId, or the same message id, again answers the execution
// already created. It answers 200 with a partial body,
// {"executionId","id","jobId","tasks","workspaceId"}, not an execution.
// Get and cancel answer the execution (JobExecution: metadata, spec,
// stats, status, tasks).
//
// Paging (2026-04-28): lists answer {"data":[...],"meta":{"hasMore",
// "nextCursor","total"}}, `nextCursor` empty on the last page and `total`
// counting the job's executions whatever `q` says. `limit` is 1 to 100
// (default 20) for executions, else 400; for tasks 1 to 200 (default 50),
// clamped. `sort` is createdAt:desc (default), createdAt:asc, name:asc or
// name:desc; `q` (at most 200 characters, ignored under 2) is a substring
// search. A cursor is a position, not an offset: it holds the sort key of
// the last item served (createdAt, id for executions; ids are unique per
// job), so executions created between pages neither repeat nor hide others;
// they appear on a later page only if they sort after the cursor. Cursors
// are bound to the job, sort and q, and expire after 24 h (400
// invalid_cursor). Task cursors are offsets (an execution's tasks are
// fixed). Legacy offset paging (2026-04-16) shifts when executions are
// created meanwhile, as offset paging does: an item can repeat on the next
// page. That is the real behaviour, kept on purpose.
//
// Cancel (DELETE) of a finished execution (succeeded, failed, timeout,
// cancelled) answers 200 with the execution unchanged: the public contract
// does not say what the real server answers, and an idempotent DELETE that
// changes nothing is the most plausible reading. The backend reads the
// execution first and refuses finished ones itself, so it does not depend
// on this answer.
//
// State is materialized from each execution's creation time, scenario and
// cancellation time whenever it is read, so a clock moved by hand moves it:
// queued (1 s) -> pending (1 s) -> running -> succeeded | failed | timeout;
// a cancellation gives `cancelling` for 2 s, then `cancelled`. Times are
// RFC 3339 UTC with as many fractional digits as needed; times not reached
// yet are "". envOverride values are masked "***". Thread-safe.
class BlaxelSimulator {
 public:
  static absl::StatusOr<std::unique_ptr<BlaxelSimulator>> Start(BlaxelSimulatorOptions options);
  ~BlaxelSimulator();

  // "http://127.0.0.1:PORT/v0".
  std::string base_url() const;
  const BlaxelSimulatorOptions& options() const { return options_; }
  http::FaultInjector& faults() { return api_.faults(); }
  std::vector<SeededExecution> seeded() const;

  // Test helpers.
  void PutJob(const std::string& job, SimulatedJob config);
  // Adds (or replaces) an execution of `job` (created with default config
  // if unknown) with `task_count` tasks. `env` keys become envOverride.
  void PutExecution(const std::string& job, const std::string& id, SimulatedScenario scenario,
                    absl::Time created, int task_count = 3, std::vector<std::string> env_keys = {});
  // Serves `raw` verbatim (status 200) for GET and DELETE of this execution;
  // list pages include it when it is valid JSON, sorted by its
  // metadata.createdAt (the time of the call when it has none that parses).
  void PutRaw(const std::string& job, const std::string& id, std::string raw_json);
  // Adds `n` executions of `job` with one task each, created at
  // first_created, first_created + spacing, ...; ids "exec-bulk-NNNNNN"
  // (numbered across calls). Returns the ids in creation order.
  std::vector<std::string> AddExecutions(const std::string& job, int n, absl::Time first_created,
                                         absl::Duration spacing,
                                         SimulatedScenario scenario = SimulatedScenario::kSucceed);
  // Access tokens issued so far by the token endpoint.
  int tokens_issued() const;
  // Requests seen per endpoint name, and the last request to each.
  int request_count(const std::string& endpoint) const;
  std::optional<http::ServerRequest> last_request(const std::string& endpoint) const;
  // Every request's line (method and raw target), routed or not; see
  // http::SimulatedApi::request_lines.
  std::vector<std::string> request_lines() const;
  // The last few (SimulatedApi::kRecentRequests) requests routed there,
  // oldest first.
  std::vector<http::ServerRequest> recent_requests(const std::string& endpoint) const {
    return api_.recent_requests(endpoint);
  }

  void Stop();

 private:
  struct Execution {
    std::string job;
    std::string id;
    std::string message_id;
    SimulatedScenario scenario = SimulatedScenario::kSucceed;
    absl::Time created;
    int task_count = 1;
    std::vector<std::string> task_params;  // JSON objects, from create
    std::vector<std::string> env_keys;
    int memory_override_mb = 0;
    std::optional<absl::Time> cancel_requested;
    std::optional<std::string> raw;
  };

  // An endpoint behind the checks of all but the token's (credentials,
  // workspace, Blaxel-Version); `legacy`: the version asked for is
  // 2026-04-16.
  using CheckedAction = std::function<http::ServerResponse(
      const http::ServerRequest& request, const http::SimulatedApi::Params& params, bool legacy)>;

  explicit BlaxelSimulator(BlaxelSimulatorOptions options);
  http::SimulatedApi::Action Checked(CheckedAction action) const;
  http::ServerResponse Create(const http::ServerRequest& request, const std::string& job);
  http::ServerResponse List(const http::ServerRequest& request, const std::string& job,
                            bool legacy);
  http::ServerResponse Get(const std::string& job, const std::string& id);
  http::ServerResponse Cancel(const std::string& job, const std::string& id);
  http::ServerResponse Tasks(const http::ServerRequest& request, const std::string& job,
                             const std::string& id);
  http::ServerResponse Token(const http::ServerRequest& request);
  // "" when `token` is accepted, else why not.
  std::string CheckBearer(const std::string& token) const;
  std::string Render(const Execution& e, absl::Time now) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void Seed();

  const BlaxelSimulatorOptions options_;
  http::SimulatedApi api_;
  std::unique_ptr<http::HttpServer> server_;

  mutable absl::Mutex mu_;
  std::map<std::string, SimulatedJob> jobs_ ABSL_GUARDED_BY(mu_);
  // Keyed by (job, id).
  std::map<std::pair<std::string, std::string>, Execution> executions_ ABSL_GUARDED_BY(mu_);
  std::vector<SeededExecution> seeded_ ABSL_GUARDED_BY(mu_);
  int next_id_ ABSL_GUARDED_BY(mu_) = 1;
  int next_bulk_ ABSL_GUARDED_BY(mu_) = 0;
  // Access token -> expiry.
  std::map<std::string, absl::Time> tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace execgw::blaxel

#endif  // EXECGW_SIM_BLAXEL_SIMULATOR_H_

#ifndef EXECGW_SIM_POLOS_SIMULATOR_H_
#define EXECGW_SIM_POLOS_SIMULATOR_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/event_loop.h"
#include "sim/http/fault_injector.h"
#include "sim/http/http_server.h"
#include "sim/http/simulated_api.h"
#include "sim/polos/scenario.h"

namespace execgw::polos {

struct PolosSimulatorOptions {
  // The only key accepted, as `Authorization: Bearer <api_key>`.
  std::string api_key = "sk_sim_polos_0123456789abcdef";
  // The project (a UUID) the key belongs to; X-Project-ID must name it.
  std::string project_id = "5f0c6e9a-3b1d-4c7e-9a2f-8d4b6c1e0f37";
  // Drives every lifecycle; nullptr: the wall clock. Must outlive the
  // simulator.
  const Clock* clock = nullptr;
  int port = 0;
  // Seed a handful of executions in every interesting state (see seeded()).
  bool seed_demo_data = false;
  // How runs started over HTTP behave, unless SetWorkflowScenario names
  // their workflow.
  Scenario default_scenario;
  // Real time without a frame after which the event stream sends a
  // `data: keepalive` frame (every tenth a `: ping` comment instead). Events
  // go out within a few milliseconds of their time, as the real server
  // pushes them.
  absl::Duration keepalive_interval = absl::Milliseconds(50);
  // How the list's `end_time` bounds `created_at`. The simulator's default
  // is inclusive (`created_at <= end_time`), like `start_time`
  // (`created_at >= start_time`, always inclusive). The real server's
  // choice is not documented; true makes `end_time` exclusive, so tests can
  // show a client works either way.
  bool end_time_exclusive = false;
};

// One seeded execution, for the demo to print.
struct SeededExecution {
  std::string workflow_id;
  std::string execution_id;
  std::string description;
};

// An execution to add directly (tests, seeds).
struct NewExecution {
  std::string workflow_id = "demo-workflow";
  std::string payload_json = "{}";
  Scenario scenario;
  std::optional<int> run_timeout_seconds;
  // Makes it a child: root_execution_id follows the parent's.
  std::string parent_execution_id;
  std::string batch_id, session_id, user_id, queue_name, concurrency_key, deployment_id, step_key,
      output_schema_name;
  // Defaults to the clock's now.
  std::optional<absl::Time> created_at;
  // Fixed id; a new random UUID when empty.
  std::string id;
};

// A Polos orchestrator (v1 API) on loopback: the contract it simulates,
// quirks included.
//   GET  /health                                  no auth, {"status":"ok"}
//   GET  /api/v1/executions/{id}                  "get": non-UUID 400 empty body,
//                                                 unknown 500 empty body (the
//                                                 real server's answer, not 404)
//   POST /api/v1/executions/{id}/cancel           "cancel"
//   POST /api/v1/workflows/{workflow_id}/run      "run"
//   POST /api/v1/workflows/batch_run              "run"
//   GET  /api/v1/workflows/runs                   "list": newest first (ties:
//                                                 last added first); start_time
//                                                 and end_time inclusive (see
//                                                 end_time_exclusive)
//   GET  /api/v1/events/stream, /api/v1/events    "events"
// Another path answers 404, a known path with another method 405, both with
// an empty body. Every /api route checks `Authorization: Bearer <api_key>`
// (else 401 UNAUTHORIZED) and then X-Project-ID (missing 400 BAD_REQUEST
// "X-Project-ID header is required"; not a UUID 400 with an empty body, as
// the server's ProjectId extractor answers; another project 403
// PROJECT_ACCESS_FORBIDDEN). The quoted names are the FaultInjector
// endpoints; faults are applied after routing (a replacing fault skips the
// real work, so a faulted run creates nothing).
//
// Errors have the body {"error": "<text>", "error_type": "<TYPE>"}, or none.
// A run takes {"payload": <any JSON, required>, "deployment_id",
// "queue_name" (default: the workflow id), "concurrency_key",
// "session_id" (default: a new UUID), "user_id", "run_timeout_seconds"}
// and answers {"execution_id","created_at"}; there is no idempotency key,
// so posting twice starts two runs. A batch run takes {"workflows": [...]}
// (empty: 400) and answers {"executions": [...]}. Get answers the execution
// (id, workflow_id, status, created_at, payload, retry_count, and the
// nullable started_at, completed_at, cancelled_at, cancelled_by, result,
// error, parent, root, batch, session, user, queue and worker fields).
// Statuses: queued, claimed, running, waiting, pending_cancel, completed,
// failed, cancelled.
//
// The list (workflow_type, workflow_id, limit default 50 with no cap,
// offset, start_time, end_time) is a bare JSON array of summaries (id,
// root_execution_id, workflow_id, session_id, created_at, status,
// completed_at, payload, result, error), offset-paged, with no total and
// no cursor; an unparseable time is ignored.
//
// Cancel of an unfinished execution (pending_cancel included) marks it,
// all its descendants and all its ancestors pending_cancel and answers
// {"execution_id","status","cancelled_at"}; a finished execution answers
// 400 CANCELLATION_ERROR, an unknown one 500 INTERNAL_ERROR. A run whose run_timeout_seconds passes
// unfinished is cancelled with cancelled_by "timeout".
//
// State is materialized from each execution's creation time, scenario and
// cancellation on every read, so tests move lifecycles with
// the clock they give it. Times are rendered like the real server: RFC 3339,
// `+00:00`, microseconds. The event stream sends Server-Sent Events
// (`data: {"id","sequence_id","topic","event_type","data","created_at"}`,
// topic workflow/{workflow_id}/{run_id}, with `data: keepalive` frames
// between them) and closes after `workflow_finish` (after an error frame
// for a failed run); for an unknown run it sends keepalives until the
// client leaves. /api/v1/events?topic=...&last_sequence_id=N&limit=L answers
// the same events as a page: {"events","next_sequence_id","has_more"}.
class PolosSimulator {
 public:
  static absl::StatusOr<std::unique_ptr<PolosSimulator>> Start(PolosSimulatorOptions options = {});
  ~PolosSimulator();
  PolosSimulator(const PolosSimulator&) = delete;
  PolosSimulator& operator=(const PolosSimulator&) = delete;

  // "http://127.0.0.1:PORT".
  std::string base_url() const;
  const std::string& api_key() const { return options_.api_key; }
  const std::string& project_id() const { return options_.project_id; }
  http::FaultInjector& faults() { return api_.faults(); }

  // The seeded executions (empty unless seed_demo_data).
  std::vector<SeededExecution> seeded() const;

  // Serves `raw_json` verbatim for GET /api/v1/executions/{id} (it takes
  // precedence over a simulated execution with that id; not listed, not
  // cancellable).
  void PutRaw(const std::string& id, std::string raw_json);

  // Adds an execution; returns its id.
  std::string AddExecution(NewExecution execution);

  // Adds `n` executions of `workflow_id` at once (for paging tests with
  // thousands of runs), created at first_created_at, first_created_at +
  // spacing, ...; their payload is {"i": index}. Returns their ids, oldest
  // first.
  std::vector<std::string> AddExecutions(const std::string& workflow_id, int n,
                                         absl::Time first_created_at, absl::Duration spacing,
                                         const Scenario& scenario = {});

  // How runs of `workflow_id` started over HTTP behave.
  void SetWorkflowScenario(const std::string& workflow_id, Scenario scenario);

  // The payloads (JSON text) of every run of `workflow_id`, however it was
  // started, oldest first: what a soak counts the runs of one request by.
  std::vector<std::string> RunPayloads(const std::string& workflow_id) const;

  // Requests routed to `endpoint` so far ("get", "list", ...), faulted or not.
  int request_count(const std::string& endpoint) const;
  // The last request routed to `endpoint`, faulted or not (a stream's as
  // soon as it arrives); nullopt before the first.
  std::optional<http::ServerRequest> last_request(const std::string& endpoint) const;
  // Every request's line (method and raw target), routed or not; see
  // http::SimulatedApi::request_lines.
  std::vector<std::string> request_lines() const;
  // The last few (SimulatedApi::kRecentRequests) requests routed there,
  // oldest first.
  std::vector<http::ServerRequest> recent_requests(const std::string& endpoint) const {
    return api_.recent_requests(endpoint);
  }

  // Stops serving (idempotent; the destructor calls it).
  void Stop();

 private:
  struct Record;
  explicit PolosSimulator(PolosSimulatorOptions options);

  // An endpoint behind the /api routes' checks (API key, X-Project-ID).
  http::SimulatedApi::Action Checked(
      std::function<http::ServerResponse(const http::ServerRequest& request,
                                         const http::SimulatedApi::Params& params)>
          action) const;
  std::optional<http::ServerResponse> CheckAuth(const http::ServerRequest& request) const;
  http::ServerResponse GetExecution(const std::string& id);
  http::ServerResponse CancelExecution(const std::string& id);
  http::ServerResponse Run(const std::string& workflow_id, const http::ServerRequest& request);
  http::ServerResponse BatchRun(const http::ServerRequest& request);
  http::ServerResponse ListRuns(const http::ServerRequest& request);
  http::ServerResponse PollEvents(const http::ServerRequest& request);
  http::ServerResponse StreamEvents(const http::ServerRequest& request);
  std::string AddLocked(NewExecution execution) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Seed();

  const PolosSimulatorOptions options_;
  const Clock* const clock_;
  http::SimulatedApi api_;
  std::unique_ptr<http::HttpServer> server_;

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Record>> records_ ABSL_GUARDED_BY(mu_);
  int64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::string> raw_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Scenario> scenarios_ ABSL_GUARDED_BY(mu_);
  std::vector<SeededExecution> seeded_ ABSL_GUARDED_BY(mu_);
};

}  // namespace execgw::polos

#endif  // EXECGW_SIM_POLOS_SIMULATOR_H_

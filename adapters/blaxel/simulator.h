#ifndef EXECGW_ADAPTERS_BLAXEL_SIMULATOR_H_
#define EXECGW_ADAPTERS_BLAXEL_SIMULATOR_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/clock.h"
#include "adapters/http/fault_injector.h"
#include "adapters/http/http_server.h"

namespace execgw::blaxel {

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
  std::string api_key = "bl-sim-key";
  std::string workspace = "sim-workspace";
  // Drives every lifecycle; not owned. Tests pass a ManualClock.
  Clock* clock = SystemClock::Get();
  int port = 0;
  // Seeds jobs and executions in every interesting state (see seeded()).
  bool seed_demo_data = false;
};

// An execution put in place by seed_demo_data, for a demo to print.
struct SeededExecution {
  std::string job;
  std::string execution_id;
  std::string description;
};

// A loopback server speaking the Blaxel control plane v0 job-executions
// wire format (UPSTREAMS.md section 1) under the path prefix /v0:
//
//   POST   /v0/jobs/{job}/executions                 create      "create"
//   GET    /v0/jobs/{job}/executions                 list        "list"
//   GET    /v0/jobs/{job}/executions/{id}            get         "get"
//   DELETE /v0/jobs/{job}/executions/{id}            cancel      "cancel"
//   GET    /v0/jobs/{job}/executions/{id}/tasks      tasks       "tasks"
//
// The quoted names are the FaultInjector endpoints (faults()); a fault is
// applied after routing, before auth, and a replacing fault (status != 0)
// has no side effect. Checks, in order: credentials (Authorization or
// X-Blaxel-Authorization "Bearer <api_key>", else 401), workspace
// (X-Blaxel-Workspace or ?workspace=; missing 400, another 403),
// Blaxel-Version (2026-04-28 or 2026-04-16; omitted means 2026-04-16;
// anything else 400 invalid_api_version). Under 2026-04-16 lists are bare
// arrays with limit/offset paging and the tasks endpoint answers 400.
//
// State is materialized from each execution's creation time, scenario and
// cancellation time whenever it is read, so a ManualClock moves it:
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
  http::FaultInjector& faults() { return faults_; }
  std::vector<SeededExecution> seeded() const;

  // Test helpers.
  void PutJob(const std::string& job, SimulatedJob config);
  // Adds (or replaces) an execution of `job` (created with default config
  // if unknown) with `task_count` tasks. `env` keys become envOverride.
  void PutExecution(const std::string& job, const std::string& id, SimulatedScenario scenario,
                    absl::Time created, int task_count = 3, std::vector<std::string> env_keys = {});
  // Serves `raw` verbatim (status 200) for GET and DELETE of this execution;
  // list pages include it when it is valid JSON.
  void PutRaw(const std::string& job, const std::string& id, std::string raw_json);
  // Requests seen per endpoint name, and the last request to each.
  int request_count(const std::string& endpoint) const;
  std::optional<http::ServerRequest> last_request(const std::string& endpoint) const;

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

  explicit BlaxelSimulator(BlaxelSimulatorOptions options);
  http::ServerResponse Handle(const http::ServerRequest& request);
  http::ServerResponse Route(const http::ServerRequest& request, const std::string& endpoint,
                             const std::vector<std::string>& segments);
  http::ServerResponse Create(const http::ServerRequest& request, const std::string& job);
  http::ServerResponse List(const http::ServerRequest& request, const std::string& job,
                            bool legacy);
  http::ServerResponse Get(const std::string& job, const std::string& id);
  http::ServerResponse Cancel(const std::string& job, const std::string& id);
  http::ServerResponse Tasks(const http::ServerRequest& request, const std::string& job,
                             const std::string& id);
  std::string Render(const Execution& e, absl::Time now) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void Seed();

  const BlaxelSimulatorOptions options_;
  http::FaultInjector faults_;
  std::unique_ptr<http::HttpServer> server_;

  mutable absl::Mutex mu_;
  std::map<std::string, SimulatedJob> jobs_ ABSL_GUARDED_BY(mu_);
  // Keyed by (job, id).
  std::map<std::pair<std::string, std::string>, Execution> executions_ ABSL_GUARDED_BY(mu_);
  std::vector<SeededExecution> seeded_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> request_counts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, http::ServerRequest> last_requests_ ABSL_GUARDED_BY(mu_);
  int next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace execgw::blaxel

#endif  // EXECGW_ADAPTERS_BLAXEL_SIMULATOR_H_

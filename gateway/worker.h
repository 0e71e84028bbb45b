#ifndef EXECGW_GATEWAY_WORKER_H_
#define EXECGW_GATEWAY_WORKER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/event_loop.h"
#include "adapters/http/http_client.h"
#include "adapters/http/upstream_observer.h"
#include "execgw/config/v1/config.pb.h"
#include "gateway/backend_registry.h"
#include "gateway/create_deduplicator.h"
#include "gateway/get_coalescer.h"
#include "gateway/watch/watch_hub.h"

namespace execgw::gateway {

// One worker of the gateway, as in Envoy: an event loop (its HTTP client's
// thread, with that client's connections and timers) and everything a call
// needs built for that loop alone: the backends (their retrying clients,
// breakers and credentials), the shared GetExecution reads and the
// remembered create request ids, and the watch hub with the backends its
// followers read through (their own request budget). A call handed to a worker runs on its loop
// from the backend request to the gRPC answer, so no lock on that path is
// shared with the other workers.
class Worker {
 public:
  // How the worker's watch hub reads upstream.
  struct WatchSetup {
    // Built on the worker's loop for BackendUse::kWatch; null: the watch
    // followers use `backends` (and their budget) too.
    std::unique_ptr<BackendRegistry> backends;
    WatchHub::Options options;
  };

  // `http` is the loop; `backends` were built on it (BuildBackends).
  Worker(std::unique_ptr<http::HttpClient> http, std::unique_ptr<BackendRegistry> backends,
         CreateDeduplicator::Options creates, WatchSetup watch = {});
  // Stops the loop first (Shutdown), then the backends, then the client.
  ~Worker();

  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  EventLoop& loop() { return http_->loop(); }
  const BackendRegistry& backends() const { return *backends_; }
  CreateDeduplicator& creates() { return *creates_; }
  GetCoalescer& gets() { return *gets_; }
  const BackendRegistry& watch_backends() const {
    return watch_backends_ != nullptr ? *watch_backends_ : *backends_;
  }
  // Used on the loop's thread only.
  WatchHub& watches() { return *watches_; }

  // Ends every watch stream of this worker (UNAVAILABLE,
  // GATEWAY_SHUTTING_DOWN) and refuses new ones, on the loop; returns when
  // done. Idempotent; not on the loop's thread.
  void EndWatches();

  // Ends the watches (EndWatches), fails the upstream work still pending (its completions run now,
  // while the backends they use are alive) and stops the loop. Idempotent.
  void Shutdown();

 private:
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<BackendRegistry> backends_;
  std::unique_ptr<BackendRegistry> watch_backends_;
  std::unique_ptr<CreateDeduplicator> creates_;
  std::unique_ptr<GetCoalescer> gets_;
  std::unique_ptr<WatchHub> watches_;
};

// The most workers a config may ask for (config.proto: `workers`).
inline constexpr int kMaxWorkers = 256;

// The number of workers `config` asks for: its `workers`, or when that is 0
// one per core this process may run on (its CPU affinity), at most
// kMaxWorkers. A CPU quota without a cpuset (a Kubernetes CPU limit) is not
// seen: set `workers` to the limit there.
int WorkerCount(const config::v1::GatewayConfig& config);

// Starts WorkerCount(config) workers serving the backends of `config`
// (validated first: errors name the config field at fault), each on its own
// CurlHttpClient. `observer` (optional, outlives the workers) is told of
// the backends' upstream traffic.
absl::StatusOr<std::vector<std::unique_ptr<Worker>>> StartWorkers(
    const config::v1::GatewayConfig& config, http::UpstreamObserver* observer = nullptr);

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_WORKER_H_

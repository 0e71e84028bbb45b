#ifndef EXECGW_GATEWAY_METRICS_H_
#define EXECGW_GATEWAY_METRICS_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/http/upstream_observer.h"
#include "gateway/grpc_status.h"
#include "grpcpp/support/status.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace execgw::gateway {

class Worker;

// The RPCs of ExecutionService, as metric label values.
enum class RpcMethod {
  kGetExecution,
  kListExecutions,
  kListExecutionTasks,
  kCreateExecution,
  kCancelExecution,
  kWatchExecution,
};
inline constexpr int kRpcMethodCount = 6;
const char* RpcMethodName(RpcMethod method);

// The gateway's Prometheus metrics (README "Metrics" lists them): one
// registry for the process. Label values are bounded: method names, gRPC
// code names, backend names, route templates, HTTP status codes. The
// handles of the per-call metrics are resolved once (per method and code,
// per backend, route and status, when first seen) so that a call costs
// atomic increments, not label lookups. Thread-safe.
class GatewayMetrics final : public http::UpstreamObserver {
 public:
  GatewayMetrics();
  ~GatewayMetrics() override;

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }
  // What an exposer serves: the registry and the workers' figures.
  std::vector<std::weak_ptr<prometheus::Collectable>> collectables() const;

  // One RPC ended with `code` after `latency`.
  void RecordRpc(RpcMethod method, grpc::StatusCode code, absl::Duration latency);
  // http::UpstreamObserver: counts, and logs upstream failures.
  void OnAttempt(const http::UpstreamAttempt& attempt) override;
  void OnRejected(absl::string_view backend, absl::string_view route,
                  absl::string_view reason) override;
  void OnCircuitChange(absl::string_view backend, bool open) override;
  void OnTokenRefresh(absl::string_view backend, bool ok) override;

  // Reports the watch hubs', coalescers' and deduplicators' figures of
  // `workers` at every scrape (each hub read on its own loop, waited for
  // at most a second). The workers must outlive the metrics' registry
  // exposure, or be detached (DetachWorkers) first.
  void AttachWorkers(std::vector<Worker*> workers);
  void DetachWorkers();

 private:
  struct Upstream;
  class WorkerCollector;

  prometheus::Counter& RpcCounter(RpcMethod method, grpc::StatusCode code);
  Upstream& UpstreamFor(absl::string_view backend, absl::string_view route);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& rpcs_;
  prometheus::Family<prometheus::Histogram>& rpc_seconds_;
  prometheus::Family<prometheus::Counter>& upstream_requests_;
  prometheus::Family<prometheus::Histogram>& upstream_seconds_;
  prometheus::Family<prometheus::Counter>& upstream_retries_;
  prometheus::Family<prometheus::Counter>& upstream_rejected_;
  prometheus::Family<prometheus::Gauge>& circuit_open_;
  prometheus::Family<prometheus::Counter>& circuit_opened_;
  prometheus::Family<prometheus::Counter>& token_refreshes_;

  // RPC handles: histograms per method at start, counters per method and
  // code once seen.
  std::array<prometheus::Histogram*, kRpcMethodCount> rpc_histograms_{};
  std::array<std::array<std::atomic<prometheus::Counter*>, 17>, kRpcMethodCount> rpc_counters_{};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Upstream>> upstreams_ ABSL_GUARDED_BY(mu_);

  std::shared_ptr<WorkerCollector> workers_;
};

// The admin HTTP listener: GET /metrics in the Prometheus text format.
class AdminServer {
 public:
  // Listens on `listen` ("host:port"; port 0 picks one). Errors name the
  // address.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(const std::string& listen,
                                                            GatewayMetrics& metrics);
  ~AdminServer();
  int port() const { return port_; }

 private:
  AdminServer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_METRICS_H_

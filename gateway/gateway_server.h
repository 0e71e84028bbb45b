#ifndef EXECGW_GATEWAY_GATEWAY_SERVER_H_
#define EXECGW_GATEWAY_GATEWAY_SERVER_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "execgw/config/v1/config.pb.h"
#include "gateway/execution_service.h"
#include "gateway/health/health_service.h"
#include "gateway/metrics.h"
#include "gateway/page_token.h"
#include "gateway/worker.h"
#include "grpcpp/server.h"

namespace execgw::gateway {

// The running gateway: its workers (each an event loop with its own HTTP
// client and its own instance of every configured backend; worker.h) and
// the gRPC server (ExecutionService, grpc.health.v1 and server reflection)
// on the API listener (config `server`: TLS, keepalive, connection age,
// message sizes), and, when configured, the plaintext probe listener
// serving only health (config `health`).
class GatewayServer {
 public:
  // Builds the backends from `config` and starts listening on
  // `listen_address` ("host:port"; port 0 picks a free one). Errors name
  // the config field or the address at fault. Routes the process's
  // protobuf logging through the gateway's rate-limited log (log.h), sets
  // the log level (config `log.level`) and, with `admin.listen`, serves the
  // metrics (metrics.h) at GET /metrics there.
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(
      const config::v1::GatewayConfig& config, const std::string& listen_address);

  ~GatewayServer();

  // The ports actually bound (probe_port: 0 without a probe listener).
  int port() const { return port_; }
  int probe_port() const { return probe_port_; }
  HealthStatuses& health() { return health_; }
  int worker_count() const { return static_cast<int>(workers_.size()); }
  // The admin listener's port (GET /metrics); 0 without admin.listen.
  int admin_port() const { return admin_ != nullptr ? admin_->port() : 0; }

  // Blocks until Shutdown(), called from another thread, has finished.
  void Wait();

  // Ends every watch stream (UNAVAILABLE, GATEWAY_SHUTTING_DOWN, with the
  // etag to resume from), stops accepting calls; calls still running after `grace` are
  // cancelled; then stops all upstream work. Idempotent and thread-safe: a
  // second caller waits until the first has finished.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

  // The drain on SIGTERM (config server.drainDelayMs, drainGraceMs):
  // health NOT_SERVING at once, calls still taken for the delay, then
  // Shutdown with what is left of the grace. Returns within the grace.
  void Drain();

 private:
  GatewayServer() = default;
  // Sets each backend's health from its circuit breakers, every 100 ms,
  // until stopped.
  void MonitorBackends();

  // Observability (metrics.h): declared first, so it outlives the workers
  // and the service that report to it.
  std::unique_ptr<GatewayMetrics> metrics_;
  std::unique_ptr<AdminServer> admin_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<PageTokenCodec> page_tokens_;
  std::unique_ptr<WatchLimits> watch_limits_;
  std::unique_ptr<CallerAuth> auth_;
  std::unique_ptr<ExecutionService> service_;
  HealthStatuses health_;
  std::unique_ptr<HealthService> health_service_;
  std::unique_ptr<HealthService> probe_health_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> probe_server_;
  int port_ = 0;
  int probe_port_ = 0;
  std::vector<std::string> backend_names_;
  absl::Duration drain_delay_ = absl::ZeroDuration();
  absl::Duration drain_grace_ = absl::Seconds(25);
  absl::Notification stop_monitor_;
  std::thread monitor_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_GATEWAY_SERVER_H_

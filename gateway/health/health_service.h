#ifndef EXECGW_GATEWAY_HEALTH_HEALTH_SERVICE_H_
#define EXECGW_GATEWAY_HEALTH_HEALTH_SERVICE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace execgw::gateway {

using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

// The gateway's health, by service name (grpc.health.v1): "" and
// "execgw.readiness" (config loaded, listening, not draining),
// "execgw.liveness" (the process runs), "execgw.v1.ExecutionService" (as
// readiness), and "execgw.backend.<name>" per backend (NOT_SERVING while
// its circuit is open). Thread-safe; shared by the HealthService of every
// listener.
class HealthStatuses {
 public:
  // One Watch call: told every change of its service's status, on the
  // thread that sets it, under the statuses' lock (it must not call back).
  class Watcher {
   public:
    virtual ~Watcher() = default;
    virtual void OnStatus(ServingStatus status) = 0;
    // The gateway is shutting down: end the call.
    virtual void OnShutdown() = 0;
  };

  // Sets (or adds) `service`'s status; its watchers hear of a change.
  void Set(const std::string& service, ServingStatus status);
  // Sets every service but liveness to NOT_SERVING (a drain).
  void SetAllNotServing();
  // nullopt for a service never set.
  std::optional<ServingStatus> Get(const std::string& service) const;

  // Adds a watcher of `service` and tells it the status now
  // (SERVICE_UNKNOWN for an unknown service); after Shutdown, ends it.
  void AddWatcher(const std::string& service, Watcher* watcher);
  void RemoveWatcher(Watcher* watcher);
  // Ends every Watch call, now and later.
  void Shutdown();

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, ServingStatus> statuses_ ABSL_GUARDED_BY(mu_);
  std::multimap<std::string, Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

inline constexpr char kLivenessService[] = "execgw.liveness";
inline constexpr char kReadinessService[] = "execgw.readiness";
inline constexpr char kBackendServicePrefix[] = "execgw.backend.";

// grpc.health.v1.Health over HealthStatuses: Check answers NOT_FOUND for an
// unknown service; Watch streams the status now and each change (only the
// newest unsent one when the client reads slowly).
class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  explicit HealthService(HealthStatuses& statuses) : statuses_(statuses) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

 private:
  HealthStatuses& statuses_;
};

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_HEALTH_HEALTH_SERVICE_H_

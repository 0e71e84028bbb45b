#include "gateway/health/health_service.h"

#include <utility>

namespace execgw::gateway {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

void HealthStatuses::Set(const std::string& service, ServingStatus status) {
  absl::MutexLock lock(&mu_);
  auto [it, added] = statuses_.emplace(service, status);
  if (!added) {
    if (it->second == status) return;
    it->second = status;
  }
  auto [begin, end] = watchers_.equal_range(service);
  for (auto w = begin; w != end; ++w) w->second->OnStatus(status);
}

void HealthStatuses::SetAllNotServing() {
  std::vector<std::string> services;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, status] : statuses_) {
      if (name != kLivenessService) services.push_back(name);
    }
  }
  for (const auto& s : services) Set(s, HealthCheckResponse::NOT_SERVING);
}

std::optional<ServingStatus> HealthStatuses::Get(const std::string& service) const {
  absl::MutexLock lock(&mu_);
  auto it = statuses_.find(service);
  if (it == statuses_.end()) return std::nullopt;
  return it->second;
}

void HealthStatuses::AddWatcher(const std::string& service, Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  auto it = statuses_.find(service);
  watcher->OnStatus(it == statuses_.end() ? HealthCheckResponse::SERVICE_UNKNOWN : it->second);
  if (shut_down_) {
    watcher->OnShutdown();
    return;
  }
  watchers_.emplace(service, watcher);
}

void HealthStatuses::RemoveWatcher(Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    it = it->second == watcher ? watchers_.erase(it) : std::next(it);
  }
}

void HealthStatuses::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  for (auto& [service, watcher] : watchers_) watcher->OnShutdown();
  watchers_.clear();
}

namespace {

// One Watch call: one write in flight, then the newest status not yet
// sent. gRPC's reactions and the statuses' notifications meet under mu_.
class WatchReactor final : public grpc::ServerWriteReactor<HealthCheckResponse>,
                           public HealthStatuses::Watcher {
 public:
  WatchReactor(HealthStatuses& statuses, const std::string& service) : statuses_(statuses) {
    statuses_.AddWatcher(service, this);
  }

  void OnStatus(ServingStatus status) override {
    absl::MutexLock lock(&mu_);
    if (sent_.has_value() && *sent_ == status && !writing_) return;
    pending_ = status;
    WriteNextLocked();
  }

  void OnShutdown() override {
    absl::MutexLock lock(&mu_);
    ending_ = true;
    WriteNextLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The client has gone; gRPC ends the call.
      pending_.reset();
      ending_ = true;
    }
    WriteNextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    pending_.reset();
    ending_ = true;
    WriteNextLocked();
  }

  void OnDone() override {
    statuses_.RemoveWatcher(this);
    delete this;
  }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_) return;
    if (pending_.has_value() && (!sent_.has_value() || *sent_ != *pending_)) {
      response_.set_status(*pending_);
      sent_ = *pending_;
      pending_.reset();
      writing_ = true;
      StartWrite(&response_);
      return;
    }
    pending_.reset();
    if (ending_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }

  HealthStatuses& statuses_;
  absl::Mutex mu_;
  HealthCheckResponse response_ ABSL_GUARDED_BY(mu_);
  std::optional<ServingStatus> pending_ ABSL_GUARDED_BY(mu_);
  std::optional<ServingStatus> sent_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const HealthCheckRequest* request,
                                               HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::optional<ServingStatus> status = statuses_.Get(request->service());
  if (!status.has_value()) {
    // Bounded echo: the name is the caller's.
    std::string service = request->service().substr(0, 100);
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 "unknown service \"" + service + "\" (known: \"\", " +
                                     kLivenessService + ", " + kReadinessService + ", " +
                                     kBackendServicePrefix + "<backend>)"));
    return reactor;
  }
  response->set_status(*status);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* context, const HealthCheckRequest* request) {
  return new WatchReactor(statuses_, request->service());
}

}  // namespace execgw::gateway

#ifndef EXECGW_SIM_HTTP_FAULT_INJECTOR_H_
#define EXECGW_SIM_HTTP_FAULT_INJECTOR_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "sim/http/http_server.h"

namespace execgw::http {

// Lets tests make a simulator misbehave on one endpoint: answer a given
// status and body, add latency, reset the connection, truncate or trickle
// the body. Endpoints are names the simulator documents ("get", "list",
// "create", "cancel", "tasks", "events", "token", or "*" for all).
// Thread-safe.
class FaultInjector {
 public:
  // Makes the next `times` requests to `endpoint` answer `response` instead
  // of the real thing (times < 0: until Clear). A response with status 0
  // keeps the real answer but applies the response's delay and fault (for
  // added latency or a trickled real body).
  void Add(const std::string& endpoint, ServerResponse response, int times = 1) {
    absl::MutexLock lock(&mu_);
    faults_[endpoint].push_back({std::move(response), times});
  }

  // Asked for a fault on every request to which no fault added with Add
  // applies (a soak's random faults); its answer is used as Take's. Called
  // concurrently, outside the injector's lock. Clear removes it.
  using Source = std::function<std::optional<ServerResponse>(const std::string& endpoint)>;
  void SetSource(Source source) {
    absl::MutexLock lock(&mu_);
    source_ = std::make_shared<const Source>(std::move(source));
  }

  void Clear() {
    absl::MutexLock lock(&mu_);
    faults_.clear();
    source_.reset();
  }

  // The fault to apply to this request to `endpoint`, if any, consuming one
  // use of it.
  std::optional<ServerResponse> Take(const std::string& endpoint) {
    std::shared_ptr<const Source> source;
    {
      absl::MutexLock lock(&mu_);
      for (const std::string& key : {endpoint, std::string("*")}) {
        auto it = faults_.find(key);
        if (it == faults_.end() || it->second.empty()) continue;
        Entry& e = it->second.front();
        ServerResponse out = e.response;
        if (e.times > 0 && --e.times == 0) it->second.pop_front();
        return out;
      }
      source = source_;
    }
    if (source == nullptr) return std::nullopt;
    return (*source)(endpoint);
  }

 private:
  struct Entry {
    ServerResponse response;
    int times;
  };
  absl::Mutex mu_;
  std::map<std::string, std::deque<Entry>> faults_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const Source> source_ ABSL_GUARDED_BY(mu_);
};

// Applies a Take() result to a real response: a fault with status 0 keeps
// the real status, headers and body and adds only its delay and transport
// fault; any other fault replaces the response.
inline ServerResponse ApplyFault(std::optional<ServerResponse> fault, ServerResponse real) {
  if (!fault.has_value()) return real;
  if (fault->status != 0) return *std::move(fault);
  real.delay = fault->delay;
  real.fault = fault->fault;
  real.trickle_bytes = fault->trickle_bytes;
  real.trickle_interval = fault->trickle_interval;
  return real;
}

}  // namespace execgw::http

#endif  // EXECGW_SIM_HTTP_FAULT_INJECTOR_H_

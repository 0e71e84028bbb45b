#ifndef EXECGW_GATEWAY_BACKEND_REGISTRY_H_
#define EXECGW_GATEWAY_BACKEND_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/backend.h"
#include "adapters/http/http_client.h"
#include "adapters/http/upstream_observer.h"
#include "execgw/config/v1/config.pb.h"

namespace execgw::gateway {

// The configured backends, by name. Immutable once built; safe to read
// from any thread.
class BackendRegistry {
 public:
  // One backend and the HTTP client it was built on (its own retrying,
  // limiting client, so that one failing upstream cannot slow the others),
  // which must outlive it.
  struct Entry {
    std::unique_ptr<http::HttpClient> http;  // may be null
    std::unique_ptr<Backend> backend;
  };

  // `secrets`: the upstream credentials the backends were built with
  // (API keys, OAuth client ids and secrets), for the gateway to strip from
  // whatever it says.
  explicit BackendRegistry(std::vector<Entry> entries, std::vector<std::string> secrets = {});
  explicit BackendRegistry(std::vector<std::unique_ptr<Backend>> backends);
  ~BackendRegistry();

  // The backend called `name`, or NOT_FOUND (reason BACKEND_NOT_CONFIGURED)
  // naming it and listing the configured ones.
  absl::StatusOr<Backend*> Find(const std::string& name) const;

  std::vector<const Backend*> All() const;

  // Whether the circuit breaker of `name`'s client is closed (true for a
  // backend built without one, or not configured).
  bool CircuitClosed(const std::string& name) const;

  const std::vector<std::string>& secrets() const { return secrets_; }

 private:
  std::map<std::string, Entry> backends_;
  std::vector<std::string> secrets_;
};

// Which of the gateway's workers a registry is built for: each gets its
// share of every backend's concurrency limit and queue.
struct WorkerShare {
  int index = 0;  // 0 .. count-1
  int count = 1;
};

// The share of `total` for `share`: the total split as evenly as possible
// (the first total % count workers one more), so that the shares add up to
// the total; at least 1, so when there are more workers than the total
// allows, the sum is the worker count.
int ShareOf(int total, WorkerShare share);

// What a registry's backends serve: callers' unary calls, or the watch
// hub's followers, which have their own share of each backend's request
// budget (BackendWatch.maxConcurrentRequests) and their own breaker.
enum class BackendUse { kCalls, kWatch };

// Builds one adapter per configured backend, resolving each credential
// from its environment variable or file. Each backend talks to its upstream
// through its own ResilientHttpClient (retries, concurrency limit, circuit
// breaker, per the backend's `resilience` settings) over `client`, which
// must outlive the result; its concurrency limit and queue are this
// worker's share of the configured ones (for kWatch, of the watch figure).
// `observer` (optional, outlives the result) is told of every backend's
// upstream attempts, fast failures, breaker changes and token refreshes.
absl::StatusOr<std::unique_ptr<BackendRegistry>> BuildBackends(
    const config::v1::GatewayConfig& config, http::HttpClient& client,
    WorkerShare share = WorkerShare(), BackendUse use = BackendUse::kCalls,
    http::UpstreamObserver* observer = nullptr);

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_BACKEND_REGISTRY_H_

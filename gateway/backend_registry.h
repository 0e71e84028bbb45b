#ifndef EXECGW_GATEWAY_BACKEND_REGISTRY_H_
#define EXECGW_GATEWAY_BACKEND_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/backend.h"
#include "adapters/http/http_client.h"
#include "execgw/config/v1/config.pb.h"

namespace execgw::gateway {

// The configured backends, by name. Immutable once built; safe to read
// from any thread.
class BackendRegistry {
 public:
  explicit BackendRegistry(std::vector<std::unique_ptr<Backend>> backends);

  // The backend called `name`, or NOT_FOUND (reason BACKEND_NOT_CONFIGURED)
  // naming it and listing the configured ones.
  absl::StatusOr<Backend*> Find(const std::string& name) const;

  std::vector<const Backend*> All() const;

 private:
  std::map<std::string, std::unique_ptr<Backend>> backends_;
};

// Builds one adapter per configured backend, resolving each credential
// from its environment variable or file. `client` must outlive the result.
absl::StatusOr<std::unique_ptr<BackendRegistry>> BuildBackends(
    const config::v1::GatewayConfig& config, http::HttpClient& client);

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_BACKEND_REGISTRY_H_

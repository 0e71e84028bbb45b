#ifndef EXECGW_ADAPTERS_BLAXEL_BLAXEL_BACKEND_H_
#define EXECGW_ADAPTERS_BLAXEL_BLAXEL_BACKEND_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/http/http_client.h"

namespace execgw::blaxel {

struct BlaxelBackendOptions {
  // The configured backend name (resource names: backends/{name}/...).
  std::string name;
  // The API root including the version path, e.g. "https://api.blaxel.ai/v0"
  // or "http://127.0.0.1:PORT/v0". A trailing '/' is ignored.
  std::string base_url;
  // Sent as X-Blaxel-Workspace.
  std::string workspace;
  // Sent as "Authorization: Bearer ..."; never written to errors or logs.
  std::string api_key;
  // Sent as Blaxel-Version.
  std::string api_version = "2026-04-28";
  // Upper bound of one upstream request; the caller's deadline, if sooner,
  // wins.
  absl::Duration request_timeout = absl::Seconds(30);
};

// A Backend for the Blaxel control plane v0 (job executions). `client` must
// outlive the backend. Names must have the job form
// (backends/{b}/jobs/{job}/executions/{id}).
std::unique_ptr<Backend> NewBlaxelBackend(BlaxelBackendOptions options, http::HttpClient& client);

}  // namespace execgw::blaxel

#endif  // EXECGW_ADAPTERS_BLAXEL_BLAXEL_BACKEND_H_

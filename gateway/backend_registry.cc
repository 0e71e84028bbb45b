#include "gateway/backend_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/blaxel/blaxel_backend.h"
#include "adapters/polos/polos_backend.h"
#include "adapters/upstream_error.h"
#include "gateway/config.h"

namespace execgw::gateway {

BackendRegistry::BackendRegistry(std::vector<std::unique_ptr<Backend>> backends) {
  for (auto& b : backends) {
    std::string name = b->name();
    backends_.emplace(std::move(name), std::move(b));
  }
}

absl::StatusOr<Backend*> BackendRegistry::Find(const std::string& name) const {
  auto it = backends_.find(name);
  if (it != backends_.end()) return it->second.get();
  std::vector<std::string> known;
  for (const auto& [n, b] : backends_) known.push_back(n);
  return MakeError(absl::StatusCode::kNotFound,
                   absl::StrCat("backend \"", name, "\" is not configured (configured: ",
                                absl::StrJoin(known, ", "), ")"),
                   reason::kBackendNotConfigured, {{"backend", name}});
}

std::vector<const Backend*> BackendRegistry::All() const {
  std::vector<const Backend*> out;
  for (const auto& [n, b] : backends_) out.push_back(b.get());
  return out;
}

absl::StatusOr<std::unique_ptr<BackendRegistry>> BuildBackends(
    const config::v1::GatewayConfig& config, http::HttpClient& client) {
  if (auto s = ValidateConfig(config); !s.ok()) return s;
  std::vector<std::unique_ptr<Backend>> backends;
  for (int i = 0; i < config.backends_size(); ++i) {
    const auto& b = config.backends(i);
    const std::string at = absl::StrCat("backends[", i, "]");
    const absl::Duration timeout =
        b.request_timeout_ms() > 0 ? absl::Milliseconds(b.request_timeout_ms()) : absl::Seconds(30);
    if (b.has_blaxel()) {
      auto key = ResolveSecret(b.blaxel().api_key(), absl::StrCat(at, ".blaxel.apiKey"));
      if (!key.ok()) return key.status();
      blaxel::BlaxelBackendOptions options;
      options.name = b.name();
      options.base_url = b.blaxel().base_url();
      options.workspace = b.blaxel().workspace();
      options.api_key = *std::move(key);
      if (!b.blaxel().api_version().empty()) options.api_version = b.blaxel().api_version();
      options.request_timeout = timeout;
      backends.push_back(blaxel::NewBlaxelBackend(std::move(options), client));
    } else {
      auto key = ResolveSecret(b.polos().api_key(), absl::StrCat(at, ".polos.apiKey"));
      if (!key.ok()) return key.status();
      polos::PolosBackendOptions options;
      options.name = b.name();
      options.base_url = b.polos().base_url();
      options.project_id = b.polos().project_id();
      options.api_key = *std::move(key);
      options.request_timeout = timeout;
      backends.push_back(polos::NewPolosBackend(std::move(options), client));
    }
  }
  return std::make_unique<BackendRegistry>(std::move(backends));
}

}  // namespace execgw::gateway

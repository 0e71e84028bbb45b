#include "gateway/backend_registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/blaxel/blaxel_backend.h"
#include "adapters/http/resilient_http_client.h"
#include "adapters/polos/polos_backend.h"
#include "adapters/upstream_error.h"
#include "gateway/config.h"

namespace execgw::gateway {
namespace {

// A zero in the config means "the default". The concurrency limit and its
// queue are this worker's share of the configured figures.
http::ResilienceOptions ResilienceFromConfig(const config::v1::Backend& b, WorkerShare share,
                                             BackendUse use) {
  const config::v1::Resilience& r = b.resilience();
  http::ResilienceOptions o;
  o.backend = b.name();
  if (b.max_response_bytes() > 0) o.max_response_bytes = b.max_response_bytes();
  if (r.max_attempts() > 0) o.max_attempts = r.max_attempts();
  if (r.initial_backoff_ms() > 0) o.initial_backoff = absl::Milliseconds(r.initial_backoff_ms());
  if (r.max_backoff_ms() > 0) o.max_backoff = absl::Milliseconds(r.max_backoff_ms());
  if (r.max_concurrent_requests() > 0) o.max_in_flight = r.max_concurrent_requests();
  if (r.breaker_failure_threshold() > 0) o.failure_threshold = r.breaker_failure_threshold();
  if (r.breaker_open_ms() > 0) o.open_duration = absl::Milliseconds(r.breaker_open_ms());
  const int request_timeout_ms = b.request_timeout_ms() > 0 ? b.request_timeout_ms() : 30000;
  o.slow_attempt = absl::Milliseconds(r.slow_request_ms() > 0 ? r.slow_request_ms()
                                                              : std::min(1000, request_timeout_ms));
  if (use == BackendUse::kWatch) {
    o.max_in_flight =
        b.watch().max_concurrent_requests() > 0 ? b.watch().max_concurrent_requests() : 16;
  }
  o.max_in_flight = ShareOf(o.max_in_flight, share);
  o.max_queued = ShareOf(o.max_queued, share);
  return o;
}

}  // namespace

int ShareOf(int total, WorkerShare share) {
  const int base = total / share.count;
  const int extra = share.index < total % share.count ? 1 : 0;
  return std::max(1, base + extra);
}

BackendRegistry::BackendRegistry(std::vector<Entry> entries, std::vector<std::string> secrets)
    : secrets_(std::move(secrets)) {
  for (auto& e : entries) {
    std::string name = e.backend->name();
    backends_.emplace(std::move(name), std::move(e));
  }
}

BackendRegistry::BackendRegistry(std::vector<std::unique_ptr<Backend>> backends) {
  for (auto& b : backends) {
    std::string name = b->name();
    backends_.emplace(std::move(name), Entry{nullptr, std::move(b)});
  }
}

BackendRegistry::~BackendRegistry() {
  // Each backend goes before the client it was built on.
  for (auto& [name, e] : backends_) e.backend.reset();
}

absl::StatusOr<Backend*> BackendRegistry::Find(const std::string& name) const {
  auto it = backends_.find(name);
  if (it != backends_.end()) return it->second.backend.get();
  std::vector<std::string> known;
  for (const auto& [n, b] : backends_) known.push_back(n);
  return MakeError(absl::StatusCode::kNotFound,
                   absl::StrCat("backend \"", name, "\" is not configured (configured: ",
                                absl::StrJoin(known, ", "), ")"),
                   reason::kBackendNotConfigured, {{"backend", name}});
}

std::vector<const Backend*> BackendRegistry::All() const {
  std::vector<const Backend*> out;
  for (const auto& [n, e] : backends_) out.push_back(e.backend.get());
  return out;
}

bool BackendRegistry::CircuitClosed(const std::string& name) const {
  auto it = backends_.find(name);
  if (it == backends_.end()) return true;
  const auto* resilient = dynamic_cast<const http::ResilientHttpClient*>(it->second.http.get());
  return resilient == nullptr ||
         resilient->stats().breaker_state == http::CircuitBreaker::State::kClosed;
}

absl::StatusOr<std::unique_ptr<BackendRegistry>> BuildBackends(
    const config::v1::GatewayConfig& config, http::HttpClient& client, WorkerShare share,
    BackendUse use, http::UpstreamObserver* observer) {
  if (auto s = ValidateConfig(config); !s.ok()) return s;
  std::vector<BackendRegistry::Entry> entries;
  std::vector<std::string> secrets;
  for (int i = 0; i < config.backends_size(); ++i) {
    const auto& b = config.backends(i);
    const std::string at = absl::StrCat("backends[", i, "]");
    const absl::Duration timeout =
        b.request_timeout_ms() > 0 ? absl::Milliseconds(b.request_timeout_ms()) : absl::Seconds(30);
    http::ResilienceOptions resilience = ResilienceFromConfig(b, share, use);
    resilience.observer = observer;
    auto http = std::make_unique<http::ResilientHttpClient>(client, std::move(resilience));
    if (b.has_blaxel()) {
      blaxel::BlaxelBackendOptions options;
      if (b.blaxel().has_oauth()) {
        auto id = ResolveHeaderSecret(b.blaxel().oauth().client_id(),
                                      absl::StrCat(at, ".blaxel.oauth.clientId"));
        if (!id.ok()) return id.status();
        auto secret = ResolveHeaderSecret(b.blaxel().oauth().client_secret(),
                                          absl::StrCat(at, ".blaxel.oauth.clientSecret"));
        if (!secret.ok()) return secret.status();
        secrets.push_back(*secret);
        options.oauth_client_id = *std::move(id);
        options.oauth_client_secret = *std::move(secret);
      } else {
        auto key = ResolveHeaderSecret(b.blaxel().api_key(), absl::StrCat(at, ".blaxel.apiKey"));
        if (!key.ok()) return key.status();
        secrets.push_back(*key);
        options.api_key = *std::move(key);
      }
      options.name = b.name();
      options.base_url = b.blaxel().base_url();
      options.workspace = b.blaxel().workspace();
      if (!b.blaxel().api_version().empty()) options.api_version = b.blaxel().api_version();
      options.request_timeout = timeout;
      options.observer = observer;
      auto backend = blaxel::NewBlaxelBackend(std::move(options), *http);
      entries.push_back({std::move(http), std::move(backend)});
    } else {
      auto key = ResolveHeaderSecret(b.polos().api_key(), absl::StrCat(at, ".polos.apiKey"));
      if (!key.ok()) return key.status();
      secrets.push_back(*key);
      polos::PolosBackendOptions options;
      options.name = b.name();
      options.base_url = b.polos().base_url();
      options.project_id = b.polos().project_id();
      options.api_key = *std::move(key);
      options.request_timeout = timeout;
      auto backend = polos::NewPolosBackend(std::move(options), *http);
      entries.push_back({std::move(http), std::move(backend)});
    }
  }
  return std::make_unique<BackendRegistry>(std::move(entries), std::move(secrets));
}

}  // namespace execgw::gateway

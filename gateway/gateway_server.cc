#include "gateway/gateway_server.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "adapters/event_loop.h"
#include "adapters/http/curl_http_client.h"
#include "gateway/config.h"
#include "gateway/log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "grpcpp/server_builder.h"

namespace execgw::gateway {
namespace {

using HealthCheckResponseStatus = grpc::health::v1::HealthCheckResponse;

int OrDefault(int32_t value, int fallback) { return value > 0 ? value : fallback; }

// The API listener's credentials: TLS from watched files (reloaded when
// they change), or plaintext.
std::shared_ptr<grpc::ServerCredentials> ListenerCredentials(const config::v1::Server& server) {
  if (!server.has_tls()) return grpc::InsecureServerCredentials();
  const config::v1::Tls& tls = server.tls();
  const unsigned refresh_s =
      static_cast<unsigned>(OrDefault(tls.reload_interval_ms(), 60000) + 999) / 1000;
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file(), tls.cert_file(), tls.client_ca_file(), refresh_s);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (tls.client_ca_file().empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(tls.require_client_cert()
                                      ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                      : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

// Connection management and message sizes of the API listener.
void ApplyServerSettings(const config::v1::Server& server, grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             OrDefault(server.max_connection_age_ms(), 30 * 60 * 1000));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             OrDefault(server.max_connection_age_grace_ms(), 5 * 60 * 1000));
  // Keep idle client connections healthy through load balancers and NATs.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             OrDefault(server.keepalive_time_ms(), 60 * 1000));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  // Enforcement: a client pinging more often than this gets strikes, and
  // GOAWAY (too_many_pings) after the second.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             OrDefault(server.min_client_ping_interval_ms(), 10 * 1000));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.SetMaxReceiveMessageSize(OrDefault(server.max_request_bytes(), 4 << 20));
  builder.SetMaxSendMessageSize(OrDefault(server.max_response_bytes(), 16 << 20));
}

}  // namespace

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(
    const config::v1::GatewayConfig& config, const std::string& listen_address) {
  // Malformed requests make protobuf log; callers must not be able to
  // flood stderr with them.
  RouteProtobufLogging();
  std::unique_ptr<GatewayServer> gw(new GatewayServer());
  // --- observability: log level, metrics (the admin listener is below) ---
  if (auto level = ParseLogLevel(config.log().level()); level.has_value()) SetLogLevel(*level);
  gw->metrics_ = std::make_unique<GatewayMetrics>();
  auto workers = StartWorkers(config, gw->metrics_.get());
  if (!workers.ok()) return workers.status();
  gw->workers_ = *std::move(workers);

  std::string key;
  if (config.has_page_token_key()) {
    auto resolved = ResolveSecret(config.page_token_key(), "pageTokenKey");
    if (!resolved.ok()) return resolved.status();
    if (auto s = PageTokenCodec::ValidateKey(*resolved); !s.ok()) return s;
    key = *std::move(resolved);
  } else {
    // Tokens then hold only on this process: fine for one replica or a
    // sidecar; README tells operators of several replicas to set a key.
    key = PageTokenCodec::RandomKey();
  }
  gw->page_tokens_ = std::make_unique<PageTokenCodec>(std::move(key), WallClock());
  ExecutionService::Dependencies deps;
  for (auto& w : gw->workers_) deps.workers.push_back(w.get());
  const std::vector<Worker*> deps_workers = deps.workers;
  deps.page_tokens = gw->page_tokens_.get();
  deps.metrics = gw->metrics_.get();
  gw->watch_limits_ = std::make_unique<WatchLimits>(WatchLimitsFromConfig(config.watch()));
  deps.watch_limits = gw->watch_limits_.get();
  if (config.watch().heartbeat_interval_ms() > 0) {
    deps.heartbeat_interval = absl::Milliseconds(config.watch().heartbeat_interval_ms());
  }
  if (config.has_auth()) {
    std::vector<std::string> names;
    for (const auto& b : config.backends()) names.push_back(b.name());
    auto auth = CallerAuth::FromConfig(config.auth(), names);
    if (!auth.ok()) return auth.status();
    gw->auth_ = *std::move(auth);
    deps.auth = gw->auth_.get();
  }
  gw->service_ = std::make_unique<ExecutionService>(std::move(deps));
  const config::v1::Server& server = config.server();
  gw->drain_delay_ = absl::Milliseconds(server.drain_delay_ms());
  gw->drain_grace_ = absl::Milliseconds(OrDefault(server.drain_grace_ms(), 25000));

  // Health: the process is alive; ready once listening. Each backend
  // starts SERVING (its circuit closed).
  gw->health_.Set(kLivenessService, HealthCheckResponseStatus::SERVING);
  for (const auto& b : config.backends()) {
    gw->backend_names_.push_back(b.name());
    gw->health_.Set(kBackendServicePrefix + b.name(), HealthCheckResponseStatus::SERVING);
  }
  gw->health_service_ = std::make_unique<HealthService>(gw->health_);

  grpc::EnableDefaultHealthCheckService(false);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::string address = listen_address;
  if (address.empty()) address = server.listen().empty() ? "0.0.0.0:50051" : server.listen();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, ListenerCredentials(server), &gw->port_);
  builder.RegisterService(gw->service_.get());
  builder.RegisterService(gw->health_service_.get());
  ApplyServerSettings(server, builder);
  gw->server_ = builder.BuildAndStart();
  if (gw->server_ == nullptr || gw->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address,
                     " (address in use, not a valid host:port, or unreadable TLS files?)"));
  }
  if (!config.health().listen().empty()) {
    gw->probe_health_service_ = std::make_unique<HealthService>(gw->health_);
    grpc::ServerBuilder probe;
    probe.AddListeningPort(config.health().listen(), grpc::InsecureServerCredentials(),
                           &gw->probe_port_);
    probe.RegisterService(gw->probe_health_service_.get());
    gw->probe_server_ = probe.BuildAndStart();
    if (gw->probe_server_ == nullptr || gw->probe_port_ == 0) {
      return absl::UnavailableError(absl::StrCat("health.listen: cannot listen on ",
                                                 config.health().listen(),
                                                 " (address in use, or not a valid host:port?)"));
    }
  }
  gw->monitor_ = std::thread([raw = gw.get()] { raw->MonitorBackends(); });
  for (const char* ready : {"", kReadinessService, "execgw.v1.ExecutionService"}) {
    gw->health_.Set(ready, HealthCheckResponseStatus::SERVING);
  }

  // --- observability: the admin listener (GET /metrics) ---
  gw->metrics_->AttachWorkers(deps_workers);
  if (!config.admin().listen().empty()) {
    auto admin = AdminServer::Start(config.admin().listen(), *gw->metrics_);
    if (!admin.ok()) return admin.status();
    gw->admin_ = *std::move(admin);
  }
  return gw;
}

void GatewayServer::MonitorBackends() {
  while (!stop_monitor_.WaitForNotificationWithTimeout(absl::Milliseconds(100))) {
    for (const std::string& name : backend_names_) {
      bool closed = true;
      for (const auto& w : workers_) {
        closed =
            closed && w->backends().CircuitClosed(name) && w->watch_backends().CircuitClosed(name);
      }
      health_.Set(kBackendServicePrefix + name, closed ? HealthCheckResponseStatus::SERVING
                                                       : HealthCheckResponseStatus::NOT_SERVING);
    }
  }
}

void GatewayServer::Drain() {
  const absl::Time deadline = absl::Now() + drain_grace_;
  health_.SetAllNotServing();
  absl::SleepFor(std::min(drain_delay_, drain_grace_));
  Shutdown(std::max(absl::ZeroDuration(), deadline - absl::Now()));
}

GatewayServer::~GatewayServer() { Shutdown(absl::ZeroDuration()); }

void GatewayServer::Wait() {
  if (server_) server_->Wait();
  // The gRPC server stops first; wait for the rest of Shutdown() too.
  absl::MutexLock lock(&shutdown_mu_);
  shutdown_mu_.Await(absl::Condition(&shut_down_));
}

void GatewayServer::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  health_.SetAllNotServing();
  // The monitor reads the workers: stop it before they go.
  stop_monitor_.Notify();
  if (monitor_.joinable()) monitor_.join();
  // Watch streams never end on their own: end them first, each with the
  // etag it last delivered, so that clients resume elsewhere without a gap.
  for (auto& w : workers_) w->EndWatches();
  // Health Watch calls are as long-lived: end them too.
  health_.Shutdown();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  }
  // Every gRPC call has finished, but upstream work may still run for
  // callers that left early (a shared read or create they had joined):
  // stop it all (its callbacks run now, while the backends they use are
  // alive), then take the workers down.
  // The admin listener reads the workers: stop it first.
  admin_.reset();
  if (metrics_ != nullptr) metrics_->DetachWorkers();
  for (auto& w : workers_) w->Shutdown();
  workers_.clear();
  // Liveness answers until the end.
  if (probe_server_) probe_server_->Shutdown(std::chrono::system_clock::now());
  shut_down_ = true;
}

}  // namespace execgw::gateway

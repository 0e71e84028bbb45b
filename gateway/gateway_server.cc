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
#include "grpcpp/server_builder.h"

namespace execgw::gateway {

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
  gw->service_ = std::make_unique<ExecutionService>(std::move(deps));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen_address, grpc::InsecureServerCredentials(), &gw->port_);
  builder.RegisterService(gw->service_.get());
  // Keep idle client connections healthy through load balancers and NATs,
  // and let clients ping us without being throttled.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  gw->server_ = builder.BuildAndStart();
  if (gw->server_ == nullptr || gw->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen_address,
                                               " (address in use, or not a valid host:port?)"));
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
  // Watch streams never end on their own: end them first, each with the
  // etag it last delivered, so that clients resume elsewhere without a gap.
  for (auto& w : workers_) w->EndWatches();
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
  shut_down_ = true;
}

}  // namespace execgw::gateway

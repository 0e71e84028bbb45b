#include "gateway/metrics.h"

#include <exception>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gateway/log.h"
#include "gateway/worker.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/metric_family.h"

namespace execgw::gateway {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return *buckets;
}

// The status label of an upstream attempt: the HTTP status, or for an
// attempt without a response the failure's code ("unavailable",
// "deadline_exceeded"...).
std::string StatusLabel(const http::UpstreamAttempt& a) {
  if (a.status > 0) return absl::StrCat(a.status);
  return absl::AsciiStrToLower(absl::StatusCodeToString(a.error.code()));
}

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void AddValue(prometheus::MetricFamily& family, double value) {
  prometheus::ClientMetric m;
  if (family.type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  family.metric.push_back(std::move(m));
}

}  // namespace

const char* RpcMethodName(RpcMethod method) {
  switch (method) {
    case RpcMethod::kGetExecution:
      return "GetExecution";
    case RpcMethod::kListExecutions:
      return "ListExecutions";
    case RpcMethod::kListExecutionTasks:
      return "ListExecutionTasks";
    case RpcMethod::kCreateExecution:
      return "CreateExecution";
    case RpcMethod::kCancelExecution:
      return "CancelExecution";
    case RpcMethod::kWatchExecution:
      return "WatchExecution";
  }
  return "unknown";
}

// The handles of one (backend, route).
struct GatewayMetrics::Upstream {
  prometheus::Histogram* seconds;
  prometheus::Counter* retries;
  absl::Mutex mu;
  absl::flat_hash_map<std::string, prometheus::Counter*> by_status ABSL_GUARDED_BY(mu);
};

// The figures the workers keep themselves, read at each scrape.
class GatewayMetrics::WorkerCollector final : public prometheus::Collectable {
 public:
  void Set(std::vector<Worker*> workers) {
    absl::MutexLock lock(&mu_);
    workers_ = std::move(workers);
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    struct Hub {
      uint64_t streams = 0, followers = 0, feeds = 0, reads = 0, changes = 0, hints = 0;
    };
    auto coalesced = Family("execgw_get_coalesced_total",
                            "GetExecution calls that shared an upstream read already in flight",
                            prometheus::MetricType::Counter);
    auto deduplicated =
        Family("execgw_create_deduplicated_total",
               "CreateExecution calls answered from a remembered request_id (joined, replayed "
               "or found by a search)",
               prometheus::MetricType::Counter);
    auto streams = Family("execgw_watch_streams", "WatchExecution streams open",
                          prometheus::MetricType::Gauge);
    auto followers =
        Family("execgw_watch_followers", "Executions followed upstream for watch streams",
               prometheus::MetricType::Gauge);
    auto feeds = Family("execgw_watch_event_streams",
                        "Upstream event streams (Polos) open for followed executions",
                        prometheus::MetricType::Gauge);
    auto reads = Family("execgw_watch_upstream_reads_total",
                        "Upstream reads made by watch followers", prometheus::MetricType::Counter);
    auto changes = Family("execgw_watch_changes_total",
                          "New contents of followed executions published to watchers",
                          prometheus::MetricType::Counter);
    auto hints = Family("execgw_watch_change_hints_total",
                        "Change hints received from upstream event streams",
                        prometheus::MetricType::Counter);
    double coalesced_n = 0, deduplicated_n = 0;
    auto total = std::make_shared<Hub>();
    absl::MutexLock lock(&mu_);
    for (Worker* w : workers_) {
      coalesced_n += static_cast<double>(w->gets().counters().joins);
      const CreateDeduplicator::Counters c = w->creates().counters();
      deduplicated_n += static_cast<double>(c.joins + c.replays + c.found);
      // The hub is the loop's alone: read it there, waiting a bounded time
      // (this is the admin server's thread, never a loop's).
      auto done = std::make_shared<absl::Notification>();
      auto hub = std::make_shared<Hub>();
      WatchHub* watches = &w->watches();
      w->loop().Post([watches, hub, done] {
        hub->streams = watches->subscribers();
        hub->followers = watches->followers();
        hub->feeds = watches->feeds();
        hub->reads = watches->counters().reads;
        hub->changes = watches->counters().changes;
        hub->hints = watches->counters().change_hints;
        done->Notify();
      });
      if (done->WaitForNotificationWithTimeout(absl::Seconds(1))) {
        total->streams += hub->streams;
        total->followers += hub->followers;
        total->feeds += hub->feeds;
        total->reads += hub->reads;
        total->changes += hub->changes;
        total->hints += hub->hints;
      }
    }
    AddValue(coalesced, coalesced_n);
    AddValue(deduplicated, deduplicated_n);
    AddValue(streams, static_cast<double>(total->streams));
    AddValue(followers, static_cast<double>(total->followers));
    AddValue(feeds, static_cast<double>(total->feeds));
    AddValue(reads, static_cast<double>(total->reads));
    AddValue(changes, static_cast<double>(total->changes));
    AddValue(hints, static_cast<double>(total->hints));
    return {coalesced, deduplicated, streams, followers, feeds, reads, changes, hints};
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Worker*> workers_ ABSL_GUARDED_BY(mu_);
};

GatewayMetrics::GatewayMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      rpcs_(BuildCounter()
                .Name("execgw_rpcs_total")
                .Help("RPCs handled, by method and gRPC status code")
                .Register(*registry_)),
      rpc_seconds_(BuildHistogram()
                       .Name("execgw_rpc_duration_seconds")
                       .Help("RPC latency (watch streams: how long the stream lasted), by method")
                       .Register(*registry_)),
      upstream_requests_(BuildCounter()
                             .Name("execgw_upstream_requests_total")
                             .Help("Upstream HTTP attempts (retries included), by backend, route "
                                   "template and HTTP status (or the failure's code)")
                             .Register(*registry_)),
      upstream_seconds_(BuildHistogram()
                            .Name("execgw_upstream_request_duration_seconds")
                            .Help("Upstream HTTP attempt latency, by backend and route template")
                            .Register(*registry_)),
      upstream_retries_(BuildCounter()
                            .Name("execgw_upstream_retries_total")
                            .Help("Upstream attempts that were retries, by backend and route")
                            .Register(*registry_)),
      upstream_rejected_(BuildCounter()
                             .Name("execgw_upstream_rejected_total")
                             .Help("Upstream requests failed fast without being sent, by backend, "
                                   "route and reason (circuit_open, queue_full, queue_timeout)")
                             .Register(*registry_)),
      circuit_open_(BuildGauge()
                        .Name("execgw_upstream_circuit_open")
                        .Help("Circuit breakers of the backend not closed (open or half-open); "
                              "each worker has its own per backend, and one for watches")
                        .Register(*registry_)),
      circuit_opened_(BuildCounter()
                          .Name("execgw_upstream_circuit_opened_total")
                          .Help("Times a circuit breaker of the backend opened")
                          .Register(*registry_)),
      token_refreshes_(BuildCounter()
                           .Name("execgw_oauth_token_refreshes_total")
                           .Help("OAuth token requests, by backend and result (ok, error)")
                           .Register(*registry_)),
      workers_(std::make_shared<WorkerCollector>()) {
  for (int m = 0; m < kRpcMethodCount; ++m) {
    rpc_histograms_[m] =
        &rpc_seconds_.Add({{"method", RpcMethodName(static_cast<RpcMethod>(m))}}, LatencyBuckets());
    for (auto& c : rpc_counters_[m]) c.store(nullptr);
  }
}

GatewayMetrics::~GatewayMetrics() = default;

std::vector<std::weak_ptr<prometheus::Collectable>> GatewayMetrics::collectables() const {
  return {registry_, workers_};
}

prometheus::Counter& GatewayMetrics::RpcCounter(RpcMethod method, grpc::StatusCode code) {
  const int m = static_cast<int>(method);
  int c = static_cast<int>(code);
  if (c < 0 || c >= 17) c = static_cast<int>(grpc::StatusCode::UNKNOWN);
  std::atomic<prometheus::Counter*>& slot = rpc_counters_[m][c];
  prometheus::Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the same counter for the same labels.
    counter = &rpcs_.Add({{"method", RpcMethodName(method)},
                          {"code", GrpcCodeName(static_cast<grpc::StatusCode>(c))}});
    slot.store(counter, std::memory_order_release);
  }
  return *counter;
}

void GatewayMetrics::RecordRpc(RpcMethod method, grpc::StatusCode code, absl::Duration latency) {
  RpcCounter(method, code).Increment();
  rpc_histograms_[static_cast<int>(method)]->Observe(absl::ToDoubleSeconds(latency));
}

GatewayMetrics::Upstream& GatewayMetrics::UpstreamFor(absl::string_view backend,
                                                      absl::string_view route) {
  if (route.empty()) route = "other";
  const std::string key = absl::StrCat(backend, "\n", route);
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Upstream>& u = upstreams_[key];
  if (u == nullptr) {
    u = std::make_unique<Upstream>();
    const std::map<std::string, std::string> labels = {{"backend", std::string(backend)},
                                                       {"route", std::string(route)}};
    u->seconds = &upstream_seconds_.Add(labels, LatencyBuckets());
    u->retries = &upstream_retries_.Add(labels);
  }
  return *u;
}

void GatewayMetrics::OnAttempt(const http::UpstreamAttempt& a) {
  Upstream& u = UpstreamFor(a.backend, a.route);
  const std::string status = StatusLabel(a);
  prometheus::Counter* counter;
  {
    absl::MutexLock lock(&u.mu);
    prometheus::Counter*& slot = u.by_status[status];
    if (slot == nullptr) {
      slot = &upstream_requests_.Add({{"backend", std::string(a.backend)},
                                      {"route", a.route.empty() ? "other" : std::string(a.route)},
                                      {"status", status}});
    }
    counter = slot;
  }
  counter->Increment();
  u.seconds->Observe(absl::ToDoubleSeconds(a.latency));
  if (a.attempt > 1) u.retries->Increment();
  // A failure: no response, or one the retry policy calls transient (5xx,
  // 429). Definitive answers (404...) are the caller's business.
  if (a.status == 0 || a.transient) {
    LogLine line(LogSeverity::kWarning, "upstream");
    line.Str("backend", a.backend).Str("route", a.route.empty() ? "other" : a.route);
    if (a.status > 0) {
      line.Int("status", a.status);
    } else {
      // Transport failure messages name the kind of failure, never the URL
      // or a header (http_client.h).
      line.Str("error", absl::StatusCodeToString(a.error.code())).Str("message", a.error.message());
    }
    line.Int("attempt", a.attempt)
        .Str("retried", a.retried ? "true" : "false")
        .Double("latency_ms", absl::ToDoubleMilliseconds(a.latency))
        .Str("request_id", a.request_id);
    Write(line);
  }
}

void GatewayMetrics::OnRejected(absl::string_view backend, absl::string_view route,
                                absl::string_view reason) {
  upstream_rejected_
      .Add({{"backend", std::string(backend)},
            {"route", route.empty() ? "other" : std::string(route)},
            {"reason", std::string(reason)}})
      .Increment();
}

void GatewayMetrics::OnCircuitChange(absl::string_view backend, bool open) {
  prometheus::Gauge& gauge = circuit_open_.Add({{"backend", std::string(backend)}});
  if (open) {
    gauge.Increment();
    circuit_opened_.Add({{"backend", std::string(backend)}}).Increment();
    Write(LogLine(LogSeverity::kWarning, "circuit open").Str("backend", backend));
  } else {
    gauge.Decrement();
    Write(LogLine(LogSeverity::kInfo, "circuit closed").Str("backend", backend));
  }
}

void GatewayMetrics::OnTokenRefresh(absl::string_view backend, bool ok) {
  token_refreshes_.Add({{"backend", std::string(backend)}, {"result", ok ? "ok" : "error"}})
      .Increment();
}

void GatewayMetrics::AttachWorkers(std::vector<Worker*> workers) {
  workers_->Set(std::move(workers));
}

void GatewayMetrics::DetachWorkers() { workers_->Set({}); }

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(const std::string& listen,
                                                                GatewayMetrics& metrics) {
  std::unique_ptr<AdminServer> server(new AdminServer());
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
  } catch (const std::exception&) {
    return absl::UnavailableError(absl::StrCat("admin.listen: cannot listen on ", listen,
                                               " (address in use, or not a valid host:port?)"));
  }
  for (const auto& c : metrics.collectables()) server->exposer_->RegisterCollectable(c);
  const std::vector<int> ports = server->exposer_->GetListeningPorts();
  server->port_ = ports.empty() ? 0 : ports.front();
  return server;
}

AdminServer::~AdminServer() = default;

}  // namespace execgw::gateway

#include "gateway/worker.h"

#include <sched.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "adapters/http/curl_http_client.h"
#include "gateway/config.h"
#include "gateway/watch/follow_policy.h"

namespace execgw::gateway {

Worker::Worker(std::unique_ptr<http::HttpClient> http, std::unique_ptr<BackendRegistry> backends,
               CreateDeduplicator::Options creates, WatchSetup watch)
    : http_(std::move(http)),
      backends_(std::move(backends)),
      watch_backends_(std::move(watch.backends)),
      creates_(std::make_unique<CreateDeduplicator>(creates)),
      gets_(std::make_unique<GetCoalescer>(&http_->loop())),
      watches_(std::make_unique<WatchHub>(http_->loop(), std::move(watch.options))) {}

Worker::~Worker() {
  Shutdown();
  // The loop has stopped: nothing runs on it any more.
  watches_.reset();
  backends_.reset();
  watch_backends_.reset();
  http_.reset();
}

void Worker::EndWatches() {
  absl::Notification done;
  loop().Post([this, &done] {
    watches_->Shutdown();
    done.Notify();
  });
  done.WaitForNotification();
}

void Worker::Shutdown() {
  EndWatches();
  http_->Shutdown();
}

int WorkerCount(const config::v1::GatewayConfig& config) {
  if (config.workers() > 0) return config.workers();
  // The cores this process may run on (a container's cpuset, taskset), not
  // every core of the host; within the configurable bounds.
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) cores = CPU_COUNT(&allowed);
  return std::clamp(cores, 1, kMaxWorkers);
}

absl::StatusOr<std::vector<std::unique_ptr<Worker>>> StartWorkers(
    const config::v1::GatewayConfig& config, http::UpstreamObserver* observer) {
  // Before the worker count is read: `workers` may be out of bounds.
  if (auto s = ValidateConfig(config); !s.ok()) return s;
  const int count = WorkerCount(config);
  CreateDeduplicator::Options creates;
  if (config.request_id_ttl_seconds() > 0) {
    creates.ttl = absl::Seconds(config.request_id_ttl_seconds());
  }
  // Each worker remembers the request ids routed to it: its share of the
  // memory bound.
  creates.max_entries = std::max<size_t>(1, creates.max_entries / count);
  WatchHub::Options watches;
  for (const auto& b : config.backends()) watches.policies[b.name()] = FollowPolicyFromConfig(b);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < count; ++i) {
    http::CurlHttpClientOptions options;
    options.thread_name = absl::StrCat("worker-", i);
    std::unique_ptr<http::HttpClient> http = http::NewCurlHttpClient(options);
    auto backends =
        BuildBackends(config, *http, WorkerShare{i, count}, BackendUse::kCalls, observer);
    if (!backends.ok()) return backends.status();
    auto watch_backends =
        BuildBackends(config, *http, WorkerShare{i, count}, BackendUse::kWatch, observer);
    if (!watch_backends.ok()) return watch_backends.status();
    workers.push_back(
        std::make_unique<Worker>(std::move(http), *std::move(backends), creates,
                                 Worker::WatchSetup{*std::move(watch_backends), watches}));
  }
  return workers;
}

}  // namespace execgw::gateway

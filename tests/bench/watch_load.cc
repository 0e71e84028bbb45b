// watch_load: the WatchExecution benchmark (a program, never run by CTest).
//
//   build/tests/bench/watch_load [--executions=100] [--watchers=100]
//       [--interval_ms=1000] [--polos_events=true] [--json=FILE]
//
// Runs the Blaxel and Polos simulators in this process (wall clock) with
// --executions executions, half of each kind, that sit queued for a lead
// time and then go through their states (Blaxel: pending, running,
// succeeded; Polos: claimed, running, completed); writes an execgw config
// that polls every --interval_ms (min = max, so an interval is one read)
// and starts build/bin/execgw on it, in a process of its own; opens
// --watchers streams per execution on a few channels (gRPC callback
// client) and reports:
// - upstream GETs per interval in a steady window while nothing changes
//   (each simulator's request counter), against the executions watched;
// - the gateway's memory per open stream: its VmRSS with the streams open
//   less its VmRSS before, over the stream count;
// - change-to-client latency p50/p99: receive time less the upstream's own
//   time of the change (start_time for RUNNING, end_time for the terminal
//   state, both set by the simulators from their clock), by path: Blaxel
//   (polling) and Polos (its event stream, or polling with
//   --polos_events=false);
// - the upstream requests per second the same waiters would cost polling
//   directly as the official SDKs do (every 1 s for Polos, 3 s for Blaxel),
//   against the gateway's.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/execution_state.h"
#include "adapters/upstream_time.h"
#include "execgw/config/v1/config.pb.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "sim/blaxel/simulator.h"
#include "sim/polos/simulator.h"
#include "tests/bench/bench_process.h"

ABSL_FLAG(int, executions, 100, "Executions watched, half Blaxel, half Polos.");
ABSL_FLAG(int, watchers, 100, "Watch streams per execution.");
ABSL_FLAG(int, interval_ms, 1000, "The gateway's poll interval (min = max).");
ABSL_FLAG(bool, polos_events, true, "Whether the gateway follows Polos' event stream.");
ABSL_FLAG(int, channels, 20, "gRPC channels (connections) the streams are spread over.");
ABSL_FLAG(int, steady_seconds, 10, "Length of the window in which upstream reads are counted.");
ABSL_FLAG(int, lead_seconds, 45, "How long the executions stay queued before they change.");
ABSL_FLAG(std::string, json, "", "Write the results as JSON to this file.");
ABSL_FLAG(std::string, gateway, "", "The execgw binary (default: build/bin/execgw).");

namespace execgw::bench {
namespace {

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

// What every stream reports.
struct Stats {
  std::atomic<int> first_messages{0};
  std::atomic<int> ended_ok{0};
  std::atomic<int> ended_error{0};
  std::atomic<int64_t> messages{0};
  absl::Mutex mu;
  std::vector<double> blaxel_ms ABSL_GUARDED_BY(mu);
  std::vector<double> polos_ms ABSL_GUARDED_BY(mu);
  std::string first_error ABSL_GUARDED_BY(mu);
};

// One watch stream, read as fast as it comes.
class WatchReader final : public grpc::ClientReadReactor<v1::WatchExecutionResponse> {
 public:
  WatchReader(v1::ExecutionService::Stub& stub, const std::string& name, bool polos, Stats* stats)
      : polos_(polos), stats_(stats) {
    request_.set_name(name);
    stub.async()->WatchExecution(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    const absl::Time now = absl::Now();
    stats_->messages.fetch_add(1, std::memory_order_relaxed);
    if (!got_first_) {
      got_first_ = true;
      stats_->first_messages.fetch_add(1);
    } else if (response_.has_execution()) {
      const v1::Execution& e = response_.execution();
      std::optional<absl::Time> changed;
      if (IsTerminal(e.state()) && e.has_end_time()) {
        changed = FromProtoTimestamp(e.end_time());
      } else if (e.state() == v1::Execution::STATE_RUNNING && e.has_start_time() &&
                 last_state_ != v1::Execution::STATE_RUNNING) {
        changed = FromProtoTimestamp(e.start_time());
      }
      if (changed.has_value()) {
        const double ms = absl::ToDoubleMilliseconds(now - *changed);
        absl::MutexLock lock(&stats_->mu);
        (polos_ ? stats_->polos_ms : stats_->blaxel_ms).push_back(ms);
      }
    }
    if (response_.has_execution()) last_state_ = response_.execution().state();
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    if (status.ok()) {
      stats_->ended_ok.fetch_add(1);
    } else {
      stats_->ended_error.fetch_add(1);
      absl::MutexLock lock(&stats_->mu);
      if (stats_->first_error.empty()) {
        stats_->first_error = absl::StrCat(status.error_code(), ": ", status.error_message());
      }
    }
    done_.store(true);
  }

  bool done() const { return done_.load(); }
  void Cancel() { context_.TryCancel(); }

 private:
  const bool polos_;
  Stats* const stats_;
  grpc::ClientContext context_;
  v1::WatchExecutionRequest request_;
  v1::WatchExecutionResponse response_;
  bool got_first_ = false;
  v1::Execution::State last_state_ = v1::Execution::STATE_UNSPECIFIED;
  std::atomic<bool> done_{false};
};

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

int Run() {
  const int executions = std::max(2, absl::GetFlag(FLAGS_executions));
  const int watchers = std::max(1, absl::GetFlag(FLAGS_watchers));
  const absl::Duration interval = absl::Milliseconds(absl::GetFlag(FLAGS_interval_ms));
  const bool events = absl::GetFlag(FLAGS_polos_events);
  const int blaxel_n = executions / 2;
  const int polos_n = executions - blaxel_n;
  const absl::Time start = absl::Now();
  const absl::Time change_at = start + absl::Seconds(absl::GetFlag(FLAGS_lead_seconds));

  // The upstreams, in this process (the gateway is measured in its own).
  auto bx = blaxel::BlaxelSimulator::Start({});
  auto px = polos::PolosSimulator::Start({});
  if (!bx.ok() || !px.ok()) {
    std::cerr << "watch_load: simulators did not start\n";
    return 1;
  }
  blaxel::SimulatedJob job;
  job.timeout_seconds = 7200;
  job.parallelism = 10;
  (*bx)->PutJob("etl", job);
  std::vector<std::pair<std::string, bool>> names;  // name, polos?
  for (int i = 0; i < blaxel_n; ++i) {
    const std::string id = absl::StrCat("exec-watch-", i);
    // Queued until it is "created" (then pending 1 s, running, succeeded).
    (*bx)->PutExecution("etl", id, blaxel::SimulatedScenario::kSucceed,
                        change_at + absl::Milliseconds(37 * i), 2);
    names.emplace_back(absl::StrCat("backends/bx/jobs/etl/executions/", id), false);
  }
  for (int i = 0; i < polos_n; ++i) {
    polos::NewExecution n;
    n.workflow_id = "watch-bench";
    n.created_at = start;
    n.scenario.queued_for = change_at - start + absl::Milliseconds(37 * i);
    n.scenario.claimed_for = absl::Seconds(1);
    n.scenario.running_for = absl::Seconds(4);
    names.emplace_back(absl::StrCat("backends/px/executions/", (*px)->AddExecution(n)), true);
  }

  // The gateway's config: keys in files, as the schema wants them.
  const std::string dir = absl::StrCat("/tmp/execgw-watch-bench-", getpid());
  std::filesystem::create_directories(dir);
  WriteFile(dir + "/bx.key", (*bx)->options().api_key);
  WriteFile(dir + "/px.key", (*px)->api_key());
  config::v1::GatewayConfig config;
  config.mutable_watch()->set_max_watches(10000000);
  config.mutable_watch()->set_max_watches_per_caller(10000000);
  for (const bool polos : {false, true}) {
    auto* b = config.add_backends();
    b->set_name(polos ? "px" : "bx");
    if (polos) {
      b->mutable_polos()->set_base_url((*px)->base_url());
      b->mutable_polos()->set_project_id((*px)->project_id());
      b->mutable_polos()->mutable_api_key()->set_file(dir + "/px.key");
    } else {
      b->mutable_blaxel()->set_base_url((*bx)->base_url());
      b->mutable_blaxel()->set_workspace((*bx)->options().workspace);
      b->mutable_blaxel()->mutable_api_key()->set_file(dir + "/bx.key");
    }
    b->mutable_watch()->set_min_poll_interval_ms(absl::ToInt64Milliseconds(interval));
    b->mutable_watch()->set_max_poll_interval_ms(absl::ToInt64Milliseconds(interval));
    b->mutable_watch()->set_disable_event_stream(polos && !events);
    b->mutable_watch()->set_max_concurrent_requests(256);
  }
  std::string config_json;
  (void)google::protobuf::util::MessageToJsonString(config, &config_json);
  WriteFile(dir + "/execgw.json", config_json);
  auto gw =
      SpawnGateway({FlagOr(absl::GetFlag(FLAGS_gateway), OwnDirectory() + "/../../bin/execgw"),
                    "--config=" + dir + "/execgw.json", "--listen=127.0.0.1:0"});
  if (!gw.ok()) {
    std::cerr << "watch_load: " << gw.status() << "\n";
    return 1;
  }
  const pid_t gateway_pid = gw->process->pid();
  const std::string target = absl::StrCat("127.0.0.1:", gw->port);
  absl::SleepFor(absl::Seconds(1));
  const int64_t rss_idle_kb = ProcessRssKb(gateway_pid);

  // The streams: `watchers` per execution, spread over the channels.
  std::vector<std::unique_ptr<v1::ExecutionService::Stub>> stubs;
  for (int c = 0; c < std::max(1, absl::GetFlag(FLAGS_channels)); ++c) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", c);  // one connection per channel
    stubs.push_back(v1::ExecutionService::NewStub(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args)));
  }
  Stats stats;
  std::vector<std::unique_ptr<WatchReader>> readers;
  const int total = executions * watchers;
  readers.reserve(total);
  const absl::Time open_start = absl::Now();
  for (int w = 0; w < watchers; ++w) {
    for (const auto& [name, polos] : names) {
      readers.push_back(std::make_unique<WatchReader>(*stubs[readers.size() % stubs.size()], name,
                                                      polos, &stats));
    }
  }
  const bool opened =
      WaitFor([&] { return stats.first_messages.load() >= total; }, absl::Seconds(60));
  const absl::Duration open_time = absl::Now() - open_start;
  absl::SleepFor(absl::Seconds(1));
  const int64_t rss_open_kb = ProcessRssKb(gateway_pid);

  // The steady window: nothing changes upstream; every read is a poll.
  const int steady = absl::GetFlag(FLAGS_steady_seconds);
  const int bx_before = (*bx)->request_count("get");
  const int px_before = (*px)->request_count("get");
  const absl::Time window_start = absl::Now();
  absl::SleepFor(absl::Seconds(steady));
  const double window_intervals = (absl::Now() - window_start) / interval;
  const int bx_gets = (*bx)->request_count("get") - bx_before;
  const int px_gets = (*px)->request_count("get") - px_before;
  const bool window_clean = absl::Now() < change_at;
  // Again once the streams have been open a while (the opening burst's
  // transport buffers freed); the smaller of the two is reported.
  const int64_t rss_steady_kb = ProcessRssKb(gateway_pid);

  // The changes, to the end of every execution.
  const bool ended =
      WaitFor([&] { return stats.ended_ok.load() + stats.ended_error.load() >= total; },
              std::max(absl::Seconds(30), change_at - absl::Now() + absl::Seconds(30)));
  for (auto& r : readers) r->Cancel();
  WaitFor(
      [&] {
        return std::all_of(readers.begin(), readers.end(), [](const auto& r) { return r->done(); });
      },
      absl::Seconds(20));

  std::vector<double> blaxel_ms, polos_ms;
  std::string first_error;
  {
    absl::MutexLock lock(&stats.mu);
    blaxel_ms = stats.blaxel_ms;
    polos_ms = stats.polos_ms;
    first_error = stats.first_error;
  }
  const double per_interval = (bx_gets + px_gets) / window_intervals;
  const int64_t rss_streams_kb = std::min(rss_open_kb, rss_steady_kb);
  const double kb_per_stream = static_cast<double>(rss_streams_kb - rss_idle_kb) / total;
  // The official SDKs: Polos every 1 s, Blaxel every 3 s, per waiter.
  const double direct_per_second = polos_n * watchers * 1.0 + blaxel_n * watchers / 3.0;
  const double gateway_per_second = per_interval / absl::ToDoubleSeconds(interval);
  const double interval_ms = absl::ToDoubleMilliseconds(interval);

  std::cout << absl::StrFormat(
      "watch_load: %d streams (%d executions x %d watchers) on %d channel(s), poll interval %.0f "
      "ms, Polos events %s\n"
      "  opened in %.1f s%s; ended OK %d, with an error %d%s%s\n"
      "  upstream GETs per interval (steady %.1f intervals%s): %.1f (Blaxel %.1f, Polos %.1f) "
      "for %d executions\n"
      "  gateway memory: %lld kB idle, %lld kB with the streams just open, %lld kB %d s later: "
      "%.2f KB per stream\n"
      "  change-to-client latency, Blaxel (polling): p50 %.0f ms, p99 %.0f ms (%zu changes)\n"
      "  change-to-client latency, Polos (%s): p50 %.0f ms, p99 %.0f ms (%zu changes)\n"
      "  upstream requests per second: %.0f through the gateway, %.0f polling directly as the "
      "SDKs do (x%.0f)\n",
      total, executions, watchers, static_cast<int>(stubs.size()), interval_ms,
      events ? "on" : "off", absl::ToDoubleSeconds(open_time), opened ? "" : " (NOT ALL OPENED)",
      stats.ended_ok.load(), stats.ended_error.load(), ended ? "" : " (NOT ALL ENDED)",
      first_error.empty() ? "" : absl::StrCat(" (first error: ", first_error, ")"),
      window_intervals, window_clean ? "" : ", CHANGES STARTED INSIDE", per_interval,
      bx_gets / window_intervals, px_gets / window_intervals, executions,
      static_cast<long long>(rss_idle_kb), static_cast<long long>(rss_open_kb),
      static_cast<long long>(rss_steady_kb), steady, kb_per_stream, Percentile(blaxel_ms, 0.5),
      Percentile(blaxel_ms, 0.99), blaxel_ms.size(), events ? "event stream" : "polling",
      Percentile(polos_ms, 0.5), Percentile(polos_ms, 0.99), polos_ms.size(), gateway_per_second,
      direct_per_second, direct_per_second / std::max(gateway_per_second, 1e-9));

  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    std::ofstream(path) << absl::StrFormat(
        R"({"streams":%d,"executions":%d,"watchers_per_execution":%d,"interval_ms":%.0f,)"
        R"("polos_events":%s,"opened":%s,"ended_ok":%d,"ended_error":%d,)"
        R"("open_seconds":%.2f,"upstream_gets_per_interval":%.2f,)"
        R"("blaxel_gets_per_interval":%.2f,"polos_gets_per_interval":%.2f,)"
        R"("window_clean":%s,"rss_idle_kb":%lld,"rss_open_kb":%lld,"kb_per_stream":%.3f,)"
        R"("blaxel_latency_ms":{"p50":%.1f,"p99":%.1f,"n":%zu},)"
        R"("polos_latency_ms":{"p50":%.1f,"p99":%.1f,"n":%zu},)"
        R"("gateway_requests_per_second":%.1f,"direct_requests_per_second":%.1f})"
        "\n",
        total, executions, watchers, interval_ms, events ? "true" : "false",
        opened ? "true" : "false", stats.ended_ok.load(), stats.ended_error.load(),
        absl::ToDoubleSeconds(open_time), per_interval, bx_gets / window_intervals,
        px_gets / window_intervals, window_clean ? "true" : "false",
        static_cast<long long>(rss_idle_kb), static_cast<long long>(rss_streams_kb), kb_per_stream,
        Percentile(blaxel_ms, 0.5), Percentile(blaxel_ms, 0.99), blaxel_ms.size(),
        Percentile(polos_ms, 0.5), Percentile(polos_ms, 0.99), polos_ms.size(), gateway_per_second,
        direct_per_second);
  }
  readers.clear();
  stubs.clear();
  gw->process->Stop();
  std::filesystem::remove_all(dir);
  return opened && ended ? 0 : 1;
}

}  // namespace
}  // namespace execgw::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return execgw::bench::Run();
}

// soak: the fault soak (issue 11). A program, run short by scripts/test.sh
// and for an hour by hand:
//
//   build/tests/soak/soak --minutes=M [--fault_rate=0.2] [--clients=N] [--seed=S]
//
// In this process: the Blaxel and Polos simulators, each request to them
// faulted with probability --fault_rate by a fault drawn at random from
// every kind (latency, 5xx, 429 with Retry-After, a reset before or after
// the real work, a body cut off, a garbage body, a trickled body); a second
// Blaxel simulator (OAuth) stopped and started again on the same port every
// --restart_seconds; and a socket that accepts connections and never reads
// them (an upstream that never answers). build/bin/execgw runs as a child
// process against the four, its stderr in a file.
//
// --clients threads drive mixed load for --minutes: GetExecution,
// ListExecutions (following pages), ListExecutionTasks, CreateExecution
// without and with request_id (sent again on purpose, after the answer and
// concurrently), CancelExecution and WatchExecution streams followed to
// their end, each call with a deadline. Then the load stops, the open
// watches end, the faults are cleared, the executions watched are read once
// more (their upstream end time), execgw gets SIGTERM, and these invariants
// are checked, each printed with its measured figure:
//   crash       execgw ran to the end and exited 0 on SIGTERM, no fatal line
//   memory      VmRSS drift under 5%: the mean of the last --rss_window of
//               the load against the mean of the first one after warm-up
//   watches     every watch of an execution that finished (upstream end time
//               at least --watch_grace before the watch's deadline)
//               delivered its terminal state and ended OK right after it
//   deadlines   no call outlived its deadline by more than 50 ms, seen by the
//               client (completion less deadline) and by the gateway (its
//               rpc log line's latency_ms, found by x-request-id, less the
//               call's budget); DEADLINE_EXCEEDED on time is fine. A call
//               late at the client only because this process itself was
//               not running (its 5 ms ticker woke late for all of the
//               lateness but the 50 ms) is counted and printed, and does
//               not fail the invariant: the client's gRPC library ends
//               every call at its deadline by its own timer, so that
//               lateness is the machine's scheduling, not the gateway's
//   request_id  no request_id started more than one run (Polos runs counted
//               in the simulator by the request_id put in their payload;
//               every OK answer to one request_id names one execution),
//               those a create of which ended with an unknown outcome
//               included (gateway/create_deduplicator.h searches for their
//               run before creating again); how many of those is printed
//   secrets     no form of the suite's secrets (tests/testing/suite_secrets.h)
//               in execgw's stdout and stderr or in any status message or
//               upstream_error the clients got
//   load        the soak measured something: at least half of the calls to
//               the faulted upstreams answered OK
// It exits 1 naming every invariant that failed.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/execution_state.h"
#include "execgw/config/v1/config.pb.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "gateway/metrics.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "rapidjson/document.h"
#include "sim/blaxel/simulator.h"
#include "sim/polos/simulator.h"
#include "tests/bench/bench_process.h"
#include "tests/testing/suite_secrets.h"

ABSL_FLAG(double, minutes, 1.0, "How long the load runs.");
ABSL_FLAG(double, fault_rate, 0.2, "The share of upstream requests that get a random fault.");
ABSL_FLAG(int, clients, 8, "Client threads (each on a gRPC channel of its own).");
ABSL_FLAG(uint64_t, seed, 0, "Random seed (0: from the clock); printed, to replay a run.");
ABSL_FLAG(double, warmup_fraction, 0.2,
          "The share of the run before the first RSS window (at least 15 s).");
ABSL_FLAG(int, rss_window_seconds, 0,
          "Length of the two RSS windows (0: a tenth of the run, 5 to 120 s).");
ABSL_FLAG(int, restart_seconds, 15, "How often the restarting upstream is restarted.");
ABSL_FLAG(int, watch_seconds, 30, "The watches' deadline.");
ABSL_FLAG(int, watch_grace_seconds, 10,
          "A watch must deliver the terminal state of an execution that ended this long before "
          "its deadline.");
ABSL_FLAG(int, max_open_watches, 300, "Watches open at once, at most.");
ABSL_FLAG(std::string, gateway, "", "The execgw binary (default: build/bin/execgw).");
ABSL_FLAG(std::string, keep, "", "Keep execgw's stderr and config in this folder.");

namespace execgw::soak {
namespace {

using bench::ChildProcess;
using bench::ProcessRssKb;
using grpc::StatusCode;
using Stub = v1::ExecutionService::Stub;

constexpr double kDeadlineSlackMs = 50;
constexpr double kRssDriftLimit = 0.05;

// ------------------------------------------------------------ the upstreams

enum class Kind { kBlaxel, kPolos, kRestarting, kHung };
constexpr const char* kKindNames[] = {"bx", "px", "bxr", "hung"};
const char* KindName(Kind k) { return kKindNames[static_cast<int>(k)]; }

// An execution's resource name and where it lives.
struct Target {
  std::string name;
  Kind kind;
};

std::string ExecutionName(Kind kind, const std::string& id) {
  if (kind == Kind::kPolos) return absl::StrCat("backends/px/executions/", id);
  return absl::StrCat("backends/", KindName(kind), "/jobs/etl/executions/", id);
}

// The random faults: each request to an upstream simulator gets one with
// probability `rate`, of a kind drawn uniformly.
class RandomFaults {
 public:
  enum FaultKind {
    kLatency,
    k5xx,
    k429,
    kResetBefore,
    kResetAfter,
    kCutOff,
    kGarbage,
    kTrickle,
    kKinds
  };
  static constexpr const char* kNames[kKinds] = {
      "latency",      "5xx",          "429",    "reset", "reset after the work",
      "cut-off body", "garbage body", "trickle"};

  RandomFaults(double rate, uint64_t seed) : rate_(rate), rng_(seed) {}

  http::FaultInjector::Source SourceFor(bool polos) {
    return [this, polos](const std::string& endpoint) { return Pick(endpoint, polos); };
  }

  std::string Summary() const {
    std::vector<std::string> parts;
    int64_t total = 0;
    for (int k = 0; k < kKinds; ++k) {
      total += counts_[k].load();
      parts.push_back(absl::StrCat(kNames[k], " ", counts_[k].load()));
    }
    return absl::StrCat(total, " faults of ", requests_.load(), " upstream requests (",
                        absl::StrJoin(parts, ", "), ")");
  }

  int64_t total() const {
    int64_t total = 0;
    for (const auto& c : counts_) total += c.load();
    return total;
  }

 private:
  std::optional<http::ServerResponse> Pick(const std::string& endpoint, bool polos) {
    requests_.fetch_add(1);
    double roll, delay_roll;
    int kind, status_roll;
    {
      absl::MutexLock lock(&mu_);
      roll = std::uniform_real_distribution<double>(0, 1)(rng_);
      kind = std::uniform_int_distribution<int>(0, kKinds - 1)(rng_);
      delay_roll = std::uniform_real_distribution<double>(0, 1)(rng_);
      status_roll = std::uniform_int_distribution<int>(0, 3)(rng_);
    }
    if (roll >= rate_) return std::nullopt;
    // The event stream's body is written by the stream, which a cut-off or
    // a trickle does not touch: those become latency there.
    if (endpoint == "events" && (kind == kCutOff || kind == kTrickle)) kind = kLatency;
    counts_[kind].fetch_add(1);
    http::ServerResponse r;
    switch (kind) {
      case kLatency:
        r.status = 0;
        r.delay = absl::Milliseconds(20 + 1480 * delay_roll);
        break;
      case k5xx: {
        // Always with a body: an empty 500 is how Polos answers a GET of a
        // missing execution (sim/polos/simulator.h), not a fault.
        static constexpr int kStatuses[] = {500, 502, 503, 504};
        r.status = kStatuses[status_roll];
        if (polos && r.status == 500) {
          r.headers.emplace_back("Content-Type", "application/json");
          r.body = R"({"error":"soak: injected failure","error_type":"INTERNAL_ERROR"})";
        } else {
          r.headers.emplace_back("Content-Type", "text/html");
          r.body = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>";
        }
        break;
      }
      case k429:
        r.status = 429;
        r.headers.emplace_back("Retry-After", "1");
        r.headers.emplace_back("Content-Type", "application/json");
        r.body = polos ? R"j({"error":"rate limited (soak)","error_type":"RATE_LIMITED"})j"
                       : R"({"code":429,"error":"Too Many Requests","message":"soak"})";
        break;
      case kResetBefore:
        r.status = 503;  // replacing: the real work is not done
        r.fault = http::ServerResponse::Fault::kResetConnection;
        break;
      case kResetAfter:
        r.status = 0;
        r.fault = http::ServerResponse::Fault::kResetConnection;
        break;
      case kCutOff:
        r.status = 0;
        r.fault = http::ServerResponse::Fault::kTruncateBody;
        break;
      case kGarbage:
        r.status = 200;
        r.headers.emplace_back("Content-Type", "application/json");
        r.body = "{\"data\": [\x01\xff garbage <html> ,,]";
        break;
      case kTrickle:
        r.status = 0;
        r.fault = http::ServerResponse::Fault::kTrickle;
        r.trickle_bytes = 512;
        r.trickle_interval = absl::Milliseconds(10);
        break;
    }
    return r;
  }

  const double rate_;
  absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> counts_[kKinds] = {};
};

// An upstream that accepts connections (the kernel completes them) and
// never reads them nor answers.
class HungUpstream {
 public:
  HungUpstream() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(fd_, 4096) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      port_ = 0;
      return;
    }
    port_ = ntohs(a.sin_port);
  }
  ~HungUpstream() {
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A Blaxel simulator (OAuth only) stopped and started again on the same
// port every `period`, down `downtime` each time. Its executions are put in
// place before each start with the same creation times, so their state
// (materialized from the clock) goes on across restarts; access tokens do
// not survive a restart, as a real token server's cache need not.
class RestartingUpstream {
 public:
  // Executions created at start + k * spacing, k < count.
  RestartingUpstream(absl::Time start, int count, absl::Duration spacing)
      : start_(start), count_(count), spacing_(spacing) {}
  ~RestartingUpstream() { StopRestarting(); }

  absl::Status Start() {
    auto sim = blaxel::BlaxelSimulator::Start(Options(0));
    if (!sim.ok()) return sim.status();
    sim_ = *std::move(sim);
    port_ = PortOf(sim_->base_url());
    return absl::OkStatus();
  }

  void StartRestarting(absl::Duration period, absl::Duration downtime) {
    thread_ = std::thread([this, period, downtime] {
      while (!stop_.WaitForNotificationWithTimeout(period)) {
        sim_->Stop();
        sim_.reset();
        restarts_.fetch_add(1);
        stop_.WaitForNotificationWithTimeout(downtime);
        // The port was just ours; a bind can still fail for a moment.
        for (int tries = 0; sim_ == nullptr && tries < 200; ++tries) {
          auto sim = blaxel::BlaxelSimulator::Start(Options(port_));
          if (sim.ok()) {
            sim_ = *std::move(sim);
          } else {
            absl::SleepFor(absl::Milliseconds(50));
          }
        }
        if (sim_ == nullptr) {
          std::cerr << "soak: the restarting upstream could not bind port " << port_ << " again\n";
          failed_restarts_.fetch_add(1);
          return;
        }
      }
    });
  }

  // Leaves it running.
  void StopRestarting() {
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (thread_.joinable()) thread_.join();
  }

  std::string base_url() const { return absl::StrCat("http://127.0.0.1:", port_, "/v0"); }
  const std::string& workspace() const { return workspace_; }
  int restarts() const { return restarts_.load(); }
  int failed_restarts() const { return failed_restarts_.load(); }
  std::string id(int k) const { return absl::StrFormat("exec-r-%05d", k); }
  absl::Time created(int k) const { return start_ + spacing_ * k; }
  int count() const { return count_; }

 private:
  static int PortOf(const std::string& url) {
    int port = 0;
    const size_t colon = url.rfind(':');
    (void)absl::SimpleAtoi(url.substr(colon + 1, url.find('/', colon) - colon - 1), &port);
    return port;
  }

  blaxel::BlaxelSimulatorOptions Options(int port) const {
    blaxel::BlaxelSimulatorOptions o;
    o.api_key = "";  // OAuth only
    o.workspace = workspace_;
    o.port = port;
    o.before_serving = [this](blaxel::BlaxelSimulator& sim) {
      blaxel::SimulatedJob job;
      job.capacity = 100000;
      sim.PutJob("etl", job);
      for (int k = 0; k < count_; ++k) {
        sim.PutExecution("etl", id(k), blaxel::SimulatedScenario::kSucceed, created(k), 2);
      }
    };
    return o;
  }

  const absl::Time start_;
  const int count_;
  const absl::Duration spacing_;
  const std::string workspace_ = "soak-restarting";
  std::unique_ptr<blaxel::BlaxelSimulator> sim_;
  int port_ = 0;
  absl::Notification stop_;
  std::thread thread_;
  std::atomic<int> restarts_{0};
  std::atomic<int> failed_restarts_{0};
};

// ------------------------------------------------------------ what is seen

// Codes after which a create may or may not have started a run.
bool OutcomeUnknown(StatusCode c) {
  return c == StatusCode::UNKNOWN || c == StatusCode::UNAVAILABLE ||
         c == StatusCode::DEADLINE_EXCEEDED || c == StatusCode::CANCELLED ||
         c == StatusCode::INTERNAL || c == StatusCode::DATA_LOSS;
}

// How one watch went.
struct WatchRecord {
  Target target;
  absl::Time opened, deadline, ended;
  StatusCode code = StatusCode::OK;
  int messages = 0;
  int upstream_errors = 0;
  bool terminal_delivered = false;
  bool message_after_terminal = false;
  std::string id;  // x-request-id
};

// A request_id's creates.
struct RequestIdRecord {
  Kind kind = Kind::kBlaxel;
  int creates = 0;
  int ok = 0;
  int unknown_outcomes = 0;
  std::set<std::string> names;  // of the OK answers
};

// A call that ended more than the slack after its deadline, at the client.
struct LateCall {
  absl::Time deadline, ended;
  std::string what;
};

// Everything the clients saw. Thread-safe.
class Observations {
 public:
  std::string NextCallId() { return absl::StrCat("soak-", next_id_.fetch_add(1)); }

  void Call(const std::string& method, Kind kind, const grpc::Status& status, absl::Time start,
            absl::Time deadline, absl::Time end, const std::string& id) {
    const double late_ms = absl::ToDoubleMilliseconds(end - deadline);
    absl::MutexLock lock(&mu_);
    ++codes_[absl::StrCat(method, " ", KindName(kind))][status.error_code()];
    budget_ms_[id] = absl::ToDoubleMilliseconds(deadline - start);
    what_[id] =
        absl::StrCat(method, " ", KindName(kind), " ", gateway::GrpcCodeName(status.error_code()),
                     " ", absl::FormatTime("%H:%M:%E3S", start, absl::UTCTimeZone()), " ",
                     status.error_message().substr(0, 200));
    max_late_ms_ = std::max(max_late_ms_, late_ms);
    if (late_ms > kDeadlineSlackMs) {
      late_calls_.push_back(
          {deadline, end,
           absl::StrFormat("%s %s %s %.0f ms late (%s)", method, KindName(kind), id, late_ms,
                           gateway::GrpcCodeName(status.error_code()))});
    }
    if (!status.ok()) AddTextLocked(status.error_message());
  }

  void Watch(WatchRecord w, const std::vector<std::string>& texts) {
    const double late_ms = absl::ToDoubleMilliseconds(w.ended - w.deadline);
    absl::MutexLock lock(&mu_);
    ++codes_[absl::StrCat("WatchExecution ", KindName(w.target.kind))][w.code];
    budget_ms_[w.id] = absl::ToDoubleMilliseconds(w.deadline - w.opened);
    what_[w.id] = absl::StrCat("WatchExecution ", w.target.name, " ", gateway::GrpcCodeName(w.code),
                               " ", absl::FormatTime("%H:%M:%E3S", w.opened, absl::UTCTimeZone()),
                               " ", texts.empty() ? "" : texts.back().substr(0, 200));
    max_late_ms_ = std::max(max_late_ms_, late_ms);
    if (late_ms > kDeadlineSlackMs) {
      late_calls_.push_back(
          {w.deadline, w.ended,
           absl::StrFormat("WatchExecution %s %s %.0f ms late (%s)", w.target.name, w.id, late_ms,
                           gateway::GrpcCodeName(w.code))});
    }
    for (const std::string& t : texts) AddTextLocked(t);
    watches_.push_back(std::move(w));
  }

  void Create(const std::string& request_id, Kind kind, const grpc::Status& status,
              const std::string& name) {
    absl::MutexLock lock(&mu_);
    RequestIdRecord& r = request_ids_[request_id];
    r.kind = kind;
    ++r.creates;
    if (status.ok()) {
      ++r.ok;
      r.names.insert(name);
    } else if (OutcomeUnknown(status.error_code())) {
      ++r.unknown_outcomes;
    }
  }

  // The status codes per "Method backend".
  std::map<std::string, std::map<StatusCode, int64_t>> codes() const {
    absl::MutexLock lock(&mu_);
    return codes_;
  }
  absl::flat_hash_map<std::string, double> budgets() const {
    absl::MutexLock lock(&mu_);
    return budget_ms_;
  }
  std::string what(const std::string& id) const {
    absl::MutexLock lock(&mu_);
    auto it = what_.find(id);
    return it == what_.end() ? id : absl::StrCat(id, " ", it->second);
  }
  std::vector<WatchRecord> watches() const {
    absl::MutexLock lock(&mu_);
    return watches_;
  }
  std::map<std::string, RequestIdRecord> request_ids() const {
    absl::MutexLock lock(&mu_);
    return request_ids_;
  }
  std::string texts() const {
    absl::MutexLock lock(&mu_);
    return absl::StrJoin(texts_, "\n");
  }
  double max_late_ms() const {
    absl::MutexLock lock(&mu_);
    return max_late_ms_;
  }
  std::vector<LateCall> late_calls() const {
    absl::MutexLock lock(&mu_);
    return late_calls_;
  }

 private:
  void AddTextLocked(const std::string& text) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (texts_.size() < 20000) texts_.insert(text);
  }

  std::atomic<int64_t> next_id_{0};
  mutable absl::Mutex mu_;
  std::map<std::string, std::map<StatusCode, int64_t>> codes_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, double> budget_ms_ ABSL_GUARDED_BY(mu_);
  // What each call was, to name it in a failure.
  absl::flat_hash_map<std::string, std::string> what_ ABSL_GUARDED_BY(mu_);
  double max_late_ms_ ABSL_GUARDED_BY(mu_) = -1e9;
  std::vector<LateCall> late_calls_ ABSL_GUARDED_BY(mu_);
  std::vector<WatchRecord> watches_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RequestIdRecord> request_ids_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> texts_ ABSL_GUARDED_BY(mu_);
};

// One watch stream, followed to its end; records itself and goes.
class WatchReader final : public grpc::ClientReadReactor<v1::WatchExecutionResponse> {
 public:
  static void Open(Stub& stub, Target target, absl::Duration budget, Observations& seen,
                   std::atomic<int>& open) {
    new WatchReader(stub, std::move(target), budget, seen, open);
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    ++record_.messages;
    if (record_.terminal_delivered) record_.message_after_terminal = true;
    if (response_.has_upstream_error()) {
      ++record_.upstream_errors;
      if (texts_.size() < 8) texts_.push_back(response_.upstream_error().message());
    }
    if (response_.has_execution() && IsTerminal(response_.execution().state())) {
      record_.terminal_delivered = true;
    }
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    record_.ended = absl::Now();
    record_.code = status.error_code();
    if (!status.ok()) texts_.push_back(status.error_message());
    seen_.Watch(std::move(record_), texts_);
    open_.fetch_sub(1);
    delete this;
  }

 private:
  WatchReader(Stub& stub, Target target, absl::Duration budget, Observations& seen,
              std::atomic<int>& open)
      : seen_(seen), open_(open) {
    open_.fetch_add(1);
    record_.target = std::move(target);
    record_.id = seen.NextCallId();
    record_.opened = absl::Now();
    record_.deadline = record_.opened + budget;
    context_.AddMetadata("x-request-id", record_.id);
    context_.set_deadline(absl::ToChronoTime(record_.deadline));
    request_.set_name(record_.target.name);
    stub.async()->WatchExecution(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }

  Observations& seen_;
  std::atomic<int>& open_;
  grpc::ClientContext context_;
  v1::WatchExecutionRequest request_;
  v1::WatchExecutionResponse response_;
  WatchRecord record_;
  std::vector<std::string> texts_;
};

// ------------------------------------------------------------ the load

// What the clients share: the executions to read, watch and cancel, the
// request_ids to send again.
class World {
 public:
  World(Observations& seen, std::vector<Target> finished, const RestartingUpstream& restarting)
      : seen_(seen), finished_(std::move(finished)), restarting_(restarting) {}

  Observations& seen() { return seen_; }
  std::atomic<int>& open_watches() { return open_watches_; }

  void AddCreated(Target t) {
    absl::MutexLock lock(&mu_);
    created_.push_back(std::move(t));
    if (created_.size() > 500) created_.pop_front();
  }

  // A finished seeded one, a recently created one, or a live one of the
  // restarting upstream.
  Target Pick(std::mt19937_64& rng, bool prefer_created) {
    const double roll = std::uniform_real_distribution<double>(0, 1)(rng);
    if (roll < 0.1) {
      // The restarting upstream's, around now.
      const absl::Time now = absl::Now();
      int k = 0;
      while (k + 1 < restarting_.count() && restarting_.created(k + 1) < now) ++k;
      k = std::clamp(k + std::uniform_int_distribution<int>(-1, 2)(rng), 0,
                     restarting_.count() - 1);
      return {ExecutionName(Kind::kRestarting, restarting_.id(k)), Kind::kRestarting};
    }
    if (roll < 0.14) {
      return {ExecutionName(Kind::kHung, "exec-hung"), Kind::kHung};
    }
    {
      absl::MutexLock lock(&mu_);
      if (!created_.empty() && (prefer_created || roll < 0.6)) {
        // Mostly the newest ones, which are still running.
        const size_t n = created_.size();
        const size_t back = std::min<size_t>(
            n - 1, static_cast<size_t>(std::exponential_distribution<double>(0.1)(rng)));
        return created_[n - 1 - back];
      }
    }
    return finished_[std::uniform_int_distribution<size_t>(0, finished_.size() - 1)(rng)];
  }

  void AddRequestId(const std::string& rid, v1::CreateExecutionRequest request) {
    absl::MutexLock lock(&mu_);
    recent_creates_.emplace_back(rid, std::move(request));
    if (recent_creates_.size() > 256) recent_creates_.pop_front();
  }
  std::optional<v1::CreateExecutionRequest> RecentCreate(std::mt19937_64& rng) {
    absl::MutexLock lock(&mu_);
    if (recent_creates_.empty()) return std::nullopt;
    return recent_creates_[std::uniform_int_distribution<size_t>(0,
                                                                 recent_creates_.size() - 1)(rng)]
        .second;
  }

  std::string NextRequestId() { return absl::StrCat("soak-rid-", next_rid_.fetch_add(1)); }
  int64_t NextInput() { return next_input_.fetch_add(1); }

 private:
  Observations& seen_;
  const std::vector<Target> finished_;
  const RestartingUpstream& restarting_;
  std::atomic<int> open_watches_{0};
  std::atomic<int64_t> next_rid_{0};
  std::atomic<int64_t> next_input_{0};
  absl::Mutex mu_;
  std::deque<Target> created_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<std::string, v1::CreateExecutionRequest>> recent_creates_
      ABSL_GUARDED_BY(mu_);
};

// One client thread's calls.
class Client {
 public:
  Client(World& world, Stub& stub, uint64_t seed, absl::Duration watch_budget, int max_watches)
      : world_(world),
        seen_(world.seen()),
        stub_(stub),
        rng_(seed),
        watch_budget_(watch_budget),
        max_watches_(max_watches) {}

  void Run(absl::Time until) {
    while (absl::Now() < until) {
      const int op = std::discrete_distribution<int>({25, 12, 8, 8, 10, 6, 6, 15})(rng_);
      switch (op) {
        case 0:
          Get();
          break;
        case 1:
          List();
          break;
        case 2:
          ListTasks();
          break;
        case 3:
          Create(/*with_request_id=*/false);
          break;
        case 4:
          Create(/*with_request_id=*/true);
          break;
        case 5:
          CreateAgain();
          break;
        case 6:
          Cancel();
          break;
        default:
          Watch();
          break;
      }
      absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(10, 60)(rng_)));
    }
  }

 private:
  absl::Duration ReadBudget() {
    return absl::Milliseconds(std::uniform_int_distribution<int>(300, 3000)(rng_));
  }
  absl::Duration WriteBudget() {
    return absl::Milliseconds(std::uniform_int_distribution<int>(1500, 5000)(rng_));
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  template <typename Request, typename Response>
  grpc::Status Unary(const char* method, Kind kind,
                     grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
                     const Request& request, Response* response, absl::Duration budget) {
    grpc::ClientContext context;
    const std::string id = seen_.NextCallId();
    context.AddMetadata("x-request-id", id);
    const absl::Time start = absl::Now();
    const absl::Time deadline = start + budget;
    context.set_deadline(absl::ToChronoTime(deadline));
    grpc::Status status = (stub_.*rpc)(&context, request, response);
    seen_.Call(method, kind, status, start, deadline, absl::Now(), id);
    return status;
  }

  // Any backend but Polos for the Blaxel-only calls.
  Kind ListKind() {
    const int r = std::uniform_int_distribution<int>(0, 19)(rng_);
    return r < 9 ? Kind::kBlaxel : r < 17 ? Kind::kPolos : r < 19 ? Kind::kRestarting : Kind::kHung;
  }

  void Get() {
    const Target t = world_.Pick(rng_, false);
    v1::GetExecutionRequest request;
    request.set_name(t.name);
    v1::Execution e;
    Unary("GetExecution", t.kind, &Stub::GetExecution, request, &e, ReadBudget());
  }

  void List() {
    const Kind kind = ListKind();
    v1::ListExecutionsRequest request;
    request.set_parent(kind == Kind::kPolos && Chance(0.5) ? "backends/px"
                       : kind == Kind::kPolos
                           ? "backends/px/workflows/seeded"
                           : absl::StrCat("backends/", KindName(kind), "/jobs/etl"));
    request.set_page_size(std::uniform_int_distribution<int>(1, 25)(rng_));
    const int pages = std::uniform_int_distribution<int>(1, 4)(rng_);
    for (int p = 0; p < pages; ++p) {
      v1::ListExecutionsResponse response;
      if (!Unary("ListExecutions", kind, &Stub::ListExecutions, request, &response, ReadBudget())
               .ok() ||
          response.next_page_token().empty()) {
        return;
      }
      request.set_page_token(response.next_page_token());
    }
  }

  void ListTasks() {
    Target t = world_.Pick(rng_, Chance(0.5));
    if (t.kind == Kind::kPolos)
      t = {ExecutionName(Kind::kBlaxel, "exec-bulk-000007"), Kind::kBlaxel};
    v1::ListExecutionTasksRequest request;
    request.set_parent(t.name);
    request.set_page_size(std::uniform_int_distribution<int>(1, 3)(rng_));
    v1::ListExecutionTasksResponse response;
    if (Unary("ListExecutionTasks", t.kind, &Stub::ListExecutionTasks, request, &response,
              ReadBudget())
            .ok() &&
        !response.next_page_token().empty()) {
      request.set_page_token(response.next_page_token());
      Unary("ListExecutionTasks", t.kind, &Stub::ListExecutionTasks, request, &response,
            ReadBudget());
    }
  }

  v1::CreateExecutionRequest NewCreate(bool polos, const std::string& rid) {
    v1::CreateExecutionRequest request;
    request.set_request_id(rid);
    const std::string mark = rid.empty() ? absl::StrCat("input-", world_.NextInput()) : rid;
    if (polos) {
      request.set_parent("backends/px/workflows/soak");
      (*request.mutable_input()->mutable_struct_value()->mutable_fields())["soak_rid"]
          .set_string_value(rid.empty() ? "" : rid);
      (*request.mutable_input()->mutable_struct_value()->mutable_fields())["mark"].set_string_value(
          mark);
    } else {
      request.set_parent("backends/bx/jobs/etl");
      auto* task = request.add_task_parameters();
      (*task->mutable_fields())["mark"].set_string_value(mark);
      request.add_task_parameters();
    }
    return request;
  }

  static Kind KindOf(const v1::CreateExecutionRequest& request) {
    return absl::StartsWith(request.parent(), "backends/px/") ? Kind::kPolos : Kind::kBlaxel;
  }

  // Sends `request` and records what came of it.
  void SendCreate(const v1::CreateExecutionRequest& request) {
    v1::Execution e;
    const Kind kind = KindOf(request);
    const grpc::Status status =
        Unary("CreateExecution", kind, &Stub::CreateExecution, request, &e, WriteBudget());
    Created(request, kind, status, e);
  }

  void Created(const v1::CreateExecutionRequest& request, Kind kind, const grpc::Status& status,
               const v1::Execution& e) {
    if (!request.request_id().empty()) seen_.Create(request.request_id(), kind, status, e.name());
    if (!status.ok()) return;
    world_.AddCreated({e.name(), kind});
    // Watched right away, by one to three callers, now and then.
    if (Chance(0.5)) {
      const int n = std::uniform_int_distribution<int>(1, 3)(rng_);
      for (int i = 0; i < n && world_.open_watches().load() < max_watches_; ++i) {
        WatchReader::Open(stub_, {e.name(), kind}, watch_budget_, seen_, world_.open_watches());
      }
    }
  }

  void Create(bool with_request_id) {
    const bool polos = Chance(0.5);
    const std::string rid = with_request_id ? world_.NextRequestId() : "";
    const v1::CreateExecutionRequest request = NewCreate(polos, rid);
    if (with_request_id) world_.AddRequestId(rid, request);
    if (with_request_id && Chance(0.3)) {
      SendConcurrently(request, std::uniform_int_distribution<int>(2, 3)(rng_));
    } else {
      SendCreate(request);
    }
  }

  // A request_id again: the same request, later (a client's retry).
  void CreateAgain() {
    std::optional<v1::CreateExecutionRequest> request = world_.RecentCreate(rng_);
    if (!request.has_value()) return;
    if (Chance(0.3)) {
      SendConcurrently(*request, 2);
    } else {
      SendCreate(*request);
    }
  }

  // `n` identical creates in flight at once (callback API), waited for.
  void SendConcurrently(const v1::CreateExecutionRequest& request, int n) {
    struct Pending {
      grpc::ClientContext context;
      v1::Execution execution;
      grpc::Status status;
      std::string id;
      absl::Time start, deadline, end;
      absl::Notification done;
    };
    const Kind kind = KindOf(request);
    std::vector<std::unique_ptr<Pending>> calls;
    for (int i = 0; i < n; ++i) {
      auto p = std::make_unique<Pending>();
      p->id = seen_.NextCallId();
      p->context.AddMetadata("x-request-id", p->id);
      p->start = absl::Now();
      p->deadline = p->start + WriteBudget();
      p->context.set_deadline(absl::ToChronoTime(p->deadline));
      Pending* raw = p.get();
      stub_.async()->CreateExecution(&raw->context, &request, &raw->execution,
                                     [raw](grpc::Status s) {
                                       raw->status = std::move(s);
                                       raw->end = absl::Now();
                                       raw->done.Notify();
                                     });
      calls.push_back(std::move(p));
    }
    for (auto& p : calls) {
      p->done.WaitForNotification();
      seen_.Call("CreateExecution", kind, p->status, p->start, p->deadline, p->end, p->id);
      Created(request, kind, p->status, p->execution);
    }
  }

  void Cancel() {
    const Target t = world_.Pick(rng_, true);
    v1::CancelExecutionRequest request;
    request.set_name(t.name);
    v1::Execution e;
    Unary("CancelExecution", t.kind, &Stub::CancelExecution, request, &e, WriteBudget());
  }

  void Watch() {
    if (world_.open_watches().load() >= max_watches_) return;
    const Target t = world_.Pick(rng_, Chance(0.7));
    const int n = std::uniform_int_distribution<int>(1, 4)(rng_);
    for (int i = 0; i < n; ++i) {
      WatchReader::Open(stub_, t, watch_budget_, seen_, world_.open_watches());
    }
  }

  World& world_;
  Observations& seen_;
  Stub& stub_;
  std::mt19937_64 rng_;
  const absl::Duration watch_budget_;
  const int max_watches_;
};

// ------------------------------------------------------------ the checks

struct RssSample {
  absl::Time at;
  int64_t kb;
};

// The gateway's RSS once a second, and whether it is alive.
class GatewayMonitor {
 public:
  GatewayMonitor(ChildProcess& process, pid_t pid) : process_(process), pid_(pid) {
    thread_ = std::thread([this] {
      while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(1))) {
        if (!process_.Running()) {
          died_at_ = absl::Now();
          died_.store(true);
          return;
        }
        const int64_t kb = ProcessRssKb(pid_);
        absl::MutexLock lock(&mu_);
        samples_.push_back({absl::Now(), kb});
      }
    });
  }
  ~GatewayMonitor() { Stop(); }
  void Stop() {
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (thread_.joinable()) thread_.join();
  }
  bool died() const { return died_.load(); }
  absl::Time died_at() const { return died_at_; }
  std::vector<RssSample> samples() const {
    absl::MutexLock lock(&mu_);
    return samples_;
  }

 private:
  ChildProcess& process_;
  const pid_t pid_;
  absl::Notification stop_;
  std::thread thread_;
  std::atomic<bool> died_{false};
  absl::Time died_at_;
  mutable absl::Mutex mu_;
  std::vector<RssSample> samples_ ABSL_GUARDED_BY(mu_);
};

// This process's own punctuality. The client's gRPC library ends every call
// at its deadline by a timer of its own, whatever the gateway does, so a call
// that ends late at the client was late in this process: its threads did not
// run on time (the machine's other work) or the answer arrived late. A thread
// that asks to wake every kTick records every wake-up later than kStallAfter;
// a late call is the machine's when stalls of this process inside its
// lateness make up all of it but the slack.
class PunctualityMonitor {
 public:
  static constexpr absl::Duration kTick = absl::Milliseconds(5);
  static constexpr absl::Duration kStallAfter = absl::Milliseconds(20);

  // Asked to wake at `due`, woke at `woke`.
  struct Stall {
    absl::Time due, woke;
  };

  PunctualityMonitor() {
    thread_ = std::thread([this] {
      for (;;) {
        const absl::Time due = absl::Now() + kTick;
        if (stop_.WaitForNotificationWithTimeout(kTick)) return;
        const absl::Time woke = absl::Now();
        if (woke - due > kStallAfter) {
          absl::MutexLock lock(&mu_);
          stalls_.push_back({due, woke});
        }
      }
    });
  }
  ~PunctualityMonitor() { Stop(); }
  void Stop() {
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (thread_.joinable()) thread_.join();
  }

  std::vector<Stall> stalls() const {
    absl::MutexLock lock(&mu_);
    return stalls_;
  }

  // How long this process was stalled between `from` and `to`.
  static absl::Duration StalledWithin(const std::vector<Stall>& stalls, absl::Time from,
                                      absl::Time to) {
    absl::Duration stalled;
    for (const Stall& s : stalls) {
      const absl::Time a = std::max(from, s.due), b = std::min(to, s.woke);
      if (b > a) stalled += b - a;
    }
    return stalled;
  }

 private:
  absl::Notification stop_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<Stall> stalls_ ABSL_GUARDED_BY(mu_);
};

double MeanKb(const std::vector<RssSample>& samples, absl::Time from, absl::Time to, int* n) {
  double sum = 0;
  *n = 0;
  for (const RssSample& s : samples) {
    if (s.at >= from && s.at < to && s.kb > 0) {
      sum += static_cast<double>(s.kb);
      ++*n;
    }
  }
  return *n > 0 ? sum / *n : 0;
}

// A checked invariant, as printed.
struct Verdict {
  std::string name;
  bool held;
  std::string figure;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// The executions' end times upstream, read through the gateway once the
// faults are gone (nullopt: not finished, or not readable).
std::map<std::string, std::optional<absl::Time>> EndTimes(Stub& stub,
                                                          const std::vector<WatchRecord>& watches) {
  std::map<std::string, std::optional<absl::Time>> out;
  for (const WatchRecord& w : watches) {
    if (w.target.kind == Kind::kHung || out.count(w.target.name) > 0) continue;
    std::optional<absl::Time> end;
    for (int attempt = 0; attempt < 5; ++attempt) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      v1::GetExecutionRequest request;
      request.set_name(w.target.name);
      v1::Execution e;
      const grpc::Status s = stub.GetExecution(&context, request, &e);
      if (s.ok()) {
        if (IsTerminal(e.state()) && e.has_end_time()) {
          end = absl::FromUnixSeconds(e.end_time().seconds()) +
                absl::Nanoseconds(e.end_time().nanos());
        }
        break;
      }
      absl::SleepFor(absl::Milliseconds(500));
    }
    out[w.target.name] = end;
  }
  return out;
}

int Run() {
  const absl::Duration load_for = absl::Seconds(60 * absl::GetFlag(FLAGS_minutes));
  const double fault_rate = absl::GetFlag(FLAGS_fault_rate);
  const int clients = std::max(1, absl::GetFlag(FLAGS_clients));
  uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed == 0) seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  const absl::Duration watch_budget = absl::Seconds(absl::GetFlag(FLAGS_watch_seconds));
  const absl::Time start = absl::Now();
  std::cout << absl::StrFormat(
                   "soak: %.1f minutes, fault rate %.2f, %d clients, seed %u, started %s\n",
                   absl::GetFlag(FLAGS_minutes), fault_rate, clients, seed,
                   absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", start, absl::UTCTimeZone()))
            << std::flush;

  // The upstreams. The keys are the suite's secrets, so the sweep at the
  // end looks for them.
  blaxel::BlaxelSimulatorOptions bx_options;
  bx_options.api_key = testing::kSecretsTestBlaxelKey;
  auto bx = blaxel::BlaxelSimulator::Start(bx_options);
  polos::PolosSimulatorOptions px_options;
  px_options.api_key = testing::kSecretsTestPolosKey;
  auto px = polos::PolosSimulator::Start(px_options);
  if (!bx.ok() || !px.ok()) {
    std::cerr << "soak: the simulators did not start\n";
    return 2;
  }
  blaxel::SimulatedJob job;
  job.capacity = 100000;
  job.timeout_seconds = 7200;
  (*bx)->PutJob("etl", job);
  std::vector<Target> finished;
  for (const std::string& id :
       (*bx)->AddExecutions("etl", 300, start - absl::Hours(2), absl::Seconds(7))) {
    finished.push_back({ExecutionName(Kind::kBlaxel, id), Kind::kBlaxel});
  }
  polos::Scenario quick;
  quick.queued_for = absl::Milliseconds(500);
  quick.claimed_for = absl::Milliseconds(300);
  quick.running_for = absl::Seconds(3);
  quick.cancel_confirm_after = absl::Seconds(1);
  (*px)->SetWorkflowScenario("soak", quick);
  for (const std::string& id :
       (*px)->AddExecutions("seeded", 300, start - absl::Hours(2), absl::Seconds(7))) {
    finished.push_back({ExecutionName(Kind::kPolos, id), Kind::kPolos});
  }
  RestartingUpstream restarting(start + absl::Seconds(5),
                                static_cast<int>(load_for / absl::Seconds(10)) + 10,
                                absl::Seconds(10));
  if (absl::Status s = restarting.Start(); !s.ok()) {
    std::cerr << "soak: the restarting upstream did not start: " << s << "\n";
    return 2;
  }
  HungUpstream hung;
  if (hung.port() == 0) {
    std::cerr << "soak: no socket for the hung upstream\n";
    return 2;
  }

  // The gateway's config; credentials in files, as the schema wants them.
  const std::string keep = absl::GetFlag(FLAGS_keep);
  const std::string dir = keep.empty() ? absl::StrCat("/tmp/execgw-soak-", getpid()) : keep;
  std::filesystem::create_directories(dir);
  WriteFile(dir + "/bx.key", bx_options.api_key);
  WriteFile(dir + "/px.key", px_options.api_key);
  WriteFile(dir + "/bxr.id", blaxel::BlaxelSimulatorOptions().oauth_client_id);
  WriteFile(dir + "/bxr.secret", blaxel::BlaxelSimulatorOptions().oauth_client_secret);
  config::v1::GatewayConfig config;
  // Shorter than the default hour, so that the table of Polos request_ids
  // reaches its steady size within the warm-up of an hour's run and the
  // memory figure measures leaks, not the table filling (the ring of ids
  // sent again holds well under five minutes of them).
  config.set_request_id_ttl_seconds(300);
  config.mutable_watch()->set_heartbeat_interval_ms(1000);
  config.mutable_watch()->set_max_watches(100000);
  config.mutable_watch()->set_max_watches_per_caller(100000);
  config.mutable_server()->set_drain_grace_ms(3000);
  auto add_backend = [&](const std::string& name) {
    auto* b = config.add_backends();
    b->set_name(name);
    b->set_request_timeout_ms(5000);
    b->mutable_watch()->set_min_poll_interval_ms(250);
    b->mutable_watch()->set_max_poll_interval_ms(1000);
    return b;
  };
  {
    auto* b = add_backend("bx")->mutable_blaxel();
    b->set_base_url((*bx)->base_url());
    b->set_workspace(bx_options.workspace);
    b->mutable_api_key()->set_file(dir + "/bx.key");
  }
  {
    auto* b = add_backend("px")->mutable_polos();
    b->set_base_url((*px)->base_url());
    b->set_project_id((*px)->project_id());
    b->mutable_api_key()->set_file(dir + "/px.key");
  }
  {
    auto* b = add_backend("bxr")->mutable_blaxel();
    b->set_base_url(restarting.base_url());
    b->set_workspace(restarting.workspace());
    b->mutable_oauth()->mutable_client_id()->set_file(dir + "/bxr.id");
    b->mutable_oauth()->mutable_client_secret()->set_file(dir + "/bxr.secret");
  }
  {
    auto* b = add_backend("hung")->mutable_blaxel();
    b->set_base_url(absl::StrCat("http://127.0.0.1:", hung.port(), "/v0"));
    b->set_workspace("hung");
    b->mutable_api_key()->set_file(dir + "/bx.key");
  }
  std::string config_json;
  (void)google::protobuf::util::MessageToJsonString(config, &config_json);
  WriteFile(dir + "/execgw.json", config_json);
  const std::string stderr_path = dir + "/execgw.stderr";
  auto gw = bench::SpawnGateway(
      {bench::FlagOr(absl::GetFlag(FLAGS_gateway), bench::OwnDirectory() + "/../../bin/execgw"),
       "--config=" + dir + "/execgw.json", "--listen=127.0.0.1:0"},
      stderr_path);
  if (!gw.ok()) {
    std::cerr << "soak: " << gw.status() << "\n" << ReadFile(stderr_path);
    return 2;
  }
  const pid_t gateway_pid = gw->process->pid();
  const std::string target = absl::StrCat("127.0.0.1:", gw->port);

  // The faults, from now on.
  RandomFaults faults(fault_rate, seed ^ 0x5eed);
  (*bx)->faults().SetSource(faults.SourceFor(false));
  (*px)->faults().SetSource(faults.SourceFor(true));
  restarting.StartRestarting(absl::Seconds(absl::GetFlag(FLAGS_restart_seconds)),
                             absl::Milliseconds(1500));

  GatewayMonitor monitor(*gw->process, gateway_pid);
  PunctualityMonitor punctuality;
  std::vector<std::unique_ptr<Stub>> stubs;
  for (int c = 0; c < clients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("execgw.soak.channel_id", c);  // a connection per client
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stubs.push_back(v1::ExecutionService::NewStub(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args)));
  }
  Observations seen;
  World world(seen, finished, restarting);
  const absl::Time load_start = absl::Now();
  const absl::Time load_end = load_start + load_for;
  {
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        Client(world, *stubs[c], seed + 1 + c, watch_budget, absl::GetFlag(FLAGS_max_open_watches))
            .Run(load_end);
      });
    }
    for (auto& t : threads) t.join();
  }
  // The watches end by their deadlines.
  const absl::Time drain_until = absl::Now() + watch_budget + absl::Seconds(10);
  while (world.open_watches().load() > 0 && absl::Now() < drain_until) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  const int watches_left = world.open_watches().load();
  restarting.StopRestarting();
  (*bx)->faults().Clear();
  (*px)->faults().Clear();
  const std::vector<WatchRecord> watches = seen.watches();
  const auto end_times = EndTimes(*stubs[0], watches);

  // The gateway's end.
  monitor.Stop();
  punctuality.Stop();
  const bool died = monitor.died();
  std::string gateway_stdout;
  int exit_status = gw->process->wait_status();
  if (!died) {
    kill(gateway_pid, SIGTERM);
    for (absl::StatusOr<std::string> line = gw->process->ReadLine(absl::Seconds(30)); line.ok();
         line = gw->process->ReadLine(absl::Seconds(30))) {
      absl::StrAppend(&gateway_stdout, *line, "\n");
    }
    gw->process->Stop();
    exit_status = gw->process->wait_status();
  }
  const std::string gateway_stderr = ReadFile(stderr_path);
  std::vector<Verdict> verdicts;

  // crash
  {
    int fatal_lines = 0, other_lines = 0;
    std::string first_other;
    for (absl::string_view line : absl::StrSplit(gateway_stderr, '\n')) {
      if (line.empty()) continue;
      if (absl::StrContains(line, "\"level\":\"fatal\"") ||
          absl::StrContains(line, "Check failed") || absl::StrContains(line, "terminate called") ||
          absl::StrContains(line, "Segmentation")) {
        ++fatal_lines;
      }
      if (!absl::StartsWith(line, "{")) {
        if (++other_lines == 1) first_other = std::string(line.substr(0, 200));
      }
    }
    const bool clean_exit = !died && WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0;
    std::string how =
        died                     ? absl::StrCat("died during the run, ",
                                                absl::FormatDuration(monitor.died_at() - load_start), " in")
        : WIFEXITED(exit_status) ? absl::StrCat("exited ", WEXITSTATUS(exit_status), " on SIGTERM")
        : WIFSIGNALED(exit_status) ? absl::StrCat("killed by signal ", WTERMSIG(exit_status))
                                   : "did not end";
    verdicts.push_back(
        {"crash", clean_exit && fatal_lines == 0,
         absl::StrCat("execgw ", how, "; ", fatal_lines, " fatal line(s), ", other_lines,
                      " non-JSON stderr line(s)",
                      other_lines > 0 ? absl::StrCat(" (first: ", first_other, ")") : "")});
  }

  // memory
  {
    const std::vector<RssSample> samples = monitor.samples();
    const absl::Duration warmup =
        std::max(absl::Seconds(15), load_for * absl::GetFlag(FLAGS_warmup_fraction));
    absl::Duration window = absl::Seconds(absl::GetFlag(FLAGS_rss_window_seconds));
    if (window <= absl::ZeroDuration()) {
      window = std::clamp(load_for / 10, absl::Seconds(5), absl::Seconds(120));
    }
    int n_first = 0, n_last = 0;
    const double first =
        MeanKb(samples, load_start + warmup, load_start + warmup + window, &n_first);
    const double last = MeanKb(samples, load_end - window, load_end, &n_last);
    int64_t peak = 0;
    for (const RssSample& s : samples) peak = std::max(peak, s.kb);
    const double drift = first > 0 ? (last - first) / first : 1;
    const bool measured = n_first > 0 && n_last > 0 && load_end - window > load_start + warmup;
    verdicts.push_back(
        {"memory", measured && drift < kRssDriftLimit,
         absl::StrFormat("VmRSS drift %+.2f%% (limit 5%%): %.0f kB (mean of %d samples after a %s "
                         "warm-up) -> %.0f kB (mean of the last %d), peak %lld kB%s",
                         100 * drift, first, n_first, absl::FormatDuration(warmup), last, n_last,
                         static_cast<long long>(peak),
                         measured ? "" : " (run too short to measure)")});
  }

  // watches
  {
    const absl::Duration grace = absl::Seconds(absl::GetFlag(FLAGS_watch_grace_seconds));
    int of_finished = 0, delivered = 0, not_delivered = 0, errors_ended = 0;
    int64_t upstream_errors = 0;
    std::map<std::string, int> endings;
    std::vector<std::string> misses;
    for (const WatchRecord& w : watches) {
      ++endings[gateway::GrpcCodeName(w.code)];
      upstream_errors += w.upstream_errors;
      auto it = end_times.find(w.target.name);
      const bool finished_in_time =
          it != end_times.end() && it->second.has_value() && *it->second + grace <= w.deadline;
      if (!finished_in_time) continue;
      ++of_finished;
      const bool ok = w.terminal_delivered && w.code == StatusCode::OK && !w.message_after_terminal;
      if (ok) {
        ++delivered;
        continue;
      }
      ++not_delivered;
      if (w.code != StatusCode::OK) ++errors_ended;
      if (misses.size() < 10) {
        misses.push_back(absl::StrFormat(
            "%s %s (%s, opened %s before its deadline, ended %s after it, %d messages, terminal "
            "%s)",
            seen.what(w.id), w.target.name, gateway::GrpcCodeName(w.code),
            absl::FormatDuration(w.deadline - w.opened), absl::FormatDuration(w.ended - w.deadline),
            w.messages, w.terminal_delivered ? "delivered" : "not delivered"));
      }
    }
    std::vector<std::string> ending_parts;
    for (const auto& [code, n] : endings) ending_parts.push_back(absl::StrCat(code, " ", n));
    verdicts.push_back(
        {"watches", not_delivered == 0 && watches_left == 0 && of_finished > 0,
         absl::StrCat(
             delivered, " of ", of_finished,
             " watches of executions that finished delivered the terminal state and "
             "ended OK; ",
             watches.size(), " watches in all (", absl::StrJoin(ending_parts, ", "), "), ",
             upstream_errors, " upstream_error heartbeats, ", watches_left,
             " still open after the drain",
             misses.empty() ? "" : absl::StrCat("; missed: ", absl::StrJoin(misses, "; ")))});
  }

  // deadlines
  {
    const auto budgets = seen.budgets();
    double server_max_ms = -1e9;
    int64_t server_late = 0, logged = 0;
    std::vector<std::string> server_examples;
    std::set<std::string> logged_ids;
    for (absl::string_view line : absl::StrSplit(gateway_stderr, '\n')) {
      if (!absl::StrContains(line, "\"msg\":\"rpc\"")) continue;
      rapidjson::Document doc;
      doc.Parse(line.data(), line.size());
      if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("request_id") ||
          !doc["request_id"].IsString() || !doc.HasMember("latency_ms") ||
          !doc["latency_ms"].IsNumber()) {
        continue;
      }
      const std::string id = doc["request_id"].GetString();
      auto it = budgets.find(id);
      if (it == budgets.end()) continue;
      ++logged;
      logged_ids.insert(id);
      const double over = doc["latency_ms"].GetDouble() - it->second;
      server_max_ms = std::max(server_max_ms, over);
      if (over > kDeadlineSlackMs) {
        ++server_late;
        if (server_examples.size() < 10) {
          server_examples.push_back(absl::StrFormat(
              "%s %s %.0f ms over",
              doc.HasMember("method") && doc["method"].IsString() ? doc["method"].GetString() : "",
              id, over));
        }
      }
    }
    const int64_t unlogged = static_cast<int64_t>(budgets.size()) - logged;
    std::vector<std::string> unlogged_examples;
    for (const auto& [id, budget] : budgets) {
      if (unlogged_examples.size() < 5 && logged_ids.count(id) == 0) {
        unlogged_examples.push_back(seen.what(id));
      }
    }
    // Late at the client: this process's stalls, or not.
    const std::vector<PunctualityMonitor::Stall> stalls = punctuality.stalls();
    absl::Duration longest_stall;
    for (const auto& s : stalls) longest_stall = std::max(longest_stall, s.woke - s.due);
    const std::vector<LateCall> late = seen.late_calls();
    int64_t late_unexplained = 0;
    std::vector<std::string> client_examples;
    for (const LateCall& c : late) {
      const absl::Duration stalled = PunctualityMonitor::StalledWithin(stalls, c.deadline, c.ended);
      const bool this_process =
          c.ended - c.deadline - stalled <= absl::Milliseconds(kDeadlineSlackMs);
      if (!this_process) ++late_unexplained;
      if (client_examples.size() < 10) {
        client_examples.push_back(absl::StrFormat("%s, this process stalled %.0f ms of it%s",
                                                  c.what, absl::ToDoubleMilliseconds(stalled),
                                                  this_process ? "" : " (not explained)"));
      }
    }
    verdicts.push_back(
        {"deadlines", late_unexplained == 0 && server_late == 0 && unlogged == 0,
         absl::StrFormat(
             "%d calls: the latest ended %.1f ms after its deadline (client), the gateway's "
             "longest call ran %.1f ms past its budget (its rpc log line), limit %.0f ms; %d late "
             "at the client (%d of them not explained by stalls of this process: %d wake-ups of "
             "its %s ticker more than %s late, the longest %.0f ms), %d in the gateway, %d "
             "without an rpc log line%s%s",
             budgets.size(), seen.max_late_ms(), server_max_ms, kDeadlineSlackMs, late.size(),
             late_unexplained, stalls.size(), absl::FormatDuration(PunctualityMonitor::kTick),
             absl::FormatDuration(PunctualityMonitor::kStallAfter),
             absl::ToDoubleMilliseconds(longest_stall), server_late, unlogged,
             client_examples.empty()
                 ? ""
                 : absl::StrCat("; client: ", absl::StrJoin(client_examples, "; ")),
             server_examples.empty()
                 ? ""
                 : absl::StrCat("; gateway: ", absl::StrJoin(server_examples, "; ")),
             unlogged_examples.empty()
                 ? ""
                 : absl::StrCat("; no log line: ", absl::StrJoin(unlogged_examples, "; ")))});
  }

  // request_id
  {
    const auto rids = seen.request_ids();
    std::map<std::string, int> polos_runs;
    for (const std::string& payload : (*px)->RunPayloads("soak")) {
      rapidjson::Document doc;
      doc.Parse(payload.c_str());
      if (doc.IsObject() && doc.HasMember("soak_rid") && doc["soak_rid"].IsString() &&
          doc["soak_rid"].GetStringLength() > 0) {
        ++polos_runs[doc["soak_rid"].GetString()];
      }
    }
    int64_t sent_again = 0, creates = 0, twice = 0, twice_after_unknown = 0, names_differ = 0;
    std::vector<std::string> examples;
    for (const auto& [rid, r] : rids) {
      creates += r.creates;
      if (r.creates > 1) ++sent_again;
      const int runs = r.kind == Kind::kPolos ? polos_runs[rid] : 0;
      const bool bad_names = r.names.size() > 1;
      if (bad_names) ++names_differ;
      if (runs <= 1 && !bad_names) continue;
      ++twice;
      if (r.unknown_outcomes > 0) ++twice_after_unknown;
      if (examples.size() < 10) {
        examples.push_back(absl::StrFormat("%s: %d runs, %d creates (%d OK, %d unknown), %d names",
                                           rid, runs, r.creates, r.ok, r.unknown_outcomes,
                                           r.names.size()));
      }
    }
    int64_t polos_rids = 0;
    for (const auto& [rid, r] : rids) polos_rids += r.kind == Kind::kPolos;
    verdicts.push_back(
        {"request_id", twice == 0 && !rids.empty(),
         absl::StrCat(rids.size(), " request_ids (", polos_rids, " Polos, runs counted upstream; ",
                      rids.size() - polos_rids, " Blaxel, deduplicated upstream by execution id), ",
                      creates, " creates, ", sent_again, " sent more than once: ", twice,
                      " started more than one run or were answered with two executions (",
                      twice_after_unknown,
                      " of them after a create of theirs ended with an unknown outcome)",
                      examples.empty() ? "" : absl::StrCat("; ", absl::StrJoin(examples, "; ")))});
  }

  // secrets
  {
    const std::vector<std::string> secrets = testing::SuiteSecrets();
    struct Source {
      const char* what;
      std::string text;
    };
    const Source sources[] = {{"execgw's stderr", gateway_stderr},
                              {"execgw's stdout", gateway_stdout},
                              {"the clients' status messages", seen.texts()}};
    int found = 0;
    std::vector<std::string> where;
    for (const Source& s : sources) {
      for (const testing::SecretFinding& f : testing::FindSecrets(s.text, secrets)) {
        ++found;
        if (where.size() < 10) {
          where.push_back(absl::StrCat(s.what, " line ", f.line, " (secret ", f.secret_index,
                                       ", form ", f.form, ")"));
        }
      }
    }
    verdicts.push_back(
        {"secrets", found == 0,
         absl::StrCat(found, " form(s) of ", secrets.size(), " secrets found in ",
                      gateway_stderr.size(), " bytes of stderr, ", gateway_stdout.size(),
                      " of stdout and ", seen.texts().size(), " of status messages",
                      where.empty() ? "" : absl::StrCat(": ", absl::StrJoin(where, "; ")))});
  }

  // load
  {
    int64_t ok = 0, all = 0, total = 0;
    std::vector<std::string> lines;
    for (const auto& [what, codes] : seen.codes()) {
      std::vector<std::string> parts;
      int64_t n = 0;
      for (const auto& [code, count] : codes) {
        parts.push_back(absl::StrCat(gateway::GrpcCodeName(code), " ", count));
        n += count;
        const bool faulted = absl::EndsWith(what, " bx") || absl::EndsWith(what, " px");
        if (faulted && !absl::StartsWith(what, "WatchExecution")) {
          all += count;
          if (code == StatusCode::OK) ok += count;
        }
      }
      total += n;
      lines.push_back(absl::StrCat("    ", what, ": ", n, " (", absl::StrJoin(parts, ", "), ")"));
    }
    const double share = all > 0 ? static_cast<double>(ok) / all : 0;
    verdicts.push_back(
        {"load", share >= 0.5,
         absl::StrFormat("%d calls in %s (%.1f/s); %.1f%% of the unary calls to "
                         "the faulted upstreams OK; %s; %d restarts of bxr\n%s",
                         total, absl::FormatDuration(load_for),
                         total / absl::ToDoubleSeconds(load_for), 100 * share, faults.Summary(),
                         restarting.restarts(), absl::StrJoin(lines, "\n"))});
  }

  std::vector<std::string> failed;
  for (const Verdict& v : verdicts) {
    std::cout << absl::StrFormat("  %-10s %s  %s\n", v.name, v.held ? "ok    " : "FAILED",
                                 v.figure);
    if (!v.held) failed.push_back(v.name);
  }
  std::cout << absl::StrFormat("soak: %s in %s (seed %u)\n",
                               failed.empty()
                                   ? "every invariant held"
                                   : absl::StrCat("FAILED: ", absl::StrJoin(failed, ", ")),
                               absl::FormatDuration(absl::Now() - start), seed);
  // The plain closing line CI reads: the invariants as tests.
  std::cout << "soak: " << verdicts.size() - failed.size() << " passed, " << failed.size()
            << " failed\n";
  if (keep.empty()) std::filesystem::remove_all(dir);
  if (watches_left > 0) {
    // Their reactors still point at what is about to go.
    std::cout << std::flush;
    std::_Exit(1);
  }
  return failed.empty() ? 0 : 1;
}

}  // namespace
}  // namespace execgw::soak

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return execgw::soak::Run();
}

// unary_load: what the gateway costs a unary read, measured as an operator
// would see it. It starts bench_upstreams (the seeded Blaxel and Polos
// simulators, a process of their own) and the gateway binary (a second
// process, configured against them) and drives, from one load-generator
// thread, these scenarios:
//   get_gateway       GetExecution of a finished ~5.4 KB Blaxel execution through execgw
//   list_gateway      ListExecutions of a page of 20 (Blaxel) through execgw
//   get_direct        the same GET straight to the simulator (libcurl multi, keep-alive)
//   list_direct       the same list page straight to the simulator
//   get_no_upstream   GetExecution of an unconfigured backend: NOT_FOUND without an
//                     upstream call, the gRPC floor
//   get_gateway_polos, get_direct_polos (with --polos)
// each in these modes:
//   one_at_a_time     closed loop, one call in flight
//   max               closed loop, --max_concurrency=CxS: S calls in flight on each of C
//                     gRPC channels (the direct scenarios: C*S parallel transfers on as
//                     many keep-alive connections): the maximum throughput
//   half_max          open loop at 50% of that scenario's own max, evenly spaced (or
//                     Poisson, --poisson) arrivals; latency runs from the scheduled
//                     send time, so a stalled server is not hidden (coordinated omission)
//   rate              open loop at each of --rates
// --executions=N makes the GetExecution scenarios rotate over N alike executions:
// with N (default 128) above the calls in flight the gateway cannot share
// concurrent reads of one execution, so every call is proxied; with 1 it shares
// them (see up/call), as it does for many clients waiting on one execution.
// After --warmup, each window of --duration counts the calls started in it
// (they are drained after it), and reports throughput, latency percentiles,
// CPU per call of the gateway and of the simulators (utime+stime from
// /proc/PID/stat; clock ticks are 10 ms, so keep windows of seconds), the
// gateway's RSS, and this program's own CPU per call (getrusage).
//
//   build/tests/bench/unary_load [--json=out.json] [--duration=3] [--modes=...]
//       [--scenarios=...] [--gateway_args="--workers=2"]
//
// A table goes to stderr; --json writes the figures that scripts/bench.sh reads.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "curl/curl.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tests/bench/bench_process.h"

ABSL_FLAG(double, duration, 3.0, "Seconds of each measured window.");
ABSL_FLAG(double, warmup, 0.5, "Seconds of load before each window, not counted.");
ABSL_FLAG(std::string, modes, "one_at_a_time,max,half_max",
          "Comma-separated: one_at_a_time, max, half_max, rate.");
ABSL_FLAG(std::string, scenarios, "get_gateway,get_direct,get_no_upstream,list_gateway,list_direct",
          "Comma-separated scenarios (see the top of unary_load.cc).");
ABSL_FLAG(bool, polos, false, "Also run get_gateway_polos and get_direct_polos.");
ABSL_FLAG(std::string, max_concurrency, "4x16",
          "Shape of max mode (and the open loops' connections): CHANNELSxCALLS_PER_CHANNEL "
          "gRPC; the direct scenarios get CHANNELS*CALLS_PER_CHANNEL HTTP connections.");
ABSL_FLAG(std::string, rates, "", "Comma-separated calls/s for mode rate.");
ABSL_FLAG(int, executions, 128,
          "GetExecution scenarios rotate over this many distinct (alike) executions: above the "
          "calls in flight, the gateway cannot share concurrent reads of one execution, so "
          "every call reaches the upstream.");
ABSL_FLAG(bool, poisson, false, "Open loop: Poisson arrivals instead of evenly spaced ones.");
ABSL_FLAG(std::string, json, "", "Write the results as JSON to this file.");
ABSL_FLAG(std::string, gateway, "", "The execgw binary (default: build/bin/execgw beside us).");
ABSL_FLAG(std::string, upstreams, "",
          "The bench_upstreams binary (default: the one beside this program).");
ABSL_FLAG(std::string, gateway_args, "", "Extra arguments for execgw, split on spaces.");

namespace execgw::bench {
namespace {

absl::Duration OwnCpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto tv = [](const timeval& t) {
    return absl::Seconds(t.tv_sec) + absl::Microseconds(t.tv_usec);
  };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

// ---------------------------------------------------------------- call drivers

// One finished call: the tag it was started with, whether it ended as the
// scenario expects, and when it was seen to end.
struct Completion {
  uint64_t tag;
  bool ok;
  absl::Time finished;
};

// Issues the calls of one scenario on an event loop of its own, polled by
// the load generator's thread.
class CallDriver {
 public:
  virtual ~CallDriver() = default;
  // Starts one call; its Completion carries `tag`.
  virtual void Start(uint64_t tag) = 0;
  // Appends the calls finished by `deadline` (at least one if any finishes
  // before it; returns at `deadline` otherwise).
  virtual void Poll(absl::Time deadline, std::vector<Completion>& out) = 0;
};

// Unary gRPC calls through the async client API: one CompletionQueue,
// `channels` separate connections used in turn.
//
// gRPC 1.51 waits on a CompletionQueue to the millisecond, rounded up, so
// polling it until the next scheduled send would send open-loop calls up to
// a millisecond late (measured: 0.8-1.1 ms on average at 1-2k calls/s),
// and that lateness would count as latency. With `precise_wakeups` a
// second thread takes the completions off the queue, stamps them and hands
// them over through an eventfd, which Poll waits on to the microsecond.
// Closed loops do not need it (they wait only for completions) and are
// spared the extra hand-over.
template <typename Request, typename Response>
class GrpcDriver final : public CallDriver {
 public:
  using Prepare = std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> (
      v1::ExecutionService::Stub::*)(grpc::ClientContext*, const Request&, grpc::CompletionQueue*);

  // Calls send `requests` in turn.
  GrpcDriver(const std::string& target, int channels, std::vector<Request> requests,
             Prepare prepare, grpc::StatusCode expected, bool precise_wakeups)
      : requests_(std::move(requests)), prepare_(prepare), expected_(expected) {
    for (int i = 0; i < channels; ++i) {
      grpc::ChannelArguments args;
      // A distinct argument makes a distinct subchannel: its own connection.
      args.SetInt("execgw.bench.channel_id", i);
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      stubs_.push_back(v1::ExecutionService::NewStub(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args)));
    }
    if (precise_wakeups) {
      ready_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      reaper_ = std::thread([this] { Reap(); });
    }
  }

  ~GrpcDriver() override {
    cq_.Shutdown();
    if (reaper_.joinable()) {
      reaper_.join();
      close(ready_);
      return;
    }
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) delete static_cast<Call*>(tag);
  }

  void Start(uint64_t tag) override {
    auto* call = new Call{tag};
    auto& stub = *stubs_[next_stub_++ % stubs_.size()];
    const Request& request = requests_[next_request_++ % requests_.size()];
    call->reader = (stub.*prepare_)(&call->context, request, &cq_);
    call->reader->StartCall();
    call->reader->Finish(&call->response, &call->status, call);
  }

  void Poll(absl::Time deadline, std::vector<Completion>& out) override {
    if (reaper_.joinable()) {
      PollReaped(deadline, out);
      return;
    }
    void* tag;
    bool ok;
    auto next = cq_.AsyncNext(&tag, &ok, absl::ToChronoTime(deadline));
    while (next == grpc::CompletionQueue::GOT_EVENT) {
      out.push_back(Finished(tag, ok));
      next = cq_.AsyncNext(&tag, &ok, gpr_time_0(GPR_CLOCK_MONOTONIC));
    }
  }

 private:
  struct Call {
    uint64_t tag;
    grpc::ClientContext context;
    Response response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader;
  };

  Completion Finished(void* tag, bool ok) {
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    return {call->tag, ok && call->status.error_code() == expected_, absl::Now()};
  }

  // The reaper thread: every completion, stamped, to `reaped_`.
  void Reap() {
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
      Completion c = Finished(tag, ok);
      {
        absl::MutexLock lock(&mu_);
        reaped_.push_back(c);
      }
      const uint64_t one = 1;
      (void)!write(ready_, &one, sizeof one);
    }
  }

  void PollReaped(absl::Time deadline, std::vector<Completion>& out) {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (!reaped_.empty()) {
          out.insert(out.end(), reaped_.begin(), reaped_.end());
          reaped_.clear();
          return;
        }
      }
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return;
      pollfd p{ready_, POLLIN, 0};
      const timespec ts = absl::ToTimespec(left);
      ppoll(&p, 1, &ts, nullptr);
      uint64_t count;
      (void)!read(ready_, &count, sizeof count);
    }
  }

  const std::vector<Request> requests_;
  size_t next_request_ = 0;
  const Prepare prepare_;
  const grpc::StatusCode expected_;
  std::vector<std::unique_ptr<v1::ExecutionService::Stub>> stubs_;
  size_t next_stub_ = 0;
  grpc::CompletionQueue cq_;
  int ready_ = -1;
  std::thread reaper_;
  absl::Mutex mu_;
  std::vector<Completion> reaped_ ABSL_GUARDED_BY(mu_);
};

// HTTP GETs of `urls` in turn straight to the simulator with libcurl's multi
// interface: at most `connections` keep-alive connections (transfers
// beyond them wait in curl for one, as the gateway's calls share its
// channels), easy handles reused, answers read in full (as a client would)
// and checked for status 200.
class CurlDriver final : public CallDriver {
 public:
  CurlDriver(std::vector<std::string> urls, std::vector<std::string> headers, int connections)
      : urls_(std::move(urls)) {
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(connections));
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(connections));
    for (const auto& h : headers) headers_ = curl_slist_append(headers_, h.c_str());
  }

  ~CurlDriver() override {
    for (auto& t : transfers_) {
      if (t->busy) curl_multi_remove_handle(multi_, t->easy);
      curl_easy_cleanup(t->easy);
    }
    curl_multi_cleanup(multi_);
    curl_slist_free_all(headers_);
  }

  void Start(uint64_t tag) override {
    Transfer* t = IdleTransfer();
    t->tag = tag;
    t->busy = true;
    t->body.clear();
    curl_easy_setopt(t->easy, CURLOPT_URL, urls_[next_url_++ % urls_.size()].c_str());
    curl_multi_add_handle(multi_, t->easy);
  }

  void Poll(absl::Time deadline, std::vector<Completion>& out) override {
    const size_t before = out.size();
    while (true) {
      int running = 0;
      curl_multi_perform(multi_, &running);
      CollectDone(out);
      if (out.size() > before || absl::Now() >= deadline) return;
      Wait(deadline);
    }
  }

 private:
  struct Transfer {
    CURL* easy = nullptr;
    uint64_t tag = 0;
    bool busy = false;
    std::string body;
  };

  static size_t Append(char* data, size_t size, size_t n, void* body) {
    static_cast<std::string*>(body)->append(data, size * n);
    return size * n;
  }

  Transfer* IdleTransfer() {
    for (auto& t : transfers_) {
      if (!t->busy) return t.get();
    }
    auto t = std::make_unique<Transfer>();
    t->easy = curl_easy_init();
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, &CurlDriver::Append);
    curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, &t->body);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, 10000L);
    transfers_.push_back(std::move(t));
    return transfers_.back().get();
  }

  void CollectDone(std::vector<Completion>& out) {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &t);
      long status = 0;
      curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      const bool ok = m->data.result == CURLE_OK && status == 200 && !t->body.empty();
      curl_multi_remove_handle(multi_, m->easy_handle);
      t->busy = false;
      out.push_back({t->tag, ok, absl::Now()});
    }
  }

  // Waits for socket activity, curl's own timer or `deadline`, whichever is
  // first, to the microsecond (curl_multi_poll rounds to milliseconds,
  // which would delay open-loop sends).
  void Wait(absl::Time deadline) {
    fd_set r, w, e;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    int max_fd = -1;
    curl_multi_fdset(multi_, &r, &w, &e, &max_fd);
    absl::Duration wait = deadline - absl::Now();
    long curl_ms = -1;
    curl_multi_timeout(multi_, &curl_ms);
    if (curl_ms >= 0) wait = std::min(wait, absl::Milliseconds(curl_ms));
    if (wait <= absl::ZeroDuration()) return;
    timespec ts = absl::ToTimespec(wait);
    pselect(max_fd + 1, &r, &w, &e, &ts, nullptr);
  }

  const std::vector<std::string> urls_;
  size_t next_url_ = 0;
  CURLM* multi_;
  curl_slist* headers_ = nullptr;
  std::vector<std::unique_ptr<Transfer>> transfers_;
};

// ---------------------------------------------------------------- load shapes

// When calls are started: closed loop (a new call when one ends, up to
// `concurrency` in flight) or open loop (at `rate` per second, whatever
// is in flight).
struct LoadShape {
  int concurrency = 1;
  std::optional<double> rate;
};

// What one window measured.
struct Window {
  int64_t calls = 0;
  int64_t errors = 0;
  absl::Duration seconds;
  std::vector<int64_t> latencies_ns;
  absl::Duration gateway_cpu, simulator_cpu, loadgen_cpu;
  int64_t gateway_rss_kb = 0;
  // Open loop: how late the calls were sent after their scheduled times, in
  // sum (a load generator that falls behind shows here first).
  absl::Duration send_lag;
  // Requests the simulator served for the scenario's endpoint (unknown:
  // none). Through the gateway fewer than calls when it shares reads.
  std::optional<int64_t> upstream_requests;
};

// Requests served so far by one simulator endpoint, as bench_upstreams
// counts them ("blaxel.get", "polos.list", ...).
std::optional<int64_t> UpstreamRequests(ChildProcess& upstreams, const std::string& counter) {
  const std::vector<std::string> key = absl::StrSplit(counter, '.');
  if (key.size() != 2 || !upstreams.WriteLine("counts")) return std::nullopt;
  auto line = upstreams.ReadLine(absl::Seconds(5));
  rapidjson::Document d;
  if (!line.ok() || d.Parse(line->c_str()).HasParseError() || !d.IsObject()) return std::nullopt;
  auto group = d.FindMember(key[0].c_str());
  if (group == d.MemberEnd() || !group->value.IsObject()) return std::nullopt;
  auto count = group->value.FindMember(key[1].c_str());
  if (count == group->value.MemberEnd() || !count->value.IsInt64()) return std::nullopt;
  return count->value.GetInt64();
}

// The processes whose CPU a window charges to its calls, and the one that
// counts upstream requests.
struct Processes {
  pid_t gateway;
  pid_t simulator;
  ChildProcess* upstreams;
};

// Open loop: the send times, evenly spaced or Poisson.
class Arrivals {
 public:
  Arrivals(double rate, bool poisson, absl::Time first)
      : mean_(absl::Seconds(1.0 / rate)), poisson_(poisson), next_(first), gen_(42) {}
  absl::Time next() const { return next_; }
  void Advance() {
    if (!poisson_) {
      next_ += mean_;
      return;
    }
    std::exponential_distribution<double> d(1.0);
    next_ += mean_ * d(gen_);
  }

 private:
  const absl::Duration mean_;
  const bool poisson_;
  absl::Time next_;
  std::mt19937_64 gen_;
};

// Drives `driver` through warm-up, the window and the drain. A call counts
// when it is sent (open loop: scheduled) inside the window; its latency runs
// from that time to its completion. CPU is charged from the window's start
// to the end of the drain.
class LoadRun {
 public:
  // Open loop: no more than this many calls in flight; arrivals beyond it
  // wait (their latency still runs from their scheduled time).
  static constexpr int kOpenLoopCap = 4096;

  LoadRun(CallDriver& driver, LoadShape shape, const Processes& procs, std::string counter,
          bool poisson)
      : driver_(driver),
        shape_(shape),
        procs_(procs),
        counter_(std::move(counter)),
        poisson_(poisson) {}

  Window Measure(absl::Duration warmup, absl::Duration duration) {
    const absl::Time begin = absl::Now();
    window_start_ = begin + warmup;
    window_end_ = window_start_ + duration;
    if (shape_.rate.has_value()) arrivals_.emplace(*shape_.rate, poisson_, begin);
    RunUntil(window_start_);
    const Snapshot at_start = Take();
    const auto upstream_at_start = UpstreamRequests(*procs_.upstreams, counter_);
    RunUntil(window_end_);
    Drain();
    const Snapshot at_end = Take();
    const auto upstream_at_end = UpstreamRequests(*procs_.upstreams, counter_);
    if (upstream_at_start && upstream_at_end) {
      window_.upstream_requests = *upstream_at_end - *upstream_at_start;
    }
    window_.seconds = window_end_ - window_start_;
    window_.gateway_cpu = at_end.gateway - at_start.gateway;
    window_.simulator_cpu = at_end.simulator - at_start.simulator;
    window_.loadgen_cpu = at_end.loadgen - at_start.loadgen;
    window_.gateway_rss_kb = procs_.gateway > 0 ? ProcessRssKb(procs_.gateway) : 0;
    return std::move(window_);
  }

 private:
  struct Snapshot {
    absl::Duration gateway, simulator, loadgen;
  };

  Snapshot Take() const {
    return {procs_.gateway > 0 ? ProcessCpu(procs_.gateway) : absl::ZeroDuration(),
            ProcessCpu(procs_.simulator), OwnCpu()};
  }

  void Send(absl::Time at) {
    if (at >= window_start_ && at < window_end_) window_.send_lag += absl::Now() - at;
    sent_at_.push_back(at);
    driver_.Start(sent_at_.size() - 1);
    ++in_flight_;
  }

  // Sends what the shape wants sent by now.
  void SendDue(absl::Time now) {
    if (!arrivals_.has_value()) {
      while (in_flight_ < shape_.concurrency) Send(now);
      return;
    }
    while (arrivals_->next() <= now && in_flight_ < kOpenLoopCap) {
      Send(arrivals_->next());
      arrivals_->Advance();
    }
  }

  void Record(const Completion& c) {
    --in_flight_;
    const absl::Time sent = sent_at_[c.tag];
    if (sent < window_start_ || sent >= window_end_) return;
    ++window_.calls;
    if (!c.ok) ++window_.errors;
    window_.latencies_ns.push_back(absl::ToInt64Nanoseconds(c.finished - sent));
  }

  void RunUntil(absl::Time until) {
    std::vector<Completion> done;
    for (absl::Time now = absl::Now(); now < until; now = absl::Now()) {
      SendDue(now);
      absl::Time wake = until;
      if (arrivals_.has_value() && in_flight_ < kOpenLoopCap) {
        wake = std::min(wake, arrivals_->next());
      }
      done.clear();
      driver_.Poll(wake, done);
      for (const Completion& c : done) Record(c);
    }
  }

  // Waits for the calls still in flight (at most 10 s; those left count as
  // errors if they were sent in the window).
  void Drain() {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    std::vector<Completion> done;
    while (in_flight_ > 0 && absl::Now() < give_up) {
      done.clear();
      driver_.Poll(give_up, done);
      for (const Completion& c : done) Record(c);
    }
    if (in_flight_ > 0) {
      std::cerr << "unary_load: " << in_flight_ << " calls unfinished after the window\n";
      window_.errors += in_flight_;
    }
  }

  CallDriver& driver_;
  const LoadShape shape_;
  const Processes procs_;
  const std::string counter_;
  const bool poisson_;
  std::optional<Arrivals> arrivals_;
  absl::Time window_start_, window_end_;
  std::vector<absl::Time> sent_at_;
  int in_flight_ = 0;
  Window window_;
};

// ---------------------------------------------------------------- scenarios

// What the upstreams process said about itself (bench_upstreams' line).
struct UpstreamInfo {
  struct Reads {
    std::vector<std::string> get_names, get_urls;  // --executions of each
    std::string list_parent, list_url;
    std::vector<std::string> headers;  // "Name: value", the credential included
  };
  pid_t pid = 0;
  std::string config;
  Reads blaxel, polos;
};

std::string ReadKey(const std::string& path) {
  std::ifstream in(path);
  std::string key;
  std::getline(in, key);
  return key;
}

absl::StatusOr<UpstreamInfo> ParseUpstreamInfo(const std::string& line) {
  rapidjson::Document d;
  if (d.Parse(line.c_str()).HasParseError() || !d.IsObject()) {
    return absl::InvalidArgumentError("bench_upstreams printed no JSON line");
  }
  UpstreamInfo info;
  info.pid = d["pid"].GetInt();
  info.config = d["config"].GetString();
  auto reads = [&](const char* name, UpstreamInfo::Reads& r) {
    const rapidjson::Value& v = d[name];
    for (const auto& n : v["get_names"].GetArray()) r.get_names.push_back(n.GetString());
    for (const auto& u : v["get_urls"].GetArray()) r.get_urls.push_back(u.GetString());
    r.list_parent = v["list_parent"].GetString();
    r.list_url = v["list_url"].GetString();
    r.headers.push_back("Authorization: Bearer " + ReadKey(v["bearer_key_file"].GetString()));
    for (const auto& h : v["headers"].GetObject()) {
      r.headers.push_back(absl::StrCat(h.name.GetString(), ": ", h.value.GetString()));
    }
  };
  reads("blaxel", info.blaxel);
  reads("polos", info.polos);
  return info;
}

// The connections a driver may use: gRPC channels (each one connection,
// many streams) or HTTP/1.1 connections (one transfer at a time each); and
// whether it drives an open loop (sends on a schedule).
struct Connections {
  int channels = 1;
  int http = 1;
  bool open_loop = false;
};

// How to make the driver of a scenario.
struct Scenario {
  std::string name;
  bool through_gateway;
  // The simulator endpoint it reads ("blaxel.get"; empty: none).
  std::string upstream_counter;
  std::function<std::unique_ptr<CallDriver>(Connections)> make;
};

std::unique_ptr<CallDriver> GetThroughGateway(const std::string& target, Connections c,
                                              const std::vector<std::string>& names,
                                              grpc::StatusCode expected) {
  std::vector<v1::GetExecutionRequest> requests(names.size());
  for (size_t i = 0; i < names.size(); ++i) requests[i].set_name(names[i]);
  return std::make_unique<GrpcDriver<v1::GetExecutionRequest, v1::Execution>>(
      target, c.channels, std::move(requests),
      &v1::ExecutionService::Stub::PrepareAsyncGetExecution, expected, c.open_loop);
}

std::unique_ptr<CallDriver> ListThroughGateway(const std::string& target, Connections c,
                                               const std::string& parent) {
  v1::ListExecutionsRequest r;
  r.set_parent(parent);
  r.set_page_size(20);
  return std::make_unique<GrpcDriver<v1::ListExecutionsRequest, v1::ListExecutionsResponse>>(
      target, c.channels, std::vector{r}, &v1::ExecutionService::Stub::PrepareAsyncListExecutions,
      grpc::StatusCode::OK, c.open_loop);
}

std::vector<Scenario> AllScenarios(const std::string& gw, const UpstreamInfo& up) {
  const auto& bx = up.blaxel;
  const auto& px = up.polos;
  using C = std::unique_ptr<CallDriver>;
  return {
      {"get_gateway", true, "blaxel.get",
       [=](Connections c) -> C {
         return GetThroughGateway(gw, c, bx.get_names, grpc::StatusCode::OK);
       }},
      {"get_direct", false, "blaxel.get",
       [=](Connections c) -> C {
         return std::make_unique<CurlDriver>(bx.get_urls, bx.headers, c.http);
       }},
      {"get_no_upstream", true, "",
       [=](Connections c) -> C {
         return GetThroughGateway(gw, c, {"backends/none/jobs/j/executions/e"},
                                  grpc::StatusCode::NOT_FOUND);
       }},
      {"list_gateway", true, "blaxel.list",
       [=](Connections c) -> C { return ListThroughGateway(gw, c, bx.list_parent); }},
      {"list_direct", false, "blaxel.list",
       [=](Connections c) -> C {
         return std::make_unique<CurlDriver>(std::vector{bx.list_url}, bx.headers, c.http);
       }},
      {"get_gateway_polos", true, "polos.get",
       [=](Connections c) -> C {
         return GetThroughGateway(gw, c, px.get_names, grpc::StatusCode::OK);
       }},
      {"get_direct_polos", false, "polos.get",
       [=](Connections c) -> C {
         return std::make_unique<CurlDriver>(px.get_urls, px.headers, c.http);
       }},
  };
}

// ---------------------------------------------------------------- reporting

struct Result {
  std::string scenario, mode;
  std::optional<int> concurrency;
  std::optional<double> target_rate;
  bool through_gateway;
  Window window;
  double throughput() const { return window.calls / absl::ToDoubleSeconds(window.seconds); }
};

double Percentile(const std::vector<int64_t>& sorted_ns, double p) {
  if (sorted_ns.empty()) return 0;
  const size_t i = std::min(sorted_ns.size() - 1, static_cast<size_t>(p * sorted_ns.size()));
  return sorted_ns[i] / 1000.0;
}

double MeanUs(const std::vector<int64_t>& ns) {
  if (ns.empty()) return 0;
  double sum = 0;
  for (int64_t v : ns) sum += static_cast<double>(v);
  return sum / static_cast<double>(ns.size()) / 1000.0;
}

double PerCallUs(absl::Duration cpu, int64_t calls) {
  return calls == 0 ? 0 : absl::ToDoubleMicroseconds(cpu) / static_cast<double>(calls);
}

std::optional<double> UpstreamPerCall(const Window& w) {
  if (!w.upstream_requests.has_value() || w.calls == 0) return std::nullopt;
  return static_cast<double>(*w.upstream_requests) / static_cast<double>(w.calls);
}

void PrintHeader() {
  std::cerr << absl::StrFormat(
      "%-18s %-13s %5s %8s %7s %5s %9s %8s %8s %8s %8s %8s %8s %8s %8s %7s %7s %7s\n", "scenario",
      "mode", "conc", "rate", "calls", "errs", "calls/s", "p50us", "p90us", "p99us", "p999us",
      "meanus", "gw_cpu", "sim_cpu", "lg_cpu", "rss_kb", "lag_us", "up/call");
}

void PrintRow(const Result& r) {
  const auto& w = r.window;
  std::cerr << absl::StrFormat(
      "%-18s %-13s %5s %8s %7d %5d %9.0f %8.0f %8.0f %8.0f %8.0f %8.0f %8s %8.1f %8.1f %7s %7s "
      "%7s\n",
      r.scenario, r.mode, r.concurrency ? absl::StrCat(*r.concurrency) : "-",
      r.target_rate ? absl::StrFormat("%.0f", *r.target_rate) : "-", w.calls, w.errors,
      r.throughput(), Percentile(w.latencies_ns, 0.50), Percentile(w.latencies_ns, 0.90),
      Percentile(w.latencies_ns, 0.99), Percentile(w.latencies_ns, 0.999), MeanUs(w.latencies_ns),
      r.through_gateway ? absl::StrFormat("%.1f", PerCallUs(w.gateway_cpu, w.calls)) : "-",
      PerCallUs(w.simulator_cpu, w.calls), PerCallUs(w.loadgen_cpu, w.calls),
      r.through_gateway ? absl::StrCat(w.gateway_rss_kb) : "-",
      r.target_rate ? absl::StrFormat("%.0f", PerCallUs(w.send_lag, w.calls)) : "-",
      UpstreamPerCall(w) ? absl::StrFormat("%.3f", *UpstreamPerCall(w)) : "-");
}

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(JsonWriter& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void Num(JsonWriter& w, const char* key, double value) {
  w.Key(key);
  w.Double(value);
}

void NumOrNull(JsonWriter& w, const char* key, std::optional<double> value) {
  w.Key(key);
  value.has_value() ? w.Double(*value) : w.Null();
}

void WriteResult(JsonWriter& w, const Result& r) {
  const auto& win = r.window;
  const auto& ns = win.latencies_ns;
  w.StartObject();
  Str(w, "scenario", r.scenario);
  Str(w, "mode", r.mode);
  w.Key("concurrency");
  r.concurrency ? w.Int(*r.concurrency) : w.Null();
  NumOrNull(w, "target_rate", r.target_rate);
  w.Key("calls");
  w.Int64(win.calls);
  w.Key("errors");
  w.Int64(win.errors);
  Num(w, "seconds", absl::ToDoubleSeconds(win.seconds));
  Num(w, "throughput", r.throughput());
  Num(w, "p50_us", Percentile(ns, 0.50));
  Num(w, "p90_us", Percentile(ns, 0.90));
  Num(w, "p99_us", Percentile(ns, 0.99));
  Num(w, "p999_us", Percentile(ns, 0.999));
  Num(w, "mean_us", MeanUs(ns));
  auto gw = [&](double v) { return r.through_gateway ? std::optional<double>(v) : std::nullopt; };
  NumOrNull(w, "gateway_cpu_us_per_call", gw(PerCallUs(win.gateway_cpu, win.calls)));
  NumOrNull(w, "simulator_cpu_us_per_call", PerCallUs(win.simulator_cpu, win.calls));
  Num(w, "loadgen_cpu_us_per_call", PerCallUs(win.loadgen_cpu, win.calls));
  w.Key("gateway_rss_kb");
  r.through_gateway ? w.Int64(win.gateway_rss_kb) : w.Null();
  NumOrNull(w, "upstream_requests_per_call", UpstreamPerCall(win));
  w.EndObject();
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (absl::StartsWith(line, "model name")) {
      return std::string(absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
    }
  }
  return "unknown";
}

void WriteMachine(JsonWriter& w) {
  utsname u{};
  uname(&u);
  w.Key("machine");
  w.StartObject();
  w.Key("cpus");
  w.Int(static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  Str(w, "model", CpuModel());
  Str(w, "kernel", absl::StrCat(u.sysname, " ", u.release));
  w.EndObject();
}

absl::Status WriteJson(const std::string& path, const std::string& command,
                       const std::vector<Result>& results) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Str(w, "date", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()));
  WriteMachine(w);
  Str(w, "command", command);
  Str(w, "gateway_args", absl::GetFlag(FLAGS_gateway_args));
  w.Key("results");
  w.StartArray();
  for (const Result& r : results) WriteResult(w, r);
  w.EndArray();
  w.EndObject();
  std::ofstream out(path, std::ios::trunc);
  out << buf.GetString() << "\n";
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// ---------------------------------------------------------------- the run

// The directory of this binary (build/tests/bench).
// Both processes, started and answering.
struct System {
  std::unique_ptr<ChildProcess> upstreams;
  std::unique_ptr<ChildProcess> gateway;
  UpstreamInfo info;
  std::string target;  // "127.0.0.1:PORT" of the gateway
};

absl::Status StartUpstreams(System& sys) {
  const std::string config = absl::StrCat("/tmp/execgw-unary-load-", getpid(), ".json");
  auto up = ChildProcess::Spawn(
      {FlagOr(absl::GetFlag(FLAGS_upstreams), OwnDirectory() + "/bench_upstreams"),
       "--config=" + config, absl::StrCat("--executions=", absl::GetFlag(FLAGS_executions))});
  if (!up.ok()) return up.status();
  sys.upstreams = *std::move(up);
  auto line = sys.upstreams->ReadLine(absl::Seconds(20));
  if (!line.ok()) return absl::UnavailableError("bench_upstreams did not start");
  auto info = ParseUpstreamInfo(*line);
  if (!info.ok()) return info.status();
  sys.info = *std::move(info);
  return absl::OkStatus();
}

// Starts execgw and reads its port from its first line, "execgw: serving N
// backend(s) on port P".
absl::Status StartGateway(System& sys) {
  std::vector<std::string> argv = {
      FlagOr(absl::GetFlag(FLAGS_gateway), OwnDirectory() + "/../../bin/execgw"),
      "--config=" + sys.info.config, "--listen=127.0.0.1:0"};
  for (absl::string_view a :
       absl::StrSplit(absl::GetFlag(FLAGS_gateway_args), ' ', absl::SkipWhitespace())) {
    argv.emplace_back(a);
  }
  auto gw = SpawnGateway(argv);
  if (!gw.ok()) return gw.status();
  sys.gateway = std::move(gw->process);
  sys.target = absl::StrCat("127.0.0.1:", gw->port);
  return absl::OkStatus();
}

// One call of each scenario must succeed before anything is measured: a
// real probe of both processes, no sleeping.
absl::Status Probe(const std::vector<Scenario>& scenarios) {
  for (const Scenario& s : scenarios) {
    auto driver = s.make({});
    driver->Start(0);
    std::vector<Completion> done;
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (done.empty() && absl::Now() < deadline) driver->Poll(deadline, done);
    if (done.empty() || !done[0].ok) {
      return absl::UnavailableError(absl::StrCat("probe of ", s.name, " failed"));
    }
  }
  return absl::OkStatus();
}

Result RunOne(const Scenario& s, const std::string& mode, LoadShape shape, Connections connections,
              const Processes& procs) {
  auto driver = s.make(connections);
  LoadRun run(*driver, shape, procs, s.upstream_counter, absl::GetFlag(FLAGS_poisson));
  Result r{s.name, mode, std::nullopt, shape.rate, s.through_gateway, {}};
  if (!shape.rate.has_value()) r.concurrency = shape.concurrency;
  r.window = run.Measure(absl::Seconds(absl::GetFlag(FLAGS_warmup)),
                         absl::Seconds(absl::GetFlag(FLAGS_duration)));
  std::sort(r.window.latencies_ns.begin(), r.window.latencies_ns.end());
  PrintRow(r);
  return r;
}

// --max_concurrency: gRPC channels, and calls in flight on each.
struct MaxShape {
  int channels = 4;
  int per_channel = 16;
};

absl::StatusOr<MaxShape> ParseMaxShape(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, 'x');
  MaxShape shape;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &shape.channels) ||
      !absl::SimpleAtoi(parts[1], &shape.per_channel) || shape.channels < 1 ||
      shape.per_channel < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_concurrency=", text, ": want CHANNELSxCALLS, e.g. 4x16"));
  }
  return shape;
}

bool Has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Every requested mode of one scenario; max runs first when half_max needs it.
void RunScenario(const Scenario& s, const std::vector<std::string>& modes, MaxShape shape,
                 const Processes& procs, std::vector<Result>& results) {
  const int channels = shape.channels;
  const int max_concurrency = channels * shape.per_channel;
  // Under load: the gateway's calls share `channels` connections; the
  // direct reads get one HTTP/1.1 connection per call in flight at most.
  const Connections loaded{channels, max_concurrency};
  const Connections open_loop{channels, max_concurrency, true};
  if (Has(modes, "one_at_a_time")) {
    results.push_back(RunOne(s, "one_at_a_time", {1, std::nullopt}, {1, 1}, procs));
  }
  std::optional<double> max_rate;
  if (Has(modes, "max") || Has(modes, "half_max")) {
    results.push_back(RunOne(s, "max", {max_concurrency, std::nullopt}, loaded, procs));
    max_rate = results.back().throughput();
  }
  if (Has(modes, "half_max") && *max_rate > 0) {
    results.push_back(RunOne(s, "half_max", {1, *max_rate / 2}, open_loop, procs));
  }
  if (Has(modes, "rate")) {
    for (absl::string_view text :
         absl::StrSplit(absl::GetFlag(FLAGS_rates), ',', absl::SkipWhitespace())) {
      double rate = 0;
      if (!absl::SimpleAtod(text, &rate) || rate <= 0) continue;
      results.push_back(RunOne(s, "rate", {1, rate}, open_loop, procs));
    }
  }
}

std::vector<Scenario> Selected(const std::vector<Scenario>& all) {
  std::vector<std::string> names =
      absl::StrSplit(absl::GetFlag(FLAGS_scenarios), ',', absl::SkipWhitespace());
  if (absl::GetFlag(FLAGS_polos)) {
    names.push_back("get_gateway_polos");
    names.push_back("get_direct_polos");
  }
  std::vector<Scenario> out;
  for (const Scenario& s : all) {
    if (Has(names, s.name)) out.push_back(s);
  }
  return out;
}

int Fail(const absl::Status& s) {
  std::cerr << "unary_load: " << s.message() << "\n";
  return 1;
}

int Run(const std::string& command) {
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const auto shape = ParseMaxShape(absl::GetFlag(FLAGS_max_concurrency));
  if (!shape.ok()) return Fail(shape.status());
  System sys;
  if (auto s = StartUpstreams(sys); !s.ok()) return Fail(s);
  if (auto s = StartGateway(sys); !s.ok()) return Fail(s);
  const std::vector<Scenario> scenarios = Selected(AllScenarios(sys.target, sys.info));
  if (auto s = Probe(scenarios); !s.ok()) return Fail(s);

  const std::vector<std::string> modes =
      absl::StrSplit(absl::GetFlag(FLAGS_modes), ',', absl::SkipWhitespace());
  const Processes procs{sys.gateway->pid(), sys.info.pid, sys.upstreams.get()};
  std::vector<Result> results;
  PrintHeader();
  for (const Scenario& s : scenarios) RunScenario(s, modes, *shape, procs, results);
  std::cerr
      << "(latency in us; gw_cpu, sim_cpu, lg_cpu: CPU us per call of the gateway, of the "
         "simulators' process and of this load generator; lag_us: open loop, mean delay "
         "of the sends after their scheduled times, included in the latency; up/call: requests the "
         "simulator served per call, below 1 when the gateway shares reads)\n";

  sys.gateway->Stop();
  sys.upstreams->Stop();
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    if (auto s = WriteJson(path, command, results); !s.ok()) return Fail(s);
  }
  return 0;
}

}  // namespace
}  // namespace execgw::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("unary_load: the unary load benchmark (see unary_load.cc)");
  std::vector<std::string> args(argv, argv + argc);
  absl::ParseCommandLine(argc, argv);
  return execgw::bench::Run(absl::StrJoin(args, " "));
}

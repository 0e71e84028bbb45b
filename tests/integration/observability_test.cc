// Observability end to end: metrics read over HTTP from the admin port,
// the JSON log lines, and the request id and trace context the upstreams
// receive, after real gRPC calls through the gateway to the simulators.
#include <curl/curl.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "adapters/call_trace.h"
#include "gateway/log.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "tests/integration/gateway_harness.h"

namespace execgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The body of GET http://127.0.0.1:{port}{path}.
std::string HttpGet(int port, const std::string& path) {
  CURL* curl = curl_easy_init();
  std::string body;
  const std::string url = absl::StrCat("http://127.0.0.1:", port, path);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  EXPECT_EQ(code, CURLE_OK) << url;
  return body;
}

// The value of the sample `series` (name{labels} exactly as exposed, labels
// sorted by name) in an exposition, or -1 when absent.
double Sample(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, series) && line.size() > series.size() &&
        line[series.size()] == ' ') {
      double value = 0;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
    }
  }
  return -1;
}

// Every log line written while it lives, parsed.
class CapturedLog {
 public:
  CapturedLog() {
    gateway::SetLogSinkForTesting([this](absl::string_view line) {
      absl::MutexLock lock(&mu_);
      lines_.emplace_back(line);
    });
  }
  ~CapturedLog() { gateway::SetLogSinkForTesting(nullptr); }

  std::vector<std::string> lines() const {
    absl::MutexLock lock(&mu_);
    return lines_;
  }
  // The lines whose msg is `msg`, each parsed (a line that is not JSON
  // fails the test).
  std::vector<rapidjson::Document> With(absl::string_view msg) const {
    std::vector<rapidjson::Document> out;
    for (const std::string& line : lines()) {
      rapidjson::Document doc;
      doc.Parse(line.data(), line.size());
      EXPECT_FALSE(doc.HasParseError()) << line;
      if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("msg")) continue;
      if (msg == doc["msg"].GetString()) out.push_back(std::move(doc));
    }
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_;
};

// Waits (bounded) until the rpc lines number `n`: the line is written as
// the call finishes, just before the answer leaves.
void AwaitRpcLines(const CapturedLog& log, size_t n) {
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (log.With("rpc").size() < n && absl::Now() < until) absl::SleepFor(absl::Milliseconds(5));
}

std::string BlaxelName(const std::string& job, const std::string& id) {
  return absl::StrCat("backends/", GatewayHarness::kBlaxel, "/jobs/", job, "/executions/", id);
}

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kCallerParent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

const std::string* Header(const http::ServerRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

// "00-<trace>-<span>-<flags>" split in its parts.
std::vector<std::string> Parts(const std::string& traceparent) {
  return absl::StrSplit(traceparent, '-');
}

GatewayHarness::Options Observed() {
  GatewayHarness::Options o;
  o.admin = true;
  o.workers = 1;
  return o;
}

TEST(ObservabilityTest, MetricsCountRpcsByMethodAndCodeAndUpstreamRequestsByRoute) {
  GatewayHarness h(Observed());
  ASSERT_GT(h.server().admin_port(), 0);
  h.blaxel().PutExecution("etl", "exec-1", blaxel::SimulatedScenario::kSucceed, h.clock().Now(), 1);
  v1::Execution e;
  ASSERT_TRUE(h.Get(BlaxelName("etl", "exec-1"), &e).ok());
  ASSERT_TRUE(h.Get(BlaxelName("etl", "exec-1"), &e).ok());
  EXPECT_EQ(h.Get(BlaxelName("etl", "missing"), &e).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(h.Get("not a name", &e).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  const std::string text = HttpGet(h.server().admin_port(), "/metrics");
  EXPECT_EQ(Sample(text, R"(execgw_rpcs_total{code="OK",method="GetExecution"})"), 2) << text;
  EXPECT_EQ(Sample(text, R"(execgw_rpcs_total{code="NOT_FOUND",method="GetExecution"})"), 1);
  EXPECT_EQ(Sample(text, R"(execgw_rpcs_total{code="INVALID_ARGUMENT",method="GetExecution"})"), 1);
  EXPECT_EQ(Sample(text, R"(execgw_rpc_duration_seconds_count{method="GetExecution"})"), 4);
  const std::string route = R"(backend="bx",route="GET /jobs/{job}/executions/{id}")";
  EXPECT_EQ(
      Sample(text, absl::StrCat("execgw_upstream_requests_total{", route, R"(,status="200"})")), 2);
  EXPECT_EQ(
      Sample(text, absl::StrCat("execgw_upstream_requests_total{", route, R"(,status="404"})")), 1);
  EXPECT_EQ(
      Sample(text, absl::StrCat("execgw_upstream_request_duration_seconds_count{", route, "}")), 3);
  EXPECT_EQ(Sample(text, absl::StrCat("execgw_upstream_retries_total{", route, "}")), 0);
  // No resource name or caller input is a label.
  EXPECT_THAT(text, Not(HasSubstr("exec-1")));
  EXPECT_THAT(text, Not(HasSubstr("not a name")));
}

TEST(ObservabilityTest, RetriesAndABreakerOpeningAreCountedAndLogged) {
  GatewayHarness::Options o = Observed();
  o.resilience.set_max_attempts(2);
  o.resilience.set_initial_backoff_ms(1);
  o.resilience.set_max_backoff_ms(2);
  o.resilience.set_breaker_failure_threshold(4);
  o.resilience.set_breaker_open_ms(60000);
  GatewayHarness h(o);
  CapturedLog log;
  http::ServerResponse down;
  down.status = 503;
  down.body = R"({"error":"down"})";
  h.blaxel().faults().Add("get", down, -1);
  v1::Execution e;
  // Two calls, two attempts each: four failures open the breaker.
  EXPECT_EQ(h.Get(BlaxelName("etl", "exec-1"), &e).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(h.Get(BlaxelName("etl", "exec-1"), &e).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Failed fast by the open breaker.
  EXPECT_EQ(h.Get(BlaxelName("etl", "exec-1"), &e).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(h.blaxel().request_count("get"), 4);

  const std::string text = HttpGet(h.server().admin_port(), "/metrics");
  const std::string route = R"(backend="bx",route="GET /jobs/{job}/executions/{id}")";
  EXPECT_EQ(
      Sample(text, absl::StrCat("execgw_upstream_requests_total{", route, R"(,status="503"})")), 4)
      << text;
  EXPECT_EQ(Sample(text, absl::StrCat("execgw_upstream_retries_total{", route, "}")), 2);
  EXPECT_EQ(Sample(text, R"(execgw_upstream_circuit_opened_total{backend="bx"})"), 1);
  EXPECT_EQ(Sample(text, R"(execgw_upstream_circuit_open{backend="bx"})"), 1);
  EXPECT_EQ(Sample(text,
                   "execgw_upstream_rejected_total{backend=\"bx\",reason=\"circuit_open\","
                   "route=\"GET /jobs/{job}/executions/{id}\"}"),
            1);
  EXPECT_EQ(Sample(text, R"(execgw_rpcs_total{code="UNAVAILABLE",method="GetExecution"})"), 3);

  // One line per upstream failure, each naming its attempt and the call.
  AwaitRpcLines(log, 3);
  const auto failures = log.With("upstream");
  ASSERT_EQ(failures.size(), 4u);
  std::set<int> attempts;
  for (const auto& f : failures) {
    EXPECT_STREQ(f["backend"].GetString(), "bx");
    EXPECT_STREQ(f["route"].GetString(), "GET /jobs/{job}/executions/{id}");
    EXPECT_EQ(f["status"].GetInt(), 503);
    EXPECT_STREQ(f["level"].GetString(), "warn");
    EXPECT_EQ(std::string(f["request_id"].GetString()).size(), 32u);
    attempts.insert(f["attempt"].GetInt());
  }
  EXPECT_EQ(attempts, (std::set<int>{1, 2}));
  const auto rpcs = log.With("rpc");
  ASSERT_EQ(rpcs.size(), 3u);
  EXPECT_EQ(rpcs[0]["upstream_requests"].GetInt(), 2);
  EXPECT_EQ(rpcs[2]["upstream_requests"].GetInt(), 0);
  EXPECT_STREQ(rpcs[0]["code"].GetString(), "UNAVAILABLE");
  EXPECT_STREQ(rpcs[0]["level"].GetString(), "warn");
}

TEST(ObservabilityTest, OneJsonLinePerRpcWithItsFields) {
  GatewayHarness h(Observed());
  CapturedLog log;
  h.blaxel().PutExecution("etl", "exec-1", blaxel::SimulatedScenario::kSucceed, h.clock().Now(), 1);
  v1::Execution e;
  {
    grpc::ClientContext context;
    context.AddMetadata("x-request-id", "caller-req-42");
    v1::GetExecutionRequest request;
    request.set_name(BlaxelName("etl", "exec-1"));
    ASSERT_TRUE(h.stub().GetExecution(&context, request, &e).ok());
    // The request id comes back in the initial metadata.
    auto it = context.GetServerInitialMetadata().find("x-request-id");
    ASSERT_NE(it, context.GetServerInitialMetadata().end());
    EXPECT_EQ(std::string(it->second.data(), it->second.size()), "caller-req-42");
  }
  {
    // A name with quotes and control characters is escaped, not echoed raw.
    grpc::ClientContext context;
    context.AddMetadata("x-request-id", "bad id with spaces");
    v1::GetExecutionRequest request;
    request.set_name("backends/bx/jobs/\"x\"/executions/\x01\n" + std::string(2000, 'y'));
    EXPECT_FALSE(h.stub().GetExecution(&context, request, &e).ok());
    auto it = context.GetServerInitialMetadata().find("x-request-id");
    ASSERT_NE(it, context.GetServerInitialMetadata().end());
    EXPECT_EQ(it->second.size(), 32u);  // a new one: the caller's was not sane
  }
  AwaitRpcLines(log, 2);
  const auto rpcs = log.With("rpc");
  ASSERT_EQ(rpcs.size(), 2u);
  const auto& ok = rpcs[0];
  EXPECT_STREQ(ok["level"].GetString(), "info");
  EXPECT_STREQ(ok["method"].GetString(), "GetExecution");
  EXPECT_EQ(std::string(ok["name"].GetString()), BlaxelName("etl", "exec-1"));
  EXPECT_STREQ(ok["code"].GetString(), "OK");
  EXPECT_TRUE(ok["latency_ms"].IsNumber());
  EXPECT_THAT(ok["caller"].GetString(), HasSubstr("127.0.0.1"));
  EXPECT_EQ(ok["upstream_requests"].GetInt(), 1);
  EXPECT_STREQ(ok["request_id"].GetString(), "caller-req-42");
  EXPECT_TRUE(ok["time"].IsString());
  const auto& bad = rpcs[1];
  EXPECT_STREQ(bad["code"].GetString(), "INVALID_ARGUMENT");
  EXPECT_LE(std::string(bad["name"].GetString()).size(), 300u);
  EXPECT_THAT(bad["name"].GetString(), HasSubstr("\"x\""));
  EXPECT_EQ(bad["upstream_requests"].GetInt(), 0);
  for (const std::string& line : log.lines()) EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(ObservabilityTest, UpstreamRequestsCarryTheRequestIdAndTheCallersTrace) {
  GatewayHarness::Options o = Observed();
  o.resilience.set_max_attempts(3);
  o.resilience.set_initial_backoff_ms(1);
  o.resilience.set_max_backoff_ms(2);
  GatewayHarness h(o);
  h.blaxel().PutExecution("etl", "exec-1", blaxel::SimulatedScenario::kSucceed, h.clock().Now(), 1);
  http::ServerResponse down;
  down.status = 503;
  h.blaxel().faults().Add("get", down, 2);  // two failures, then the real answer
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "req-trace-1");
  context.AddMetadata("traceparent", kCallerParent);
  context.AddMetadata("tracestate", "vendor=abc");
  v1::GetExecutionRequest request;
  request.set_name(BlaxelName("etl", "exec-1"));
  v1::Execution e;
  ASSERT_TRUE(h.stub().GetExecution(&context, request, &e).ok());

  const std::vector<http::ServerRequest> sent = h.blaxel().recent_requests("get");
  ASSERT_EQ(sent.size(), 3u);
  std::set<std::string> spans;
  for (const http::ServerRequest& r : sent) {
    const std::string* id = Header(r, "x-request-id");
    ASSERT_NE(id, nullptr);
    EXPECT_EQ(*id, "req-trace-1");
    const std::string* parent = Header(r, "traceparent");
    ASSERT_NE(parent, nullptr);
    const std::vector<std::string> parts = Parts(*parent);
    ASSERT_EQ(parts.size(), 4u) << *parent;
    EXPECT_EQ(parts[0], "00");
    EXPECT_EQ(parts[1], kTraceId);
    EXPECT_EQ(parts[2].size(), 16u);
    EXPECT_NE(parts[2], "00f067aa0ba902b7");  // a span of the gateway's, not the caller's
    EXPECT_EQ(parts[3], "01");
    spans.insert(parts[2]);
    const std::string* state = Header(r, "tracestate");
    ASSERT_NE(state, nullptr);
    EXPECT_EQ(*state, "vendor=abc");
  }
  // Each attempt, retries included, is a span of its own.
  EXPECT_EQ(spans.size(), 3u);
}

TEST(ObservabilityTest, WithoutAValidTraceparentEachCallStartsATrace) {
  GatewayHarness h(Observed());
  h.polos().faults().Clear();
  h.blaxel().PutExecution("etl", "exec-1", blaxel::SimulatedScenario::kSucceed, h.clock().Now(), 1);
  std::set<std::string> traces;
  for (const char* bad : {"", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"}) {
    grpc::ClientContext context;
    if (*bad != '\0') context.AddMetadata("traceparent", bad);
    context.AddMetadata("tracestate", "vendor=abc");
    v1::GetExecutionRequest request;
    request.set_name(BlaxelName("etl", "exec-1"));
    v1::Execution e;
    ASSERT_TRUE(h.stub().GetExecution(&context, request, &e).ok());
    std::optional<http::ServerRequest> r = h.blaxel().last_request("get");
    ASSERT_TRUE(r.has_value());
    const std::string* parent = Header(*r, "traceparent");
    ASSERT_NE(parent, nullptr);
    ASSERT_TRUE(ParseTraceparent(*parent).has_value()) << *parent;
    const std::vector<std::string> parts = Parts(*parent);
    EXPECT_NE(parts[1], kTraceId) << bad;
    traces.insert(parts[1]);
    // A generated request id, sent too; no tracestate without a trace to go with.
    ASSERT_NE(Header(*r, "x-request-id"), nullptr);
    EXPECT_EQ(Header(*r, "x-request-id")->size(), 32u);
    EXPECT_EQ(Header(*r, "tracestate"), nullptr);
  }
  EXPECT_EQ(traces.size(), 5u);
}

TEST(ObservabilityTest, WatchGaugesFollowOpenStreams) {
  GatewayHarness h(Observed());
  h.blaxel().PutExecution("etl", "exec-w", blaxel::SimulatedScenario::kSucceed, h.clock().Now(), 1);
  grpc::ClientContext context;
  v1::WatchExecutionRequest request;
  request.set_name(BlaxelName("etl", "exec-w"));
  auto reader = h.stub().WatchExecution(&context, request);
  v1::WatchExecutionResponse first;
  ASSERT_TRUE(reader->Read(&first));
  const std::string text = HttpGet(h.server().admin_port(), "/metrics");
  EXPECT_EQ(Sample(text, "execgw_watch_streams"), 1) << text;
  EXPECT_EQ(Sample(text, "execgw_watch_followers"), 1);
  EXPECT_GE(Sample(text, "execgw_watch_upstream_reads_total"), 1);
  EXPECT_GE(Sample(text, "execgw_watch_changes_total"), 1);
  context.TryCancel();
  while (reader->Read(&first)) {
  }
  reader->Finish();
  const absl::Time until = absl::Now() + absl::Seconds(10);
  std::string after;
  do {
    after = HttpGet(h.server().admin_port(), "/metrics");
  } while (Sample(after, "execgw_watch_streams") != 0 && absl::Now() < until);
  EXPECT_EQ(Sample(after, "execgw_watch_streams"), 0);
  EXPECT_EQ(Sample(after, "execgw_watch_followers"), 0);
  EXPECT_EQ(Sample(after, R"(execgw_rpcs_total{code="CANCELLED",method="WatchExecution"})"), 1);
}

// A Polos execution is followed through its event stream too.
TEST(ObservabilityTest, WatchGaugesCountThePolosEventStream) {
  GatewayHarness h(Observed());
  polos::NewExecution n;
  n.id = "0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a01";
  n.workflow_id = "summarize";
  n.payload_json = R"({"doc":"q3"})";
  n.created_at = h.clock().Now();
  h.polos().AddExecution(std::move(n));
  grpc::ClientContext context;
  v1::WatchExecutionRequest request;
  request.set_name("backends/px/executions/0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a01");
  auto reader = h.stub().WatchExecution(&context, request);
  v1::WatchExecutionResponse first;
  ASSERT_TRUE(reader->Read(&first));
  const absl::Time until = absl::Now() + absl::Seconds(10);
  std::string text;
  do {
    text = HttpGet(h.server().admin_port(), "/metrics");
  } while (Sample(text, "execgw_watch_event_streams") != 1 && absl::Now() < until);
  EXPECT_EQ(Sample(text, "execgw_watch_event_streams"), 1) << text;
  EXPECT_EQ(Sample(text, "execgw_watch_streams"), 1);
  EXPECT_EQ(Sample(text, "execgw_watch_followers"), 1);
  context.TryCancel();
  while (reader->Read(&first)) {
  }
  reader->Finish();
}

TEST(ObservabilityTest, NoSecretInMetricsOrLogs) {
  GatewayHarness::Options o = Observed();
  o.blaxel_oauth = true;
  o.resilience.set_max_attempts(1);
  GatewayHarness h(o);
  CapturedLog log;
  h.blaxel().PutExecution("etl", "exec-1", blaxel::SimulatedScenario::kSucceed, h.clock().Now(), 1);
  v1::Execution e;
  ASSERT_TRUE(h.Get(BlaxelName("etl", "exec-1"), &e).ok());
  http::ServerResponse down;
  down.status = 500;
  down.body = absl::StrCat(R"({"error":")", h.polos().api_key(), R"("})");
  h.polos().faults().Add("get", down, -1);
  EXPECT_FALSE(h.Get("backends/px/executions/0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a01", &e).ok());
  const std::string text = HttpGet(h.server().admin_port(), "/metrics");
  EXPECT_EQ(Sample(text, R"(execgw_oauth_token_refreshes_total{backend="bx",result="ok"})"), 1)
      << text;
  AwaitRpcLines(log, 2);
  std::string all = text;
  for (const std::string& line : log.lines()) absl::StrAppend(&all, line, "\n");
  ASSERT_FALSE(log.With("upstream").empty());
  for (const std::string& secret :
       {h.blaxel().options().oauth_client_secret, h.blaxel().options().oauth_client_id,
        h.blaxel().options().api_key, h.polos().api_key()}) {
    ASSERT_FALSE(secret.empty());
    EXPECT_THAT(all, Not(HasSubstr(secret)));
  }
}

}  // namespace
}  // namespace execgw::testing

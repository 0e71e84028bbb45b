#include "adapters/http/resilient_http_client.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/cancellation.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/http/verdict.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/http/http_server.h"
#include "tests/testing/recording_http_client.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::http {
namespace {

using ::execgw::testing::RecordingHttpClient;
using ::execgw::testing::SimulatedEventLoop;
using ::testing::HasSubstr;
using ::testing::Not;
using BreakerState = CircuitBreaker::State;

constexpr absl::Duration kWait = absl::Seconds(20);
// Requests that never leave the process (SimulatedTimeTest) go here.
constexpr char kUpstream[] = "http://upstream.invalid/x";

std::unique_ptr<HttpServer> Serve(Handler handler) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = StartHttpServer(std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return std::move(server).value();
}

using Result = absl::StatusOr<HttpResponse>;

// Starts `request`; the future gets its result.
std::future<Result> SendAsync(HttpClient& client, HttpRequest request) {
  auto promise = std::make_shared<std::promise<Result>>();
  std::future<Result> future = promise->get_future();
  client.Send(std::move(request), [promise](Result r) { promise->set_value(std::move(r)); });
  return future;
}

Result Await(std::future<Result>& future) {
  if (future.wait_for(absl::ToChronoSeconds(kWait)) != std::future_status::ready) {
    ADD_FAILURE() << "no callback within " << kWait;
    return absl::InternalError("test timed out");
  }
  return future.get();
}

Result Fetch(HttpClient& client, HttpRequest request) {
  std::future<Result> future = SendAsync(client, std::move(request));
  return Await(future);
}

HttpRequest Get(std::string url, bool idempotent = true) {
  HttpRequest r;
  r.url = std::move(url);
  r.idempotent = idempotent;
  r.headers.emplace_back("Authorization", "Bearer secret-token");
  return r;
}

ServerResponse Status(int status, std::string body = "") {
  ServerResponse resp;
  resp.status = status;
  resp.body = std::move(body);
  return resp;
}

// Options with predictable waits: no jitter unless a test asks for it.
ResilienceOptions TestOptions() {
  ResilienceOptions o;
  o.backend = "testbackend";
  o.jitter = [](absl::Duration) { return absl::ZeroDuration(); };
  o.min_attempt_time = absl::Milliseconds(10);
  return o;
}

class ResilientHttpClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpClient> inner_ = NewCurlHttpClient();
};

TEST_F(ResilientHttpClientTest, RetriesServiceUnavailableUntilSuccess) {
  std::atomic<int> hits{0};
  auto server =
      Serve([&](const ServerRequest&) { return ++hits <= 2 ? Status(503) : Status(200, "ok"); });
  ResilientHttpClient client(*inner_, TestOptions());
  Result r = Fetch(client, Get(server->base_url() + "/x"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(hits.load(), 3);
  ResilienceStats s = client.stats();
  EXPECT_EQ(s.attempts, 3);
  EXPECT_EQ(s.retries, 2);
  EXPECT_EQ(s.in_flight, 0);
  EXPECT_EQ(s.breaker_state, BreakerState::kClosed);
  EXPECT_EQ(s.consecutive_failures, 0);
}

// Records what the client reports, from any thread.
class RecordingObserver : public UpstreamObserver {
 public:
  struct Seen {
    std::string route, request_id;
    int attempt, status;
    bool transient, retried;
  };
  void OnAttempt(const UpstreamAttempt& a) override {
    absl::MutexLock lock(&mu);
    attempts.push_back({std::string(a.route), std::string(a.request_id), a.attempt, a.status,
                        a.transient, a.retried});
  }
  void OnRejected(absl::string_view, absl::string_view route, absl::string_view reason) override {
    absl::MutexLock lock(&mu);
    rejected.push_back(absl::StrCat(route, " ", reason));
  }
  void OnCircuitChange(absl::string_view backend, bool open) override {
    absl::MutexLock lock(&mu);
    changes.push_back(absl::StrCat(backend, open ? " open" : " closed"));
  }
  absl::Mutex mu;
  std::vector<Seen> attempts;
  std::vector<std::string> rejected;
  std::vector<std::string> changes;
};

TEST_F(ResilientHttpClientTest, EveryAttemptCarriesTheCallsTraceWithASpanOfItsOwn) {
  absl::Mutex mu;
  std::vector<ServerRequest> seen;
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest& r) {
    {
      absl::MutexLock lock(&mu);
      seen.push_back(r);
    }
    return ++hits <= 2 ? Status(503) : Status(200, "ok");
  });
  RecordingObserver observer;
  ResilienceOptions o = TestOptions();
  o.observer = &observer;
  ResilientHttpClient client(*inner_, o);
  HttpRequest request = Get(server->base_url() + "/x");
  request.route = "GET /x";
  request.trace = std::make_shared<CallTrace>();
  request.trace->request_id = "req-7";
  request.trace->trace =
      *ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  Result r = Fetch(client, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(request.trace->upstream_requests.load(), 3);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(seen.size(), 3u);
  std::set<std::string> spans;
  for (const ServerRequest& s : seen) {
    std::map<std::string, std::string> h(s.headers.begin(), s.headers.end());
    EXPECT_EQ(h["x-request-id"], "req-7");
    ASSERT_EQ(h["traceparent"].size(), 55u);
    EXPECT_EQ(h["traceparent"].substr(0, 36), "00-4bf92f3577b34da6a3ce929d0e0e4736-");
    EXPECT_EQ(h["traceparent"].substr(52), "-01");
    spans.insert(h["traceparent"].substr(36, 16));
  }
  EXPECT_EQ(spans.size(), 3u);
  absl::MutexLock olock(&observer.mu);
  ASSERT_EQ(observer.attempts.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(observer.attempts[i].route, "GET /x");
    EXPECT_EQ(observer.attempts[i].request_id, "req-7");
    EXPECT_EQ(observer.attempts[i].attempt, i + 1);
    EXPECT_EQ(observer.attempts[i].status, i < 2 ? 503 : 200);
    EXPECT_EQ(observer.attempts[i].transient, i < 2);
    EXPECT_EQ(observer.attempts[i].retried, i < 2);
  }
}

TEST_F(ResilientHttpClientTest, TheObserverHearsTheBreakerOpenRejectAndClose) {
  std::atomic<bool> healthy{false};
  auto server = Serve([&](const ServerRequest&) { return healthy ? Status(200) : Status(500); });
  RecordingObserver observer;
  ResilienceOptions o = TestOptions();
  o.observer = &observer;
  o.max_attempts = 1;
  o.failure_threshold = 2;
  o.open_duration = absl::Milliseconds(50);
  ResilientHttpClient client(*inner_, o);
  HttpRequest request = Get(server->base_url() + "/x");
  request.route = "GET /x";
  EXPECT_EQ(Fetch(client, request)->status, 500);
  EXPECT_EQ(Fetch(client, request)->status, 500);
  EXPECT_EQ(Fetch(client, request).status().code(), absl::StatusCode::kUnavailable);
  healthy = true;
  absl::SleepFor(absl::Milliseconds(60));
  EXPECT_EQ(Fetch(client, request)->status, 200);
  absl::MutexLock lock(&observer.mu);
  EXPECT_EQ(observer.rejected, (std::vector<std::string>{"GET /x circuit_open"}));
  EXPECT_EQ(observer.changes, (std::vector<std::string>{"testbackend open", "testbackend closed"}));
  EXPECT_EQ(observer.attempts.size(), 3u);
}

TEST_F(ResilientHttpClientTest, GivesUpAfterMaxAttemptsWithTheLastResponse) {
  std::atomic<int> hits{0};
  auto server =
      Serve([&](const ServerRequest&) { return Status(502, absl::StrCat("try ", ++hits)); });
  ResilientHttpClient client(*inner_, TestOptions());
  Result r = Fetch(client, Get(server->base_url() + "/x"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->body, "try 3");
  EXPECT_EQ(hits.load(), 3);
}

TEST_F(ResilientHttpClientTest, RetriesResetConnectionAndTruncatedBody) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    ServerResponse resp = Status(200, "the whole body");
    int n = ++hits;
    if (n == 1) resp.fault = ServerResponse::Fault::kResetConnection;
    if (n == 2) resp.fault = ServerResponse::Fault::kTruncateBody;
    return resp;
  });
  ResilientHttpClient client(*inner_, TestOptions());
  Result r = Fetch(client, Get(server->base_url() + "/x"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "the whole body");
  EXPECT_EQ(hits.load(), 3);
}

TEST_F(ResilientHttpClientTest, NonIdempotentRequestIsNotRetried) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    ++hits;
    return Status(503);
  });
  ResilientHttpClient client(*inner_, TestOptions());
  HttpRequest post = Get(server->base_url() + "/create", false);
  post.method = "POST";
  post.body = "{}";
  Result r = Fetch(client, post);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(hits.load(), 1);
  EXPECT_EQ(client.stats().retries, 0);
}

TEST_F(ResilientHttpClientTest, DefinitiveAnswersAreNotRetried) {
  std::atomic<int> hits{0};
  std::atomic<int> status{501};
  auto server = Serve([&](const ServerRequest&) {
    ++hits;
    return Status(status.load());
  });
  ResilientHttpClient client(*inner_, TestOptions());
  for (int s : {501, 404, 409, 400, 200}) {
    hits = 0;
    status = s;
    Result r = Fetch(client, Get(server->base_url() + "/x"));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, s);
    EXPECT_EQ(hits.load(), 1) << s;
  }
  // None of them counts against the upstream.
  EXPECT_EQ(client.stats().consecutive_failures, 0);
}

// A classifier in the style of Polos': 500 with an empty body means "no
// such execution", a definitive answer; any other 5xx is transient.
Verdict EmptyBodyIsAnAnswer(const absl::StatusOr<HttpResponse>& outcome) {
  if (!outcome.ok()) return FailureVerdict(outcome.status(), outcome.status());
  if (outcome->status < 300) return Verdict{};
  return ErrorVerdict(outcome->body.empty() ? 404 : outcome->status,
                      absl::NotFoundError(absl::StrCat("HTTP ", outcome->status)), std::nullopt);
}

TEST_F(ResilientHttpClientTest, PerRequestClassifierStopsRetries) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    ++hits;
    return Status(500);
  });
  ResilienceOptions options = TestOptions();
  options.failure_threshold = 2;
  ResilientHttpClient client(*inner_, options);
  for (int i = 0; i < 4; ++i) {
    HttpRequest req = Get(server->base_url() + "/executions/missing");
    req.classifier = EmptyBodyIsAnAnswer;
    Result r = Fetch(client, req);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 500);
    // The verdict travels with the response: the caller reads it, not the
    // answer again.
    ASSERT_TRUE(r->verdict.has_value());
    EXPECT_EQ(r->verdict->kind, Verdict::Kind::kAnswer);
    EXPECT_EQ(r->verdict->status.code(), absl::StatusCode::kNotFound);
  }
  EXPECT_EQ(hits.load(), 4);  // one attempt each
  ResilienceStats s = client.stats();
  EXPECT_EQ(s.retries, 0);
  // A definitive answer is a healthy upstream: the breaker stays closed.
  EXPECT_EQ(s.breaker_state, BreakerState::kClosed);
  EXPECT_EQ(s.consecutive_failures, 0);
}

TEST_F(ResilientHttpClientTest, RetryAfterAboveTheCapIsNotWaitedFor) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    ++hits;
    ServerResponse resp = Status(503);
    resp.headers.emplace_back("Retry-After", "3600");
    return resp;
  });
  ResilientHttpClient client(*inner_, TestOptions());  // no deadline
  Result r = Fetch(client, Get(server->base_url() + "/x"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(hits.load(), 1);
}

TEST_F(ResilientHttpClientTest, SlowAttemptEndsAtTheDeadline) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    ServerResponse resp = Status(++hits == 1 ? 503 : 200);
    if (hits.load() > 1) resp.delay = absl::Seconds(5);
    return resp;
  });
  ResilientHttpClient client(*inner_, TestOptions());
  HttpRequest req = Get(server->base_url() + "/x");
  absl::Time start = absl::Now();
  req.deadline = start + absl::Milliseconds(300);
  Result r = Fetch(client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(hits.load(), 2);
}

TEST_F(ResilientHttpClientTest, AttemptTimeoutIsRetriedWhileTheDeadlineLeavesRoom) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    ServerResponse resp = Status(200, "late");
    if (++hits == 1) resp.delay = absl::Seconds(5);
    return resp;
  });
  ResilientHttpClient client(*inner_, TestOptions());
  HttpRequest req = Get(server->base_url() + "/x");
  absl::Time start = absl::Now();
  req.deadline = start + absl::Seconds(10);
  req.attempt_timeout = absl::Milliseconds(200);
  Result r = Fetch(client, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "late");
  EXPECT_EQ(hits.load(), 2);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(client.stats().retries, 1);
}

TEST_F(ResilientHttpClientTest, AttemptTimeoutOfAWriteIsNotRetried) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    ++hits;
    ServerResponse resp = Status(200);
    resp.delay = absl::Seconds(5);
    return resp;
  });
  ResilientHttpClient client(*inner_, TestOptions());
  HttpRequest req = Get(server->base_url() + "/x", /*idempotent=*/false);
  req.deadline = absl::Now() + absl::Seconds(10);
  req.attempt_timeout = absl::Milliseconds(200);
  Result r = Fetch(client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_TRUE(IsAttemptTimeout(r.status()));
  EXPECT_EQ(hits.load(), 1);
}

TEST_F(ResilientHttpClientTest, EveryAttemptGetsItsTimeoutAndTheLastEndsByTheDeadline) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    ++hits;
    ServerResponse resp = Status(200);
    resp.delay = absl::Seconds(5);
    return resp;
  });
  ResilienceOptions options = TestOptions();
  options.max_attempts = 10;
  ResilientHttpClient client(*inner_, options);
  HttpRequest req = Get(server->base_url() + "/x");
  absl::Time start = absl::Now();
  req.deadline = start + absl::Milliseconds(700);
  req.attempt_timeout = absl::Milliseconds(300);
  Result r = Fetch(client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  // 300 ms, 300 ms, then the 100 ms the deadline leaves.
  EXPECT_EQ(hits.load(), 3);
  EXPECT_LE(absl::Now(), req.deadline + absl::Milliseconds(100));
}

TEST_F(ResilientHttpClientTest, BodyOverTheLimitIsNotRetried) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    ++hits;
    return Status(200, std::string(1000, 'x'));
  });
  ResilienceOptions options = TestOptions();
  options.max_response_bytes = 500;
  ResilientHttpClient client(*inner_, options);
  Result r = Fetch(client, Get(server->base_url() + "/x"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_EQ(hits.load(), 1);
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kClosed);
  EXPECT_EQ(client.stats().consecutive_failures, 0);

  // A request's own limit is kept.
  HttpRequest own = Get(server->base_url() + "/x");
  own.max_response_bytes = 1000;
  EXPECT_TRUE(Fetch(client, own).ok());
}

// On simulated time: the client in front of a RecordingHttpClient that holds
// each attempt until the test answers it, both on a SimulatedEventLoop.
// Every wait (backoff, Retry-After, queue deadlines, the breaker's open
// duration) passes exactly when the test advances the loop; answers the
// client makes up itself are posted to the loop and arrive at the next
// RunPending().
class SimulatedTimeTest : public ::testing::Test {
 protected:
  struct Answer {
    std::optional<Result> result;
    int calls = 0;
    absl::Time at;  // loop time of the last call
  };

  // Starts `request`; the answer is filled in when its callback runs.
  std::shared_ptr<Answer> Start(HttpClient& client, HttpRequest request) {
    auto answer = std::make_shared<Answer>();
    client.Send(std::move(request), [answer, loop = &loop_](Result r) {
      answer->result = std::move(r);
      ++answer->calls;
      answer->at = loop->Now();
    });
    return answer;
  }

  // Answers the oldest attempt waiting upstream.
  bool Reply(int status, std::string body = "", Headers headers = {},
             absl::string_view url_part = "") {
    return upstream_.Reply(status, std::move(body), std::move(headers), url_part);
  }

  int sent() const { return static_cast<int>(upstream_.sent().size()); }
  int waiting() const { return static_cast<int>(upstream_.waiting().size()); }

  SimulatedEventLoop loop_;
  RecordingHttpClient upstream_{loop_};
  const absl::Time t0_ = loop_.Now();
};

HttpRequest SimGet(bool idempotent = true) { return Get(kUpstream, idempotent); }

TEST_F(SimulatedTimeTest, BackoffWaitsRunOnTheLoop) {
  ResilienceOptions options = TestOptions();
  options.max_attempts = 4;
  options.initial_backoff = absl::Milliseconds(100);
  options.max_backoff = absl::Milliseconds(250);
  options.jitter = [](absl::Duration ceiling) { return ceiling; };
  ResilientHttpClient client(upstream_, options);
  std::shared_ptr<Answer> answer = Start(client, SimGet());
  // Waits at the ceiling: 100 ms, 200 ms, then 250 ms (the cap).
  for (absl::Duration wait :
       {absl::Milliseconds(100), absl::Milliseconds(200), absl::Milliseconds(250)}) {
    const int before = sent();
    ASSERT_TRUE(Reply(503));
    loop_.Advance(wait - absl::Milliseconds(1));
    EXPECT_EQ(sent(), before) << "retried before " << wait;
    loop_.Advance(absl::Milliseconds(1));
    EXPECT_EQ(sent(), before + 1) << "not retried after " << wait;
  }
  ASSERT_TRUE(Reply(200, "ok"));
  ASSERT_TRUE(answer->result.has_value());
  ASSERT_TRUE(answer->result->ok()) << answer->result->status();
  EXPECT_EQ((*answer->result)->body, "ok");
  EXPECT_EQ(answer->at, t0_ + absl::Milliseconds(550));
  ResilienceStats s = client.stats();
  EXPECT_EQ(s.attempts, 4);
  EXPECT_EQ(s.retries, 3);
  EXPECT_EQ(s.in_flight, 0);
}

TEST_F(SimulatedTimeTest, HonoursRetryAfterSeconds) {
  ResilientHttpClient client(upstream_, TestOptions());  // no jitter: 0 wait
  std::shared_ptr<Answer> answer = Start(client, SimGet());
  ASSERT_TRUE(Reply(429, "", {{"Retry-After", "1"}}));
  loop_.Advance(absl::Milliseconds(999));
  EXPECT_EQ(sent(), 1);
  loop_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(sent(), 2);
  ASSERT_TRUE(Reply(200));
  ASSERT_TRUE(answer->result.has_value());
  ASSERT_TRUE(answer->result->ok()) << answer->result->status();
  EXPECT_EQ((*answer->result)->status, 200);
  EXPECT_EQ(answer->at, t0_ + absl::Seconds(1));
}

TEST_F(SimulatedTimeTest, ClassifierIsAskedOncePerAttemptAndItsRetryAfterIsWaited) {
  ResilientHttpClient client(upstream_, TestOptions());  // no jitter: 0 wait
  int asked = 0;
  HttpRequest req = SimGet();
  req.classifier = [&asked](const absl::StatusOr<HttpResponse>& outcome) {
    ++asked;
    if (outcome.ok() && outcome->status < 300) return Verdict{};
    return ErrorVerdict(503, absl::UnavailableError("busy"), absl::Milliseconds(500));
  };
  std::shared_ptr<Answer> answer = Start(client, req);
  // No Retry-After header: only the verdict says how long to wait.
  ASSERT_TRUE(Reply(503, "{}"));
  loop_.Advance(absl::Milliseconds(499));
  EXPECT_EQ(sent(), 1);
  loop_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(sent(), 2);
  ASSERT_TRUE(Reply(200, "{}"));
  ASSERT_TRUE(answer->result.has_value());
  const Result& r = *answer->result;
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(r->verdict.has_value());
  EXPECT_EQ(r->verdict->kind, Verdict::Kind::kSuccess);
  EXPECT_EQ(asked, 2);
  // Settle reuses the attached verdict: the classifier is not asked again.
  EXPECT_EQ(Settle(req.classifier, r).kind, Verdict::Kind::kSuccess);
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(answer->at, t0_ + absl::Milliseconds(500));
}

TEST_F(SimulatedTimeTest, RetryAfterBeyondTheDeadlineReturnsAtOnce) {
  ResilientHttpClient client(upstream_, TestOptions());
  HttpRequest req = SimGet();
  req.deadline = t0_ + absl::Seconds(2);
  std::shared_ptr<Answer> answer = Start(client, req);
  ASSERT_TRUE(Reply(429, "", {{"Retry-After", "5"}}));
  ASSERT_TRUE(answer->result.has_value());
  ASSERT_TRUE(answer->result->ok()) << answer->result->status();
  EXPECT_EQ((*answer->result)->status, 429);
  EXPECT_EQ(answer->at, t0_);  // no time passed
  EXPECT_EQ(sent(), 1);
  EXPECT_EQ(loop_.pending(), 0);  // no retry waiting
}

TEST_F(SimulatedTimeTest, RetriesStopBeforeTheDeadline) {
  ResilienceOptions options = TestOptions();
  options.max_attempts = 100;
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(100);
  // Waits at the ceiling: 50, 100, 100, ... ms.
  options.jitter = [](absl::Duration ceiling) { return ceiling; };
  ResilientHttpClient client(upstream_, options);
  HttpRequest req = SimGet();
  req.deadline = t0_ + absl::Milliseconds(400);
  std::shared_ptr<Answer> answer = Start(client, req);
  for (int i = 1; !answer->result.has_value() && i <= 100; ++i) {
    ASSERT_EQ(waiting(), 1);
    ASSERT_TRUE(Reply(503, absl::StrCat("try ", i)));
    if (answer->result.has_value()) break;
    ASSERT_TRUE(loop_.next_due().has_value());
    loop_.AdvanceTo(*loop_.next_due());
  }
  // Attempts at 0, 50, 150, 250 and 350 ms; a wait of 100 ms more would
  // leave less than min_attempt_time before the deadline.
  EXPECT_EQ(sent(), 5);
  EXPECT_EQ(answer->at, t0_ + absl::Milliseconds(350));
  // The last answer comes back as is, not a made-up timeout.
  ASSERT_TRUE(answer->result.has_value());
  ASSERT_TRUE(answer->result->ok()) << answer->result->status();
  EXPECT_EQ((*answer->result)->status, 503);
  EXPECT_EQ((*answer->result)->body, "try 5");
}

TEST_F(SimulatedTimeTest, CancellationDuringBackoffEndsPromptly) {
  ResilienceOptions options = TestOptions();
  options.initial_backoff = absl::Seconds(30);
  options.max_backoff = absl::Seconds(30);
  options.jitter = [](absl::Duration ceiling) { return ceiling; };
  ResilientHttpClient client(upstream_, options);
  HttpRequest req = SimGet();
  req.cancellation = std::make_shared<Cancellation>();
  std::shared_ptr<Cancellation> cancellation = req.cancellation;
  std::shared_ptr<Answer> answer = Start(client, req);
  ASSERT_TRUE(Reply(503));
  // Waiting to retry.
  EXPECT_FALSE(answer->result.has_value());
  EXPECT_EQ(client.stats().in_flight, 0);
  EXPECT_EQ(loop_.next_due(), t0_ + absl::Seconds(30));
  cancellation->Cancel();
  // Answered right away, no time passing.
  ASSERT_TRUE(answer->result.has_value());
  EXPECT_EQ(answer->result->status().code(), absl::StatusCode::kCancelled)
      << answer->result->status();
  EXPECT_EQ(answer->at, t0_);
  loop_.Advance(absl::Minutes(1));
  EXPECT_EQ(sent(), 1);
  EXPECT_EQ(answer->calls, 1);
}

TEST_F(SimulatedTimeTest, LoopShutdownDuringBackoffAnswersOnce) {
  ResilienceOptions options = TestOptions();
  options.initial_backoff = absl::Seconds(30);
  options.max_backoff = absl::Seconds(30);
  options.jitter = [](absl::Duration ceiling) { return ceiling; };
  std::shared_ptr<Answer> answer;
  {
    ResilientHttpClient client(upstream_, options);
    answer = Start(client, SimGet());
    ASSERT_TRUE(Reply(503));
    EXPECT_EQ(loop_.pending(), 1);
  }
  loop_.Shutdown();
  // The backoff timer runs early at shutdown; the resilient client is gone
  // by then, so no retry is made and the caller gets the last answer.
  ASSERT_TRUE(answer->result.has_value());
  ASSERT_TRUE(answer->result->ok()) << answer->result->status();
  EXPECT_EQ((*answer->result)->status, 503);
  EXPECT_EQ(answer->at, t0_);
  EXPECT_EQ(sent(), 1);
  EXPECT_EQ(answer->calls, 1);
}

TEST_F(SimulatedTimeTest, ConcurrencyLimitQueuesTheRest) {
  ResilienceOptions options = TestOptions();
  options.max_in_flight = 2;
  ResilientHttpClient client(upstream_, options);
  std::vector<std::shared_ptr<Answer>> answers;
  for (int i = 0; i < 5; ++i) answers.push_back(Start(client, SimGet()));
  ResilienceStats s = client.stats();
  EXPECT_EQ(s.in_flight, 2);
  EXPECT_EQ(s.queue_length, 3);
  for (int i = 0; i < 5; ++i) {
    EXPECT_LE(waiting(), 2);
    ASSERT_TRUE(Reply(200));
  }
  for (const std::shared_ptr<Answer>& a : answers) {
    ASSERT_TRUE(a->result.has_value());
    ASSERT_TRUE(a->result->ok()) << a->result->status();
    EXPECT_EQ((*a->result)->status, 200);
  }
  EXPECT_EQ(sent(), 5);
  s = client.stats();
  EXPECT_EQ(s.in_flight, 0);
  EXPECT_EQ(s.queue_length, 0);
}

TEST_F(SimulatedTimeTest, QueuedRequestTimesOutWithDeadlineExceeded) {
  ResilienceOptions options = TestOptions();
  options.max_in_flight = 1;
  ResilientHttpClient client(upstream_, options);
  std::shared_ptr<Answer> first = Start(client, SimGet());
  HttpRequest second_request = SimGet();
  second_request.deadline = t0_ + absl::Milliseconds(200);
  std::shared_ptr<Answer> second = Start(client, second_request);
  loop_.Advance(absl::Milliseconds(199));
  EXPECT_FALSE(second->result.has_value());
  loop_.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(second->result.has_value());
  const absl::Status& status = second->result->status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(), HasSubstr("concurrency limit"));
  EXPECT_THAT(status.message(), HasSubstr("testbackend"));
  EXPECT_THAT(status.message(), HasSubstr("after waiting 200ms in the queue"));
  EXPECT_THAT(status.message(), Not(HasSubstr("secret-token")));
  EXPECT_EQ(second->at, t0_ + absl::Milliseconds(200));
  EXPECT_EQ(client.stats().queue_timeouts, 1);
  ASSERT_TRUE(Reply(200));
  ASSERT_TRUE(first->result.has_value());
  EXPECT_TRUE(first->result->ok());
  EXPECT_EQ(sent(), 1);  // the second never went upstream
}

TEST_F(SimulatedTimeTest, FullQueueFailsAtOnceWithResourceExhausted) {
  ResilienceOptions options = TestOptions();
  options.max_in_flight = 1;
  options.max_queued = 1;
  ResilientHttpClient client(upstream_, options);
  std::shared_ptr<Answer> first = Start(client, SimGet());
  std::shared_ptr<Answer> second = Start(client, SimGet());
  std::shared_ptr<Answer> third = Start(client, SimGet());
  loop_.RunPending();
  ASSERT_TRUE(third->result.has_value());
  EXPECT_EQ(third->result->status().code(), absl::StatusCode::kResourceExhausted)
      << third->result->status();
  EXPECT_THAT(third->result->status().message(), HasSubstr("queue full"));
  EXPECT_EQ(third->at, t0_);
  EXPECT_EQ(client.stats().rejected_queue_full, 1);
  ASSERT_TRUE(Reply(200));
  ASSERT_TRUE(Reply(200));
  ASSERT_TRUE(first->result.has_value() && second->result.has_value());
  EXPECT_TRUE(first->result->ok());
  EXPECT_TRUE(second->result->ok());
  EXPECT_EQ(sent(), 2);
}

TEST_F(SimulatedTimeTest, CancellingAQueuedRequestEndsItPromptly) {
  ResilienceOptions options = TestOptions();
  options.max_in_flight = 1;
  ResilientHttpClient client(upstream_, options);
  std::shared_ptr<Answer> first = Start(client, SimGet());
  HttpRequest second_request = SimGet();
  second_request.cancellation = std::make_shared<Cancellation>();
  std::shared_ptr<Cancellation> cancellation = second_request.cancellation;
  std::shared_ptr<Answer> second = Start(client, second_request);
  EXPECT_EQ(client.stats().queue_length, 1);
  cancellation->Cancel();
  loop_.RunPending();
  ASSERT_TRUE(second->result.has_value());
  EXPECT_EQ(second->result->status().code(), absl::StatusCode::kCancelled)
      << second->result->status();
  EXPECT_EQ(second->at, t0_);
  EXPECT_EQ(client.stats().queue_length, 0);
  ASSERT_TRUE(Reply(200));
  ASSERT_TRUE(first->result.has_value());
  EXPECT_TRUE(first->result->ok());
  EXPECT_EQ(sent(), 1);
}

TEST_F(SimulatedTimeTest, DestroyingTheClientCancelsQueuedRequests) {
  ResilienceOptions options = TestOptions();
  options.max_in_flight = 1;
  std::shared_ptr<Answer> first;
  std::shared_ptr<Answer> queued;
  {
    ResilientHttpClient client(upstream_, options);
    first = Start(client, SimGet());
    queued = Start(client, SimGet());
  }
  loop_.RunPending();
  ASSERT_TRUE(queued->result.has_value());
  EXPECT_EQ(queued->result->status().code(), absl::StatusCode::kCancelled)
      << queued->result->status();
  // Already upstream: finishes normally.
  ASSERT_TRUE(Reply(200));
  ASSERT_TRUE(first->result.has_value());
  EXPECT_TRUE(first->result->ok());
  EXPECT_EQ(sent(), 1);
}

TEST_F(SimulatedTimeTest, StreamsTakeNoSlot) {
  ResilienceOptions options = TestOptions();
  options.max_in_flight = 1;
  options.max_queued = 0;
  ResilientHttpClient client(upstream_, options);
  std::optional<absl::Status> stream_done;
  StreamCallbacks cb;
  cb.on_done = [&](Result r) { stream_done = r.status(); };
  client.Stream(SimGet(), std::move(cb));
  std::optional<StreamCallbacks> stream = upstream_.TakeStream();
  ASSERT_TRUE(stream.has_value());
  ASSERT_TRUE(stream->on_headers(200, {}));
  // With the only slot taken and no queue, a unary call would be refused.
  std::shared_ptr<Answer> unary = Start(client, SimGet());
  ASSERT_TRUE(Reply(200));
  ASSERT_TRUE(unary->result.has_value());
  ASSERT_TRUE(unary->result->ok()) << unary->result->status();
  EXPECT_EQ((*unary->result)->status, 200);
  std::move(stream->on_done)(HttpResponse{});
  ASSERT_TRUE(stream_done.has_value());
  EXPECT_TRUE(stream_done->ok()) << *stream_done;
  ResilienceStats s = client.stats();
  EXPECT_EQ(s.streams, 1);
  EXPECT_EQ(s.attempts, 1);
}

class CircuitBreakerBehaviourTest : public SimulatedTimeTest {
 protected:
  ResilienceOptions Options() {
    ResilienceOptions o = TestOptions();
    o.failure_threshold = 3;
    o.open_duration = absl::Seconds(5);
    return o;
  }

  // Fails `n` non-idempotent calls with 500 (no retries muddle the count).
  void FailCalls(HttpClient& client, int n) {
    for (int i = 0; i < n; ++i) {
      std::shared_ptr<Answer> a = Start(client, SimGet(false));
      ASSERT_TRUE(Reply(500));
      ASSERT_TRUE(a->result.has_value());
      ASSERT_TRUE(a->result->ok()) << a->result->status();
      ASSERT_EQ((*a->result)->status, 500);
    }
  }

  // A call the client answers itself (posted to the loop).
  Result FailedFast(HttpClient& client, HttpRequest request) {
    std::shared_ptr<Answer> a = Start(client, std::move(request));
    loop_.RunPending();
    if (!a->result.has_value()) {
      ADD_FAILURE() << "not answered without the upstream";
      return absl::InternalError("no answer");
    }
    return *a->result;
  }
};

TEST_F(CircuitBreakerBehaviourTest, OpensFailsFastThenProbesAndCloses) {
  ResilientHttpClient client(upstream_, Options());
  FailCalls(client, 3);
  EXPECT_EQ(sent(), 3);
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kOpen);

  Result r = FailedFast(client, SimGet());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("circuit open"));
  EXPECT_THAT(r.status().message(), HasSubstr("testbackend"));
  EXPECT_THAT(r.status().message(), HasSubstr("retry after 5s"));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("secret-token")));
  EXPECT_EQ(sent(), 3);  // no network
  EXPECT_EQ(client.stats().rejected_circuit_open, 1);

  loop_.Advance(absl::Seconds(4));
  EXPECT_EQ(FailedFast(client, SimGet()).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(sent(), 3);

  loop_.Advance(absl::Seconds(1));
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kHalfOpen);
  std::shared_ptr<Answer> probe = Start(client, SimGet());
  ASSERT_TRUE(Reply(200));
  ASSERT_TRUE(probe->result.has_value());
  ASSERT_TRUE(probe->result->ok()) << probe->result->status();
  EXPECT_EQ((*probe->result)->status, 200);
  EXPECT_EQ(sent(), 4);
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kClosed);
  std::shared_ptr<Answer> after = Start(client, SimGet());
  ASSERT_TRUE(Reply(200));
  ASSERT_TRUE(after->result.has_value());
  ASSERT_TRUE(after->result->ok()) << after->result->status();
  EXPECT_EQ(sent(), 5);
}

// A hung upstream (it takes the request and never answers) opens the
// circuit even when every caller's deadline is shorter than the request
// timeout: an attempt unanswered for slow_attempt when the deadline ends
// it is a failure. Attempts ended sooner by their deadline are neutral.
TEST_F(CircuitBreakerBehaviourTest, AttemptsLeftUnansweredPastSlowAttemptOpenTheCircuit) {
  ResilienceOptions options = Options();
  options.slow_attempt = absl::Seconds(1);
  ResilientHttpClient client(upstream_, options);
  auto unanswered_until = [&](absl::Duration deadline) {
    HttpRequest request = SimGet(false);
    request.deadline = loop_.Now() + deadline;
    std::shared_ptr<Answer> a = Start(client, std::move(request));
    loop_.Advance(deadline);
    EXPECT_TRUE(a->result.has_value());
    if (a->result.has_value()) {
      EXPECT_EQ(a->result->status().code(), absl::StatusCode::kDeadlineExceeded);
    }
  };
  // Short deadlines (under slow_attempt) say nothing about the upstream.
  for (int i = 0; i < 5; ++i) unanswered_until(absl::Milliseconds(900));
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kClosed);
  EXPECT_EQ(client.stats().consecutive_failures, 0);
  // Deadlines of 2 s, each attempt unanswered past 1 s: three failures.
  for (int i = 0; i < 3; ++i) unanswered_until(absl::Seconds(2));
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kOpen);
  EXPECT_EQ(sent(), 8);
  // The next caller fails fast instead of waiting out its deadline.
  Result r = FailedFast(client, SimGet());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(sent(), 8);
}

// A caller that gives up (cancels) after waiting slow_attempt counts its
// unanswered attempt as a failure too; one that cancels at once does not.
TEST_F(CircuitBreakerBehaviourTest, ACancelAfterSlowAttemptCountsAFailure) {
  ResilienceOptions options = Options();
  options.slow_attempt = absl::Seconds(1);
  options.failure_threshold = 1;
  ResilientHttpClient client(upstream_, options);
  auto cancelled_after = [&](absl::Duration wait) {
    HttpRequest request = SimGet(false);
    request.cancellation = std::make_shared<Cancellation>();
    std::shared_ptr<Cancellation> cancel = request.cancellation;
    std::shared_ptr<Answer> a = Start(client, std::move(request));
    loop_.Advance(wait);
    cancel->Cancel();
    loop_.RunPending();
    EXPECT_TRUE(a->result.has_value());
  };
  cancelled_after(absl::Milliseconds(100));
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kClosed);
  cancelled_after(absl::Milliseconds(1500));
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kOpen);
}

TEST_F(CircuitBreakerBehaviourTest, OneProbeAtATimeAndAFailedProbeReopens) {
  ResilientHttpClient client(upstream_, Options());
  FailCalls(client, 3);
  loop_.Advance(absl::Seconds(5));
  std::shared_ptr<Answer> probe = Start(client, SimGet(false));
  EXPECT_EQ(waiting(), 1);
  // While the probe is out everything else fails fast.
  Result other = FailedFast(client, SimGet());
  EXPECT_EQ(other.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(other.status().message(), HasSubstr("probe"));
  ASSERT_TRUE(Reply(500));
  ASSERT_TRUE(probe->result.has_value());
  ASSERT_TRUE(probe->result->ok()) << probe->result->status();
  EXPECT_EQ((*probe->result)->status, 500);
  EXPECT_EQ(sent(), 4);
  ResilienceStats s = client.stats();
  EXPECT_EQ(s.breaker_state, BreakerState::kOpen);
  EXPECT_EQ(FailedFast(client, SimGet()).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(sent(), 4);
}

TEST_F(CircuitBreakerBehaviourTest, ClientErrorsKeepTheCircuitClosed) {
  ResilientHttpClient client(upstream_, Options());
  FailCalls(client, 2);
  std::shared_ptr<Answer> not_found = Start(client, SimGet());
  ASSERT_TRUE(Reply(404));
  ASSERT_TRUE(not_found->result.has_value());
  ASSERT_TRUE(not_found->result->ok());
  FailCalls(client, 2);
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kClosed);
  EXPECT_EQ(client.stats().consecutive_failures, 2);
}

TEST_F(CircuitBreakerBehaviourTest, RetriesCountAsFailuresAndStopWhenOpen) {
  ResilienceOptions options = Options();
  options.max_attempts = 10;
  ResilientHttpClient client(upstream_, options);
  std::shared_ptr<Answer> answer = Start(client, SimGet());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Reply(503)) << "attempt " << i + 1;
    loop_.RunPending();  // the retry, after a wait of 0
  }
  // The breaker opened after the third failure; the retry that found it
  // open returned the last answer.
  ASSERT_TRUE(answer->result.has_value());
  ASSERT_TRUE(answer->result->ok()) << answer->result->status();
  EXPECT_EQ((*answer->result)->status, 503);
  EXPECT_EQ(sent(), 3);
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kOpen);
}

TEST_F(CircuitBreakerBehaviourTest, OpenCircuitFailsStreamsFast) {
  ResilientHttpClient client(upstream_, Options());
  FailCalls(client, 3);
  std::optional<absl::Status> done;
  StreamCallbacks cb;
  bool headers = false;
  cb.on_headers = [&](int, const Headers&) { return headers = true; };
  cb.on_done = [&](Result r) { done = r.status(); };
  client.Stream(SimGet(), std::move(cb));
  loop_.RunPending();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->code(), absl::StatusCode::kUnavailable) << *done;
  EXPECT_FALSE(headers);
  EXPECT_FALSE(upstream_.TakeStream().has_value());  // never went upstream
  EXPECT_EQ(sent(), 3);
}

TEST_F(SimulatedTimeTest, OneBackendDownDoesNotStopAnother) {
  ResilienceOptions down_options = TestOptions();
  down_options.backend = "down";
  down_options.failure_threshold = 2;
  ResilienceOptions up_options = down_options;
  up_options.backend = "up";
  // Both in front of the same shared client.
  ResilientHttpClient down(upstream_, down_options);
  ResilientHttpClient up(upstream_, up_options);

  for (int i = 0; i < 2; ++i) {
    std::shared_ptr<Answer> a = Start(down, Get(absl::StrCat(kUpstream, "/down"), false));
    ASSERT_TRUE(Reply(500));
    ASSERT_TRUE(a->result.has_value());
    ASSERT_TRUE(a->result->ok()) << a->result->status();
  }
  EXPECT_EQ(down.stats().breaker_state, BreakerState::kOpen);
  std::shared_ptr<Answer> refused = Start(down, Get(absl::StrCat(kUpstream, "/down")));
  loop_.RunPending();
  ASSERT_TRUE(refused->result.has_value());
  EXPECT_EQ(refused->result->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused->result->status().message(), HasSubstr("\"down\""));
  EXPECT_EQ(upstream_.sent_to("/x/down").size(), 2u);

  for (int i = 0; i < 5; ++i) {
    std::shared_ptr<Answer> ok = Start(up, Get(absl::StrCat(kUpstream, "/up")));
    ASSERT_TRUE(Reply(200));
    ASSERT_TRUE(ok->result.has_value());
    ASSERT_TRUE(ok->result->ok()) << ok->result->status();
    EXPECT_EQ((*ok->result)->status, 200);
  }
  EXPECT_EQ(upstream_.sent_to("/x/up").size(), 5u);
  EXPECT_EQ(up.stats().breaker_state, BreakerState::kClosed);
}

TEST_F(SimulatedTimeTest, ADifferentLoopTimesTheClient) {
  // The inner client's loop is not the one the client times on.
  SimulatedEventLoop other;
  ResilienceOptions options = TestOptions();
  options.initial_backoff = absl::Seconds(1);
  options.max_backoff = absl::Seconds(1);
  options.jitter = [](absl::Duration ceiling) { return ceiling; };
  ResilientHttpClient client(upstream_, other, options);
  EXPECT_EQ(&client.loop(), &other);
  std::shared_ptr<Answer> answer = Start(client, SimGet());
  ASSERT_TRUE(Reply(503));
  loop_.Advance(absl::Seconds(1));
  EXPECT_EQ(sent(), 1);  // the backoff wait is on `other`
  other.Advance(absl::Seconds(1));
  EXPECT_EQ(sent(), 2);
  ASSERT_TRUE(Reply(200));
  ASSERT_TRUE(answer->result.has_value());
  EXPECT_TRUE(answer->result->ok());
}

}  // namespace
}  // namespace execgw::http

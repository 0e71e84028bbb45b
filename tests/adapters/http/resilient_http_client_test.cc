#include "adapters/http/resilient_http_client.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/cancellation.h"
#include "adapters/clock.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/http/verdict.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/http/http_server.h"

namespace execgw::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using BreakerState = CircuitBreaker::State;

constexpr absl::Duration kWait = absl::Seconds(20);

std::unique_ptr<HttpServer> Serve(Handler handler) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      StartHttpServer(std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return std::move(server).value();
}

using Result = absl::StatusOr<HttpResponse>;

// Starts `request`; the future gets its result.
std::future<Result> SendAsync(HttpClient& client, HttpRequest request) {
  auto promise = std::make_shared<std::promise<Result>>();
  std::future<Result> future = promise->get_future();
  client.Send(std::move(request),
              [promise](Result r) { promise->set_value(std::move(r)); });
  return future;
}

Result Await(std::future<Result>& future) {
  if (future.wait_for(absl::ToChronoSeconds(kWait)) !=
      std::future_status::ready) {
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

// Waits (bounded) until `condition` holds; for observing the client from
// the test thread.
template <typename F>
bool Eventually(F condition) {
  absl::Time give_up = absl::Now() + kWait;
  while (!condition()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
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
  auto server = Serve([&](const ServerRequest&) {
    return ++hits <= 2 ? Status(503) : Status(200, "ok");
  });
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

TEST_F(ResilientHttpClientTest, GivesUpAfterMaxAttemptsWithTheLastResponse) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    return Status(502, absl::StrCat("try ", ++hits));
  });
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

TEST_F(ResilientHttpClientTest, ClassifierIsAskedOncePerAttemptAndItsRetryAfterIsWaited) {
  absl::Mutex mu;
  std::vector<absl::Time> arrivals;
  auto server = Serve([&](const ServerRequest&) {
    absl::MutexLock lock(&mu);
    arrivals.push_back(absl::Now());
    // No Retry-After header: only the verdict says how long to wait.
    return Status(arrivals.size() == 1 ? 503 : 200, "{}");
  });
  ResilientHttpClient client(*inner_, TestOptions());  // no jitter: 0 wait
  std::atomic<int> asked{0};
  HttpRequest req = Get(server->base_url() + "/x");
  req.classifier = [&asked](const absl::StatusOr<HttpResponse>& outcome) {
    ++asked;
    if (outcome.ok() && outcome->status < 300) return Verdict{};
    return ErrorVerdict(503, absl::UnavailableError("busy"), absl::Milliseconds(500));
  };
  Result r = Fetch(client, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(r->verdict.has_value());
  EXPECT_EQ(r->verdict->kind, Verdict::Kind::kSuccess);
  EXPECT_EQ(asked.load(), 2);
  // Settle reuses the attached verdict: the classifier is not asked again.
  EXPECT_EQ(Settle(req.classifier, r).kind, Verdict::Kind::kSuccess);
  EXPECT_EQ(asked.load(), 2);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(arrivals.size(), 2u);
  EXPECT_GE(arrivals[1] - arrivals[0], absl::Milliseconds(490));
}

TEST_F(ResilientHttpClientTest, HonoursRetryAfterSeconds) {
  absl::Mutex mu;
  std::vector<absl::Time> arrivals;
  auto server = Serve([&](const ServerRequest&) {
    absl::MutexLock lock(&mu);
    arrivals.push_back(absl::Now());
    if (arrivals.size() == 1) {
      ServerResponse resp = Status(429);
      resp.headers.emplace_back("Retry-After", "1");
      return resp;
    }
    return Status(200);
  });
  ResilientHttpClient client(*inner_, TestOptions());  // no jitter: 0 wait
  Result r = Fetch(client, Get(server->base_url() + "/x"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(arrivals.size(), 2u);
  absl::Duration gap = arrivals[1] - arrivals[0];
  EXPECT_GE(gap, absl::Milliseconds(990));
  EXPECT_LT(gap, absl::Seconds(5));
}

TEST_F(ResilientHttpClientTest, RetryAfterBeyondTheDeadlineReturnsAtOnce) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    ++hits;
    ServerResponse resp = Status(429);
    resp.headers.emplace_back("Retry-After", "5");
    return resp;
  });
  ResilientHttpClient client(*inner_, TestOptions());
  HttpRequest req = Get(server->base_url() + "/x");
  absl::Time start = absl::Now();
  req.deadline = start + absl::Seconds(2);
  Result r = Fetch(client, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 429);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(hits.load(), 1);
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

TEST_F(ResilientHttpClientTest, RetriesStopBeforeTheDeadline) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    return Status(503, absl::StrCat("try ", ++hits));
  });
  ResilienceOptions options = TestOptions();
  options.max_attempts = 100;
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(100);
  // Waits at the ceiling: 50, 100, 100, ... ms.
  options.jitter = [](absl::Duration ceiling) { return ceiling; };
  ResilientHttpClient client(*inner_, options);
  HttpRequest req = Get(server->base_url() + "/x");
  absl::Time start = absl::Now();
  req.deadline = start + absl::Milliseconds(400);
  Result r = Fetch(client, req);
  absl::Time end = absl::Now();
  EXPECT_LE(end, req.deadline + absl::Milliseconds(100));
  // The last answer comes back as is, not a made-up timeout.
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, absl::StrCat("try ", hits.load()));
  EXPECT_GE(hits.load(), 3);
  EXPECT_LE(hits.load(), 5);
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
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
      << r.status();
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
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
      << r.status();
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
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
      << r.status();
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
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted)
      << r.status();
  EXPECT_EQ(hits.load(), 1);
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kClosed);
  EXPECT_EQ(client.stats().consecutive_failures, 0);

  // A request's own limit is kept.
  HttpRequest own = Get(server->base_url() + "/x");
  own.max_response_bytes = 1000;
  EXPECT_TRUE(Fetch(client, own).ok());
}

TEST_F(ResilientHttpClientTest, CancellationDuringBackoffEndsPromptly) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    ++hits;
    return Status(503);
  });
  ResilienceOptions options = TestOptions();
  options.initial_backoff = absl::Seconds(30);
  options.max_backoff = absl::Seconds(30);
  options.jitter = [](absl::Duration ceiling) { return ceiling; };
  ResilientHttpClient client(*inner_, options);
  HttpRequest req = Get(server->base_url() + "/x");
  req.cancellation = std::make_shared<Cancellation>();
  std::shared_ptr<Cancellation> cancellation = req.cancellation;
  std::future<Result> future = SendAsync(client, req);
  ASSERT_TRUE(Eventually(
      [&] { return hits.load() == 1 && client.stats().in_flight == 0; }));
  EXPECT_EQ(future.wait_for(std::chrono::milliseconds(0)),
            std::future_status::timeout);  // waiting to retry
  absl::Time cancelled_at = absl::Now();
  cancellation->Cancel();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(2)),
            std::future_status::ready);
  EXPECT_LT(absl::Now() - cancelled_at, absl::Seconds(1));
  Result r = future.get();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  EXPECT_EQ(hits.load(), 1);
}

TEST_F(ResilientHttpClientTest, InnerClientShutdownDuringBackoffAnswersOnce) {
  std::atomic<int> hits{0};
  auto server = Serve([&](const ServerRequest&) {
    ++hits;
    return Status(503);
  });
  ResilienceOptions options = TestOptions();
  options.initial_backoff = absl::Seconds(30);
  options.max_backoff = absl::Seconds(30);
  options.jitter = [](absl::Duration ceiling) { return ceiling; };
  std::atomic<int> answers{0};
  absl::Notification answered;
  absl::Status status;
  int http_status = 0;
  {
    ResilientHttpClient client(*inner_, options);
    client.Send(Get(server->base_url() + "/x"), [&](Result r) {
      status = r.status();
      if (r.ok()) http_status = r->status;
      ++answers;
      answered.Notify();
    });
    ASSERT_TRUE(Eventually(
        [&] { return hits.load() == 1 && client.stats().in_flight == 0; }));
  }
  inner_.reset();
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(kWait));
  // The backoff timer runs early at shutdown; the resilient client is gone
  // by then, so no retry is made and the caller gets the last answer.
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(http_status, 503);
  EXPECT_EQ(hits.load(), 1);
  EXPECT_EQ(answers.load(), 1);
}

// A handler that answers slowly and records how many requests it saw at once.
class ConcurrencyProbe {
 public:
  explicit ConcurrencyProbe(absl::Duration delay) : delay_(delay) {}
  ServerResponse Handle(const ServerRequest&) {
    int now = ++current_;
    int seen = max_.load();
    while (now > seen && !max_.compare_exchange_weak(seen, now)) {
    }
    ++total_;
    absl::SleepFor(delay_);
    --current_;
    return Status(200);
  }
  int max() const { return max_.load(); }
  int total() const { return total_.load(); }

 private:
  const absl::Duration delay_;
  std::atomic<int> current_{0};
  std::atomic<int> max_{0};
  std::atomic<int> total_{0};
};

TEST_F(ResilientHttpClientTest, ConcurrencyLimitQueuesTheRest) {
  ConcurrencyProbe probe(absl::Milliseconds(200));
  auto server = Serve([&](const ServerRequest& r) { return probe.Handle(r); });
  ResilienceOptions options = TestOptions();
  options.max_in_flight = 2;
  ResilientHttpClient client(*inner_, options);
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 5; ++i) {
    futures.push_back(SendAsync(client, Get(server->base_url() + "/slow")));
  }
  ResilienceStats s = client.stats();
  EXPECT_EQ(s.in_flight, 2);
  EXPECT_EQ(s.queue_length, 3);
  for (std::future<Result>& f : futures) {
    Result r = Await(f);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(probe.total(), 5);
  EXPECT_EQ(probe.max(), 2);
  s = client.stats();
  EXPECT_EQ(s.in_flight, 0);
  EXPECT_EQ(s.queue_length, 0);
}

TEST_F(ResilientHttpClientTest, QueuedRequestTimesOutWithDeadlineExceeded) {
  ConcurrencyProbe probe(absl::Seconds(1));
  auto server = Serve([&](const ServerRequest& r) { return probe.Handle(r); });
  ResilienceOptions options = TestOptions();
  options.max_in_flight = 1;
  ResilientHttpClient client(*inner_, options);
  std::future<Result> first =
      SendAsync(client, Get(server->base_url() + "/slow"));
  HttpRequest second = Get(server->base_url() + "/slow");
  absl::Time start = absl::Now();
  second.deadline = start + absl::Milliseconds(200);
  Result r = Fetch(client, second);
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
      << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("concurrency limit"));
  EXPECT_THAT(r.status().message(), HasSubstr("testbackend"));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("secret-token")));
  EXPECT_GE(took, absl::Milliseconds(150));
  EXPECT_LT(took, absl::Milliseconds(800));
  EXPECT_EQ(client.stats().queue_timeouts, 1);
  ASSERT_TRUE(Await(first).ok());
  EXPECT_EQ(probe.total(), 1);  // the second never reached the server
}

TEST_F(ResilientHttpClientTest, FullQueueFailsAtOnceWithResourceExhausted) {
  ConcurrencyProbe probe(absl::Milliseconds(500));
  auto server = Serve([&](const ServerRequest& r) { return probe.Handle(r); });
  ResilienceOptions options = TestOptions();
  options.max_in_flight = 1;
  options.max_queued = 1;
  ResilientHttpClient client(*inner_, options);
  std::future<Result> first = SendAsync(client, Get(server->base_url() + "/a"));
  std::future<Result> second =
      SendAsync(client, Get(server->base_url() + "/b"));
  absl::Time start = absl::Now();
  Result third = Fetch(client, Get(server->base_url() + "/c"));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(300));
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted)
      << third.status();
  EXPECT_THAT(third.status().message(), HasSubstr("queue full"));
  EXPECT_EQ(client.stats().rejected_queue_full, 1);
  EXPECT_TRUE(Await(first).ok());
  EXPECT_TRUE(Await(second).ok());
  EXPECT_EQ(probe.total(), 2);
}

TEST_F(ResilientHttpClientTest, CancellingAQueuedRequestEndsItPromptly) {
  ConcurrencyProbe probe(absl::Seconds(1));
  auto server = Serve([&](const ServerRequest& r) { return probe.Handle(r); });
  ResilienceOptions options = TestOptions();
  options.max_in_flight = 1;
  ResilientHttpClient client(*inner_, options);
  std::future<Result> first = SendAsync(client, Get(server->base_url() + "/a"));
  HttpRequest second = Get(server->base_url() + "/b");
  second.cancellation = std::make_shared<Cancellation>();
  std::shared_ptr<Cancellation> cancellation = second.cancellation;
  std::future<Result> pending = SendAsync(client, second);
  EXPECT_EQ(client.stats().queue_length, 1);
  absl::Time start = absl::Now();
  cancellation->Cancel();
  Result r = Await(pending);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  EXPECT_EQ(client.stats().queue_length, 0);
  EXPECT_TRUE(Await(first).ok());
  EXPECT_EQ(probe.total(), 1);
}

TEST_F(ResilientHttpClientTest, DestroyingTheClientCancelsQueuedRequests) {
  ConcurrencyProbe probe(absl::Milliseconds(300));
  auto server = Serve([&](const ServerRequest& r) { return probe.Handle(r); });
  ResilienceOptions options = TestOptions();
  options.max_in_flight = 1;
  std::future<Result> first;
  std::future<Result> queued;
  {
    ResilientHttpClient client(*inner_, options);
    first = SendAsync(client, Get(server->base_url() + "/a"));
    queued = SendAsync(client, Get(server->base_url() + "/b"));
  }
  Result r = Await(queued);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  EXPECT_TRUE(Await(first).ok());  // already upstream: finishes normally
  EXPECT_EQ(probe.total(), 1);
}

TEST_F(ResilientHttpClientTest, StreamsTakeNoSlot) {
  absl::Notification stream_open;
  auto server = Serve([&](const ServerRequest& req) {
    ServerResponse resp;
    if (req.path == "/events") {
      resp.stream = [&](ServerStream& s) {
        s.Write("data: 1\n\n");
        stream_open.Notify();
        s.Sleep(absl::Seconds(1));
      };
    }
    return resp;
  });
  ResilienceOptions options = TestOptions();
  options.max_in_flight = 1;
  options.max_queued = 0;
  ResilientHttpClient client(*inner_, options);
  std::promise<absl::Status> stream_done;
  StreamCallbacks cb;
  cb.on_done = [&](Result r) { stream_done.set_value(r.status()); };
  client.Stream(Get(server->base_url() + "/events"), std::move(cb));
  ASSERT_TRUE(stream_open.WaitForNotificationWithTimeout(kWait));
  // With the only slot taken and no queue, a unary call would be refused.
  Result r = Fetch(client, Get(server->base_url() + "/unary"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(stream_done.get_future().get().ok());
  ResilienceStats s = client.stats();
  EXPECT_EQ(s.streams, 1);
  EXPECT_EQ(s.attempts, 1);
}

class CircuitBreakerBehaviourTest : public ResilientHttpClientTest {
 protected:
  CircuitBreakerBehaviourTest()
      : server_(Serve([this](const ServerRequest& req) {
          ++hits_;
          ServerResponse resp = Status(status_.load());
          resp.delay = absl::Milliseconds(delay_ms_.load());
          return resp;
        })) {}

  ResilienceOptions Options() {
    ResilienceOptions o = TestOptions();
    o.failure_threshold = 3;
    o.open_duration = absl::Seconds(5);
    o.clock = &clock_;
    return o;
  }

  // Fails `n` non-idempotent calls with 500 (no retries muddle the count).
  void FailCalls(HttpClient& client, int n) {
    status_ = 500;
    for (int i = 0; i < n; ++i) {
      Result r = Fetch(client, Get(server_->base_url() + "/x", false));
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(r->status, 500);
    }
  }

  ManualClock clock_;
  std::atomic<int> hits_{0};
  std::atomic<int> status_{200};
  std::atomic<int> delay_ms_{0};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(CircuitBreakerBehaviourTest, OpensFailsFastThenProbesAndCloses) {
  ResilientHttpClient client(*inner_, Options());
  FailCalls(client, 3);
  EXPECT_EQ(hits_.load(), 3);
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kOpen);

  absl::Time start = absl::Now();
  Result r = Fetch(client, Get(server_->base_url() + "/x"));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(200));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("circuit open"));
  EXPECT_THAT(r.status().message(), HasSubstr("testbackend"));
  EXPECT_THAT(r.status().message(), HasSubstr("retry after 5s"));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("secret-token")));
  EXPECT_EQ(hits_.load(), 3);  // no network
  EXPECT_EQ(client.stats().rejected_circuit_open, 1);

  clock_.Advance(absl::Seconds(4));
  EXPECT_EQ(Fetch(client, Get(server_->base_url() + "/x")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(hits_.load(), 3);

  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kHalfOpen);
  status_ = 200;
  r = Fetch(client, Get(server_->base_url() + "/x"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(hits_.load(), 4);
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kClosed);
  r = Fetch(client, Get(server_->base_url() + "/x"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(hits_.load(), 5);
}

TEST_F(CircuitBreakerBehaviourTest, OneProbeAtATimeAndAFailedProbeReopens) {
  ResilientHttpClient client(*inner_, Options());
  FailCalls(client, 3);
  clock_.Advance(absl::Seconds(5));
  delay_ms_ = 300;
  std::future<Result> probe =
      SendAsync(client, Get(server_->base_url() + "/x", false));
  // While the probe is out everything else fails fast.
  Result other = Fetch(client, Get(server_->base_url() + "/x"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(other.status().message(), HasSubstr("probe"));
  Result r = Await(probe);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(hits_.load(), 4);
  ResilienceStats s = client.stats();
  EXPECT_EQ(s.breaker_state, BreakerState::kOpen);
  EXPECT_EQ(Fetch(client, Get(server_->base_url() + "/x")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(hits_.load(), 4);
}

TEST_F(CircuitBreakerBehaviourTest, ClientErrorsKeepTheCircuitClosed) {
  ResilientHttpClient client(*inner_, Options());
  FailCalls(client, 2);
  status_ = 404;
  ASSERT_TRUE(Fetch(client, Get(server_->base_url() + "/x")).ok());
  FailCalls(client, 2);
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kClosed);
  EXPECT_EQ(client.stats().consecutive_failures, 2);
}

TEST_F(CircuitBreakerBehaviourTest, RetriesCountAsFailuresAndStopWhenOpen) {
  ResilienceOptions options = Options();
  options.max_attempts = 10;
  ResilientHttpClient client(*inner_, options);
  status_ = 503;
  Result r = Fetch(client, Get(server_->base_url() + "/x"));
  // The breaker opened after the third failure; the retry that found it
  // open returned the last answer.
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(hits_.load(), 3);
  EXPECT_EQ(client.stats().breaker_state, BreakerState::kOpen);
}

TEST_F(CircuitBreakerBehaviourTest, OpenCircuitFailsStreamsFast) {
  ResilientHttpClient client(*inner_, Options());
  FailCalls(client, 3);
  std::promise<absl::Status> done;
  StreamCallbacks cb;
  bool headers = false;
  cb.on_headers = [&](int, const Headers&) { return headers = true; };
  cb.on_done = [&](Result r) { done.set_value(r.status()); };
  client.Stream(Get(server_->base_url() + "/events"), std::move(cb));
  absl::Status s = done.get_future().get();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_FALSE(headers);
  EXPECT_EQ(hits_.load(), 3);
}

TEST_F(ResilientHttpClientTest, OneBackendDownDoesNotStopAnother) {
  std::atomic<int> down_hits{0};
  std::atomic<int> up_hits{0};
  auto server = Serve([&](const ServerRequest& req) {
    if (req.path == "/down") {
      ++down_hits;
      return Status(500);
    }
    ++up_hits;
    return Status(200);
  });
  ManualClock clock;
  ResilienceOptions down_options = TestOptions();
  down_options.backend = "down";
  down_options.failure_threshold = 2;
  down_options.clock = &clock;
  ResilienceOptions up_options = down_options;
  up_options.backend = "up";
  // Both in front of the same shared client.
  ResilientHttpClient down(*inner_, down_options);
  ResilientHttpClient up(*inner_, up_options);

  for (int i = 0; i < 2; ++i) {
    Result r = Fetch(down, Get(server->base_url() + "/down", false));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(down.stats().breaker_state, BreakerState::kOpen);
  Result r = Fetch(down, Get(server->base_url() + "/down"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("\"down\""));
  EXPECT_EQ(down_hits.load(), 2);

  for (int i = 0; i < 5; ++i) {
    Result ok = Fetch(up, Get(server->base_url() + "/up"));
    ASSERT_TRUE(ok.ok()) << ok.status();
    EXPECT_EQ(ok->status, 200);
  }
  EXPECT_EQ(up_hits.load(), 5);
  EXPECT_EQ(up.stats().breaker_state, BreakerState::kClosed);
}

}  // namespace
}  // namespace execgw::http

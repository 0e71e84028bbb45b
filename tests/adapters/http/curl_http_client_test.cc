#include "adapters/http/curl_http_client.h"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/cancellation.h"
#include "adapters/upstream_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/http/http_server.h"
#include "tests/testing/refused_port.h"
#include "tests/testing/status_details.h"

namespace execgw::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

constexpr absl::Duration kWait = absl::Seconds(20);

// A notification that may be triggered many times (handlers run per request).
class Signal {
 public:
  void Notify() {
    std::call_once(once_, [this] { n_.Notify(); });
  }
  bool WaitForNotificationWithTimeout(absl::Duration d) {
    return n_.WaitForNotificationWithTimeout(d);
  }

 private:
  std::once_flag once_;
  absl::Notification n_;
};

std::unique_ptr<HttpServer> Serve(Handler handler) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = StartHttpServer(std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return std::move(server).value();
}

// Sends `request` and waits (bounded) for its result.
absl::StatusOr<HttpResponse> Fetch(HttpClient& client, HttpRequest request) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<HttpResponse>>>();
  std::future<absl::StatusOr<HttpResponse>> future = promise->get_future();
  client.Send(std::move(request),
              [promise](absl::StatusOr<HttpResponse> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(absl::ToChronoSeconds(kWait)) != std::future_status::ready) {
    ADD_FAILURE() << "no callback within " << kWait;
    return absl::InternalError("test timed out");
  }
  return future.get();
}

HttpRequest Get(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  return r;
}

ServerResponse Echo(const ServerRequest& req) {
  ServerResponse resp;
  resp.headers.emplace_back("X-Method", req.method);
  resp.headers.emplace_back("X-Path", req.path);
  if (const std::string* q = req.FindQuery("q")) resp.headers.emplace_back("X-Query", *q);
  if (const std::string* h = req.FindHeader("x-test")) resp.headers.emplace_back("X-Echo", *h);
  if (const std::string* ct = req.FindHeader("content-type")) {
    resp.headers.emplace_back("X-Content-Type", *ct);
  }
  resp.body = absl::StrCat("body=", req.body);
  return resp;
}

TEST(CurlHttpClientTest, GetPostDeleteWithBodiesAndHeaders) {
  auto server = Serve(Echo);
  auto client = NewCurlHttpClient();

  HttpRequest get = Get(server->base_url() + "/v0/a%20b?q=x%2By&other=1");
  get.headers.emplace_back("X-Test", "hello");
  absl::StatusOr<HttpResponse> r = Fetch(*client, get);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "body=");
  ASSERT_NE(r->FindHeader("X-METHOD"), nullptr);
  EXPECT_EQ(*r->FindHeader("x-method"), "GET");
  EXPECT_EQ(*r->FindHeader("x-path"), "/v0/a b");
  EXPECT_EQ(*r->FindHeader("x-query"), "x+y");
  EXPECT_EQ(*r->FindHeader("x-echo"), "hello");
  EXPECT_EQ(r->FindHeader("no-such-header"), nullptr);
  for (const auto& [name, value] : r->headers) {
    EXPECT_EQ(name, absl::AsciiStrToLower(name));
  }

  HttpRequest post = Get(server->base_url() + "/v0/jobs");
  post.method = "POST";
  post.headers.emplace_back("Content-Type", "application/json");
  post.body = std::string(5000, 'p');  // large enough to have tempted Expect: 100-continue
  r = Fetch(*client, post);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r->FindHeader("x-method"), "POST");
  EXPECT_EQ(*r->FindHeader("x-content-type"), "application/json");
  EXPECT_EQ(r->body, "body=" + post.body);

  HttpRequest del = Get(server->base_url() + "/v0/jobs/1");
  del.method = "DELETE";
  del.body = "why";
  r = Fetch(*client, del);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r->FindHeader("x-method"), "DELETE");
  EXPECT_EQ(r->FindHeader("x-content-type"), nullptr);  // no form type added
  EXPECT_EQ(r->body, "body=why");

  HttpRequest del_empty = Get(server->base_url() + "/v0/jobs/2");
  del_empty.method = "DELETE";
  r = Fetch(*client, del_empty);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "body=");
}

TEST(CurlHttpClientTest, ErrorStatusIsAResponse) {
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.status = 404;
    resp.body = "nope";
    return resp;
  });
  auto client = NewCurlHttpClient();
  absl::StatusOr<HttpResponse> r = Fetch(*client, Get(server->base_url() + "/x"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "nope");
}

TEST(CurlHttpClientTest, ReusesKeepAliveConnection) {
  auto server = Serve(Echo);
  auto client = NewCurlHttpClient();
  for (int i = 0; i < 5; ++i) {
    HttpRequest req = Get(server->base_url() + "/k");
    if (i % 2 == 1) {
      req.method = "POST";
      req.body = "x";
    }
    absl::StatusOr<HttpResponse> r = Fetch(*client, req);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(server->connections_accepted(), 1);
}

TEST(CurlHttpClientTest, DeadlineExceededArrivesNearTheDeadline) {
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.delay = absl::Seconds(10);
    return resp;
  });
  auto client = NewCurlHttpClient();
  HttpRequest req = Get(server->base_url() + "/slow");
  absl::Time start = absl::Now();
  req.deadline = start + absl::Milliseconds(300);
  absl::StatusOr<HttpResponse> r = Fetch(*client, req);
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Seconds(3));
}

TEST(CurlHttpClientTest, PastDeadlineFailsWithoutNetworkCall) {
  std::atomic<int> calls{0};
  auto server = Serve([&](const ServerRequest& req) {
    ++calls;
    return Echo(req);
  });
  auto client = NewCurlHttpClient();
  HttpRequest req = Get(server->base_url() + "/late");
  req.deadline = absl::Now() - absl::Seconds(1);
  absl::StatusOr<HttpResponse> r = Fetch(*client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(server->connections_accepted(), 0);
}

TEST(CurlHttpClientTest, CancellationMidRequest) {
  Signal in_handler;
  auto server = Serve([&](const ServerRequest& req) {
    ServerResponse resp;
    if (req.path == "/slow") {
      in_handler.Notify();
      resp.delay = absl::Seconds(10);
    }
    return resp;
  });
  auto client = NewCurlHttpClient();
  auto cancellation = std::make_shared<Cancellation>();
  HttpRequest req = Get(server->base_url() + "/slow");
  req.cancellation = cancellation;

  auto promise = std::make_shared<std::promise<absl::StatusOr<HttpResponse>>>();
  auto future = promise->get_future();
  std::atomic<int> callbacks{0};
  client->Send(req, [&, promise](absl::StatusOr<HttpResponse> r) {
    ++callbacks;
    promise->set_value(std::move(r));
  });
  ASSERT_TRUE(in_handler.WaitForNotificationWithTimeout(kWait));
  absl::Time start = absl::Now();
  cancellation->Cancel();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(future.get().status().code(), absl::StatusCode::kCancelled);
  // The client still works and the callback ran once.
  absl::StatusOr<HttpResponse> r = Fetch(*client, Get(server->base_url() + "/x"));
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(callbacks.load(), 1);
}

TEST(CurlHttpClientTest, AlreadyCancelledFailsWithoutNetworkCall) {
  auto server = Serve(Echo);
  auto client = NewCurlHttpClient();
  auto cancellation = std::make_shared<Cancellation>();
  cancellation->Cancel();
  HttpRequest req = Get(server->base_url() + "/x");
  req.cancellation = cancellation;
  absl::StatusOr<HttpResponse> r = Fetch(*client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(server->connections_accepted(), 0);
}

TEST(CurlHttpClientTest, CancellingAfterCompletionIsHarmless) {
  auto server = Serve(Echo);
  auto client = NewCurlHttpClient();
  auto cancellation = std::make_shared<Cancellation>();
  HttpRequest req = Get(server->base_url() + "/x");
  req.cancellation = cancellation;
  absl::StatusOr<HttpResponse> r = Fetch(*client, req);
  ASSERT_TRUE(r.ok()) << r.status();
  cancellation->Cancel();  // the hook was removed: nothing happens
  r = Fetch(*client, Get(server->base_url() + "/y"));
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST(CurlHttpClientTest, ConnectionResetIsUnavailable) {
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.fault = ServerResponse::Fault::kResetConnection;
    return resp;
  });
  auto client = NewCurlHttpClient();
  HttpRequest req = Get(server->base_url() + "/reset");
  req.headers.emplace_back("Authorization", "Bearer sekrit-token");
  absl::StatusOr<HttpResponse> r = Fetch(*client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), Not(HasSubstr("sekrit")));
}

// libcurl silently sends a request again on a fresh connection when a
// reused one dies before any byte of the answer. For a request that is not
// idempotent that would repeat the write (found by the soak: a Polos run
// started twice by one CreateExecution whose connection was reset after
// the upstream had done the work). It fails instead, and is sent once.
TEST(CurlHttpClientTest, NonIdempotentRequestIsNotResentWhenAReusedConnectionDies) {
  std::atomic<int> writes{0};
  auto server = Serve([&](const ServerRequest& req) {
    ServerResponse resp = Echo(req);
    if (req.method == "POST") {
      ++writes;  // the work is done, and then the answer is lost
      resp.fault = ServerResponse::Fault::kResetConnection;
    }
    return resp;
  });
  auto client = NewCurlHttpClient();
  ASSERT_TRUE(Fetch(*client, Get(server->base_url() + "/warm")).ok());  // a connection to reuse
  HttpRequest post = Get(server->base_url() + "/run");
  post.method = "POST";
  post.body = R"({"payload":{}})";
  EXPECT_EQ(server->connections_accepted(), 1);
  absl::StatusOr<HttpResponse> r = Fetch(*client, post);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(writes.load(), 1);  // curl may open a fresh connection, but sends nothing on it

  // An idempotent one may be sent again, and a later request still works.
  post.idempotent = true;
  (void)Fetch(*client, post);
  EXPECT_GE(writes.load(), 2);
  EXPECT_TRUE(Fetch(*client, Get(server->base_url() + "/after")).ok());
}

TEST(CurlHttpClientTest, TruncatedBodyIsUnavailable) {
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.body = std::string(1000, 'b');
    resp.fault = ServerResponse::Fault::kTruncateBody;
    return resp;
  });
  auto client = NewCurlHttpClient();
  absl::StatusOr<HttpResponse> r = Fetch(*client, Get(server->base_url() + "/cut?token=sekrit"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("cut short"));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("sekrit")));
  // Messages reach callers: no internal address in them.
  EXPECT_THAT(r.status().message(), Not(HasSubstr("/cut")));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("127.0.0.1")));
}

TEST(CurlHttpClientTest, TrickledBodyCompletes) {
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.body = "abcdefghijklmnop";
    resp.fault = ServerResponse::Fault::kTrickle;
    resp.trickle_bytes = 3;
    resp.trickle_interval = absl::Milliseconds(20);
    return resp;
  });
  auto client = NewCurlHttpClient();
  absl::StatusOr<HttpResponse> r = Fetch(*client, Get(server->base_url() + "/t"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "abcdefghijklmnop");
}

TEST(CurlHttpClientTest, StreamsChunkedBody) {
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.headers.emplace_back("Content-Type", "text/event-stream");
    resp.stream = [](ServerStream& s) {
      for (const char* piece : {"data: 1\n\n", "data: 2\n\n", "data: 3\n\n"}) {
        if (!s.Write(piece) || !s.Sleep(absl::Milliseconds(20))) return;
      }
    };
    return resp;
  });
  auto client = NewCurlHttpClient();

  struct State {
    absl::Mutex mu;
    std::vector<std::string> events;  // "headers:200", "data:..."
  };
  auto state = std::make_shared<State>();
  auto promise = std::make_shared<std::promise<absl::StatusOr<HttpResponse>>>();
  auto future = promise->get_future();
  StreamCallbacks cb;
  cb.on_headers = [state](int status, const Headers& headers) {
    absl::MutexLock lock(&state->mu);
    std::string type;
    for (const auto& [k, v] : headers) {
      if (k == "content-type") type = v;
    }
    state->events.push_back(absl::StrCat("headers:", status, ":", type));
    return true;
  };
  cb.on_data = [state](absl::string_view chunk) {
    absl::MutexLock lock(&state->mu);
    state->events.push_back(absl::StrCat("data:", chunk));
    return true;
  };
  cb.on_done = [promise](absl::StatusOr<HttpResponse> r) { promise->set_value(std::move(r)); };
  client->Stream(Get(server->base_url() + "/events"), std::move(cb));
  ASSERT_EQ(future.wait_for(absl::ToChronoSeconds(kWait)), std::future_status::ready);
  absl::StatusOr<HttpResponse> r = future.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());

  absl::MutexLock lock(&state->mu);
  ASSERT_GE(state->events.size(), 2u);
  EXPECT_EQ(state->events[0], "headers:200:text/event-stream");
  std::string data;
  for (size_t i = 1; i < state->events.size(); ++i) {
    ASSERT_EQ(state->events[i].rfind("data:", 0), 0u) << state->events[i];
    data += state->events[i].substr(5);
  }
  EXPECT_EQ(data, "data: 1\n\ndata: 2\n\ndata: 3\n\n");
}

TEST(CurlHttpClientTest, OnDataReturningFalseAbortsTheStream) {
  absl::Notification handler_returned;
  auto server = Serve([&](const ServerRequest&) {
    ServerResponse resp;
    resp.stream = [&](ServerStream& s) {
      while (s.Write("tick\n") && s.Sleep(absl::Milliseconds(10))) {
      }
      handler_returned.Notify();
    };
    return resp;
  });
  auto client = NewCurlHttpClient();
  auto promise = std::make_shared<std::promise<absl::StatusOr<HttpResponse>>>();
  auto future = promise->get_future();
  auto chunks = std::make_shared<std::atomic<int>>(0);
  StreamCallbacks cb;
  cb.on_headers = [](int, const Headers&) { return true; };
  cb.on_data = [chunks](absl::string_view) { return ++*chunks < 2; };
  cb.on_done = [promise](absl::StatusOr<HttpResponse> r) { promise->set_value(std::move(r)); };
  client->Stream(Get(server->base_url() + "/forever"), std::move(cb));
  ASSERT_EQ(future.wait_for(absl::ToChronoSeconds(kWait)), std::future_status::ready);
  EXPECT_EQ(future.get().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(chunks->load(), 2);
  // The server notices that the client went away.
  EXPECT_TRUE(handler_returned.WaitForNotificationWithTimeout(kWait));
}

TEST(CurlHttpClientTest, StreamCancelledByCancellation) {
  Signal first_chunk;
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.stream = [](ServerStream& s) {
      while (s.Write("tick\n") && s.Sleep(absl::Milliseconds(10))) {
      }
    };
    return resp;
  });
  auto client = NewCurlHttpClient();
  auto cancellation = std::make_shared<Cancellation>();
  auto promise = std::make_shared<std::promise<absl::StatusOr<HttpResponse>>>();
  auto future = promise->get_future();
  StreamCallbacks cb;
  cb.on_headers = [](int, const Headers&) { return true; };
  cb.on_data = [&](absl::string_view) {
    first_chunk.Notify();
    return true;
  };
  cb.on_done = [promise](absl::StatusOr<HttpResponse> r) { promise->set_value(std::move(r)); };
  HttpRequest req = Get(server->base_url() + "/forever");
  req.cancellation = cancellation;
  client->Stream(std::move(req), std::move(cb));
  ASSERT_TRUE(first_chunk.WaitForNotificationWithTimeout(kWait));
  cancellation->Cancel();
  ASSERT_EQ(future.wait_for(absl::ToChronoSeconds(kWait)), std::future_status::ready);
  EXPECT_EQ(future.get().status().code(), absl::StatusCode::kCancelled);
}

// Sets a flag when destroyed: tells whether a dropped fn was destroyed.
struct DestructionFlag {
  explicit DestructionFlag(std::shared_ptr<std::atomic<bool>> f) : flag(std::move(f)) {}
  DestructionFlag(DestructionFlag&& other) noexcept : flag(std::move(other.flag)) {}
  ~DestructionFlag() {
    if (flag != nullptr) *flag = true;
  }
  std::shared_ptr<std::atomic<bool>> flag;
};

TEST(CurlHttpClientTest, RunAtRunsTimersInTimeOrder) {
  auto client = NewCurlHttpClient();
  absl::Mutex mu;
  std::vector<int> order;
  std::thread::id loop_thread;
  absl::Notification all_done;
  absl::Time now = absl::Now();
  auto record = [&](int i) {
    return [&, i] {
      absl::MutexLock lock(&mu);
      order.push_back(i);
      loop_thread = std::this_thread::get_id();
      if (order.size() == 5) all_done.Notify();
    };
  };
  // The loop is held until every timer is set, so that the order cannot
  // depend on how fast this thread sets them (a slow machine, a sanitizer).
  absl::Notification all_set;
  client->loop().Post([&] { all_set.WaitForNotification(); });
  client->loop().RunAt(now + absl::Milliseconds(150), record(4));
  client->loop().RunAt(now + absl::Milliseconds(50), record(2));
  client->loop().RunAt(now - absl::Seconds(1), record(1));
  client->loop().RunAt(now + absl::Milliseconds(100), record(3));
  client->loop().RunAt(now + absl::Milliseconds(150), record(5));  // ties keep order
  all_set.Notify();
  ASSERT_TRUE(all_done.WaitForNotificationWithTimeout(kWait));
  EXPECT_GE(absl::Now() - now, absl::Milliseconds(150));
  absl::MutexLock lock(&mu);
  EXPECT_THAT(order, ::testing::ElementsAre(1, 2, 3, 4, 5));
  EXPECT_NE(loop_thread, std::this_thread::get_id());
}

TEST(CurlHttpClientTest, CancelledTimerIsDroppedWithoutRunning) {
  auto client = NewCurlHttpClient();
  auto cancellation = std::make_shared<Cancellation>();
  auto destroyed = std::make_shared<std::atomic<bool>>(false);
  std::atomic<bool> ran{false};
  // The loop is held until the timer is cancelled, so that a stall of this
  // thread (a slow machine, a sanitizer) cannot let it fire first.
  absl::Notification cancelled;
  client->loop().Post([&] { cancelled.WaitForNotification(); });
  client->loop().RunAt(
      absl::Now() + absl::Milliseconds(200), [&ran, d = DestructionFlag(destroyed)] { ran = true; },
      cancellation);
  cancellation->Cancel();
  cancelled.Notify();
  // A later timer on the same loop runs after the cancel was handled.
  absl::Notification later;
  client->loop().RunAt(absl::Now() + absl::Milliseconds(400), [&] { later.Notify(); });
  ASSERT_TRUE(later.WaitForNotificationWithTimeout(kWait));
  EXPECT_FALSE(ran.load());
  EXPECT_TRUE(destroyed->load());

  // Already cancelled before RunAt: dropped too.
  auto destroyed2 = std::make_shared<std::atomic<bool>>(false);
  client->loop().RunAt(
      absl::Now(), [&ran, d = DestructionFlag(destroyed2)] { ran = true; }, cancellation);
  absl::Notification later2;
  client->loop().RunAt(absl::Now() + absl::Milliseconds(50), [&] { later2.Notify(); });
  ASSERT_TRUE(later2.WaitForNotificationWithTimeout(kWait));
  EXPECT_FALSE(ran.load());
  EXPECT_TRUE(destroyed2->load());
}

TEST(CurlHttpClientTest, TimerCanScheduleAnotherTimer) {
  auto client = NewCurlHttpClient();
  absl::Notification done;
  HttpClient* c = client.get();
  client->loop().RunAt(absl::Now(), [&, c] {
    c->loop().RunAt(absl::Now() + absl::Milliseconds(10), [&] { done.Notify(); });
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
}

TEST(CurlHttpClientTest, PostedWorkRunsInOrderOnTheLoopThread) {
  auto client = NewCurlHttpClient();
  EventLoop& loop = client->loop();
  EXPECT_FALSE(loop.IsLoopThread());
  absl::Mutex mu;
  std::vector<int> order;
  bool all_on_loop = true;
  absl::Notification all_done;
  for (int i = 0; i < 5; ++i) {
    loop.Post([&, i] {
      absl::MutexLock lock(&mu);
      order.push_back(i);
      all_on_loop = all_on_loop && loop.IsLoopThread();
      if (order.size() == 5) all_done.Notify();
    });
  }
  ASSERT_TRUE(all_done.WaitForNotificationWithTimeout(kWait));
  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(order, ::testing::ElementsAre(0, 1, 2, 3, 4));
    EXPECT_TRUE(all_on_loop);
  }
  // The real loop's clock is the wall clock.
  EXPECT_LT(absl::AbsDuration(loop.Now() - absl::Now()), absl::Seconds(1));
  // After shutdown, posted work runs at once on the caller's thread.
  client->Shutdown();
  bool ran = false;
  loop.Post([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(CurlHttpClientTest, ConnectionRefusedIsUnavailable) {
  const testing::RefusedPort refused;
  const std::string url = refused.base_url() + "/gone";
  auto client = NewCurlHttpClient();
  HttpRequest req = Get(url);
  req.headers.emplace_back("Authorization", "Bearer sekrit-token");
  absl::StatusOr<HttpResponse> r = Fetch(*client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), Not(HasSubstr("sekrit")));
  // The kind of failure, never the URL, host, port or path (curl's error
  // buffer holds them all: "Failed to connect to 127.0.0.1 port N").
  EXPECT_THAT(r.status().message(), HasSubstr("connection refused"));
  const std::string port = url.substr(url.rfind(':') + 1, url.rfind('/') - url.rfind(':') - 1);
  EXPECT_THAT(r.status().message(), Not(HasSubstr(port)));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("127.0.0.1")));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("/gone")));
}

TEST(CurlHttpClientTest, UnresolvableHostIsADnsFailureWithoutTheHost) {
  auto client = NewCurlHttpClient();
  HttpRequest req = Get("http://no-such-host.invalid/api/x");
  req.deadline = absl::Now() + absl::Seconds(10);
  absl::StatusOr<HttpResponse> r = Fetch(*client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("DNS"));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("no-such-host")));
}

TEST(CurlHttpClientTest, AttemptTimeoutEndsTheAttemptBeforeTheDeadline) {
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.delay = absl::Seconds(10);
    return resp;
  });
  auto client = NewCurlHttpClient();
  HttpRequest req = Get(server->base_url() + "/slow");
  absl::Time start = absl::Now();
  req.deadline = start + absl::Seconds(8);
  req.attempt_timeout = absl::Milliseconds(300);
  absl::StatusOr<HttpResponse> r = Fetch(*client, req);
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_TRUE(IsAttemptTimeout(r.status())) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("request timeout of 300ms"));
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Seconds(3));

  // The deadline first: not an attempt timeout.
  req.deadline = absl::Now() + absl::Milliseconds(300);
  req.attempt_timeout = absl::Seconds(8);
  r = Fetch(*client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_FALSE(IsAttemptTimeout(r.status())) << r.status();
}

TEST(CurlHttpClientTest, BadUrlIsInvalidArgument) {
  auto client = NewCurlHttpClient();
  absl::StatusOr<HttpResponse> r = Fetch(*client, Get("nosuchscheme://host/x"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  r = Fetch(*client, Get("http://"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
}

TEST(CurlHttpClientTest, DestructorCancelsPendingWork) {
  Signal in_handler;
  auto server = Serve([&](const ServerRequest&) {
    in_handler.Notify();
    ServerResponse resp;
    resp.delay = absl::Seconds(30);
    return resp;
  });
  auto client = NewCurlHttpClient();
  std::atomic<int> cancelled{0};
  std::atomic<int> other{0};
  auto cancellation = std::make_shared<Cancellation>();
  for (int i = 0; i < 3; ++i) {
    HttpRequest req = Get(server->base_url() + "/slow");
    req.cancellation = cancellation;
    client->Send(req, [&](absl::StatusOr<HttpResponse> r) {
      (r.status().code() == absl::StatusCode::kCancelled ? cancelled : other)++;
    });
  }
  auto destroyed = std::make_shared<std::atomic<bool>>(false);
  std::atomic<bool> ran{false};
  client->loop().RunAt(absl::Now() + absl::Hours(1),
                       [&ran, d = DestructionFlag(destroyed)] { ran = true; });
  ASSERT_TRUE(in_handler.WaitForNotificationWithTimeout(kWait));
  absl::Time start = absl::Now();
  client.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(cancelled.load(), 3);
  EXPECT_EQ(other.load(), 0);
  // A pending timer runs early at shutdown, so whatever waits on it ends.
  EXPECT_TRUE(ran.load());
  EXPECT_TRUE(destroyed->load());
  cancellation->Cancel();  // hooks are gone: must not touch the dead client
}

TEST(CurlHttpClientTest, MaxResponseBytes) {
  auto server = Serve([](const ServerRequest& req) {
    ServerResponse resp;
    std::string body(1000, 'x');
    if (req.path == "/chunked") {
      resp.stream = [body](ServerStream& s) { s.Write(body); };
    } else {
      resp.body = body;
    }
    return resp;
  });
  CurlHttpClientOptions options;
  options.max_response_bytes = 100;
  auto client = NewCurlHttpClient(options);
  absl::StatusOr<HttpResponse> r = Fetch(*client, Get(server->base_url() + "/sized"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  r = Fetch(*client, Get(server->base_url() + "/chunked"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();

  options.max_response_bytes = 1000;
  auto exact = NewCurlHttpClient(options);
  r = Fetch(*exact, Get(server->base_url() + "/sized"));
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST(CurlHttpClientTest, RequestsOwnLimitWinsAndSaysWhatItWas) {
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.body = std::string(1000, 'x');
    return resp;
  });
  auto client = NewCurlHttpClient();  // default limit: far above 1000
  HttpRequest req = Get(server->base_url() + "/sized");
  req.max_response_bytes = 999;
  absl::StatusOr<HttpResponse> r = Fetch(*client, req);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_EQ(ErrorReasonOf(r.status()), "UPSTREAM_RESPONSE_TOO_LARGE");
  EXPECT_THAT(testing::AllText(r.status()), HasSubstr("limit_bytes"));
  EXPECT_THAT(r.status().message(), HasSubstr("999 bytes"));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("/sized")));
  req.max_response_bytes = 1000;
  r = Fetch(*client, req);
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST(CurlHttpClientTest, AnnouncedLengthOverTheLimitIsRefusedBeforeTheBody) {
  // 10 KB announced, then one byte every 100 ms: reading it to the limit
  // would take minutes.
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.body = std::string(10000, 'x');
    resp.fault = ServerResponse::Fault::kTrickle;
    resp.trickle_bytes = 1;
    resp.trickle_interval = absl::Milliseconds(100);
    return resp;
  });
  auto client = NewCurlHttpClient();
  HttpRequest req = Get(server->base_url() + "/big");
  req.max_response_bytes = 1000;
  absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> r = Fetch(*client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

// Over the limit after a 2xx status line, announced or not: the upstream
// received the request and said it succeeded, so a write may have happened
// (FailedAfterSuccessStatus); after an error status it did not say so.
TEST(CurlHttpClientTest, OverTheLimitAfterA2xxStatusLineIsMarkedFailedAfterSuccess) {
  auto server = Serve([](const ServerRequest& req) {
    ServerResponse resp;
    resp.status = absl::StrContains(req.path, "error") ? 500 : 201;
    const std::string body(10000, 'x');
    if (absl::StrContains(req.path, "chunked")) {
      resp.stream = [body](ServerStream& s) { s.Write(body); };
    } else {
      resp.body = body;
    }
    return resp;
  });
  auto client = NewCurlHttpClient();
  for (const char* path : {"/announced", "/chunked", "/error-announced", "/error-chunked"}) {
    SCOPED_TRACE(path);
    HttpRequest req = Get(server->base_url() + path);
    req.max_response_bytes = 1000;
    absl::StatusOr<HttpResponse> r = Fetch(*client, req);
    ASSERT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
    EXPECT_EQ(ErrorReasonOf(r.status()), "UPSTREAM_RESPONSE_TOO_LARGE");
    EXPECT_EQ(FailedAfterSuccessStatus(r.status()), !absl::StrContains(path, "error"));
  }
}

TEST(CurlHttpClientTest, AnnouncedBodyIsReadIntoOneBufferOfItsSize) {
  // Doubling growth would end with a 4 MiB buffer for 3 MB (and hold 2 MiB
  // plus 4 MiB while growing).
  constexpr size_t kSize = 3000000;
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.body = std::string(kSize, 'x');
    return resp;
  });
  auto client = NewCurlHttpClient();
  absl::StatusOr<HttpResponse> r = Fetch(*client, Get(server->base_url() + "/big"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body.size(), kSize);
  EXPECT_LT(r->body.capacity(), kSize + kSize / 10);
}

TEST(CurlHttpClientTest, ManyConcurrentRequestsComplete) {
  auto server = Serve([](const ServerRequest& req) {
    ServerResponse resp;
    resp.body = req.path;
    return resp;
  });
  auto client = NewCurlHttpClient();
  constexpr int kRequests = 200;
  absl::Mutex mu;
  int done = 0;
  int ok = 0;
  std::set<std::thread::id> threads;
  for (int i = 0; i < kRequests; ++i) {
    std::string path = absl::StrCat("/r", i);
    client->Send(Get(server->base_url() + path), [&, path](absl::StatusOr<HttpResponse> r) {
      absl::MutexLock lock(&mu);
      ++done;
      if (r.ok() && r->body == path) ++ok;
      threads.insert(std::this_thread::get_id());
    });
  }
  absl::MutexLock lock(&mu);
  auto all_done = [&] { return done == kRequests; };
  ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all_done), kWait)) << done;
  EXPECT_EQ(ok, kRequests);
  EXPECT_EQ(threads.size(), 1u);  // all on the one loop thread
}

TEST(CurlHttpClientTest, MaxTotalConnectionsQueuesRequests) {
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.delay = absl::Milliseconds(20);
    resp.body = "ok";
    return resp;
  });
  CurlHttpClientOptions options;
  options.max_total_connections = 2;
  auto client = NewCurlHttpClient(options);
  absl::Mutex mu;
  int ok = 0;
  for (int i = 0; i < 10; ++i) {
    client->Send(Get(server->base_url() + "/q"), [&](absl::StatusOr<HttpResponse> r) {
      absl::MutexLock lock(&mu);
      if (r.ok()) ++ok;
    });
  }
  absl::MutexLock lock(&mu);
  auto all_ok = [&] { return ok == 10; };
  ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all_ok), kWait)) << ok;
  EXPECT_LE(server->connections_accepted(), 2);
}

}  // namespace
}  // namespace execgw::http

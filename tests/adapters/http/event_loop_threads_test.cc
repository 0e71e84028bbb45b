// The real event loop (CurlHttpClient, one per worker) driven from many
// threads at once: posts, timers, cancellations and requests given
// concurrently, and a shutdown racing them. Each test asserts the loop's
// promises (adapters/event_loop.h: everything runs exactly once, on the loop
// thread, FIFO per posting thread; a cancelled timer never runs); under
// ThreadSanitizer (scripts/sanitize.sh tsan) they are also the race tests of
// its command queue. State the loop's functions touch without a lock is
// read by the test only after an absl::Notification the loop gave, which
// orders it.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/cancellation.h"
#include "adapters/event_loop.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/http/http_client.h"
#include "gtest/gtest.h"
#include "sim/http/http_server.h"

namespace execgw::http {
namespace {

constexpr int kThreads = 6;
constexpr absl::Duration kWait = absl::Seconds(60);

// Runs `body(t)` on kThreads threads at once and joins them.
template <typename Body>
void OnThreads(Body body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back([&body, t] { body(t); });
  for (std::thread& th : threads) th.join();
}

TEST(EventLoopThreadsTest, PostsFromManyThreadsRunOnceOnTheLoopInEachThreadsOrder) {
  auto client = NewCurlHttpClient();
  EventLoop& loop = client->loop();
  constexpr int kPosts = 300;
  // The loop's own state: touched only by functions running on it.
  std::vector<std::vector<int>> seen(kThreads);
  int off_loop = 0;
  int remaining = kThreads * kPosts * 2;
  absl::Notification all_ran;
  auto ran = [&] {
    if (--remaining == 0) all_ran.Notify();
  };
  OnThreads([&](int t) {
    for (int i = 0; i < kPosts; ++i) {
      loop.Post([&, t, i] {
        if (!loop.IsLoopThread()) ++off_loop;
        seen[t].push_back(i);
        ran();
        // Posted from the loop itself: runs after this one, on the loop.
        loop.Post([&] {
          if (!loop.IsLoopThread()) ++off_loop;
          ran();
        });
      });
    }
  });
  ASSERT_TRUE(all_ran.WaitForNotificationWithTimeout(kWait));
  EXPECT_EQ(off_loop, 0);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<size_t>(kPosts)) << "thread " << t;
    for (int i = 0; i < kPosts; ++i) ASSERT_EQ(seen[t][i], i) << "thread " << t;
  }
}

TEST(EventLoopThreadsTest, TimersFromManyThreadsRunOnceAndCancelledOnesNever) {
  auto client = NewCurlHttpClient();
  EventLoop& loop = client->loop();
  constexpr int kTimers = 100;
  std::vector<int> fired(kThreads * kTimers, 0);  // the loop's
  int off_loop = 0;
  int remaining = kThreads * kTimers / 2;
  absl::Notification due_ran;
  std::atomic<int> cancelled_ran{0};
  std::vector<std::shared_ptr<Cancellation>> cancellations(kThreads * kTimers);
  for (auto& c : cancellations) c = std::make_shared<Cancellation>();
  OnThreads([&](int t) {
    const absl::Time now = absl::Now();
    for (int i = 0; i < kTimers; ++i) {
      const int id = t * kTimers + i;
      if (i % 2 == 0) {
        // Due within 20 ms, in no particular order across threads.
        loop.RunAt(now + absl::Milliseconds((id * 7) % 20), [&, id] {
          if (!loop.IsLoopThread()) ++off_loop;
          if (++fired[id] == 1 && --remaining == 0) due_ran.Notify();
        });
      } else {
        // Far off, cancelled at once: by this thread or, for every other
        // one, by the next thread's loop iteration (whichever comes first
        // wins; both are the same switch).
        loop.RunAt(
            now + absl::Hours(1), [&] { ++cancelled_ran; }, cancellations[id]);
        if (i % 4 == 1) cancellations[id]->Cancel();
      }
    }
    for (int i = 3; i < kTimers; i += 4)
      cancellations[((t + 1) % kThreads) * kTimers + i]->Cancel();
  });
  ASSERT_TRUE(due_ran.WaitForNotificationWithTimeout(kWait));
  // Shutting down runs pending timers early: none of them is pending.
  client->Shutdown();
  EXPECT_EQ(off_loop, 0);
  EXPECT_EQ(cancelled_ran.load(), 0);
  for (int id = 0; id < kThreads * kTimers; id += 2) EXPECT_EQ(fired[id], 1) << "timer " << id;
}

// A timer whose cancellation fired before the loop shut down is dropped,
// even when the loop had not yet taken the cancel from its queue: shutting
// down runs only pending timers early.
TEST(EventLoopThreadsTest, TimerCancelledJustBeforeShutdownDoesNotRun) {
  for (int round = 0; round < 50; ++round) {
    auto client = NewCurlHttpClient();
    std::atomic<int> ran{0};
    std::atomic<int> early{0};
    auto cancellation = std::make_shared<Cancellation>();
    client->loop().RunAt(
        absl::Now() + absl::Hours(1), [&] { ++ran; }, cancellation);
    client->loop().RunAt(absl::Now() + absl::Hours(1), [&] { ++early; });
    std::thread canceller([&] { cancellation->Cancel(); });
    canceller.join();
    client->Shutdown();
    EXPECT_EQ(ran.load(), 0) << "round " << round;
    EXPECT_EQ(early.load(), 1) << "round " << round;
  }
}

TEST(EventLoopThreadsTest, RequestsAndCancelsFromManyThreadsEachCompleteOnce) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      StartHttpServer([](const ServerRequest& req) {
        ServerResponse r;
        if (req.path == "/slow") r.delay = absl::Seconds(30);
        r.body = req.path;
        return r;
      });
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = NewCurlHttpClient();
  constexpr int kRequests = 20;
  std::vector<int> calls(kThreads * kRequests, 0);  // the loop's
  std::vector<absl::StatusCode> codes(kThreads * kRequests);
  std::vector<std::string> bodies(kThreads * kRequests);
  int remaining = kThreads * kRequests;
  absl::Notification all_done;
  OnThreads([&](int t) {
    for (int i = 0; i < kRequests; ++i) {
      const int id = t * kRequests + i;
      HttpRequest request;
      const bool slow = i % 2 == 1;
      request.url = (*server)->base_url() + (slow ? "/slow" : "/fast");
      request.deadline = absl::Now() + kWait;
      auto cancellation = std::make_shared<Cancellation>();
      request.cancellation = cancellation;
      client->Send(std::move(request), [&, id](absl::StatusOr<HttpResponse> r) {
        ++calls[id];
        codes[id] = r.status().code();
        if (r.ok()) bodies[id] = r->body;
        if (--remaining == 0) all_done.Notify();
      });
      // Every slow request is cancelled, from this thread, while it waits
      // for its answer or before it went out.
      if (slow) cancellation->Cancel();
    }
  });
  ASSERT_TRUE(all_done.WaitForNotificationWithTimeout(kWait));
  for (int id = 0; id < kThreads * kRequests; ++id) {
    ASSERT_EQ(calls[id], 1) << "request " << id;
    if (id % 2 == 1) {
      EXPECT_EQ(codes[id], absl::StatusCode::kCancelled) << "request " << id;
    } else {
      EXPECT_EQ(codes[id], absl::StatusCode::kOk) << "request " << id;
      EXPECT_EQ(bodies[id], "/fast") << "request " << id;
    }
  }
}

// Threads keep posting and sending while the client shuts down: every
// function runs once and every request completes once, on the loop before
// it stops or at once on the caller's thread after.
TEST(EventLoopThreadsTest, ShutdownRacingPostsAndRequestsLosesNothing) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = StartHttpServer([](const ServerRequest&) {
    ServerResponse r;
    r.delay = absl::Milliseconds(5);
    return r;
  });
  ASSERT_TRUE(server.ok()) << server.status();
  for (int round = 0; round < 5; ++round) {
    auto client = NewCurlHttpClient();
    constexpr int kEach = 200;
    std::atomic<int> posts{0};
    std::atomic<int> timers{0};
    std::atomic<int> responses{0};
    std::atomic<int> started{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        ++started;
        for (int i = 0; i < kEach; ++i) {
          client->loop().Post([&] { ++posts; });
          client->loop().RunAfter(absl::Hours(1), [&] { ++timers; });
          if (i % 20 == 0) {
            HttpRequest request;
            request.url = (*server)->base_url() + "/x";
            request.deadline = absl::Now() + kWait;
            client->Send(std::move(request), [&](absl::StatusOr<HttpResponse>) { ++responses; });
          }
        }
      });
    }
    while (started.load() < kThreads) std::this_thread::yield();
    client->Shutdown();
    for (std::thread& th : threads) th.join();
    EXPECT_EQ(posts.load(), kThreads * kEach) << "round " << round;
    EXPECT_EQ(timers.load(), kThreads * kEach) << "round " << round;
    EXPECT_EQ(responses.load(), kThreads * kEach / 20) << "round " << round;
  }
}

}  // namespace
}  // namespace execgw::http

#ifndef EXECGW_TESTS_TESTING_RECORDING_HTTP_CLIENT_H_
#define EXECGW_TESTS_TESTING_RECORDING_HTTP_CLIENT_H_

// An HttpClient for tests that remembers what was sent, and either forwards
// to a real client or holds each request until the test answers it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "adapters/cancellation.h"
#include "adapters/event_loop.h"
#include "adapters/http/http_client.h"
#include "tests/testing/status_details.h"

namespace execgw::testing {

class RecordingHttpClient final : public http::HttpClient {
 public:
  struct Sent {
    std::string method;
    std::string url;
    bool idempotent;
    std::string authorization;
  };

  // Forwards to `inner`. With `loop` (a test's simulated loop), loop() is
  // that loop instead of the inner client's: the code under test times on
  // it while its requests still go over the inner client's sockets. Each
  // deadline is then moved to the inner client's clock, as far ahead of its
  // Now() as it was of the loop's, and answers arrive on the inner client's
  // thread.
  explicit RecordingHttpClient(std::unique_ptr<http::HttpClient> inner, EventLoop* loop = nullptr)
      : inner_(std::move(inner)), loop_(loop != nullptr ? loop : &inner_->loop()) {}

  // Answers nothing by itself: a request waits until the test answers it
  // (Answer), its deadline passes on `loop`'s clock (DEADLINE_EXCEEDED; an
  // attempt_timeout that ends first gives an attempt timeout), or its
  // cancellation fires (CANCELLED). Deadline and cancellation answers run
  // on `loop`; the test's answers on the thread that gives them. Streams
  // wait until the test takes their callbacks (TakeStream). Destroying the
  // client fails the requests still waiting with CANCELLED.
  explicit RecordingHttpClient(EventLoop& loop)
      : loop_(&loop), held_(std::make_shared<HeldRequests>()) {}

  ~RecordingHttpClient() override {
    if (held_ == nullptr) return;
    for (std::shared_ptr<Held>& h : held_->TakeAll()) {
      Finish(*h, absl::CancelledError("HTTP client is shutting down"));
    }
  }

  void Send(http::HttpRequest request, http::ResponseCallback done) override {
    {
      absl::MutexLock lock(&mu_);
      Sent sent{request.method, request.url, request.idempotent, ""};
      for (const auto& [name, value] : request.headers) {
        if (absl::EqualsIgnoreCase(name, "authorization")) sent.authorization = value;
      }
      sent_.push_back(std::move(sent));
    }
    if (held_ != nullptr) {
      Hold(std::move(request), std::move(done));
      return;
    }
    EventLoop& inner_loop = inner_->loop();
    if (loop_ != &inner_loop && request.deadline != absl::InfiniteFuture()) {
      request.deadline = inner_loop.Now() + (request.deadline - loop_->Now());
    }
    inner_->Send(std::move(request), std::move(done));
  }

  void Stream(http::HttpRequest request, http::StreamCallbacks callbacks) override {
    if (held_ != nullptr) {
      absl::MutexLock lock(&held_->mu);
      held_->streams.push_back(std::move(callbacks));
      return;
    }
    inner_->Stream(std::move(request), std::move(callbacks));
  }

  EventLoop& loop() override { return *loop_; }

  std::vector<Sent> sent() const {
    absl::MutexLock lock(&mu_);
    return sent_;
  }
  // Requests whose URL contains `part`.
  std::vector<Sent> sent_to(absl::string_view part) const {
    std::vector<Sent> out;
    for (Sent& s : sent()) {
      if (absl::StrContains(s.url, part)) out.push_back(std::move(s));
    }
    return out;
  }
  void Clear() {
    absl::MutexLock lock(&mu_);
    sent_.clear();
  }

  // Holding clients only. Requests waiting for an answer, oldest first.
  std::vector<http::HttpRequest> waiting() const {
    std::vector<http::HttpRequest> out;
    absl::MutexLock lock(&held_->mu);
    for (const std::shared_ptr<Held>& h : held_->requests) out.push_back(h->request);
    return out;
  }

  // Holding clients only. Answers the oldest waiting request whose URL
  // contains `url_part` with `result`, on this thread; false when none
  // waits.
  bool Answer(absl::StatusOr<http::HttpResponse> result, absl::string_view url_part = "") {
    std::shared_ptr<Held> h = held_->Take(
        [&](const Held& held) { return absl::StrContains(held.request.url, url_part); });
    if (h == nullptr) return false;
    Finish(*h, std::move(result));
    return true;
  }

  // Answer() with a response of `status`, `body` and `headers`.
  bool Reply(int status, std::string body = "", http::Headers headers = {},
             absl::string_view url_part = "") {
    http::HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    for (auto& [name, value] : headers) {
      response.headers.emplace_back(absl::AsciiStrToLower(name), std::move(value));
    }
    return Answer(std::move(response), url_part);
  }

  // Holding clients only. The callbacks of the oldest stream not yet taken,
  // for the test to drive; nullopt when none.
  std::optional<http::StreamCallbacks> TakeStream() {
    absl::MutexLock lock(&held_->mu);
    if (held_->streams.empty()) return std::nullopt;
    http::StreamCallbacks callbacks = std::move(held_->streams.front());
    held_->streams.erase(held_->streams.begin());
    return callbacks;
  }

 private:
  struct Held {
    uint64_t id = 0;
    http::HttpRequest request;
    http::ResponseCallback done;
    std::shared_ptr<Cancellation> timer;  // cancels the deadline timer
    Cancellation::HookId hook = 0;
  };

  // Shared with the timers and hooks of held requests, which may outlive
  // the client.
  struct HeldRequests {
    absl::Mutex mu;
    uint64_t next_id ABSL_GUARDED_BY(mu) = 1;
    std::vector<std::shared_ptr<Held>> requests ABSL_GUARDED_BY(mu);
    std::vector<http::StreamCallbacks> streams ABSL_GUARDED_BY(mu);

    template <typename Match>
    std::shared_ptr<Held> Take(Match match) {
      absl::MutexLock lock(&mu);
      for (auto it = requests.begin(); it != requests.end(); ++it) {
        if (match(**it)) {
          std::shared_ptr<Held> h = std::move(*it);
          requests.erase(it);
          return h;
        }
      }
      return nullptr;
    }
    std::vector<std::shared_ptr<Held>> TakeAll() {
      std::vector<std::shared_ptr<Held>> all;
      absl::MutexLock lock(&mu);
      all.swap(requests);
      return all;
    }
  };

  // The held request `id`'s answer, unless it was answered already.
  static void Fail(const std::shared_ptr<HeldRequests>& held, uint64_t id, absl::Status status) {
    std::shared_ptr<Held> h = held->Take([id](const Held& x) { return x.id == id; });
    if (h != nullptr) Finish(*h, std::move(status));
  }

  static void Finish(Held& h, absl::StatusOr<http::HttpResponse> result) {
    if (h.timer != nullptr) h.timer->Cancel();
    if (h.request.cancellation != nullptr) h.request.cancellation->RemoveHook(h.hook);
    std::move(h.done)(std::move(result));
  }

  void Hold(http::HttpRequest request, http::ResponseCallback done) {
    auto h = std::make_shared<Held>();
    const std::string method = request.method;
    absl::Time end = request.deadline;
    bool attempt_end = false;
    if (request.attempt_timeout != absl::InfiniteDuration() &&
        loop_->Now() + request.attempt_timeout < end) {
      end = loop_->Now() + request.attempt_timeout;
      attempt_end = true;
    }
    std::shared_ptr<Cancellation> cancellation = request.cancellation;
    h->request = std::move(request);
    h->done = std::move(done);
    if (end != absl::InfiniteFuture()) h->timer = std::make_shared<Cancellation>();
    uint64_t id;
    {
      absl::MutexLock lock(&held_->mu);
      id = h->id = held_->next_id++;
    }
    std::shared_ptr<HeldRequests> held = held_;
    if (cancellation != nullptr) {
      EventLoop* loop = loop_;
      h->hook = cancellation->AddHook([held, id, loop] {
        loop->Post([held, id] { Fail(held, id, absl::CancelledError("HTTP request cancelled")); });
      });
    }
    {
      absl::MutexLock lock(&held_->mu);
      held_->requests.push_back(h);
    }
    if (h->timer != nullptr) {
      loop_->RunAt(
          end,
          [held, id, attempt_end, method] {
            absl::Status late = absl::DeadlineExceededError(
                absl::StrCat("HTTP ", method, ": no response before the deadline"));
            if (attempt_end) late = http::MarkAttemptTimeout(std::move(late));
            Fail(held, id, std::move(late));
          },
          h->timer);
    }
  }

  const std::unique_ptr<http::HttpClient> inner_;  // forwarding clients
  EventLoop* const loop_;
  const std::shared_ptr<HeldRequests> held_;  // holding clients
  mutable absl::Mutex mu_;
  std::vector<Sent> sent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_TESTING_RECORDING_HTTP_CLIENT_H_

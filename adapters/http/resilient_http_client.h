#ifndef EXECGW_ADAPTERS_HTTP_RESILIENT_HTTP_CLIENT_H_
#define EXECGW_ADAPTERS_HTTP_RESILIENT_HTTP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "adapters/cancellation.h"
#include "adapters/event_loop.h"
#include "adapters/http/circuit_breaker.h"
#include "adapters/http/http_client.h"
#include "adapters/http/upstream_observer.h"

namespace execgw::http {

struct ResilienceOptions {
  // Names the upstream in the messages this client writes ("polos").
  std::string backend;

  // Retries: only of requests marked `idempotent`, only after a transport
  // failure IsTransientFailure calls passing (refused, reset, body cut
  // short, an attempt that ran out of its attempt_timeout while the caller
  // still has time), or a response the request's classifier calls transient
  // (without one: IsTransientStatus, a 5xx other than 501 or a 429). Each
  // attempt gets the request's whole attempt_timeout, cut short by the
  // deadline.
  int max_attempts = 3;  // the first attempt included; 1: never retry
  // Before retry n (1, 2, ...) the client waits a random duration in
  // [0, min(max_backoff, initial_backoff * 2^(n-1))] ("full jitter"), and
  // at least as long as the response's Retry-After (the verdict's, when
  // the request has a classifier).
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  // A Retry-After longer than this is not waited out: the response goes
  // back to the caller as is.
  absl::Duration max_retry_after = absl::Seconds(30);
  // A retry is only started if at least this much time will be left before
  // the request's deadline; otherwise the last outcome goes back as is.
  absl::Duration min_attempt_time = absl::Milliseconds(50);

  // Largest upstream response body, put on every Send() that sets no limit
  // of its own (HttpRequest::max_response_bytes). A larger body is not
  // retried: it would be as large again.
  size_t max_response_bytes = 8 << 20;

  // Concurrency limit: at most this many Send() attempts in flight upstream;
  // more wait in a FIFO queue of at most `max_queued`.
  int max_in_flight = 64;
  int max_queued = 1024;

  // Circuit breaker: opens after this many consecutive failures, stays open
  // for `open_duration`, then lets one probe through.
  int failure_threshold = 5;
  absl::Duration open_duration = absl::Seconds(5);
  // An attempt still unanswered after this long when the caller's deadline
  // or a cancellation ends it counts as a failure for the breaker (a hung
  // upstream); one ended sooner is neutral. It is not retried either way.
  absl::Duration slow_attempt = absl::Seconds(1);

  // Picks the wait before a retry from [0, ceiling]. Empty: uniformly at
  // random. Tests pin it to make waits predictable.
  std::function<absl::Duration(absl::Duration ceiling)> jitter;

  // Optional, not owned, outlives the client: told of every attempt, fast
  // failure and breaker change.
  UpstreamObserver* observer = nullptr;
};

// What the client has done so far; a snapshot.
struct ResilienceStats {
  int64_t attempts = 0;               // Send() attempts sent upstream, retries included
  int64_t retries = 0;                // of those, retries
  int64_t streams = 0;                // Stream() requests passed upstream
  int64_t rejected_circuit_open = 0;  // failed fast by the breaker
  int64_t rejected_queue_full = 0;
  int64_t queue_timeouts = 0;  // deadline passed while waiting for a slot
  CircuitBreaker::State breaker_state = CircuitBreaker::State::kClosed;
  int consecutive_failures = 0;
  int queue_length = 0;  // requests waiting for a slot now
  int in_flight = 0;     // Send() attempts upstream now
};

// An HttpClient that each backend puts in front of the shared client to
// protect itself and its upstream: retries with backoff, a concurrency limit
// and a circuit breaker, all per instance, so one upstream going down does
// not hold up another that shares the same inner client.
//
// Send(): the request passes the breaker, then waits for a free slot, then
// goes to the inner client; retries (re-checked against the breaker, and
// ahead of new requests in the queue) follow the options. Nothing ever
// waits past the request's deadline. Stream(): passes the breaker and then
// goes straight to the inner client; streams are long-lived, so they take
// no slot and are never retried.
//
// Failures the client makes up itself (the network is not involved) are
// plain statuses, for the adapters to wrap like transport failures:
//   UNAVAILABLE        the circuit is open ("circuit open for backend ...")
//   DEADLINE_EXCEEDED  the deadline passed while waiting for a slot
//                      ("... concurrency limit ...")
//   RESOURCE_EXHAUSTED the wait queue is full
//   CANCELLED          cancelled while queued or between attempts, or the
//                      client was destroyed while the request was queued
// A retry that the breaker, the queue or the deadline stops returns the
// previous attempt's outcome instead; a cancelled one returns CANCELLED.
// Messages never include request headers or the URL.
//
// Every attempt (and every stream) carries the headers of its request's
// CallTrace (TraceHeaders: X-Request-Id, a traceparent with a span id of
// its own, tracestate) and counts in its upstream_requests.
//
// All time is the loop's: backoff waits, Retry-After, queue time, the
// breaker's open duration and deadline checks (HttpRequest::deadline is on
// the loop's clock). Answers the client makes up itself, and retries, run
// on the loop; upstream answers are passed on from the inner client's
// callback. Callbacks never run inside Send()/Stream(). Thread-safe. The
// inner client and the loop must outlive this client and every request
// started through it; a loop shutting down ends the requests waiting
// between attempts with CANCELLED (the last answer once this client is
// gone).
class ResilientHttpClient final : public HttpClient {
 public:
  // Times on the inner client's loop.
  ResilientHttpClient(HttpClient& inner, ResilienceOptions options);
  // Times on `loop`: the inner client's, or one its callbacks may schedule
  // on (a test's simulated loop).
  ResilientHttpClient(HttpClient& inner, EventLoop& loop, ResilienceOptions options);
  // Fails queued requests with CANCELLED; requests upstream or between
  // attempts finish on their own (without further retries).
  ~ResilientHttpClient() override;

  ResilientHttpClient(const ResilientHttpClient&) = delete;
  ResilientHttpClient& operator=(const ResilientHttpClient&) = delete;

  void Send(HttpRequest request, ResponseCallback done) override;
  void Stream(HttpRequest request, StreamCallbacks callbacks) override;
  // The loop it times on.
  EventLoop& loop() override;

  ResilienceStats stats() const;

 private:
  // Everything the client does (queue, retries, breaker); the client object
  // is only its handle.
  class Core;
  // Shared with pending callbacks, which may outlive this object.
  std::shared_ptr<Core> core_;
};

}  // namespace execgw::http

#endif  // EXECGW_ADAPTERS_HTTP_RESILIENT_HTTP_CLIENT_H_

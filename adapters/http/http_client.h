#ifndef EXECGW_ADAPTERS_HTTP_HTTP_CLIENT_H_
#define EXECGW_ADAPTERS_HTTP_HTTP_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/call_trace.h"
#include "adapters/cancellation.h"
#include "adapters/event_loop.h"
#include "adapters/http/verdict.h"

namespace execgw::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse;

struct HttpRequest {
  std::string method = "GET";  // GET, POST, DELETE, ...
  std::string url;             // absolute: scheme, host, path, query
  Headers headers;
  std::string body;  // sent as is; set Content-Type in `headers`
  // The caller's deadline: the request, connection set-up and any retries
  // included, fails with DEADLINE_EXCEEDED at this time. Callers derive it
  // from the gRPC deadline.
  absl::Time deadline = absl::InfiniteFuture();
  // Bound of one attempt (a backend's requestTimeoutMs), counted from when
  // the attempt starts. An attempt without a complete response by then fails
  // with DEADLINE_EXCEEDED although `deadline` may be later
  // (IsAttemptTimeout tells the two apart); a retrying client may then try
  // again within `deadline`. Infinite: only `deadline` bounds an attempt.
  absl::Duration attempt_timeout = absl::InfiniteDuration();
  // Largest response body accepted, in bytes (0: the client's default). A
  // larger one fails the request with RESOURCE_EXHAUSTED (ErrorInfo reason
  // UPSTREAM_RESPONSE_TOO_LARGE, metadata limit_bytes) as soon as it is
  // known: before the body is read when Content-Length announces too much.
  // Streamed bodies are not bounded.
  size_t max_response_bytes = 0;
  // Optional. Cancel() aborts the request; its callback then gets CANCELLED.
  std::shared_ptr<Cancellation> cancellation;
  // Whether sending the request twice is harmless (GET, cancel, a create
  // that carries an idempotency key). Only idempotent requests are retried
  // by a retrying client; plain clients ignore it.
  bool idempotent = false;
  // Optional: the upstream's one retry policy (verdict.h), which maps each
  // attempt's outcome to a verdict. A retrying client asks it about every
  // response, retries only transient verdicts (a definitive answer is
  // delivered at once and counts as a healthy upstream) and attaches the
  // verdict to the response it delivers; plain clients ignore it. Empty:
  // IsTransientStatus alone decides.
  Classifier classifier;
  // The route template, for metrics and logs: the method and the path with
  // its variable segments as placeholders ("GET /api/v1/executions/{id}"),
  // never caller input. Empty: "other".
  std::string route;
  // Optional: the call this request is made for. A retrying client sends
  // its request id and a traceparent with a new span id on every attempt
  // (TraceHeaders), and counts the attempts in it.
  std::shared_ptr<CallTrace> trace;
};

struct HttpResponse {
  int status = 0;
  Headers headers;  // names lower-cased, in arrival order
  std::string body;
  // Set by a retrying client: the request's classifier's verdict on this
  // response, for the adapter to reuse (Settle).
  std::optional<Verdict> verdict;

  // The first header with this (case-insensitive) name, or nullptr.
  const std::string* FindHeader(absl::string_view name) const;
};

// What kind of body an error response carried, for a caller-visible message
// when the body is not an error object the upstream is known to send:
// "an HTML page of 5120 bytes", "a text/plain body of 80 bytes", "JSON that
// is not a Polos error (12 bytes)". Nothing of the body itself is quoted
// (it may echo credentials in any encoding); only the media type is taken,
// and only when it is a plain token. `upstream` names the upstream ("Polos").
std::string DescribeBody(const HttpResponse& response, absl::string_view upstream, bool is_json);

// Called exactly once per request, on the client's loop() thread. It
// must not block: hand long work elsewhere. An HTTP error status is a
// response, not an error; the status is non-OK only when no complete
// response arrived:
//   DEADLINE_EXCEEDED  the deadline passed first, or the attempt timeout
//                      did (IsAttemptTimeout)
//   CANCELLED          the request's Cancellation fired
//   UNAVAILABLE        connection refused or reset, DNS failure, a body cut
//                      short, or any other transport failure
//   INVALID_ARGUMENT   the request itself was malformed (bad URL)
//   RESOURCE_EXHAUSTED the body was larger than max_response_bytes
// Messages name the method and the kind of failure ("connection refused",
// "TLS handshake failed"), never the URL, host, port or path: they reach
// callers, who must not learn the gateway's internal addresses.
using ResponseCallback = absl::AnyInvocable<void(absl::StatusOr<HttpResponse>) &&>;

// Whether `status`, a failure an HttpClient delivered, says the request's
// attempt_timeout ran out while its deadline was still ahead.
bool IsAttemptTimeout(const absl::Status& status);

// Marks a DEADLINE_EXCEEDED as an attempt timeout (for HttpClient
// implementations).
absl::Status MarkAttemptTimeout(absl::Status status);

// Receives a streamed response body (Server-Sent Events) as it arrives.
struct StreamCallbacks {
  // Called once the status line and headers are in. Return false to abort.
  absl::AnyInvocable<bool(int status, const Headers& headers)> on_headers;
  // Called for each piece of body as it arrives. Return false to abort.
  absl::AnyInvocable<bool(absl::string_view chunk)> on_data;
  // Called exactly once at the end: OK when the server ended the body,
  // otherwise as for ResponseCallback. HttpResponse.body is empty.
  ResponseCallback on_done;
};

// An asynchronous HTTP/1.1 client. All methods are thread-safe and never
// block on the network.
class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Starts `request`; `done` gets the complete response.
  virtual void Send(HttpRequest request, ResponseCallback done) = 0;

  // Starts `request` and delivers the body piece by piece.
  virtual void Stream(HttpRequest request, StreamCallbacks callbacks) = 0;

  // The loop this client's callbacks run on, whose Now() is the time base
  // of HttpRequest::deadline. Lives as long as the client.
  virtual EventLoop& loop() = 0;

  // Fails every pending request with CANCELLED (their callbacks, and any
  // work those start, run before it returns), stops the event loop, and
  // from then on fails new requests at once with CANCELLED on the caller's
  // thread. Lets an owner stop all upstream work before destroying what
  // the callbacks use. Idempotent; must not be called from a callback.
  // The default does nothing (a client without a loop of its own).
  virtual void Shutdown() {}
};

}  // namespace execgw::http

#endif  // EXECGW_ADAPTERS_HTTP_HTTP_CLIENT_H_

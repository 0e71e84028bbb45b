#ifndef EXECGW_ADAPTERS_HTTP_UPSTREAM_OBSERVER_H_
#define EXECGW_ADAPTERS_HTTP_UPSTREAM_OBSERVER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace execgw::http {

// One upstream attempt as it ended.
struct UpstreamAttempt {
  absl::string_view backend;
  absl::string_view route;       // HttpRequest::route ("GET /api/v1/executions/{id}")
  absl::string_view request_id;  // the call's, or empty
  int attempt = 1;               // 1 for the first, 2 for the first retry...
  int status = 0;                // the HTTP status; 0 when no response came
  absl::Status error;            // why no response came (status 0)
  bool transient = false;        // the retry policy's verdict: a failure worth retrying
  bool retried = false;          // another attempt follows
  absl::Duration latency;
};

// What the gateway wants to know about upstream traffic (metrics, logs),
// without the adapters knowing how it is kept. Calls come from any thread
// (the backends' loops), must not block and must be thread-safe. The
// default methods ignore everything.
class UpstreamObserver {
 public:
  virtual ~UpstreamObserver() = default;
  // Every Send() attempt sent upstream, when it ends (streams are not
  // reported).
  virtual void OnAttempt(const UpstreamAttempt& attempt) {}
  // A request failed fast without going upstream: "circuit_open",
  // "queue_full", "queue_timeout".
  virtual void OnRejected(absl::string_view backend, absl::string_view route,
                          absl::string_view reason) {}
  // One backend client's breaker left the closed state (`open` true), or
  // closed again (false).
  virtual void OnCircuitChange(absl::string_view backend, bool open) {}
  // An OAuth token request ended: `ok` when it brought a token.
  virtual void OnTokenRefresh(absl::string_view backend, bool ok) {}
};

}  // namespace execgw::http

#endif  // EXECGW_ADAPTERS_HTTP_UPSTREAM_OBSERVER_H_

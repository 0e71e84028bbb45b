#ifndef EXECGW_ADAPTERS_CALL_TRACE_H_
#define EXECGW_ADAPTERS_CALL_TRACE_H_

#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace execgw {

// A W3C Trace Context (https://www.w3.org/TR/trace-context/), version 00.
struct TraceContext {
  std::string trace_id;      // 32 lowercase hex digits, not all zero
  std::string flags = "00";  // 2 lowercase hex digits
  // The caller's tracestate, forwarded as it came (empty: none).
  std::string tracestate;
};

// The caller's `traceparent`, when it is a valid version-00 value:
// "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>", lowercase hex,
// neither id all zeros. Anything else: nullopt (the call starts a new trace).
std::optional<TraceContext> ParseTraceparent(absl::string_view traceparent);

// Whether `tracestate` may be forwarded: at most 512 bytes of printable
// ASCII (the spec's list-members are a subset), not empty.
bool IsForwardableTracestate(absl::string_view tracestate);

// A caller's x-request-id when it is sane: 1 to 128 characters, each a
// letter, a digit or one of "-._:/+=@"; nullopt otherwise.
std::optional<std::string> SaneRequestId(absl::string_view request_id);

// Random ids, lowercase hex: a trace id (32 digits), a span id (16), a
// request id (32). Never all zeros.
std::string NewTraceId();
std::string NewSpanId();
std::string NewRequestId();

// What every upstream request made for one call carries, and counts.
// Shared by the call and its upstream requests (which may outlive it).
struct CallTrace {
  // Sent as X-Request-Id; empty: not sent.
  std::string request_id;
  // Every upstream request sends traceparent with this trace id and a span
  // id of its own. An empty trace_id: each request starts a trace of its own.
  TraceContext trace;
  // Upstream requests sent for the call so far (every attempt counts).
  std::atomic<int> upstream_requests{0};
};

// The headers one upstream attempt sends for `trace` (null: a new trace
// only): X-Request-Id, traceparent with a new span id, tracestate.
std::vector<std::pair<std::string, std::string>> TraceHeaders(const CallTrace* trace);

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_CALL_TRACE_H_

#ifndef EXECGW_ADAPTERS_HTTP_CURL_HTTP_CLIENT_H_
#define EXECGW_ADAPTERS_HTTP_CURL_HTTP_CLIENT_H_

#include <memory>
#include <string>

#include "adapters/http/http_client.h"

namespace execgw::http {

struct CurlHttpClientOptions {
  // Most keep-alive connections kept open (curl's connection cache). At
  // least the requests a worker has in flight at once (a backend's share of
  // maxConcurrentRequests, 32 of the default 64 with two workers, for each
  // backend): below that, a busy worker closes connections only to open new
  // ones, which cost the upstream far more than the requests themselves
  // (measured: 5.5x the simulator's CPU per request at 16).
  int max_idle_connections_per_host = 128;
  // Most connections open at once in total (0: no limit).
  int max_total_connections = 0;
  // Connect timeout, also bounded by each request's deadline.
  absl::Duration connect_timeout = absl::Seconds(10);
  // Largest response body accepted of a request that sets no limit of its
  // own (HttpRequest::max_response_bytes); protects the gateway's memory
  // from a runaway upstream.
  size_t max_response_bytes = 8 << 20;
  // The name of the loop thread, as tools such as top and perf show it (at
  // most 15 characters are kept).
  std::string thread_name = "http-loop";
};

// The one HTTP client: libcurl's multi interface driven by a single
// event-loop thread that the client owns. The client is the real EventLoop
// (loop()): that thread also runs its timers and posted functions, and its
// Now() is the wall clock. One client per worker thread, each with its own
// connections and timers. Connections are reused (keep-alive) across
// requests. Destroying the client fails every pending request with
// CANCELLED and runs pending timers early (callbacks run before the
// destructor returns), then joins the thread.
std::unique_ptr<HttpClient> NewCurlHttpClient(CurlHttpClientOptions options = {});

// Makes the process's allocator give the memory of large buffers (a
// response body, its parsed document, its translation: megabytes each) back
// to the system when they are freed. glibc's malloc otherwise serves such
// buffers from its heaps after the first one (its mmap threshold adapts
// upwards) and keeps them: one 8 MB response left 23 MB resident for good.
// Sets a fixed mmap threshold of 1 MiB; no effect on other allocators. Call
// once at start-up, before other threads start (main does).
void ReturnLargeBuffersToTheSystem();

}  // namespace execgw::http

#endif  // EXECGW_ADAPTERS_HTTP_CURL_HTTP_CLIENT_H_

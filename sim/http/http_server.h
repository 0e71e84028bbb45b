#ifndef EXECGW_SIM_HTTP_HTTP_SERVER_H_
#define EXECGW_SIM_HTTP_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/http/http_client.h"

namespace execgw::http {

// A request as the server received it.
struct ServerRequest {
  std::string method;
  std::string target;  // path and query as sent, e.g. "/v0/jobs/a?limit=2"
  std::string path;    // percent-decoded path, without the query
  std::multimap<std::string, std::string> query;  // percent-decoded
  Headers headers;                                // names lower-cased
  std::string body;
  std::string peer;  // "127.0.0.1:54321"

  const std::string* FindHeader(absl::string_view name) const;
  // The first value of a query parameter, or nullptr.
  const std::string* FindQuery(absl::string_view name) const;
};

// Writes a streamed (chunked) response body. Used from the handler's thread.
class ServerStream {
 public:
  virtual ~ServerStream() = default;
  // Sends `data` as one chunk. False once the client has gone away or the
  // server is stopping: the handler should return.
  virtual bool Write(absl::string_view data) = 0;
  // Waits up to `d`. False if the server began stopping meanwhile.
  virtual bool Sleep(absl::Duration d) = 0;
};

// What the handler answers. Besides ordinary responses it can misbehave on
// purpose, so tests can exercise the client against broken servers.
struct ServerResponse {
  int status = 200;
  Headers headers;  // Content-Length is added by the server
  std::string body;

  // Wait this long before sending anything.
  absl::Duration delay = absl::ZeroDuration();

  enum class Fault {
    kNone,
    // Close the connection with a TCP reset instead of answering.
    kResetConnection,
    // Announce the full Content-Length, send only the first half of the
    // body, then close.
    kTruncateBody,
    // Send the body in small pieces (`trickle_bytes` every
    // `trickle_interval`).
    kTrickle,
  };
  Fault fault = Fault::kNone;
  size_t trickle_bytes = 1;
  absl::Duration trickle_interval = absl::Milliseconds(100);

  // When nonzero (and no `stream`), Content-Length announces this many
  // bytes instead of body.size(): the server sends `body` and then holds the
  // connection open, sending nothing more, until the client closes it or the
  // server stops. An upstream that announces far more than it ever sends.
  uint64_t announced_length = 0;

  // When set, `body` is ignored: the server sends the status and headers
  // with chunked transfer encoding and calls `stream` on the connection's
  // thread to write the body; the response ends when it returns.
  std::function<void(ServerStream&)> stream;
};

using Handler = std::function<ServerResponse(const ServerRequest&)>;

// A small HTTP/1.1 server for loopback use: the upstream simulators, demo
// mode and tests. One thread per connection, keep-alive supported. Not
// meant to face the internet.
//
// Raw sockets rather than Debian 12's cpp-httplib (0.11.4), which serves
// delays, trickled bodies, cut-off bodies (a content provider that stops
// early) and chunked streams, but gives a handler no access to its
// connection's socket: it cannot answer one request with a TCP reset
// (Fault::kResetConnection; an SO_LINGER set on its listening socket would
// reset every connection) nor count accepted connections, and a raw part
// beside it cannot take over a connection once httplib has read a request
// from it.
class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // The bound port (useful when started on port 0).
  virtual int port() const = 0;
  // "http://127.0.0.1:PORT".
  virtual std::string base_url() const = 0;
  // Number of TCP connections accepted so far (tests check keep-alive).
  virtual int connections_accepted() const = 0;
  // Stops accepting, wakes streaming handlers, closes connections and joins
  // every thread. Idempotent; the destructor calls it.
  virtual void Stop() = 0;
};

// Decodes %XX escapes in a path segment or query component (and '+' as a
// space when `plus_is_space`, as in a query or form body); a malformed
// escape is kept as is.
std::string PercentDecode(absl::string_view in, bool plus_is_space);

// Starts a server on `host:port` (port 0 picks a free one) that answers
// every request with `handler`, called concurrently from connection threads.
absl::StatusOr<std::unique_ptr<HttpServer>> StartHttpServer(Handler handler, int port = 0,
                                                            const std::string& host = "127.0.0.1");

}  // namespace execgw::http

#endif  // EXECGW_SIM_HTTP_HTTP_SERVER_H_

#ifndef EXECGW_SIM_HTTP_SIMULATED_API_H_
#define EXECGW_SIM_HTTP_SIMULATED_API_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "sim/http/fault_injector.h"
#include "sim/http/http_server.h"

namespace execgw::http {

// A response with a JSON body (Content-Type: application/json).
ServerResponse JsonResponse(int status, std::string body);

// The routing skeleton every upstream simulator shares: a table of routes
// (method and path pattern), the FaultInjector that makes an endpoint
// misbehave, and a log of the requests each endpoint received. The
// simulator supplies the actions and its upstream's answers to a path it
// does not serve.
class SimulatedApi {
 public:
  // The path segments a pattern's "{}" matched, percent-decoded, in order.
  using Params = std::vector<std::string>;
  using Action = std::function<ServerResponse(const ServerRequest& request, const Params& params)>;
  using Refusal = std::function<ServerResponse(const ServerRequest& request)>;

  // `not_found` answers a path that no route has; `wrong_method` a path that
  // a route has, asked with another method.
  SimulatedApi(Refusal not_found, Refusal wrong_method);
  SimulatedApi(const SimulatedApi&) = delete;
  SimulatedApi& operator=(const SimulatedApi&) = delete;

  // Adds a route: `method` and a `pattern` such as "/v0/jobs/{}/executions",
  // where "{}" matches any one non-empty segment. `endpoint` names the route
  // in faults() and the request log ("get", "list", ...; routes may share
  // one); a route with an empty `endpoint` is neither logged nor faulted (a
  // health check). The first matching route wins. Add every route before
  // the first request arrives.
  void Add(std::string method, absl::string_view pattern, std::string endpoint, Action action);

  // Answers `request`. Routes on the raw target, so that an escaped '/'
  // stays inside its segment; logs the request; then takes the endpoint's
  // fault: a replacing fault (status != 0) is the answer and the action does
  // not run, so a faulted write changes nothing; a status-0 fault adds its
  // delay and transport fault to the action's answer. Thread-safe.
  ServerResponse Handle(const ServerRequest& request);

  // Starts a loopback server on `port` (0: a free one) that answers every
  // request with Handle. The server must stop before this object goes.
  absl::StatusOr<std::unique_ptr<HttpServer>> Serve(int port);

  FaultInjector& faults() { return faults_; }
  // Requests routed to `endpoint` so far, faulted or not, and the last one.
  int request_count(const std::string& endpoint) const;
  std::optional<ServerRequest> last_request(const std::string& endpoint) const;
  // The request lines ("GET /v0/jobs/a%2Fb/executions?limit=2": the method,
  // a space, the target exactly as sent) of every request received, routed
  // or not (a path no route has included), oldest first; the last
  // kRequestLinesKept only.
  static constexpr size_t kRequestLinesKept = 1000;
  std::vector<std::string> request_lines() const;
  // The last kRecentRequests requests routed to `endpoint`, oldest first.
  static constexpr size_t kRecentRequests = 16;
  std::vector<ServerRequest> recent_requests(const std::string& endpoint) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> pattern;  // segments; "{}" matches any one
    std::string endpoint;
    Action action;
  };

  const Refusal not_found_;
  const Refusal wrong_method_;
  std::vector<Route> routes_;
  FaultInjector faults_;

  mutable absl::Mutex mu_;
  std::map<std::string, int> counts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ServerRequest> last_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> lines_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<ServerRequest>> recent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace execgw::http

#endif  // EXECGW_SIM_HTTP_SIMULATED_API_H_

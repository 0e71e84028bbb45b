#include "sim/http/simulated_api.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace execgw::http {
namespace {

// The segments of a path ("/a/b" -> {"a", "b"}), empty ones included, so
// that "/a//b" and "/a/b/" match no route of "/a/b".
std::vector<absl::string_view> Segments(absl::string_view path) {
  return absl::StrSplit(absl::StripPrefix(path, "/"), '/');
}

}  // namespace

ServerResponse JsonResponse(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

SimulatedApi::SimulatedApi(Refusal not_found, Refusal wrong_method)
    : not_found_(std::move(not_found)), wrong_method_(std::move(wrong_method)) {}

void SimulatedApi::Add(std::string method, absl::string_view pattern, std::string endpoint,
                       Action action) {
  std::vector<std::string> segments;
  for (absl::string_view s : Segments(pattern)) segments.emplace_back(s);
  routes_.push_back(
      {std::move(method), std::move(segments), std::move(endpoint), std::move(action)});
}

ServerResponse SimulatedApi::Handle(const ServerRequest& request) {
  {
    absl::MutexLock lock(&mu_);
    lines_.push_back(absl::StrCat(request.method, " ", request.target));
    if (lines_.size() > kRequestLinesKept) lines_.pop_front();
  }
  absl::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  const std::vector<absl::string_view> segments = Segments(path);
  const Route* route = nullptr;
  bool path_known = false;
  Params params;
  for (const Route& r : routes_) {
    if (r.pattern.size() != segments.size()) continue;
    Params matched;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      if (r.pattern[i] == "{}") {
        match = !segments[i].empty();
        matched.push_back(PercentDecode(segments[i], /*plus_is_space=*/false));
      } else {
        match = r.pattern[i] == segments[i];
      }
    }
    if (!match) continue;
    path_known = true;
    if (r.method != request.method) continue;
    route = &r;
    params = std::move(matched);
    break;
  }
  if (route == nullptr) return path_known ? wrong_method_(request) : not_found_(request);
  if (route->endpoint.empty()) return route->action(request, params);
  {
    absl::MutexLock lock(&mu_);
    ++counts_[route->endpoint];
    std::deque<ServerRequest>& recent = recent_[route->endpoint];
    recent.push_back(request);
    if (recent.size() > kRecentRequests) recent.pop_front();
  }
  std::optional<ServerResponse> fault = faults_.Take(route->endpoint);
  if (fault.has_value() && fault->status != 0) return *std::move(fault);
  return ApplyFault(std::move(fault), route->action(request, params));
}

absl::StatusOr<std::unique_ptr<HttpServer>> SimulatedApi::Serve(int port) {
  return StartHttpServer([this](const ServerRequest& request) { return Handle(request); }, port);
}

int SimulatedApi::request_count(const std::string& endpoint) const {
  absl::MutexLock lock(&mu_);
  auto it = counts_.find(endpoint);
  return it == counts_.end() ? 0 : it->second;
}

std::optional<ServerRequest> SimulatedApi::last_request(const std::string& endpoint) const {
  absl::MutexLock lock(&mu_);
  auto it = recent_.find(endpoint);
  if (it == recent_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<ServerRequest> SimulatedApi::recent_requests(const std::string& endpoint) const {
  absl::MutexLock lock(&mu_);
  auto it = recent_.find(endpoint);
  if (it == recent_.end()) return {};
  return std::vector<ServerRequest>(it->second.begin(), it->second.end());
}

std::vector<std::string> SimulatedApi::request_lines() const {
  absl::MutexLock lock(&mu_);
  return std::vector<std::string>(lines_.begin(), lines_.end());
}

}  // namespace execgw::http

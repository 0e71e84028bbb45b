#include "adapters/blaxel/blaxel_backend.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "adapters/blaxel/errors.h"
#include "adapters/blaxel/translator.h"
#include "adapters/json_value.h"
#include "adapters/upstream_error.h"

namespace execgw::blaxel {
namespace {

// RFC 3986 path segment encoding: unreserved characters stay, the rest is
// %XX (so '/', '?', '#', '%' and spaces in ids cannot change the route).
std::string EncodePathSegment(absl::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(segment.size());
  for (unsigned char c : segment) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

class BlaxelBackend final : public Backend {
 public:
  BlaxelBackend(BlaxelBackendOptions options, http::HttpClient& client)
      : options_(std::move(options)), client_(client) {
    base_url_ = std::string(absl::StripSuffix(options_.base_url, "/"));
  }

  const std::string& name() const override { return options_.name; }
  v1::BackendKind kind() const override { return v1::BACKEND_KIND_BLAXEL; }

  void GetExecution(const ExecutionName& name, const CallContext& context,
                    Done<v1::Execution> done) override {
    if (name.job.empty()) {
      std::move(done)(
          MakeError(absl::StatusCode::kInvalidArgument,
                    absl::StrCat("name: backend \"", options_.name,
                                 "\" is a Blaxel backend; execution names must have the form "
                                 "\"backends/{backend}/jobs/{job}/executions/{execution}\", got \"",
                                 name.ToString(), "\""),
                    reason::kWrongBackendKind, {{"backend", options_.name}, {"field", "name"}}));
      return;
    }
    if (name.backend != options_.name) {
      std::move(done)(MakeError(absl::StatusCode::kInvalidArgument,
                                absl::StrCat("name: backend \"", name.backend,
                                             "\" was routed to backend \"", options_.name, "\""),
                                reason::kInvalidArgument,
                                {{"backend", options_.name}, {"field", "name"}}));
      return;
    }
    http::HttpRequest request = NewRequest("GET", context);
    request.url = absl::StrCat(base_url_, "/jobs/", EncodePathSegment(name.job), "/executions/",
                               EncodePathSegment(name.execution));
    client_.Send(std::move(request), [backend = options_.name, secret = options_.api_key,
                                      job = name.job, id = name.execution, done = std::move(done)](
                                         absl::StatusOr<http::HttpResponse> response) mutable {
      std::move(done)(HandleExecutionResponse(backend, secret, job, id, std::move(response)));
    });
  }

 private:
  http::HttpRequest NewRequest(absl::string_view method, const CallContext& context) const {
    http::HttpRequest request;
    request.method = std::string(method);
    request.headers = {
        {"Authorization", absl::StrCat("Bearer ", options_.api_key)},
        {"X-Blaxel-Workspace", options_.workspace},
        {"Blaxel-Version", options_.api_version},
        {"Accept", "application/json"},
    };
    request.deadline = std::min(context.deadline, absl::Now() + options_.request_timeout);
    request.cancellation = context.cancellation;
    return request;
  }

  static absl::StatusOr<v1::Execution> HandleExecutionResponse(
      const std::string& backend, const std::string& secret, const std::string& job,
      const std::string& id, absl::StatusOr<http::HttpResponse> response) {
    if (!response.ok()) return TransportFailureToStatus(backend, response.status());
    if (response->status < 200 || response->status > 299) {
      return blaxel::BlaxelHttpError(backend, *response, absl::Now(), secret);
    }
    absl::StatusOr<rapidjson::Document> doc = ParseJson(response->body);
    if (!doc.ok()) {
      return InvalidResponseStatus(
          backend, absl::StrCat("the execution body is not JSON (", doc.status().message(), ")"));
    }
    if (!doc->IsObject()) {
      return InvalidResponseStatus(backend, "the execution body is not a JSON object");
    }
    return blaxel::TranslateJobExecution(*doc, backend, job, id);
  }

  const BlaxelBackendOptions options_;
  http::HttpClient& client_;
  std::string base_url_;
};

}  // namespace

std::unique_ptr<Backend> NewBlaxelBackend(BlaxelBackendOptions options, http::HttpClient& client) {
  return std::make_unique<BlaxelBackend>(std::move(options), client);
}

}  // namespace execgw::blaxel

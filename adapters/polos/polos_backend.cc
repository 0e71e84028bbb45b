#include "adapters/polos/polos_backend.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adapters/etag.h"
#include "adapters/json_value.h"
#include "adapters/polos/errors.h"
#include "adapters/polos/execution_id.h"
#include "adapters/polos/translator.h"
#include "adapters/upstream_error.h"

namespace execgw::polos {
namespace {

// The request the health probe makes (see errors.h): cheap, authenticated,
// and served from the same database as GET execution.
constexpr absl::string_view kProbePath = "/api/v1/workflows/runs?limit=1";

// What every in-flight call needs; shared so that callbacks never refer to
// the backend object itself.
struct Config {
  PolosBackendOptions options;
  std::string base_url;  // without a trailing '/'
  http::HttpClient* client;

  // Replaces the API key wherever it might have crept into a message (an
  // upstream echoing a header back, for instance). Payloads are kept.
  absl::Status Redact(absl::Status status) const {
    if (status.ok() || options.api_key.empty() ||
        status.message().find(options.api_key) == absl::string_view::npos) {
      return status;
    }
    absl::Status out(status.code(),
                     absl::StrReplaceAll(status.message(), {{options.api_key, "[redacted]"}}));
    status.ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) {
      out.SetPayload(url, payload);
    });
    return out;
  }

  http::HttpRequest Request(absl::string_view path, const CallContext& context) const {
    http::HttpRequest request;
    request.method = "GET";
    request.url = absl::StrCat(base_url, path);
    request.headers = {{"Authorization", absl::StrCat("Bearer ", options.api_key)},
                       {"X-Project-ID", options.project_id},
                       {"Accept", "application/json"}};
    request.deadline = std::min(context.deadline, absl::Now() + options.request_timeout);
    request.cancellation = context.cancellation;
    return request;
  }
};

bool IsSuccess(int status) { return status >= 200 && status <= 299; }

// Turns a 2xx GET execution body into an Execution.
absl::StatusOr<v1::Execution> ReadExecution(const Config& config, absl::string_view id,
                                            const http::HttpResponse& response) {
  const std::string& backend = config.options.name;
  absl::StatusOr<rapidjson::Document> doc = ParseJson(response.body);
  if (!doc.ok()) {
    return InvalidResponseStatus(backend, absl::StrCat("execution \"", id, "\": ",
                                                       doc.status().message()));
  }
  if (!doc->IsObject()) {
    return InvalidResponseStatus(backend,
                                 absl::StrCat("execution \"", id, "\": not a JSON object"));
  }
  v1::Execution execution = TranslateExecution(*doc, backend);
  if (execution.execution_id().empty()) {
    // `id` is required but missing: the execution is still the one asked for.
    execution.set_execution_id(std::string(id));
    execution.set_name(ExecutionName{backend, "", std::string(id)}.ToString());
    SetEtag(execution);
  } else if (execution.execution_id() != id) {
    return InvalidResponseStatus(
        backend, absl::StrCat("asked for execution \"", id, "\", got \"",
                              execution.execution_id().substr(0, 100), "\""));
  }
  return execution;
}

// Runs the health probe, then maps `failure` with what it found.
void ProbeThenFail(std::shared_ptr<const Config> config, PolosCall call, UpstreamFailure failure,
                   std::string id, const CallContext& context, Done<v1::Execution> done) {
  http::HttpRequest probe = config->Request(kProbePath, context);
  config->client->Send(
      std::move(probe), [config, call, failure = std::move(failure), id = std::move(id),
                         done = std::move(done)](absl::StatusOr<http::HttpResponse> r) mutable {
        if (!r.ok() && (r.status().code() == absl::StatusCode::kDeadlineExceeded ||
                        r.status().code() == absl::StatusCode::kCancelled)) {
          // The caller's limits ran out: say so rather than guess.
          std::move(done)(config->Redact(TransportFailureToStatus(config->options.name, r.status())));
          return;
        }
        const ProbeResult found =
            r.ok() && IsSuccess(r->status) ? ProbeResult::kHealthy : ProbeResult::kUnhealthy;
        std::move(done)(config->Redact(FailureToStatus(call, failure, found, id)));
      });
}

class PolosBackend final : public Backend {
 public:
  explicit PolosBackend(std::shared_ptr<const Config> config) : config_(std::move(config)) {}

  const std::string& name() const override { return config_->options.name; }
  v1::BackendKind kind() const override { return v1::BACKEND_KIND_POLOS; }

  void GetExecution(const ExecutionName& name, const CallContext& context,
                    Done<v1::Execution> done) override {
    if (absl::Status s = CheckName(name); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    std::shared_ptr<const Config> config = config_;
    const std::string id = name.execution;
    http::HttpRequest request =
        config->Request(absl::StrCat("/api/v1/executions/", id), context);
    config->client->Send(
        std::move(request), [config, id, context, done = std::move(done)](
                                absl::StatusOr<http::HttpResponse> r) mutable {
          const std::string& backend = config->options.name;
          if (!r.ok()) {
            std::move(done)(config->Redact(TransportFailureToStatus(backend, r.status())));
            return;
          }
          if (IsSuccess(r->status)) {
            absl::StatusOr<v1::Execution> execution = ReadExecution(*config, id, *r);
            if (!execution.ok()) execution = config->Redact(execution.status());
            std::move(done)(std::move(execution));
            return;
          }
          UpstreamFailure failure = ReadFailure(backend, *r, absl::Now());
          if (NeedsHealthProbe(PolosCall::kGet, failure)) {
            ProbeThenFail(config, PolosCall::kGet, std::move(failure), id, context,
                          std::move(done));
            return;
          }
          std::move(done)(config->Redact(FailureToStatus(PolosCall::kGet, failure,
                                                         ProbeResult::kNotProbed, id)));
        });
  }

 private:
  absl::Status CheckName(const ExecutionName& name) const {
    const std::string& backend = config_->options.name;
    if (name.backend != backend) {
      return MakeError(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("name: backend \"", name.backend,
                                    "\" was routed to Polos backend \"", backend, "\""),
                       reason::kInvalidArgument, {{"field", "name"}, {"backend", backend}});
    }
    if (!name.job.empty()) {
      return MakeError(
          absl::StatusCode::kInvalidArgument,
          absl::StrCat("name: backend \"", backend,
                       "\" is a Polos backend, whose executions are named "
                       "\"backends/",
                       backend, "/executions/{execution}\" (no jobs/ segment)"),
          reason::kWrongBackendKind, {{"field", "name"}, {"backend", backend}});
    }
    if (!IsCanonicalUuid(name.execution)) {
      return MakeError(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("name: execution id \"", name.execution.substr(0, 100),
                                    "\" is not a UUID; Polos execution ids look like "
                                    "\"6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60\""),
                       reason::kInvalidArgument, {{"field", "name"}, {"backend", backend}});
    }
    return absl::OkStatus();
  }

  std::shared_ptr<const Config> config_;
};

}  // namespace

std::unique_ptr<Backend> NewPolosBackend(PolosBackendOptions options, http::HttpClient& client) {
  auto config = std::make_shared<Config>();
  config->base_url = std::string(absl::StripSuffix(options.base_url, "/"));
  config->options = std::move(options);
  config->client = &client;
  return std::make_unique<PolosBackend>(std::move(config));
}

}  // namespace execgw::polos

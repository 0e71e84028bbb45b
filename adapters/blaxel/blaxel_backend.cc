#include "adapters/blaxel/blaxel_backend.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adapters/blaxel/errors.h"
#include "adapters/blaxel/oauth_token_source.h"
#include "adapters/blaxel/translator.h"
#include "adapters/etag.h"
#include "adapters/http/url.h"
#include "adapters/json_value.h"
#include "adapters/upstream_error.h"
#include "adapters/upstream_time.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace execgw::blaxel {
namespace {

// The first Blaxel-Version with cursor paging, sort and the tasks endpoint.
constexpr absl::string_view kCursorVersion = "2026-04-28";

// Reading an execution back right after its create: Blaxel may not serve it
// at once. Delays before the 2nd and 3rd attempts.
constexpr absl::Duration kReadBackDelays[] = {absl::Milliseconds(100), absl::Milliseconds(300)};

bool IsSuccess(int status) { return status >= 200 && status <= 299; }

bool IsFinished(v1::Execution::State state) {
  return state == v1::Execution::STATE_SUCCEEDED || state == v1::Execution::STATE_FAILED ||
         state == v1::Execution::STATE_TIMED_OUT || state == v1::Execution::STATE_CANCELLED;
}

// What every in-flight call needs; shared so that callbacks never refer to
// the backend object itself.
struct Config {
  BlaxelBackendOptions options;
  std::string base_url;  // without a trailing '/'
  http::HttpClient* client = nullptr;
  // Set when the backend authenticates with OAuth client credentials.
  std::shared_ptr<OAuthTokenSource> tokens;
  // Blaxel-Version older than kCursorVersion: bare-array lists with
  // offsets, no tasks endpoint.
  bool legacy = false;

  const std::string& backend() const { return options.name; }

  // A request without its credential (Exchange adds it).
  http::HttpRequest Request(absl::string_view method, absl::string_view path,
                            const CallContext& context, bool idempotent) const {
    http::HttpRequest request;
    request.method = std::string(method);
    request.url = absl::StrCat(base_url, path);
    request.headers = {
        {"X-Blaxel-Workspace", options.workspace},
        {"Blaxel-Version", options.api_version},
        {"Accept", "application/json"},
    };
    request.deadline = context.deadline;
    request.attempt_timeout = options.request_timeout;
    request.cancellation = context.cancellation;
    request.idempotent = idempotent;
    // The error table's word for a retrying client: a 5xx whose body says
    // `retryable: false` is Blaxel's definitive answer.
    request.retryable = [](const http::HttpResponse& response) {
      return ParseBlaxelErrorBody(response.body).retryable != false;
    };
    return request;
  }

  // The error table, applied to a non-2xx answer to a request sent with
  // `credential` (kept out of the status).
  absl::Status Error(const http::HttpResponse& response, const std::string& credential) const {
    return BlaxelHttpError(backend(), response, absl::Now(), {credential});
  }
};

std::string ExecutionsPath(absl::string_view job) {
  return absl::StrCat("/jobs/", http::PercentEncode(job), "/executions");
}

std::string ExecutionPath(absl::string_view job, absl::string_view id) {
  return absl::StrCat(ExecutionsPath(job), "/", http::PercentEncode(id));
}

// Gets the upstream's answer whatever its HTTP status, or a final status
// (transport failure, no OAuth token), and the credential the request was
// sent with, for Config::Error to keep out of the status it builds.
using Answered = absl::AnyInvocable<void(absl::StatusOr<http::HttpResponse> answer,
                                         const std::string& credential) &&>;

// Sends `request` with the backend's credential. With OAuth, a 401
// invalidates the token and the request is sent once more with a fresh one.
void Exchange(std::shared_ptr<const Config> config, http::HttpRequest request,
              const CallContext& context, Answered done, bool retried = false) {
  if (config->tokens == nullptr) {
    request.headers.push_back({"Authorization", absl::StrCat("Bearer ", config->options.api_key)});
    config->client->Send(std::move(request), [config, done = std::move(done)](
                                                 absl::StatusOr<http::HttpResponse> r) mutable {
      const std::string& key = config->options.api_key;
      if (!r.ok()) {
        std::move(done)(TransportFailureToStatus(config->backend(), r.status()), key);
        return;
      }
      std::move(done)(*std::move(r), key);
    });
    return;
  }
  std::shared_ptr<OAuthTokenSource> tokens = config->tokens;
  tokens->GetToken(context, [config, request = std::move(request), context, retried,
                             done = std::move(done)](absl::StatusOr<std::string> token) mutable {
    if (!token.ok()) {
      std::move(done)(token.status(), "");
      return;
    }
    http::HttpRequest attempt = request;
    attempt.headers.push_back({"Authorization", absl::StrCat("Bearer ", *token)});
    config->client->Send(
        std::move(attempt),
        [config, request = std::move(request), context, retried, token = *std::move(token),
         done = std::move(done)](absl::StatusOr<http::HttpResponse> r) mutable {
          if (!r.ok()) {
            std::move(done)(TransportFailureToStatus(config->backend(), r.status()), token);
            return;
          }
          if (r->status == 401 && !retried) {
            // The token was refused (expired early, revoked): one fresh try.
            config->tokens->Invalidate(token);
            Exchange(config, std::move(request), context, std::move(done), /*retried=*/true);
            return;
          }
          // The body goes on as it is: Config::Error redacts the token from
          // the decoded error strings, which catches an escaped echo too.
          std::move(done)(*std::move(r), token);
        });
  });
}

// A 2xx JobExecution body -> Execution.
absl::StatusOr<v1::Execution> ReadExecution(const Config& config, const std::string& job,
                                            const std::string& id, const std::string& body) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(body);
  if (!doc.ok()) {
    return InvalidResponseStatus(config.backend(), absl::StrCat("the execution body is not JSON (",
                                                                doc.status().message(), ")"));
  }
  if (!doc->IsObject()) {
    return InvalidResponseStatus(config.backend(), "the execution body is not a JSON object");
  }
  return TranslateJobExecution(*doc, config.backend(), job, id);
}

// GET /jobs/{job}/executions/{id}, translated, with the error table applied.
void FetchExecution(std::shared_ptr<const Config> config, std::string job, std::string id,
                    const CallContext& context, Done<v1::Execution> done) {
  http::HttpRequest request =
      config->Request("GET", ExecutionPath(job, id), context, /*idempotent=*/true);
  Exchange(config, std::move(request), context,
           [config, job = std::move(job), id = std::move(id), done = std::move(done)](
               absl::StatusOr<http::HttpResponse> r, const std::string& credential) mutable {
             if (!r.ok()) {
               std::move(done)(r.status());
             } else if (!IsSuccess(r->status)) {
               std::move(done)(config->Error(*r, credential));
             } else {
               std::move(done)(ReadExecution(*config, job, id, r->body));
             }
           });
}

absl::Status InvalidField(absl::string_view field, absl::string_view message,
                          const std::string& backend,
                          absl::string_view reason = reason::kInvalidArgument) {
  return MakeError(absl::StatusCode::kInvalidArgument, message, reason,
                   {{"field", std::string(field)}, {"backend", backend}});
}

// A 400 answered to a request that carried a cursor: Blaxel rejects
// cursors that expired (24 h) or belong to another query.
absl::Status MaybeStaleCursor(const Config& config, const http::HttpResponse& response,
                              const std::string& credential, bool sent_cursor) {
  if (response.status == 400 && sent_cursor &&
      !absl::EqualsIgnoreCase(ParseBlaxelErrorBody(response.body).code, "invalid_api_version")) {
    return MakeError(
        absl::StatusCode::kInvalidArgument,
        "page_token: has expired or no longer matches; start again without it",
        reason::kInvalidPageToken,
        {{"field", "page_token"}, {"backend", config.backend()}, {"http_status", "400"}});
  }
  return config.Error(response, credential);
}

// The meta.total of a cursor page; -1 when absent.
int64_t MetaTotal(const rapidjson::Value& doc) {
  const rapidjson::Value* meta = JsonMember(doc, "meta");
  if (meta == nullptr) return -1;
  return JsonInt(*meta, "total").value_or(-1);
}

std::string MetaNextCursor(const rapidjson::Value& doc) {
  const rapidjson::Value* meta = JsonMember(doc, "meta");
  if (meta == nullptr) return "";
  return JsonString(*meta, "nextCursor").value_or("");
}

// Turns one list answer into a page: translation, the filters Blaxel cannot
// apply, and where the next page starts.
absl::StatusOr<ExecutionPage> ReadExecutionPage(const Config& config,
                                                const ListExecutionsQuery& query, int64_t limit,
                                                const std::string& body) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(body);
  if (!doc.ok()) {
    return InvalidResponseStatus(config.backend(),
                                 absl::StrCat("list of executions: ", doc.status().message()));
  }
  const rapidjson::Value* items = nullptr;
  if (config.legacy) {
    // Bare array; be lenient with a server that answers the new shape.
    items = doc->IsArray() ? &*doc : JsonMember(*doc, "data");
  } else if (doc->IsObject()) {
    items = JsonMember(*doc, "data");
  } else if (doc->IsArray()) {
    return InvalidResponseStatus(
        config.backend(),
        absl::StrCat("list of executions: a bare array, as before Blaxel-Version ", kCursorVersion,
                     "; the configured api_version \"", config.options.api_version,
                     "\" was not honoured"));
  }
  if (items == nullptr || !items->IsArray()) {
    return InvalidResponseStatus(config.backend(), "list of executions: no data array");
  }
  ExecutionPage page;
  bool beyond_range = false;
  for (const rapidjson::Value& item : items->GetArray()) {
    if (!item.IsObject()) continue;  // still counts for the offset
    v1::Execution e = TranslateJobExecution(item, config.backend(), query.parent.job);
    if (e.has_create_time()) {
      const absl::Time created = FromProtoTimestamp(e.create_time());
      const bool before_from = query.created_from.has_value() && created < *query.created_from;
      const bool after_to = query.created_to.has_value() && created >= *query.created_to;
      // Pages come in create-time order: past the range's far bound,
      // nothing later can match.
      if ((!query.ascending && before_from) || (query.ascending && after_to)) beyond_range = true;
      if (before_from || after_to) continue;
    }
    if (!query.states.empty() && !query.states.contains(e.state())) continue;
    page.executions.push_back(std::move(e));
  }
  if (config.legacy) {
    const int64_t served = items->Size();
    if (!beyond_range && served >= limit) {
      UpstreamPosition next;
      next.offset = std::max<int64_t>(query.position.offset, 0) + served;
      page.next = std::move(next);
    }
    page.total_size = -1;
  } else {
    std::string cursor = MetaNextCursor(*doc);
    if (!beyond_range && !cursor.empty()) {
      UpstreamPosition next;
      next.cursor = std::move(cursor);
      page.next = std::move(next);
    }
    page.total_size = MetaTotal(*doc);
  }
  return page;
}

// The execution as the create answer and the request describe it, for when
// reading it back fails after Blaxel started it.
v1::Execution StartedExecution(const std::string& backend, const std::string& job,
                               const std::string& id, const rapidjson::Value& answer,
                               const v1::CreateExecutionRequest& request) {
  v1::Execution e;
  e.set_name(ExecutionName{backend, job, id}.ToString());
  e.set_backend(backend);
  e.set_backend_kind(v1::BACKEND_KIND_BLAXEL);
  e.set_execution_id(id);
  e.set_workload(job);
  e.set_state(v1::Execution::STATE_QUEUED);
  if (std::optional<std::string> ws = JsonString(answer, "workspaceId")) {
    e.mutable_blaxel()->set_workspace(*ws);
  }
  for (const auto& [key, value] : request.env())
    (*e.mutable_blaxel()->mutable_env_override())[key] = "***";
  if (request.memory_mb() > 0) e.mutable_blaxel()->set_memory_override_mb(request.memory_mb());
  if (request.task_parameters_size() > 0) {
    google::protobuf::ListValue* list = e.mutable_input()->mutable_list_value();
    for (const google::protobuf::Struct& params : request.task_parameters()) {
      *list->add_values()->mutable_struct_value() = params;
    }
  }
  SetEtag(e);
  return e;
}

std::string CreateBody(const v1::CreateExecutionRequest& request, const std::string& execution_id) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto key = [&w](absl::string_view k) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
  };
  auto string = [&w](absl::string_view v) {
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  if (!execution_id.empty()) {
    key("executionId");
    string(execution_id);
  }
  if (!request.request_id().empty()) {
    key("id");
    string(request.request_id());
  }
  if (request.task_parameters_size() > 0) {
    key("tasks");
    w.StartArray();
    for (const google::protobuf::Struct& params : request.task_parameters()) {
      const std::string json = StructToJson(params);
      w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    }
    w.EndArray();
  }
  if (!request.env().empty()) {
    // Sorted, so that the same request gives the same body.
    std::map<std::string, std::string> env(request.env().begin(), request.env().end());
    key("env");
    w.StartObject();
    for (const auto& [k, v] : env) {
      key(k);
      string(v);
    }
    w.EndObject();
  }
  if (request.memory_mb() > 0) {
    key("memory");
    w.Int(request.memory_mb());
  }
  if (request.reject_if_no_capacity()) {
    key("allowQueue");
    w.Bool(false);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// Reads a just-created execution back; see CreateExecution in the header.
void ReadBack(std::shared_ptr<const Config> config, std::string job, std::string id,
              CallContext context, size_t attempt, v1::Execution started,
              Done<v1::Execution> done) {
  FetchExecution(
      config, job, id, context,
      [config, job, id, context, attempt, started = std::move(started),
       done = std::move(done)](absl::StatusOr<v1::Execution> e) mutable {
        if (e.ok()) {
          std::move(done)(*std::move(e));
          return;
        }
        if (e.status().code() == absl::StatusCode::kNotFound &&
            attempt < std::size(kReadBackDelays)) {
          const absl::Time when = absl::Now() + kReadBackDelays[attempt];
          if (when < context.deadline) {
            // No cancellation here: a cancelled call fails its next GET at
            // once and still completes.
            config->client->RunAt(
                when, [config, job = std::move(job), id = std::move(id), context, attempt,
                       started = std::move(started), done = std::move(done)]() mutable {
                  ReadBack(std::move(config), std::move(job), std::move(id), std::move(context),
                           attempt + 1, std::move(started), std::move(done));
                });
            return;
          }
        }
        // Blaxel started the execution: never answer an error that would
        // make a caller start it again.
        std::move(done)(std::move(started));
      });
}

// ---------------------------------------------------------------------------

class BlaxelBackend final : public Backend {
 public:
  explicit BlaxelBackend(std::shared_ptr<const Config> config) : config_(std::move(config)) {}

  const std::string& name() const override { return config_->backend(); }
  v1::BackendKind kind() const override { return v1::BACKEND_KIND_BLAXEL; }
  bool deduplicates_creates() const override { return true; }

  void GetExecution(const ExecutionName& name, const CallContext& context,
                    Done<v1::Execution> done) override {
    if (absl::Status s = CheckName(name, "name"); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    FetchExecution(config_, name.job, name.execution, context, std::move(done));
  }

  void ListExecutions(const ListExecutionsQuery& query, const CallContext& context,
                      Done<ExecutionPage> done) override {
    if (absl::Status s = CheckParent(query.parent); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    if (config_->legacy && query.ascending) {
      std::move(done)(
          InvalidField("order_by",
                       absl::StrCat("order_by: backend \"", config_->backend(),
                                    "\" uses Blaxel-Version \"", config_->options.api_version,
                                    "\", which lists newest first only; use \"create_time desc\""),
                       config_->backend()));
      return;
    }
    const int64_t limit = std::clamp(query.page_size <= 0 ? 20 : query.page_size, 1, 100);
    std::string path = absl::StrCat(ExecutionsPath(query.parent.job), "?limit=", limit);
    const bool sent_cursor = !config_->legacy && !query.position.cursor.empty();
    if (config_->legacy) {
      absl::StrAppend(&path, "&offset=", std::max<int64_t>(query.position.offset, 0));
    } else {
      absl::StrAppend(&path, "&sort=", query.ascending ? "createdAt:asc" : "createdAt:desc");
      if (sent_cursor) {
        absl::StrAppend(&path, "&cursor=", http::PercentEncode(query.position.cursor));
      }
    }
    std::shared_ptr<const Config> config = config_;
    Exchange(config, config->Request("GET", path, context, /*idempotent=*/true), context,
             [config, query, limit, sent_cursor, done = std::move(done)](
                 absl::StatusOr<http::HttpResponse> r, const std::string& credential) mutable {
               if (!r.ok()) {
                 std::move(done)(r.status());
               } else if (!IsSuccess(r->status)) {
                 std::move(done)(MaybeStaleCursor(*config, *r, credential, sent_cursor));
               } else {
                 std::move(done)(ReadExecutionPage(*config, query, limit, r->body));
               }
             });
  }

  void ListExecutionTasks(const ListTasksQuery& query, const CallContext& context,
                          Done<TaskPage> done) override {
    if (absl::Status s = CheckName(query.execution, "parent"); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    const int64_t limit = std::clamp(query.page_size <= 0 ? 50 : query.page_size, 1, 200);
    const int64_t offset = std::max<int64_t>(query.position.offset, 0);
    std::shared_ptr<const Config> config = config_;
    // Oldest first (Blaxel's default is newest first): the order of the
    // execution's own task list, as GetExecution and legacy versions show it.
    if (config->legacy) {
      // No tasks endpoint: page the execution's own task list.
      FetchExecution(
          config, query.execution.job, query.execution.execution, context,
          [limit, offset, done = std::move(done)](absl::StatusOr<v1::Execution> e) mutable {
            if (!e.ok()) {
              std::move(done)(e.status());
              return;
            }
            TaskPage page;
            const int64_t total = e->tasks_size();
            for (int64_t i = offset; i < total && i < offset + limit; ++i) {
              page.tasks.push_back(std::move(*e->mutable_tasks(static_cast<int>(i))));
            }
            if (offset + limit < total) {
              UpstreamPosition next;
              next.offset = offset + limit;
              page.next = std::move(next);
            }
            page.total_size = total;
            std::move(done)(std::move(page));
          });
      return;
    }
    std::string path = absl::StrCat(ExecutionPath(query.execution.job, query.execution.execution),
                                    "/tasks?limit=", limit, "&sort=createdAt:asc");
    const bool sent_cursor = !query.position.cursor.empty();
    if (sent_cursor) absl::StrAppend(&path, "&cursor=", http::PercentEncode(query.position.cursor));
    Exchange(
        config, config->Request("GET", path, context, /*idempotent=*/true), context,
        [config, offset, sent_cursor, done = std::move(done)](
            absl::StatusOr<http::HttpResponse> r, const std::string& credential) mutable {
          if (!r.ok()) {
            std::move(done)(r.status());
            return;
          }
          if (!IsSuccess(r->status)) {
            std::move(done)(MaybeStaleCursor(*config, *r, credential, sent_cursor));
            return;
          }
          absl::StatusOr<rapidjson::Document> doc = ParseJson(r->body);
          const rapidjson::Value* data = doc.ok() ? JsonMember(*doc, "data") : nullptr;
          if (data == nullptr || !data->IsArray()) {
            std::move(done)(InvalidResponseStatus(
                config->backend(),
                absl::StrCat("list of tasks: ",
                             doc.ok() ? "no data array" : doc.status().message())));
            return;
          }
          TaskPage page;
          int64_t index = offset;
          for (const rapidjson::Value& item : data->GetArray()) {
            // The task's position in the whole list names it when unnamed.
            const int i = static_cast<int>(index++);
            if (!item.IsObject()) continue;
            page.tasks.push_back(TranslateTask(item, absl::StrCat("tasks[", i, "]"), i, nullptr));
          }
          if (std::string cursor = MetaNextCursor(*doc); !cursor.empty()) {
            UpstreamPosition next;
            next.cursor = std::move(cursor);
            next.offset = index;
            page.next = std::move(next);
          }
          page.total_size = MetaTotal(*doc);
          std::move(done)(std::move(page));
        });
  }

  void CreateExecution(const ParentName& parent, const v1::CreateExecutionRequest& request,
                       const CallContext& context, Done<v1::Execution> done) override {
    if (absl::Status s = CheckParent(parent); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    if (absl::Status s = CheckCreate(request); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    const std::string execution_id =
        request.execution_id().empty() ? request.request_id() : request.execution_id();
    std::shared_ptr<const Config> config = config_;
    // Blaxel deduplicates creates on the execution id: only then is sending
    // twice harmless.
    http::HttpRequest post = config->Request("POST", ExecutionsPath(parent.job), context,
                                             /*idempotent=*/!execution_id.empty());
    post.headers.push_back({"Content-Type", "application/json"});
    post.body = CreateBody(request, execution_id);
    Exchange(config, std::move(post), context,
             [config, job = parent.job, request, execution_id, context, done = std::move(done)](
                 absl::StatusOr<http::HttpResponse> r, const std::string& credential) mutable {
               if (!r.ok()) {
                 std::move(done)(r.status());
                 return;
               }
               if (!IsSuccess(r->status)) {
                 std::move(done)(config->Error(*r, credential));
                 return;
               }
               absl::StatusOr<rapidjson::Document> doc = ParseJson(r->body);
               std::string id;
               if (doc.ok()) id = JsonString(*doc, "executionId").value_or("");
               if (id.empty()) id = execution_id;
               if (id.empty()) {
                 std::move(done)(InvalidResponseStatus(
                     config->backend(),
                     absl::StrCat("the create for job \"", job,
                                  "\" answered without an executionId; the execution may have "
                                  "started (HTTP ",
                                  r->status, ")")));
                 return;
               }
               rapidjson::Document empty(rapidjson::kObjectType);
               v1::Execution started =
                   StartedExecution(config->backend(), job, id, doc.ok() ? *doc : empty, request);
               ReadBack(config, job, id, context, 0, std::move(started), std::move(done));
             });
  }

  void CancelExecution(const ExecutionName& name, const CallContext& context,
                       Done<v1::Execution> done) override {
    if (absl::Status s = CheckName(name, "name"); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    // Read first: Blaxel's DELETE of a finished execution does not say it
    // was finished (see simulator.h), and one already cancelling needs no
    // second DELETE.
    std::shared_ptr<const Config> config = config_;
    FetchExecution(
        config, name.job, name.execution, context,
        [config, job = name.job, id = name.execution, context,
         done = std::move(done)](absl::StatusOr<v1::Execution> current) mutable {
          if (!current.ok()) {
            std::move(done)(current.status());
            return;
          }
          if (IsFinished(current->state())) {
            std::move(done)(NotCancellable(*config, *current));
            return;
          }
          if (current->state() == v1::Execution::STATE_CANCELLING) {
            std::move(done)(*std::move(current));
            return;
          }
          Exchange(config,
                   config->Request("DELETE", ExecutionPath(job, id), context,
                                   /*idempotent=*/true),
                   context,
                   [config, job, id, done = std::move(done)](
                       absl::StatusOr<http::HttpResponse> r,
                       const std::string& credential) mutable {
                     if (!r.ok()) {
                       std::move(done)(r.status());
                       return;
                     }
                     if (r->status == 409) {
                       // Finished between the read and the DELETE.
                       const absl::Status upstream = config->Error(*r, credential);
                       std::move(done)(MakeError(
                           absl::StatusCode::kFailedPrecondition,
                           absl::StrCat("execution \"", id, "\" on backend \"", config->backend(),
                                        "\" cannot be cancelled: ", upstream.message()),
                           reason::kFailedPrecondition,
                           {{"backend", config->backend()}, {"execution_id", id}}));
                       return;
                     }
                     if (!IsSuccess(r->status)) {
                       std::move(done)(config->Error(*r, credential));
                       return;
                     }
                     absl::StatusOr<v1::Execution> after = ReadExecution(*config, job, id, r->body);
                     if (after.ok() && IsFinished(after->state()) &&
                         after->state() != v1::Execution::STATE_CANCELLED) {
                       std::move(done)(NotCancellable(*config, *after));
                       return;
                     }
                     std::move(done)(std::move(after));
                   });
        });
  }

 private:
  // FAILED_PRECONDITION for an execution that has finished.
  static absl::Status NotCancellable(const Config& config, const v1::Execution& e) {
    const std::string message = absl::StrCat(
        "execution \"", e.execution_id(), "\" on backend \"", config.backend(),
        "\" cannot be cancelled: it has already finished (state ",
        v1::Execution::State_Name(e.state()), ", Blaxel status \"", e.raw_status(), "\")");
    return MakeError(absl::StatusCode::kFailedPrecondition, message, reason::kFailedPrecondition,
                     {{"backend", config.backend()},
                      {"execution_id", e.execution_id()},
                      {"state", v1::Execution::State_Name(e.state())}});
  }

  // `field` is the request field the name came from.
  absl::Status CheckName(const ExecutionName& name, absl::string_view field) const {
    const std::string& backend = config_->backend();
    if (name.job.empty()) {
      return MakeError(absl::StatusCode::kInvalidArgument,
                       absl::StrCat(field, ": backend \"", backend,
                                    "\" is a Blaxel backend; execution names must have the form "
                                    "\"backends/{backend}/jobs/{job}/executions/{execution}\", "
                                    "got \"",
                                    name.ToString(), "\""),
                       reason::kWrongBackendKind,
                       {{"backend", backend}, {"field", std::string(field)}});
    }
    if (name.backend != backend) {
      return InvalidField(field,
                          absl::StrCat(field, ": backend \"", name.backend,
                                       "\" was routed to backend \"", backend, "\""),
                          backend);
    }
    return absl::OkStatus();
  }

  absl::Status CheckParent(const ParentName& parent) const {
    const std::string& backend = config_->backend();
    if (parent.backend != backend) {
      return InvalidField("parent",
                          absl::StrCat("parent: backend \"", parent.backend,
                                       "\" was routed to Blaxel backend \"", backend, "\""),
                          backend);
    }
    const std::string jobs = absl::StrCat("\"backends/", backend, "/jobs/{job}\"");
    if (!parent.workflow.empty()) {
      return InvalidField("parent",
                          absl::StrCat("parent: backend \"", backend,
                                       "\" is a Blaxel backend, which has jobs, not workflows: "
                                       "use ",
                                       jobs),
                          backend, reason::kWrongBackendKind);
    }
    if (parent.job.empty()) {
      return InvalidField("parent",
                          absl::StrCat("parent: Blaxel lists and starts executions per job: "
                                       "use ",
                                       jobs, ", not \"", parent.ToString(), "\""),
                          backend);
    }
    return absl::OkStatus();
  }

  absl::Status CheckCreate(const v1::CreateExecutionRequest& request) const {
    const std::string& backend = config_->backend();
    std::vector<std::string> unsupported;
    if (request.has_input()) unsupported.push_back("input");
    if (request.has_timeout()) unsupported.push_back("timeout");
    if (!request.queue().empty()) unsupported.push_back("queue");
    if (!request.concurrency_key().empty()) unsupported.push_back("concurrency_key");
    if (!request.session_id().empty()) unsupported.push_back("session_id");
    if (!request.user_id().empty()) unsupported.push_back("user_id");
    if (!request.deployment_id().empty()) unsupported.push_back("deployment_id");
    if (!unsupported.empty()) {
      return InvalidField(absl::StrJoin(unsupported, ","),
                          absl::StrJoin(unsupported, "; ",
                                        [](std::string* out, const std::string& field) {
                                          absl::StrAppend(out, field,
                                                          ": not supported by Blaxel backends");
                                        }),
                          backend);
    }
    if (request.memory_mb() < 0) {
      return InvalidField("memory_mb",
                          absl::StrCat("memory_mb: must be a positive number of megabytes (or 0 "
                                       "for the job's), got ",
                                       request.memory_mb()),
                          backend);
    }
    if (!request.request_id().empty() && !request.execution_id().empty() &&
        request.execution_id() != request.request_id()) {
      return InvalidField(
          "execution_id",
          "execution_id: Blaxel deduplicates creates on the execution id, so it must equal "
          "request_id or be empty when request_id is set",
          backend);
    }
    return absl::OkStatus();
  }

  std::shared_ptr<const Config> config_;
};

}  // namespace

std::unique_ptr<Backend> NewBlaxelBackend(BlaxelBackendOptions options, http::HttpClient& client) {
  auto config = std::make_shared<Config>();
  config->base_url = std::string(absl::StripSuffix(options.base_url, "/"));
  config->legacy = options.api_version < kCursorVersion;
  config->client = &client;
  if (options.api_key.empty() && !options.oauth_client_id.empty()) {
    OAuthTokenSourceOptions o;
    o.backend = options.name;
    o.token_url = absl::StrCat(config->base_url, "/oauth/token");
    o.client_id = options.oauth_client_id;
    o.client_secret = options.oauth_client_secret;
    o.request_timeout = options.request_timeout;
    o.clock = options.clock;
    config->tokens = std::make_shared<OAuthTokenSource>(std::move(o), client);
  }
  config->options = std::move(options);
  return std::make_unique<BlaxelBackend>(std::move(config));
}

}  // namespace execgw::blaxel

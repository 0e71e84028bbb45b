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
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/blaxel/errors.h"
#include "adapters/blaxel/list_position.h"
#include "adapters/blaxel/oauth_token_source.h"
#include "adapters/blaxel/translator.h"
#include "adapters/etag.h"
#include "adapters/execution_state.h"
#include "adapters/field_rules.h"
#include "adapters/json_value.h"
#include "adapters/list_filter.h"
#include "adapters/redaction.h"
#include "adapters/request_builder.h"
#include "adapters/resource_name.h"
#include "adapters/upstream_error.h"
#include "adapters/upstream_time.h"
#include "google/protobuf/util/message_differencer.h"

namespace execgw::blaxel {
namespace {

// The first Blaxel-Version with cursor paging, sort and the tasks endpoint.
constexpr absl::string_view kCursorVersion = "2026-04-28";

// Reading an execution back right after its create: Blaxel may not serve it
// at once. Delays before the 2nd and 3rd reads: a deliberate extra beyond
// the retrying client's policy (README: "Retries and limits"), for a
// NOT_FOUND, an answer the client never retries.
constexpr absl::Duration kReadBackDelays[] = {absl::Milliseconds(100), absl::Milliseconds(300)};

class ListingDialect;

// The Blaxel API as every in-flight call sees it: the backend's options,
// its HTTP client and credentials, and how requests to it are built. Shared
// so that callbacks never refer to the backend object itself.
struct BlaxelApi {
  BlaxelBackendOptions options;
  // X-Blaxel-Workspace, Blaxel-Version, Accept (no credential: SendWithCredential
  // adds it).
  RequestBuilder requests;
  http::HttpClient* client = nullptr;
  // Set when the backend authenticates with OAuth client credentials.
  std::shared_ptr<OAuthTokenSource> tokens;
  // How the configured Blaxel-Version lists (cursors, or bare arrays with
  // offsets and no tasks endpoint before kCursorVersion).
  std::shared_ptr<const ListingDialect> listing;

  const std::string& backend() const { return options.name; }

  // A request without its credential (SendWithCredential adds it).
  http::HttpRequest Request(absl::string_view method, const UpstreamPath& path,
                            const CallContext& context, bool idempotent) const {
    return requests.Build(method, path, context, idempotent);
  }

  // The one retry policy (BlaxelVerdict) for a request sent with
  // `credential` (kept out of every status); `write` names a create or
  // cancel, whose transport failures follow the write rule.
  http::Classifier Classifier(const std::string& credential,
                              const std::optional<WriteOutcome>& write) const {
    return [loop = &client->loop(), backend = backend(),
            secrets = std::vector<std::string>{credential},
            write](const absl::StatusOr<http::HttpResponse>& outcome) {
      return BlaxelVerdict(backend, outcome, loop->Now(), secrets,
                           write.has_value() ? &*write : nullptr);
    };
  }

  // A 2xx body, parsed, with every credential the upstream could echo (the
  // one the request was sent with, the API key, the OAuth client secret)
  // redacted from its strings in any spelling, before anything of it is
  // translated. An error is ParseJson's (INTERNAL, no reason): each caller
  // says what could not be read.
  absl::StatusOr<rapidjson::Document> ParseAnswer(const std::string& body,
                                                  const std::string& credential) const {
    return ParseRedactedJson(body, *spellings->For(credential));
  }

  // The spellings ParseAnswer redacts (adapters/redaction.h), built once for
  // the API key and once per OAuth token rather than for every body (about
  // 4 us each on a 5.7 KB document: translate_bench BM_ParseAndRedact).
  // Thread-safe: a backend's calls may come from several threads.
  class Spellings {
   public:
    explicit Spellings(const BlaxelBackendOptions& options)
        : key_(options.api_key),
          client_secret_(options.oauth_client_secret),
          fixed_(std::make_shared<const SecretSpellings>(
              std::vector<std::string>{options.api_key, options.oauth_client_secret})) {}

    // For a body fetched with `credential`: the API key's (fixed) ones when
    // it is the key, else the token's with the client secret's.
    std::shared_ptr<const SecretSpellings> For(const std::string& credential) const {
      if (credential == key_) return fixed_;
      absl::MutexLock lock(&mu_);
      if (token_ == nullptr || token_credential_ != credential) {
        token_ = std::make_shared<const SecretSpellings>(
            std::vector<std::string>{credential, key_, client_secret_});
        token_credential_ = credential;
      }
      return token_;
    }

   private:
    const std::string key_;
    const std::string client_secret_;
    const std::shared_ptr<const SecretSpellings> fixed_;
    mutable absl::Mutex mu_;
    mutable std::string token_credential_ ABSL_GUARDED_BY(mu_);
    mutable std::shared_ptr<const SecretSpellings> token_ ABSL_GUARDED_BY(mu_);
  };
  std::unique_ptr<const Spellings> spellings;
};

UpstreamPath ExecutionsPath(absl::string_view job) {
  return UpstreamPath("/jobs").Segment(job, "{job}").Route("/executions");
}

UpstreamPath ExecutionPath(absl::string_view job, absl::string_view id) {
  return ExecutionsPath(job).Segment(id, "{id}");
}

// Gets the upstream's 2xx answer, or the status of the verdict on any other
// outcome (BlaxelVerdict: the error table read once, by the retrying client
// when there is one) or the failure to get an OAuth token; and the
// credential the request was sent with, for BlaxelApi::ParseAnswer to redact.
using OnAnswer = absl::AnyInvocable<void(absl::StatusOr<http::HttpResponse> answer,
                                         const std::string& credential) &&>;

// Hands `r` on as OnAnswer says, by its verdict.
void Deliver(OnAnswer done, const http::Classifier& classify, absl::StatusOr<http::HttpResponse> r,
             const std::string& credential) {
  http::Verdict verdict = http::Settle(classify, r);
  if (verdict.kind != http::Verdict::Kind::kSuccess) {
    std::move(done)(std::move(verdict.status), credential);
    return;
  }
  std::move(done)(std::move(r), credential);
}

// Sends `request` with the backend's credential; `write` for a create or a
// cancel (see BlaxelApi::Classifier). With OAuth, a 401 invalidates the token
// and the request is sent once more with a fresh one: a deliberate extra
// beyond the retrying client's policy, never more than once (the client
// never retries a 401, an answer).
void SendWithCredential(std::shared_ptr<const BlaxelApi> config, http::HttpRequest request,
                        const CallContext& context, OnAnswer done,
                        std::optional<WriteOutcome> write = std::nullopt, bool retried = false) {
  if (config->tokens == nullptr) {
    const std::string& key = config->options.api_key;
    request.headers.push_back(BearerAuthorization(key));
    request.classifier = config->Classifier(key, write);
    http::Classifier classify = request.classifier;
    config->client->Send(
        std::move(request), [config, classify = std::move(classify),
                             done = std::move(done)](absl::StatusOr<http::HttpResponse> r) mutable {
          Deliver(std::move(done), classify, std::move(r), config->options.api_key);
        });
    return;
  }
  std::shared_ptr<OAuthTokenSource> tokens = config->tokens;
  tokens->GetToken(context, [config, request = std::move(request), context, write, retried,
                             done = std::move(done)](absl::StatusOr<std::string> token) mutable {
    if (!token.ok()) {
      std::move(done)(token.status(), "");
      return;
    }
    http::HttpRequest attempt = request;
    attempt.headers.push_back(BearerAuthorization(*token));
    // The classifier redacts the token from the decoded error strings,
    // which catches an escaped echo too.
    attempt.classifier = config->Classifier(*token, write);
    http::Classifier classify = attempt.classifier;
    config->client->Send(std::move(attempt),
                         [config, request = std::move(request), context, write, retried,
                          token = *std::move(token), classify = std::move(classify),
                          done = std::move(done)](absl::StatusOr<http::HttpResponse> r) mutable {
                           if (r.ok() && r->status == 401 && !retried) {
                             // The token was refused (expired early, revoked): one fresh try.
                             config->tokens->Invalidate(token);
                             SendWithCredential(config, std::move(request), context,
                                                std::move(done), std::move(write),
                                                /*retried=*/true);
                             return;
                           }
                           Deliver(std::move(done), classify, std::move(r), token);
                         });
  });
}

// A parsed 2xx JobExecution document -> the execution asked for. A document
// about another execution (metadata.id or metadata.job present, non-empty
// and different) is INTERNAL, UPSTREAM_INVALID_RESPONSE: the answer is about
// the execution that was asked, or it is an error (Polos' rule too).
absl::StatusOr<v1::Execution> TranslateAsked(const BlaxelApi& config, const std::string& job,
                                             const std::string& id, const rapidjson::Value& doc) {
  if (!doc.IsObject()) {
    return InvalidResponseStatus(config.backend(), "the execution body is not a JSON object");
  }
  // A document that names no execution and has no status ({} for one) says
  // nothing about the execution asked for: not an answer to translate.
  const rapidjson::Value* metadata = JsonMember(doc, "metadata");
  if ((metadata == nullptr || JsonString(*metadata, "id").value_or("").empty()) &&
      !JsonString(doc, "status").has_value()) {
    return InvalidResponseStatus(config.backend(),
                                 "the execution body has neither metadata.id nor status");
  }
  std::string got_id = id, got_job = job;
  if (const rapidjson::Value* md = metadata) {
    if (std::optional<std::string> v = JsonString(*md, "id"); v.has_value() && !v->empty()) {
      got_id = *std::move(v);
    }
    if (std::optional<std::string> v = JsonString(*md, "job"); v.has_value() && !v->empty()) {
      got_job = *std::move(v);
    }
  }
  if (got_id != id || got_job != job) {
    return InvalidResponseStatus(
        config.backend(),
        absl::StrCat("asked for execution \"", BoundedEcho(id), "\" of job \"", BoundedEcho(job),
                     "\", got execution \"", BoundedEcho(got_id), "\" of job \"",
                     BoundedEcho(got_job), "\""));
  }
  return TranslateJobExecution(doc, config.backend(), job, id);
}

// A 2xx JobExecution body -> the execution asked for.
absl::StatusOr<v1::Execution> ReadExecution(const BlaxelApi& config, const std::string& job,
                                            const std::string& id, const std::string& body,
                                            const std::string& credential) {
  absl::StatusOr<rapidjson::Document> doc = config.ParseAnswer(body, credential);
  if (!doc.ok()) {
    return InvalidResponseStatus(config.backend(), absl::StrCat("the execution body is not JSON (",
                                                                doc.status().message(), ")"));
  }
  return TranslateAsked(config, job, id, *doc);
}

// GET /jobs/{job}/executions/{id}, translated, with the error table applied.
void FetchExecution(std::shared_ptr<const BlaxelApi> config, std::string job, std::string id,
                    const CallContext& context, Done<v1::Execution> done) {
  http::HttpRequest request =
      config->Request("GET", ExecutionPath(job, id), context, /*idempotent=*/true);
  SendWithCredential(
      config, std::move(request), context,
      [config, job = std::move(job), id = std::move(id), done = std::move(done)](
          absl::StatusOr<http::HttpResponse> r, const std::string& credential) mutable {
        if (!r.ok()) {
          std::move(done)(r.status());
        } else {
          std::move(done)(ReadExecution(*config, job, id, r->body, credential));
        }
      });
}

absl::Status InvalidField(absl::string_view field, absl::string_view description,
                          const std::string& backend,
                          absl::string_view reason = reason::kInvalidArgument) {
  return FieldError(field, description, reason, {{"backend", backend}});
}

// The failure of a request that carried a cursor: Blaxel answers 400
// (UPSTREAM_BAD_REQUEST; a refused Blaxel-Version is BACKEND_MISCONFIGURED)
// to cursors that expired (24 h) or belong to another query.
absl::Status MaybeStaleCursor(const BlaxelApi& config, absl::Status failure, bool sent_cursor) {
  if (sent_cursor && ErrorReasonOf(failure) == reason::kUpstreamBadRequest) {
    return FieldError("page_token", "has expired or no longer matches; start again without it",
                      reason::kInvalidPageToken,
                      {{"backend", config.backend()}, {"http_status", "400"}});
  }
  return failure;
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

// Blaxel's largest `limit` (executions; tasks allow 200, as many as a page
// of the gateway holds): the upstream's limit, not the gateway's page size.
constexpr int64_t kMaxExecutionLimit = 100;

// Legacy offset lists ask for one execution more than they return, so that
// a page is followed by a token exactly when more executions exist. At the
// upstream's largest limit (100) there is no room for the extra one: such
// pages return 99.
int64_t LegacyLimit(const ListExecutionsQuery& query) {
  return std::min<int64_t>(query.page_size + 1, kMaxExecutionLimit);
}

// The error for an upstream page whose next cursor is the cursor that
// asked for it: following it would hand out the same page forever.
absl::Status CursorDidNotAdvance(const BlaxelApi& config) {
  return InvalidResponseStatus(config.backend(), "the upstream paging cursor did not advance");
}

// The position of the page after an upstream page whose meta.nextCursor is
// `cursor`: a cursor no position can hold is an invalid answer (a page whose
// next page could not be reached).
absl::StatusOr<UpstreamPosition> AfterCursor(const BlaxelApi& config, std::string cursor) {
  if (cursor.size() > kMaxCursorSize) {
    return InvalidResponseStatus(
        config.backend(), absl::StrCat("a paging cursor longer than ", kMaxCursorSize, " bytes"));
  }
  return EncodeListPosition({std::move(cursor), 0});
}

// Which items of an upstream page a listing returns: from `skip` (items of
// the page already returned) on, at most `max` of them. An upstream that
// answers more than it was asked for is never returned past the page size.
struct PageSlice {
  size_t begin = 0;
  size_t end = 0;
  bool rest = false;  // items of the upstream page remain after `end`
};
PageSlice Slice(size_t served, int64_t skip, int64_t max) {
  PageSlice out;
  out.begin = std::min(served, static_cast<size_t>(std::max<int64_t>(skip, 0)));
  out.end = std::min(served, out.begin + static_cast<size_t>(max));
  out.rest = out.end < served;
  return out;
}

// One list answer as a listing dialect reads it.
struct ListAnswer {
  const rapidjson::Value* items = nullptr;  // the JobExecutions, an array
  PageSlice slice;                          // the items this page returns
  // Where the next page starts when slice.rest: the rest of this upstream
  // page comes first.
  ListPosition rest;
  // Where it starts otherwise; nullopt after the upstream's last page.
  std::optional<ListPosition> after;
  int64_t total_size = -1;
};

// How the configured Blaxel-Version lists, chosen once when the backend is
// built: CursorListing from kCursorVersion on, LegacyListing before.
class ListingDialect {
 public:
  virtual ~ListingDialect() = default;

  // OK, or INVALID_ARGUMENT naming the query field the version cannot
  // honour.
  virtual absl::Status Check(const BlaxelApi& config, const ListExecutionsQuery& query) const = 0;

  // Adds the limit, order and paging parameters of the page at `at`; true
  // when they carry an upstream cursor (a 400 then means Blaxel refused it).
  virtual bool AddListParameters(const ListExecutionsQuery& query, const ListPosition& at,
                                 UpstreamPath& path) const = 0;

  // A parsed list answer: its items, which of them the page at `at`
  // returns, and where the next page starts.
  virtual absl::StatusOr<ListAnswer> ReadListAnswer(const BlaxelApi& config,
                                                    const ListExecutionsQuery& query,
                                                    const ListPosition& at,
                                                    const rapidjson::Value& doc) const = 0;

  // ListExecutionTasks from `at`, once the name is checked.
  virtual void ListTasks(std::shared_ptr<const BlaxelApi> config, const ListTasksQuery& query,
                         const ListPosition& at, const CallContext& context,
                         Done<TaskPage> done) const = 0;
};

// Turns one list answer into a page: translation of the items returned
// (only those), the filters Blaxel cannot apply, the view, and where the
// next page starts.
absl::StatusOr<ExecutionPage> ReadExecutionPage(const BlaxelApi& config,
                                                const ListExecutionsQuery& query,
                                                const ListPosition& at, const std::string& body,
                                                const std::string& credential) {
  absl::StatusOr<rapidjson::Document> doc = config.ParseAnswer(body, credential);
  if (!doc.ok()) {
    return InvalidResponseStatus(config.backend(),
                                 absl::StrCat("list of executions: ", doc.status().message()));
  }
  absl::StatusOr<ListAnswer> answer = config.listing->ReadListAnswer(config, query, at, *doc);
  if (!answer.ok()) return answer.status();
  const PageSlice& slice = answer->slice;
  ExecutionPage page;
  bool beyond_range = false;
  for (size_t i = slice.begin; i < slice.end; ++i) {
    const rapidjson::Value& item = (*answer->items)[static_cast<rapidjson::SizeType>(i)];
    if (!item.IsObject()) continue;  // still counts for the position
    v1::Execution e = TranslateJobExecution(item, config.backend(), query.parent.job);
    // Pages come in create-time order: past the range's far bound, nothing
    // later can match.
    if (PastRange(query, e)) beyond_range = true;
    if (!Matches(query, e)) continue;
    // List items are whole JobExecutions: FULL is the item as GetExecution
    // translates it, etag included.
    if (query.view != v1::EXECUTION_VIEW_FULL) KeepBasicView(e);
    page.executions.push_back(std::move(e));
  }
  if (!beyond_range && slice.rest) {
    page.next = EncodeListPosition(answer->rest);
  } else if (!beyond_range && answer->after.has_value()) {
    absl::StatusOr<UpstreamPosition> next = AfterCursor(config, answer->after->cursor);
    if (!next.ok()) return next.status();
    page.next = *std::move(next);
  }
  page.total_size = answer->total_size;
  return page;
}

// Tasks from the tasks endpoint: GET .../tasks?limit&sort=createdAt:asc
// &cursor, oldest first (Blaxel's default is newest first): the order of the
// execution's own task list, as GetExecution and legacy versions show it.
void ListTasksByCursor(std::shared_ptr<const BlaxelApi> config, const ListTasksQuery& query,
                       const ListPosition& at, const CallContext& context, Done<TaskPage> done) {
  const int64_t limit = query.page_size;
  const int64_t offset = std::max<int64_t>(at.offset, 0);
  UpstreamPath path = ExecutionPath(query.execution.job, query.execution.execution)
                          .Route("/tasks")
                          .Query("limit", limit)
                          .QueryLiteral("sort", "createdAt:asc");
  const bool sent_cursor = !at.cursor.empty();
  if (sent_cursor) path.Query("cursor", at.cursor);
  SendWithCredential(
      config, config->Request("GET", path, context, /*idempotent=*/true), context,
      [config, cursor = at.cursor, limit, offset, sent_cursor, done = std::move(done)](
          absl::StatusOr<http::HttpResponse> r, const std::string& credential) mutable {
        if (!r.ok()) {
          std::move(done)(MaybeStaleCursor(*config, r.status(), sent_cursor));
          return;
        }
        absl::StatusOr<rapidjson::Document> doc = config->ParseAnswer(r->body, credential);
        const rapidjson::Value* data = doc.ok() ? JsonMember(*doc, "data") : nullptr;
        if (data == nullptr || !data->IsArray()) {
          std::move(done)(InvalidResponseStatus(
              config->backend(),
              absl::StrCat("list of tasks: ",
                           doc.ok() ? "no data array" : doc.status().message())));
          return;
        }
        std::string next_cursor = MetaNextCursor(*doc);
        if (sent_cursor && next_cursor == cursor) {
          std::move(done)(CursorDidNotAdvance(*config));
          return;
        }
        // `offset`: tasks of the upstream page at the cursor already
        // returned (an upstream that answers more than `limit`).
        const PageSlice slice = Slice(data->Size(), offset, limit);
        TaskPage page;
        for (size_t i = slice.begin; i < slice.end; ++i) {
          const rapidjson::Value& item = (*data)[static_cast<rapidjson::SizeType>(i)];
          if (!item.IsObject()) continue;
          // On the first upstream page a task's position is its index in
          // the execution, which names it when Blaxel does not.
          const int index = sent_cursor ? -1 : static_cast<int>(i);
          page.tasks.push_back(TranslateTask(item, absl::StrCat("tasks[", i, "]"), index, nullptr));
        }
        if (slice.rest) {
          page.next = EncodeListPosition({std::move(cursor), static_cast<int64_t>(slice.end)});
        } else if (!next_cursor.empty()) {
          absl::StatusOr<UpstreamPosition> next = AfterCursor(*config, std::move(next_cursor));
          if (!next.ok()) {
            std::move(done)(next.status());
            return;
          }
          page.next = *std::move(next);
        }
        page.total_size = MetaTotal(*doc);
        std::move(done)(std::move(page));
      });
}

// Blaxel-Version kCursorVersion and later: `{"data", "meta"}` pages, cursor
// paging, both orders, a tasks endpoint.
class CursorListing final : public ListingDialect {
 public:
  absl::Status Check(const BlaxelApi&, const ListExecutionsQuery&) const override {
    return absl::OkStatus();
  }

  bool AddListParameters(const ListExecutionsQuery& query, const ListPosition& at,
                         UpstreamPath& path) const override {
    path.Query("limit", query.page_size)
        .QueryLiteral("sort", query.ascending ? "createdAt:asc" : "createdAt:desc");
    if (at.cursor.empty()) return false;
    path.Query("cursor", at.cursor);
    return true;
  }

  absl::StatusOr<ListAnswer> ReadListAnswer(const BlaxelApi& config,
                                            const ListExecutionsQuery& query,
                                            const ListPosition& at,
                                            const rapidjson::Value& doc) const override {
    if (doc.IsArray()) {
      return InvalidResponseStatus(
          config.backend(),
          absl::StrCat("list of executions: a bare array, as before Blaxel-Version ",
                       kCursorVersion, "; the configured apiVersion \"",
                       BoundedEcho(config.options.api_version), "\" was not honoured"));
    }
    ListAnswer answer;
    answer.items = doc.IsObject() ? JsonMember(doc, "data") : nullptr;
    if (answer.items == nullptr || !answer.items->IsArray()) {
      return InvalidResponseStatus(config.backend(), "list of executions: no data array");
    }
    std::string next_cursor = MetaNextCursor(doc);
    if (!at.cursor.empty() && next_cursor == at.cursor) return CursorDidNotAdvance(config);
    answer.slice = Slice(answer.items->Size(), at.offset, query.page_size);
    answer.rest = {at.cursor, static_cast<int64_t>(answer.slice.end)};
    if (!next_cursor.empty()) answer.after = ListPosition{std::move(next_cursor), 0};
    answer.total_size = MetaTotal(doc);
    return answer;
  }

  void ListTasks(std::shared_ptr<const BlaxelApi> config, const ListTasksQuery& query,
                 const ListPosition& at, const CallContext& context,
                 Done<TaskPage> done) const override {
    ListTasksByCursor(std::move(config), query, at, context, std::move(done));
  }
};

// Blaxel-Version before kCursorVersion: lists are bare arrays paged by
// limit/offset, newest first only; there is no tasks endpoint.
class LegacyListing final : public ListingDialect {
 public:
  absl::Status Check(const BlaxelApi& config, const ListExecutionsQuery& query) const override {
    if (!query.ascending) return absl::OkStatus();
    return InvalidField("order_by",
                        absl::StrCat("backend \"", config.backend(), "\" uses Blaxel-Version \"",
                                     config.options.api_version,
                                     "\", which lists newest first only; use \"create_time desc\""),
                        config.backend());
  }

  bool AddListParameters(const ListExecutionsQuery& query, const ListPosition& at,
                         UpstreamPath& path) const override {
    path.Query("limit", LegacyLimit(query)).Query("offset", std::max<int64_t>(at.offset, 0));
    return false;
  }

  absl::StatusOr<ListAnswer> ReadListAnswer(const BlaxelApi& config,
                                            const ListExecutionsQuery& query,
                                            const ListPosition& at,
                                            const rapidjson::Value& doc) const override {
    ListAnswer answer;
    // Bare array; be lenient with a server that answers the new shape.
    answer.items = doc.IsArray() ? &doc : JsonMember(doc, "data");
    if (answer.items == nullptr || !answer.items->IsArray()) {
      return InvalidResponseStatus(config.backend(), "list of executions: no data array");
    }
    answer.slice = Slice(answer.items->Size(), 0, LegacyLimit(query) - 1);
    answer.rest.offset = std::max<int64_t>(at.offset, 0) +
                         static_cast<int64_t>(answer.slice.end - answer.slice.begin);
    return answer;
  }

  // No tasks endpoint: pages the execution's own task list.
  void ListTasks(std::shared_ptr<const BlaxelApi> config, const ListTasksQuery& query,
                 const ListPosition& at, const CallContext& context,
                 Done<TaskPage> done) const override {
    const int64_t limit = query.page_size;
    const int64_t offset = std::max<int64_t>(at.offset, 0);
    FetchExecution(
        std::move(config), query.execution.job, query.execution.execution, context,
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
          if (offset + limit < total) page.next = EncodeListPosition({"", offset + limit});
          page.total_size = total;
          std::move(done)(std::move(page));
        });
  }
};

// What Blaxel reports of the task parameters of an execution (the create
// answer's `tasks`, the execution's `input`) matches `request`'s. No
// parameters and one empty object are the same request: one default task.
bool SameTaskParameters(const v1::CreateExecutionRequest& request,
                        const google::protobuf::ListValue& reported) {
  if (request.task_parameters().empty()) {
    return reported.values().empty() ||
           (reported.values_size() == 1 && reported.values(0).has_struct_value() &&
            reported.values(0).struct_value().fields().empty());
  }
  // The list through the same JSON -> Value conversion as what Blaxel
  // reports, so that values nested past its depth bound compare alike.
  std::string json = "[";
  for (const google::protobuf::Struct& params : request.task_parameters()) {
    if (json.size() > 1) json.push_back(',');
    json += StructToJson(params);
  }
  json.push_back(']');
  absl::StatusOr<rapidjson::Document> doc = ParseJson(json);
  if (!doc.ok()) return false;
  return google::protobuf::util::MessageDifferencer::Equals(JsonToValue(*doc).list_value(),
                                                            reported);
}

// The execution read back was created by `request`, as far as Blaxel shows:
// the env keys (values are masked), the memory override and, when reported,
// the task parameters (`input`).
bool SameRequest(const v1::CreateExecutionRequest& request, const v1::Execution& e) {
  const auto& reported_env = e.blaxel().env_override();
  if (static_cast<size_t>(reported_env.size()) != static_cast<size_t>(request.env().size())) {
    return false;
  }
  for (const auto& [key, value] : request.env()) {
    if (!reported_env.contains(key)) return false;
  }
  if (e.blaxel().memory_override_mb() != std::max(request.memory_mb(), 0)) return false;
  if (e.has_input() && e.input().has_list_value() &&
      !SameTaskParameters(request, e.input().list_value())) {
    return false;
  }
  return true;
}

// A create whose execution id names an execution another request created:
// request_id's rule when the id came from it (the same answer as Polos'),
// else execution_id's.
absl::Status ReusedIdStatus(const std::string& backend, const v1::CreateExecutionRequest& request) {
  if (!request.request_id().empty()) return RequestIdReusedStatus(backend);
  return InvalidField("execution_id", "names an execution that a different request created",
                      backend);
}

std::string CreateBody(const v1::CreateExecutionRequest& request, const std::string& execution_id) {
  JsonBody body;
  body.StringIfSet("executionId", execution_id).StringIfSet("id", request.request_id());
  if (request.task_parameters_size() > 0) {
    std::vector<std::string> tasks;
    for (const google::protobuf::Struct& params : request.task_parameters()) {
      tasks.push_back(StructToJson(params));
    }
    body.JsonArray("tasks", tasks);
  }
  if (!request.env().empty()) {
    body.StringMap("env",
                   std::map<std::string, std::string>(request.env().begin(), request.env().end()));
  }
  if (request.memory_mb() > 0) body.Int("memory", request.memory_mb());
  if (request.reject_if_no_capacity()) body.Bool("allowQueue", false);
  return body.Finish();
}

// Reads a just-created execution back; see CreateExecution in the header.
void ReadBack(std::shared_ptr<const BlaxelApi> config, std::string job, std::string id,
              v1::CreateExecutionRequest request, CallContext context, size_t attempt,
              Done<v1::Execution> done) {
  FetchExecution(
      config, job, id, context,
      [config, job, id, request = std::move(request), context, attempt,
       done = std::move(done)](absl::StatusOr<v1::Execution> e) mutable {
        if (e.ok()) {
          // Only a create that sent an id can have been deduplicated onto an
          // execution of another request.
          const bool sent_id = !request.execution_id().empty() || !request.request_id().empty();
          if (sent_id && !SameRequest(request, *e)) {
            std::move(done)(ReusedIdStatus(config->backend(), request));
            return;
          }
          std::move(done)(*std::move(e));
          return;
        }
        if (e.status().code() == absl::StatusCode::kNotFound &&
            attempt < std::size(kReadBackDelays)) {
          const absl::Time when = config->client->loop().Now() + kReadBackDelays[attempt];
          if (when < context.deadline) {
            // No cancellation here: a cancelled call fails its next GET at
            // once and still completes.
            config->client->loop().RunAt(when, [config, job = std::move(job), id = std::move(id),
                                                request = std::move(request), context, attempt,
                                                done = std::move(done)]() mutable {
              ReadBack(std::move(config), std::move(job), std::move(id), std::move(request),
                       std::move(context), attempt + 1, std::move(done));
            });
            return;
          }
        }
        // Blaxel accepted the create: the execution exists, but the gateway
        // cannot say how it stands. Never an answer built from the request.
        std::move(done)(OutcomeUnknownStatus(
            {config->backend(), "create", ExecutionName{config->backend(), job, id}.ToString(),
             /*confirmed=*/true},
            e.status().message()));
      });
}

// ---------------------------------------------------------------------------

class BlaxelBackend final : public Backend {
 public:
  explicit BlaxelBackend(std::shared_ptr<const BlaxelApi> config) : config_(std::move(config)) {}

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
    if (absl::Status s = config_->listing->Check(*config_, query); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    absl::StatusOr<ListPosition> at = DecodeListPosition(query.position, config_->backend());
    if (!at.ok()) {
      std::move(done)(at.status());
      return;
    }
    UpstreamPath path = ExecutionsPath(query.parent.job);
    const bool sent_cursor = config_->listing->AddListParameters(query, *at, path);
    std::shared_ptr<const BlaxelApi> config = config_;
    SendWithCredential(
        config, config->Request("GET", path, context, /*idempotent=*/true), context,
        [config, query, at = *std::move(at), sent_cursor, done = std::move(done)](
            absl::StatusOr<http::HttpResponse> r, const std::string& credential) mutable {
          if (!r.ok()) {
            std::move(done)(MaybeStaleCursor(*config, r.status(), sent_cursor));
          } else {
            std::move(done)(ReadExecutionPage(*config, query, at, r->body, credential));
          }
        });
  }

  void ListExecutionTasks(const ListTasksQuery& query, const CallContext& context,
                          Done<TaskPage> done) override {
    if (absl::Status s = CheckName(query.execution, "parent"); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    absl::StatusOr<ListPosition> at = DecodeListPosition(query.position, config_->backend());
    if (!at.ok()) {
      std::move(done)(at.status());
      return;
    }
    config_->listing->ListTasks(config_, query, *at, context, std::move(done));
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
    std::shared_ptr<const BlaxelApi> config = config_;
    // Blaxel deduplicates creates on the execution id: only then is sending
    // twice harmless.
    http::HttpRequest post = config->Request("POST", ExecutionsPath(parent.job), context,
                                             /*idempotent=*/!execution_id.empty());
    SetJsonBody(post, CreateBody(request, execution_id));
    const std::string sent_name =
        execution_id.empty()
            ? ""
            : ExecutionName{config->backend(), parent.job, execution_id}.ToString();
    SendWithCredential(
        config, std::move(post), context,
        [config, job = parent.job, request, execution_id, sent_name, context,
         done = std::move(done)](absl::StatusOr<http::HttpResponse> r,
                                 const std::string& credential) mutable {
          if (!r.ok()) {
            std::move(done)(r.status());
            return;
          }
          // Until the answer is read, nothing says whether the
          // execution exists: an unreadable answer is an unknown outcome.
          auto unknown = [&](absl::string_view what) {
            return OutcomeUnknownStatus(
                {config->backend(), "create", sent_name, /*confirmed=*/false}, what);
          };
          absl::StatusOr<rapidjson::Document> doc = config->ParseAnswer(r->body, credential);
          if (!doc.ok()) {
            std::move(done)(
                unknown(absl::StrCat("its answer is not JSON (", doc.status().message(), ")")));
            return;
          }
          if (!doc->IsObject()) {
            std::move(done)(unknown("its answer is not a JSON object"));
            return;
          }
          const std::string id = JsonString(*doc, "executionId").value_or("");
          if (id.empty()) {
            std::move(done)(unknown("its answer carries no executionId"));
            return;
          }
          if (!execution_id.empty() && id != execution_id) {
            std::move(done)(unknown(absl::StrCat("it answered executionId \"", BoundedEcho(id),
                                                 "\" for \"", execution_id, "\"")));
            return;
          }
          if (!IsNameableId(id)) {
            std::move(done)(
                OutcomeUnknownStatus({config->backend(), "create", "", /*confirmed=*/true},
                                     absl::StrCat("the new execution's id \"", BoundedEcho(id),
                                                  "\" cannot be written in a resource name")));
            return;
          }
          // An execution id Blaxel already had gives that execution
          // back: it must be the one this request describes.
          if (const rapidjson::Value* tasks = JsonMember(*doc, "tasks");
              !execution_id.empty() && tasks != nullptr && tasks->IsArray() &&
              !SameTaskParameters(request, JsonToValue(*tasks).list_value())) {
            std::move(done)(ReusedIdStatus(config->backend(), request));
            return;
          }
          ReadBack(config, job, id, std::move(request), context, 0, std::move(done));
        },
        WriteOutcome{config->backend(), "create", sent_name});
  }

  void CancelExecution(const ExecutionName& name, const CallContext& context,
                       Done<v1::Execution> done) override {
    if (absl::Status s = CheckName(name, "name"); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    // Read first: Blaxel's contract does not say what its DELETE of a
    // finished execution answers, and one already cancelling needs no
    // second DELETE.
    std::shared_ptr<const BlaxelApi> config = config_;
    FetchExecution(
        config, name.job, name.execution, context,
        [config, job = name.job, id = name.execution, context,
         done = std::move(done)](absl::StatusOr<v1::Execution> current) mutable {
          if (!current.ok()) {
            std::move(done)(current.status());
            return;
          }
          if (IsTerminal(current->state())) {
            std::move(done)(NotCancellable(*config, *current));
            return;
          }
          if (current->state() == v1::Execution::STATE_CANCELLING) {
            std::move(done)(*std::move(current));
            return;
          }
          SendWithCredential(
              config,
              config->Request("DELETE", ExecutionPath(job, id), context,
                              /*idempotent=*/true),
              context,
              [config, job, id, done = std::move(done)](absl::StatusOr<http::HttpResponse> r,
                                                        const std::string& credential) mutable {
                if (!r.ok() && ErrorReasonOf(r.status()) == reason::kUpstreamConflict) {
                  // HTTP 409: finished between the read and the DELETE.
                  std::move(done)(MakeError(
                      absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("execution \"", id, "\" on backend \"", config->backend(),
                                   "\" cannot be cancelled: ", r.status().message()),
                      reason::kFailedPrecondition,
                      {{"backend", config->backend()}, {"execution_id", id}}));
                  return;
                }
                if (!r.ok()) {
                  std::move(done)(r.status());
                  return;
                }
                // The DELETE was answered 2xx, but only a readable
                // answer says what it did.
                absl::StatusOr<rapidjson::Document> doc = config->ParseAnswer(r->body, credential);
                if (!doc.ok() || !doc->IsObject()) {
                  std::move(done)(OutcomeUnknownStatus(
                      {config->backend(), "cancel",
                       ExecutionName{config->backend(), job, id}.ToString(),
                       /*confirmed=*/false},
                      doc.ok()
                          ? "its answer is not a JSON object"
                          : absl::StrCat("its answer is not JSON (", doc.status().message(), ")")));
                  return;
                }
                const std::string name = ExecutionName{config->backend(), job, id}.ToString();
                absl::StatusOr<v1::Execution> after = TranslateAsked(*config, job, id, *doc);
                if (!after.ok()) {
                  // Not an answer about this execution: what the DELETE
                  // did is unknown.
                  std::move(done)(
                      OutcomeUnknownStatus({config->backend(), "cancel", name, /*confirmed=*/false},
                                           after.status().message()));
                  return;
                }
                if (IsTerminal(after->state()) &&
                    after->state() != v1::Execution::STATE_CANCELLED) {
                  std::move(done)(NotCancellable(*config, *after));
                  return;
                }
                if (after->state() != v1::Execution::STATE_CANCELLING &&
                    after->state() != v1::Execution::STATE_CANCELLED) {
                  // Blaxel answers the cancelled execution, `cancelling`
                  // or `cancelled`: anything else does not confirm it.
                  std::move(done)(
                      OutcomeUnknownStatus({config->backend(), "cancel", name, /*confirmed=*/false},
                                           absl::StrCat("the answer to the DELETE has status \"",
                                                        BoundedEcho(after->raw_status()),
                                                        "\", which does not confirm the cancel")));
                  return;
                }
                std::move(done)(*std::move(after));
              },
              WriteOutcome{config->backend(), "cancel",
                           ExecutionName{config->backend(), job, id}.ToString()});
        });
  }

 private:
  // FAILED_PRECONDITION for an execution that has finished.
  static absl::Status NotCancellable(const BlaxelApi& config, const v1::Execution& e) {
    const std::string message =
        absl::StrCat("execution \"", e.execution_id(), "\" on backend \"", config.backend(),
                     "\" cannot be cancelled: it has already finished (state ",
                     v1::Execution::State_Name(e.state()), ", Blaxel status \"",
                     BoundedEcho(e.raw_status()), "\")");
    return MakeError(absl::StatusCode::kFailedPrecondition, message, reason::kFailedPrecondition,
                     {{"backend", config.backend()},
                      {"execution_id", e.execution_id()},
                      {"state", v1::Execution::State_Name(e.state())}});
  }

  // `field` is the request field the name came from.
  absl::Status CheckName(const ExecutionName& name, absl::string_view field) const {
    const std::string& backend = config_->backend();
    if (name.job.empty()) {
      return InvalidField(field,
                          absl::StrCat("backend \"", backend,
                                       "\" is a Blaxel backend; execution names must have the "
                                       "form \"backends/{backend}/jobs/{job}/executions/"
                                       "{execution}\", got \"",
                                       name.ToString(), "\""),
                          backend, reason::kWrongBackendKind);
    }
    if (name.backend != backend) {
      return InvalidField(
          field,
          absl::StrCat("backend \"", name.backend, "\" was routed to backend \"", backend, "\""),
          backend);
    }
    return absl::OkStatus();
  }

  absl::Status CheckParent(const ParentName& parent) const {
    const std::string& backend = config_->backend();
    if (parent.backend != backend) {
      return InvalidField("parent",
                          absl::StrCat("backend \"", parent.backend,
                                       "\" was routed to Blaxel backend \"", backend, "\""),
                          backend);
    }
    const std::string jobs = absl::StrCat("\"backends/", backend, "/jobs/{job}\"");
    if (!parent.workflow.empty()) {
      return InvalidField("parent",
                          absl::StrCat("backend \"", backend,
                                       "\" is a Blaxel backend, which has jobs, not workflows: "
                                       "use ",
                                       jobs),
                          backend, reason::kWrongBackendKind);
    }
    if (parent.job.empty()) {
      return InvalidField("parent",
                          absl::StrCat("Blaxel lists and starts executions per job: "
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
      return UnsupportedFieldsError(unsupported, "Blaxel", backend);
    }
    if (request.memory_mb() < 0) {
      return InvalidField("memory_mb",
                          absl::StrCat("must be a positive number of megabytes (or 0 for the "
                                       "job's), got ",
                                       request.memory_mb()),
                          backend);
    }
    if (!request.execution_id().empty()) {
      // The id becomes a path segment upstream and a segment of the name.
      if (absl::Status s = CheckPlainId("execution_id", request.execution_id()); !s.ok()) {
        // The same violation, with the ErrorInfo of Blaxel's other field errors.
        const std::vector<FieldViolation> violations = FieldViolationsOf(s);
        if (violations.size() != 1) return s;
        return InvalidField("execution_id", violations[0].description, backend);
      }
    }
    if (!request.request_id().empty() && !request.execution_id().empty() &&
        request.execution_id() != request.request_id()) {
      return InvalidField(
          "execution_id",
          "Blaxel deduplicates creates on the execution id, so it must equal request_id or be "
          "empty when request_id is set",
          backend);
    }
    return absl::OkStatus();
  }

  std::shared_ptr<const BlaxelApi> config_;
};

}  // namespace

std::unique_ptr<Backend> NewBlaxelBackend(BlaxelBackendOptions options, http::HttpClient& client) {
  auto config = std::make_shared<BlaxelApi>(
      BlaxelApi{.requests = RequestBuilder(options.base_url,
                                           {{"X-Blaxel-Workspace", options.workspace},
                                            {"Blaxel-Version", options.api_version}},
                                           options.request_timeout)});
  if (options.api_version < kCursorVersion) {
    config->listing = std::make_shared<LegacyListing>();
  } else {
    config->listing = std::make_shared<CursorListing>();
  }
  config->client = &client;
  if (options.api_key.empty() && !options.oauth_client_id.empty()) {
    OAuthTokenSourceOptions o;
    o.backend = options.name;
    o.token_url = absl::StrCat(config->requests.base_url(), "/oauth/token");
    o.client_id = options.oauth_client_id;
    o.client_secret = options.oauth_client_secret;
    o.request_timeout = options.request_timeout;
    o.observer = options.observer;
    config->tokens = std::make_shared<OAuthTokenSource>(std::move(o), client, client.loop());
  }
  config->spellings = std::make_unique<const BlaxelApi::Spellings>(options);
  config->options = std::move(options);
  return std::make_unique<BlaxelBackend>(std::move(config));
}

}  // namespace execgw::blaxel

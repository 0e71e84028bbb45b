#include "adapters/polos/polos_backend.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/etag.h"
#include "adapters/field_rules.h"
#include "adapters/http/sse_parser.h"
#include "adapters/json_value.h"
#include "adapters/list_filter.h"
#include "adapters/polos/errors.h"
#include "adapters/polos/execution_id.h"
#include "adapters/polos/list_position.h"
#include "adapters/polos/translator.h"
#include "adapters/request_builder.h"
#include "adapters/upstream_error.h"
#include "adapters/upstream_time.h"
#include "google/protobuf/util/message_differencer.h"

namespace execgw::polos {
namespace {

constexpr absl::string_view kRunsRoute = "/api/v1/workflows/runs";

// The request the health probe makes (see errors.h): cheap, authenticated,
// and served from the same database as GET execution.
UpstreamPath ProbePath() { return UpstreamPath(kRunsRoute).Query("limit", 1); }

UpstreamPath ExecutionPath(absl::string_view id) {
  return UpstreamPath("/api/v1/executions").Segment(id, "{id}");
}

// How many cancelled runs of one list page are read back at the same time
// (see ListExecutions in polos_backend.h).
constexpr int kMaxParallelReadBacks = 8;

constexpr absl::string_view kNoTasksMessage =
    "Polos executions have no tasks; ListExecutionTasks applies to Blaxel executions";

// The Polos API as every in-flight call sees it: the backend's options,
// its HTTP client and credentials, and how requests to it are built. Shared
// so that callbacks never refer to the backend object itself.
struct PolosApi {
  PolosBackendOptions options;
  // The API key as Bearer, X-Project-ID, Accept.
  RequestBuilder requests;
  http::HttpClient* client;
  // The credentials sent upstream (the API key): ReadFailure redacts them
  // from upstream text before cutting it.
  std::vector<std::string> secrets;
  // Their spellings (adapters/redaction.h), built once: every 2xx body and
  // event is redacted with them.
  SecretSpellings spellings{secrets};

  // Last line of defence: the secrets out of a status' message and ErrorInfo
  // metadata, whatever text it was built from.
  absl::Status Redact(const absl::Status& status) const { return RedactSecrets(status, secrets); }

  // A request to `path` (with its query). GET and POST .../cancel are
  // idempotent; POST .../run is not (Polos has no idempotency key).
  http::HttpRequest Request(absl::string_view method, const UpstreamPath& path,
                            const CallContext& context, bool idempotent) const {
    return requests.Build(method, path, context, idempotent);
  }

  const std::string& backend() const { return options.name; }

  // The one retry policy (PolosVerdict) for a request of `call` about
  // `id`; `write` for run and cancel, whose transport failures follow the
  // write rule.
  http::Classifier Classifier(PolosCall call, std::string id = "",
                              std::optional<WriteOutcome> write = std::nullopt) const {
    return
        [loop = &client->loop(), call, backend = backend(), secrets = secrets, id = std::move(id),
         write = std::move(write)](const absl::StatusOr<http::HttpResponse>& outcome) {
          return PolosVerdict(call, backend, outcome, loop->Now(), secrets, id,
                              write.has_value() ? &*write : nullptr);
        };
  }

  // The resource name of the execution with canonical Polos id `id`.
  std::string NameOf(absl::string_view id) const {
    return ExecutionName{backend(), "", std::string(id)}.ToString();
  }

  // A 2xx body, parsed, with every secret redacted from its strings before
  // anything is translated: what an upstream echoes of a credential would
  // otherwise reach callers (extra_fields, input...).
  absl::StatusOr<rapidjson::Document> ReadJson(const http::HttpResponse& response) const {
    return ParseRedactedJson(response.body, spellings);
  }
};

// Sets the classifier of `call` on `request` (for a retrying client) and
// answers it (for the adapter's Settle).
http::Classifier Classify(http::HttpRequest& request, http::Classifier classifier) {
  request.classifier = std::move(classifier);
  return request.classifier;
}

// True for the failures that mean the caller's own limits ran out.
bool CallerGaveUp(const absl::Status& s) {
  return s.code() == absl::StatusCode::kDeadlineExceeded ||
         s.code() == absl::StatusCode::kCancelled;
}

// Turns a 2xx GET execution body into an Execution. `id` is canonical
// (CanonicalUuid); the answer must be about that execution, compared as a
// UUID.
absl::StatusOr<v1::Execution> ReadExecution(const PolosApi& config, absl::string_view id,
                                            const http::HttpResponse& response) {
  const std::string& backend = config.backend();
  absl::StatusOr<rapidjson::Document> doc = config.ReadJson(response);
  if (!doc.ok()) {
    return InvalidResponseStatus(backend,
                                 absl::StrCat("execution \"", id, "\": ", doc.status().message()));
  }
  if (!doc->IsObject()) {
    return InvalidResponseStatus(backend,
                                 absl::StrCat("execution \"", id, "\": not a JSON object"));
  }
  if (JsonString(*doc, "id").value_or("").empty() && !JsonString(*doc, "status").has_value()) {
    // Names no execution and has no status ({} for one): nothing to translate.
    return InvalidResponseStatus(
        backend, absl::StrCat("execution \"", id, "\": the body has neither id nor status"));
  }
  v1::Execution execution = TranslateExecution(*doc, backend);
  if (execution.execution_id().empty()) {
    // `id` is required but missing: the execution is still the one asked for.
    execution.set_execution_id(std::string(id));
    execution.set_name(config.NameOf(id));
    SetEtag(execution);
  } else if (!SameUuid(execution.execution_id(), id)) {
    return InvalidResponseStatus(backend,
                                 absl::StrCat("asked for execution \"", id, "\", got \"",
                                              BoundedEcho(execution.execution_id()), "\""));
  }
  return execution;
}

// Answers the failure `verdict` says (never an ambiguous one: SendSettled
// settles those).
template <typename T>
void Fail(const PolosApi& config, const http::Verdict& verdict, Done<T> done) {
  std::move(done)(config.Redact(verdict.status));
}

// What a settled exchange hands on: its verdict (if_healthy never set) and
// the response it was read from.
using SettledCallback =
    absl::AnyInvocable<void(http::Verdict verdict, absl::StatusOr<http::HttpResponse> outcome)>;

// Sends `request` and hands `settled` its outcome. An ambiguous answer
// (errors.h: if_healthy set, Polos' 500 with an empty body) is settled by
// the health probe and, when the probe succeeds, by sending the request
// once more: a missing execution answers the same way again, which then
// reads as if_healthy (NOT_FOUND); a passing fault that hit the first
// request and cleared before the probe gets the real answer instead of a
// wrong NOT_FOUND (which would end every watch of the execution). A failed
// probe keeps the sick reading (UNAVAILABLE). `repeat` is the second
// sending: it is not probed again.
void SendSettled(std::shared_ptr<const PolosApi> config, http::HttpRequest request,
                 http::Classifier classify, const CallContext& context, SettledCallback settled,
                 bool repeat = false) {
  http::HttpRequest copy = request;
  config->client->Send(std::move(copy), [config, request = std::move(request), classify, context,
                                         repeat, settled = std::move(settled)](
                                            absl::StatusOr<http::HttpResponse> r) mutable {
    http::Verdict verdict = http::Settle(classify, r);
    if (!verdict.if_healthy.has_value()) {
      std::move(settled)(std::move(verdict), std::move(r));
      return;
    }
    if (repeat) {
      // Healthy a moment ago, and the same answer again.
      verdict.status = *std::move(verdict.if_healthy);
      verdict.if_healthy.reset();
      std::move(settled)(std::move(verdict), std::move(r));
      return;
    }
    http::HttpRequest probe = config->Request("GET", ProbePath(), context, /*idempotent=*/true);
    http::Classifier probe_classify = Classify(probe, config->Classifier(PolosCall::kList));
    config->client->Send(
        std::move(probe),
        [config, request = std::move(request), classify = std::move(classify), context,
         verdict = std::move(verdict), r = std::move(r), probe_classify,
         settled = std::move(settled)](absl::StatusOr<http::HttpResponse> p) mutable {
          const http::Verdict found = http::Settle(probe_classify, p);
          if (found.kind == http::Verdict::Kind::kSuccess) {
            SendSettled(config, std::move(request), std::move(classify), context,
                        std::move(settled), /*repeat=*/true);
            return;
          }
          // The caller's limits ran out: say so rather than guess.
          // Otherwise the server is sick: the 500 stays UNAVAILABLE.
          if (CallerGaveUp(found.status)) verdict.status = found.status;
          verdict.if_healthy.reset();
          std::move(settled)(std::move(verdict), std::move(r));
        });
  });
}

// GET /api/v1/executions/{id}, translated, with the error table applied.
void FetchExecution(std::shared_ptr<const PolosApi> config, std::string id,
                    const CallContext& context, Done<v1::Execution> done) {
  http::HttpRequest request =
      config->Request("GET", ExecutionPath(id), context, /*idempotent=*/true);
  http::Classifier classify = Classify(request, config->Classifier(PolosCall::kGet, id));
  SendSettled(config, std::move(request), std::move(classify), context,
              [config, id, done = std::move(done)](http::Verdict verdict,
                                                   absl::StatusOr<http::HttpResponse> r) mutable {
                if (verdict.kind != http::Verdict::Kind::kSuccess) {
                  Fail(*config, verdict, std::move(done));
                  return;
                }
                absl::StatusOr<v1::Execution> execution = ReadExecution(*config, id, *r);
                if (!execution.ok()) execution = config->Redact(execution.status());
                std::move(done)(std::move(execution));
              });
}

// Reads the execution after a write Polos confirmed (`operation` "create" or
// "cancel"); a read that fails is the write rule's confirmed OUTCOME_UNKNOWN
// (upstream_error.h), naming the execution.
void ReadAfterConfirmedWrite(std::shared_ptr<const PolosApi> config, std::string id,
                             absl::string_view operation, const CallContext& context,
                             Done<v1::Execution> done) {
  std::string name = config->NameOf(id);
  FetchExecution(
      config, std::move(id), context,
      [config, name = std::move(name), operation = std::string(operation),
       done = std::move(done)](absl::StatusOr<v1::Execution> e) mutable {
        if (e.ok()) {
          std::move(done)(std::move(e));
          return;
        }
        std::move(done)(config->Redact(OutcomeUnknownStatus(
            {config->backend(), operation, name, /*confirmed=*/true}, e.status().message())));
      });
}

// ---------------------------------------------------------------------------
// ListExecutions

absl::Time FloorMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

absl::Time CeilMicros(absl::Time t) {
  const absl::Time floor = FloorMicros(t);
  return floor == t ? t : floor + absl::Microseconds(1);
}

// One upstream page being completed: the items that need their full
// execution (every addressable item for EXECUTION_VIEW_FULL; cancelled runs
// for BASIC, so a run cancelled by its timeout reads TIMED_OUT) are read
// back, at most kMaxParallelReadBacks at a time; then the page is filtered,
// cut to its view and delivered.
class PageReadBack : public std::enable_shared_from_this<PageReadBack> {
 public:
  PageReadBack(std::shared_ptr<const PolosApi> config, ListExecutionsQuery query,
               CallContext context, ExecutionPage page, std::vector<size_t> to_read_back,
               Done<ExecutionPage> done)
      : config_(std::move(config)),
        query_(std::move(query)),
        context_(std::move(context)),
        page_(std::move(page)),
        read_in_full_(page_.executions.size(), false),
        to_read_back_(std::move(to_read_back)),
        done_(std::move(done)) {}

  void Start() {
    if (to_read_back_.empty()) {
      Finish(absl::OkStatus());
      return;
    }
    LaunchMore();
  }

 private:
  void LaunchMore() {
    std::vector<std::pair<size_t, std::string>> launch;
    {
      absl::MutexLock lock(&mu_);
      while (in_flight_ < kMaxParallelReadBacks && next_ < to_read_back_.size() && failure_.ok()) {
        const size_t index = to_read_back_[next_++];
        launch.emplace_back(index, CanonicalUuid(page_.executions[index].execution_id()));
        ++in_flight_;
      }
    }
    for (auto& [index, id] : launch) {
      FetchExecution(config_, std::move(id), context_,
                     [self = shared_from_this(), index = index](absl::StatusOr<v1::Execution> e) {
                       self->ReadBackDone(index, std::move(e));
                     });
    }
  }

  void ReadBackDone(size_t index, absl::StatusOr<v1::Execution> execution) {
    bool finished;
    absl::Status failure;
    {
      absl::MutexLock lock(&mu_);
      --in_flight_;
      ++completed_;
      if (execution.ok()) {
        page_.executions[index] = *std::move(execution);
        read_in_full_[index] = true;
      } else if (CallerGaveUp(execution.status()) && failure_.ok()) {
        failure_ = execution.status();
      }
      // Any other failure keeps the summary (see polos_backend.h).
      finished = in_flight_ == 0 && (completed_ == to_read_back_.size() || !failure_.ok());
      failure = failure_;
    }
    if (finished) {
      Finish(failure);
    } else {
      LaunchMore();
    }
  }

  void Finish(absl::Status failure) {
    if (!failure.ok()) {
      std::move(done_)(std::move(failure));
      return;
    }
    ExecutionPage page;
    std::vector<bool> read_in_full;
    {
      absl::MutexLock lock(&mu_);
      page = std::move(page_);
      read_in_full = std::move(read_in_full_);
    }
    // Filters the upstream cannot apply, or may apply with other bounds:
    // state, and the exact [created_from, created_to) range.
    std::vector<v1::Execution> kept;
    kept.reserve(page.executions.size());
    for (size_t i = 0; i < page.executions.size(); ++i) {
      v1::Execution& e = page.executions[i];
      if (!Matches(query_, e)) continue;
      // A summary (or a FULL item whose read failed) is never passed off as
      // a full execution: BASIC fields only, no etag.
      if (query_.view != v1::EXECUTION_VIEW_FULL || !read_in_full[i]) KeepBasicView(e);
      kept.push_back(std::move(e));
    }
    page.executions = std::move(kept);
    std::move(done_)(std::move(page));
  }

  const std::shared_ptr<const PolosApi> config_;
  const ListExecutionsQuery query_;
  const CallContext context_;
  absl::Mutex mu_;
  ExecutionPage page_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> read_in_full_ ABSL_GUARDED_BY(mu_);  // per item of page_
  const std::vector<size_t> to_read_back_;               // indexes into page_.executions
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  size_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  Done<ExecutionPage> done_;
};

// Whether cancelled runs need reading back for this query: only when the
// caller could see the CANCELLED / TIMED_OUT difference.
bool WantsCancelledReadBack(const ListExecutionsQuery& query) {
  return query.states.empty() || query.states.contains(v1::Execution::STATE_CANCELLED) ||
         query.states.contains(v1::Execution::STATE_TIMED_OUT);
}

// ---------------------------------------------------------------------------
// CancelExecution

// Why a 2xx cancel answer does not confirm the cancel of execution `id`
// (canonical), or "" when it does: it must be a JSON object
// {"execution_id", "status", "cancelled_at"} about `id` (compared as a UUID)
// whose status says the cancel was taken (pending_cancel or cancelled).
std::string CancelAnswerProblem(const absl::StatusOr<rapidjson::Document>& answer,
                                absl::string_view id) {
  if (!answer.ok()) return absl::StrCat("its body is not JSON (", answer.status().message(), ")");
  if (!answer->IsObject()) return "its body is not a JSON object";
  const std::optional<std::string> execution_id = JsonString(*answer, "execution_id");
  if (!execution_id.has_value()) return "its body has no execution_id";
  if (!SameUuid(*execution_id, id)) {
    return absl::StrCat("its body is about execution \"", BoundedEcho(*execution_id), "\"");
  }
  const std::optional<std::string> status = JsonString(*answer, "status");
  if (!status.has_value()) return "its body has no status";
  const std::string word = StatusWord(*status);
  if (word != "pending_cancel" && word != "cancelled") {
    return absl::StrCat("its status \"", BoundedEcho(*status),
                        "\" does not say the cancel was taken");
  }
  if (JsonMember(*answer, "cancelled_at") == nullptr) return "its body has no cancelled_at";
  return "";
}

// ---------------------------------------------------------------------------
// CreateExecution

// The session_id of the run a create starts: the caller's, or for a create
// with a request_id and no session_id, a UUID (version 8, RFC 9562) derived
// from the project and the request_id, where Polos would pick a random one.
// Every attempt of that create then carries the same session, by which
// FindCreated tells its run from others.
std::string SessionOf(const PolosApi& config, const v1::CreateExecutionRequest& request) {
  if (!request.session_id().empty() || request.request_id().empty()) return request.session_id();
  std::string hex = StableDigest(
      absl::StrCat("execgw create\n", config.options.project_id, "\n", request.request_id()));
  hex[12] = '8';
  hex[16] = "89ab"[(hex[16] - (hex[16] <= '9' ? '0' : 'a' - 10)) & 3];
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20));
}

std::string RunBody(const v1::CreateExecutionRequest& request, absl::string_view session) {
  JsonBody body;
  body.Json("payload", ValueToJson(request.input()));
  if (request.has_timeout()) body.Int("run_timeout_seconds", request.timeout().seconds());
  return body.StringIfSet("queue_name", request.queue())
      .StringIfSet("concurrency_key", request.concurrency_key())
      .StringIfSet("session_id", session)
      .StringIfSet("user_id", request.user_id())
      .StringIfSet("deployment_id", request.deployment_id())
      .Finish();
}

absl::Status InvalidField(absl::string_view field, absl::string_view description,
                          const std::string& backend,
                          absl::string_view reason = reason::kInvalidArgument) {
  return FieldError(field, description, reason, {{"backend", backend}});
}

// ---------------------------------------------------------------------------
// FindCreated

// How far beyond the attempts' times FindCreated looks: Polos stamps
// created_at with its own clock.
constexpr absl::Duration kCreatedClockSkew = absl::Seconds(30);
// FindCreated reads the workflow's runs in pages of kFindPageSize, at most
// kFindMaxPages of them.
constexpr int64_t kFindPageSize = 200;
constexpr int kFindMaxPages = 25;

// Whether the run summarised as `run` is one a create of `input` with
// session `session` may have started between `since` and `until` (give or
// take the clock skew). The bounds are checked here too: a Polos that
// ignored start_time or end_time would list more.
bool IsRunOf(const v1::Execution& run, absl::string_view session,
             const google::protobuf::Value& input, absl::Time since, absl::Time until) {
  if (!IsCanonicalUuid(run.execution_id()) || !SameUuid(session, run.lineage().session_id())) {
    return false;
  }
  if (run.has_create_time()) {
    const absl::Time created = FromProtoTimestamp(run.create_time());
    if (created < since - kCreatedClockSkew || created > until + kCreatedClockSkew) return false;
  }
  return google::protobuf::util::MessageDifferencer::Equals(run.input(), input);
}

// FindCreated's search: GET /api/v1/workflows/runs of the workflow between
// the attempts' times, newest first, page after page, keeping the last
// (oldest) run that matches; then that run read in full.
class CreatedRunSearch : public std::enable_shared_from_this<CreatedRunSearch> {
 public:
  CreatedRunSearch(std::shared_ptr<const PolosApi> config, std::string workflow,
                   std::string session, google::protobuf::Value input, absl::Time since,
                   absl::Time until, CallContext context, Done<std::optional<v1::Execution>> done)
      : config_(std::move(config)),
        workflow_(std::move(workflow)),
        session_(std::move(session)),
        input_(std::move(input)),
        since_(since),
        until_(until),
        context_(std::move(context)),
        done_(std::move(done)) {}

  void Page(int64_t offset, int pages_read) {
    UpstreamPath path =
        UpstreamPath(kRunsRoute)
            .QueryLiteral("workflow_type", "workflow")
            .Query("workflow_id", workflow_)
            .Query("start_time", FormatRfc3339(FloorMicros(since_ - kCreatedClockSkew)))
            .Query("end_time", FormatRfc3339(CeilMicros(until_ + kCreatedClockSkew)))
            .Query("limit", kFindPageSize)
            .Query("offset", offset);
    http::HttpRequest request = config_->Request("GET", path, context_, /*idempotent=*/true);
    http::Classifier classify = Classify(request, config_->Classifier(PolosCall::kList));
    config_->client->Send(std::move(request),
                          [self = shared_from_this(), offset, pages_read,
                           classify = std::move(classify)](absl::StatusOr<http::HttpResponse> r) {
                            self->OnPage(offset, pages_read + 1, classify, r);
                          });
  }

 private:
  void OnPage(int64_t offset, int pages_read, const http::Classifier& classify,
              absl::StatusOr<http::HttpResponse>& r) {
    if (http::Verdict verdict = http::Settle(classify, r);
        verdict.kind != http::Verdict::Kind::kSuccess) {
      Fail(*config_, verdict, std::move(done_));
      return;
    }
    absl::StatusOr<rapidjson::Document> doc = config_->ReadJson(*r);
    if (!doc.ok() || !doc->IsArray()) {
      std::move(done_)(config_->Redact(InvalidResponseStatus(
          config_->backend(),
          absl::StrCat("list of runs: ", doc.ok() ? "not a JSON array" : doc.status().message()))));
      return;
    }
    for (const rapidjson::Value& item : doc->GetArray()) {
      if (!item.IsObject()) continue;
      v1::Execution run = TranslateRunSummary(item, config_->backend());
      if (IsRunOf(run, session_, input_, since_, until_)) {
        oldest_ = CanonicalUuid(run.execution_id());
      }
    }
    const int64_t answered = doc->Size();
    // The last page; or the bound, with a run of this request already seen
    // (the session is this request's own: any match is one of its runs).
    if (answered < kFindPageSize || (pages_read >= kFindMaxPages && oldest_.has_value())) {
      Finish();
      return;
    }
    if (pages_read >= kFindMaxPages) {
      std::move(done_)(config_->Redact(OutcomeUnknownStatus(
          {config_->backend(), "create", "", /*confirmed=*/false},
          absl::StrCat("an earlier create with this request_id may have started a run of "
                       "workflow \"",
                       BoundedEcho(workflow_), "\"; its ", kFindPageSize * kFindMaxPages,
                       " newest runs since then do not include it and the gateway searches no "
                       "further"))));
      return;
    }
    Page(offset + answered, pages_read);
  }

  void Finish() {
    if (!oldest_.has_value()) {
      std::move(done_)(std::optional<v1::Execution>());
      return;
    }
    // A run found but not read: the create's confirmed OUTCOME_UNKNOWN with
    // its name, which the deduplicator remembers as the run of the request.
    ReadAfterConfirmedWrite(config_, *oldest_, "create", context_,
                            [done = std::move(done_)](absl::StatusOr<v1::Execution> e) mutable {
                              if (!e.ok()) {
                                std::move(done)(e.status());
                                return;
                              }
                              std::move(done)(std::optional<v1::Execution>(*std::move(e)));
                            });
  }

  const std::shared_ptr<const PolosApi> config_;
  const std::string workflow_;
  const std::string session_;
  const google::protobuf::Value input_;
  const absl::Time since_;
  const absl::Time until_;
  const CallContext context_;
  Done<std::optional<v1::Execution>> done_;
  std::optional<std::string> oldest_;  // canonical id of the oldest match so far
};

// ---------------------------------------------------------------------------

// FollowChanges' feed: one event stream request, read on the client's loop.
// Its state is shared with the stream's callbacks, which may run after the
// feed is destroyed (they then do nothing).
class PolosChangeFeed final : public ChangeFeed {
 public:
  PolosChangeFeed(std::shared_ptr<const PolosApi> config, std::string workflow, std::string run,
                  std::string cursor, ChangeFeedCallbacks callbacks)
      : state_(std::make_shared<State>()) {
    state_->config = std::move(config);
    state_->cursor = std::move(cursor);
    state_->callbacks = std::move(callbacks);
    state_->last_bytes = Loop().Now();
    UpstreamPath path("/api/v1/events/stream");
    path.Query("topic", absl::StrCat("workflow/", workflow, "/", run))
        .Query("workflow_id", workflow)
        .Query("workflow_run_id", run);
    int64_t sequence = 0;
    if (!state_->cursor.empty() && absl::SimpleAtoi(state_->cursor, &sequence)) {
      path.Query("last_sequence_id", sequence);
    }
    CallContext context;
    context.cancellation = state_->stream;
    http::HttpRequest request = state_->config->Request("GET", path, context, /*idempotent=*/true);
    // A stream lasts as long as the run: no attempt bound (silence is).
    request.attempt_timeout = absl::InfiniteDuration();
    request.headers.emplace_back("Accept", "text/event-stream");
    http::StreamCallbacks callbacks_out;
    callbacks_out.on_headers = [state = state_](int status, const http::Headers& headers) {
      state->http_status = status;
      state->last_bytes = state->Loop().Now();
      if (status == 200) state->Change();
      return true;
    };
    callbacks_out.on_data = [state = state_](absl::string_view chunk) {
      state->last_bytes = state->Loop().Now();
      return state->Data(chunk);
    };
    callbacks_out.on_done = [state = state_](absl::StatusOr<http::HttpResponse> r) {
      state->Done(r.status());
    };
    state_->config->client->Stream(std::move(request), std::move(callbacks_out));
    ScheduleSilenceCheck(state_);
  }

  ~PolosChangeFeed() override {
    state_->closed = true;
    state_->timer->Cancel();
    state_->stream->Cancel();
    state_->callbacks = {};
  }

 private:
  struct State {
    std::shared_ptr<const PolosApi> config;
    std::string cursor;
    ChangeFeedCallbacks callbacks;
    std::shared_ptr<Cancellation> stream = std::make_shared<Cancellation>();
    std::shared_ptr<Cancellation> timer = std::make_shared<Cancellation>();
    http::SseParser parser;
    int http_status = 0;
    // A non-200 answer's body, for the error table (bounded).
    std::string error_body;
    // Why the feed ends, once known (an error frame, silence, a bad body).
    std::optional<absl::Status> ending;
    absl::Time last_bytes;
    bool closed = false;
    bool ended = false;

    EventLoop& Loop() const { return config->client->loop(); }

    // The callback may destroy the feed (whose destructor clears
    // `callbacks`): it runs from a local, put back unless the feed closed.
    void Change() {
      if (closed || !callbacks.on_change) return;
      auto on_change = std::move(callbacks.on_change);
      callbacks.on_change = nullptr;
      on_change(cursor);
      if (!closed) callbacks.on_change = std::move(on_change);
    }

    bool Data(absl::string_view chunk) {
      if (closed) return false;
      if (http_status != 200) {
        if (error_body.size() < 4096) {
          absl::StrAppend(&error_body, chunk.substr(0, 4096 - error_body.size()));
        }
        return true;
      }
      absl::Status s = parser.Feed(chunk, [this](const http::SseEvent& e) { Event(e); });
      if (!s.ok() && !ending.has_value()) {
        ending =
            absl::UnavailableError(absl::StrCat("the event stream of backend \"", config->backend(),
                                                "\" was unreadable: ", s.message()));
      }
      return !ending.has_value() && !closed;
    }

    void Event(const http::SseEvent& e) {
      if (ending.has_value() || closed) return;
      if (e.data == "keepalive") return;
      absl::StatusOr<rapidjson::Document> doc = ParseRedactedJson(e.data, config->spellings);
      if (doc.ok() && doc->IsObject()) {
        auto type = doc->FindMember("type");
        if (type != doc->MemberEnd() && type->value.IsString() &&
            absl::string_view(type->value.GetString()) == "error") {
          std::string message = "(no message)";
          auto m = doc->FindMember("message");
          if (m != doc->MemberEnd() && m->value.IsString()) {
            message = SanitizeUtf8(absl::string_view(m->value.GetString()).substr(0, 512));
          }
          ending = MakeError(absl::StatusCode::kUnavailable,
                             absl::StrCat("the event stream of backend \"", config->backend(),
                                          "\" ended with an error: ", message),
                             reason::kUpstreamUnavailable, {{"backend", config->backend()}});
          // Whatever the error says, the execution may have changed.
          Change();
          return;
        }
        auto seq = doc->FindMember("sequence_id");
        if (seq != doc->MemberEnd() && seq->value.IsInt64()) {
          cursor = absl::StrCat(seq->value.GetInt64());
        }
      }
      // An event is an event, even one that does not parse.
      Change();
    }

    void Done(const absl::Status& transport) {
      if (ended) return;
      ended = true;
      timer->Cancel();
      if (closed) return;
      absl::Status status;
      if (ending.has_value()) {
        status = *ending;
      } else if (http_status != 0 && http_status != 200) {
        http::HttpResponse response;
        response.status = http_status;
        response.body = error_body;
        status = FailureToStatus(PolosCall::kEvents, ReadFailure(config->backend(), response,
                                                                 Loop().Now(), config->secrets));
      } else if (transport.ok()) {
        status = absl::OkStatus();
      } else {
        status = TransportFailureToStatus(config->backend(), transport);
      }
      auto on_end = std::move(callbacks.on_end);
      callbacks = {};
      if (on_end) on_end(config->Redact(status));
    }
  };

  EventLoop& Loop() const { return state_->Loop(); }

  static void ScheduleSilenceCheck(const std::shared_ptr<State>& state) {
    const absl::Duration bound = state->config->options.event_stream_silence;
    state->Loop().RunAt(
        state->last_bytes + bound,
        [state, bound] {
          // Ended, or ending already (an error frame, an unreadable body).
          if (state->closed || state->ended || state->ending.has_value()) return;
          if (state->Loop().Now() - state->last_bytes >= bound) {
            state->ending =
                MakeError(absl::StatusCode::kUnavailable,
                          absl::StrCat("the event stream of backend \"", state->config->backend(),
                                       "\" was silent for ", absl::FormatDuration(bound)),
                          reason::kUpstreamUnavailable, {{"backend", state->config->backend()}});
            state->stream->Cancel();
            return;
          }
          ScheduleSilenceCheck(state);
        },
        state->timer);
  }

  std::shared_ptr<State> state_;
};

class PolosBackend final : public Backend {
 public:
  explicit PolosBackend(std::shared_ptr<const PolosApi> config) : config_(std::move(config)) {}

  const std::string& name() const override { return config_->backend(); }
  v1::BackendKind kind() const override { return v1::BACKEND_KIND_POLOS; }
  bool deduplicates_creates() const override { return false; }

  void GetExecution(const ExecutionName& name, const CallContext& context,
                    Done<v1::Execution> done) override {
    if (absl::Status s = CheckName(name, "name"); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    FetchExecution(config_, CanonicalUuid(name.execution), context, std::move(done));
  }

  void ListExecutions(const ListExecutionsQuery& query, const CallContext& context,
                      Done<ExecutionPage> done) override {
    if (absl::Status s = CheckParent(query.parent, /*for_create=*/false); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    if (query.ascending) {
      std::move(done)(InvalidField("order_by",
                                   "Polos lists newest first only; use \"create_time desc\"",
                                   config_->backend()));
      return;
    }
    absl::StatusOr<ListPosition> at = DecodeListPosition(query.position, config_->backend());
    if (!at.ok()) {
      std::move(done)(at.status());
      return;
    }
    const int64_t limit = query.page_size;
    const int64_t offset = std::max<int64_t>(at->offset, 0);
    // Polos keeps microseconds and its bounds may be inclusive or exclusive:
    // widen them to whole microseconds on the safe side and let the page
    // filter apply the exact range.
    std::optional<absl::Time> end;
    if (query.created_to.has_value()) end = CeilMicros(*query.created_to);
    if (at->snapshot.has_value()) {
      end = end.has_value() ? std::min(*end, *at->snapshot) : *at->snapshot;
    }
    UpstreamPath path = UpstreamPath(kRunsRoute).QueryLiteral("workflow_type", "workflow");
    if (!query.parent.workflow.empty()) path.Query("workflow_id", query.parent.workflow);
    // One more than the page holds: whether more follow is then known
    // without an empty last page.
    path.Query("limit", limit + 1).Query("offset", offset);
    if (query.created_from.has_value()) {
      const absl::Time start = FloorMicros(*query.created_from) - absl::Microseconds(1);
      path.Query("start_time", FormatRfc3339(start));
    }
    if (end.has_value()) path.Query("end_time", FormatRfc3339(*end));

    std::shared_ptr<const PolosApi> config = config_;
    http::HttpRequest request = config->Request("GET", path, context, /*idempotent=*/true);
    http::Classifier classify = Classify(request, config->Classifier(PolosCall::kList));
    config->client->Send(
        std::move(request), [config, query, context, limit, offset, snapshot = at->snapshot,
                             classify = std::move(classify),
                             done = std::move(done)](absl::StatusOr<http::HttpResponse> r) mutable {
          if (http::Verdict verdict = http::Settle(classify, r);
              verdict.kind != http::Verdict::Kind::kSuccess) {
            Fail(*config, verdict, std::move(done));
            return;
          }
          absl::StatusOr<rapidjson::Document> doc = config->ReadJson(*r);
          if (!doc.ok() || !doc->IsArray()) {
            std::move(done)(config->Redact(InvalidResponseStatus(
                config->backend(),
                absl::StrCat("list of runs: ",
                             doc.ok() ? "not a JSON array" : doc.status().message()))));
            return;
          }
          // At most `limit` items, whatever Polos sent (it may ignore `limit`):
          // only those are translated, and the next page starts right after
          // them.
          const int64_t answered = doc->Size();
          const int64_t returned = std::min(answered, limit);
          ExecutionPage page;
          page.executions.reserve(returned);
          std::vector<size_t> to_read_back;
          std::optional<absl::Time> newest;
          const bool read_cancelled = WantsCancelledReadBack(query);
          const bool full = query.view == v1::EXECUTION_VIEW_FULL;
          for (int64_t i = 0; i < returned; ++i) {
            const rapidjson::Value& item = (*doc)[static_cast<rapidjson::SizeType>(i)];
            if (!item.IsObject()) continue;  // still counts for the offset
            v1::Execution e = TranslateRunSummary(item, config->backend());
            if (e.has_create_time()) {
              const absl::Time created = FromProtoTimestamp(e.create_time());
              newest = newest.has_value() ? std::max(*newest, created) : created;
            }
            const bool cancelled = e.state() == v1::Execution::STATE_CANCELLED;
            if ((full || (read_cancelled && cancelled)) && IsCanonicalUuid(e.execution_id())) {
              to_read_back.push_back(page.executions.size());
            }
            page.executions.push_back(std::move(e));
          }
          if (answered > limit) {
            ListPosition next;
            next.offset = offset + returned;
            next.snapshot = snapshot;
            if (!next.snapshot.has_value() && offset == 0 && newest.has_value()) {
              next.snapshot = *newest + absl::Microseconds(1);
            }
            page.next = EncodeListPosition(next);
          }
          page.total_size = -1;
          std::make_shared<PageReadBack>(config, query, context, std::move(page),
                                         std::move(to_read_back), std::move(done))
              ->Start();
        });
  }

  void ListExecutionTasks(const ListTasksQuery& query, const CallContext& context,
                          Done<TaskPage> done) override {
    if (absl::Status s = CheckName(query.execution, "parent"); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    std::move(done)(MakeError(absl::StatusCode::kFailedPrecondition, kNoTasksMessage,
                              reason::kFailedPrecondition,
                              {{"backend", config_->backend()},
                               {"execution_id", CanonicalUuid(query.execution.execution)}}));
  }

  void CreateExecution(const ParentName& parent, const v1::CreateExecutionRequest& request,
                       const CallContext& context, Done<v1::Execution> done) override {
    if (absl::Status s = CheckCreate(parent, request); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    std::shared_ptr<const PolosApi> config = config_;
    http::HttpRequest post = config->Request(
        "POST",
        UpstreamPath("/api/v1/workflows").Segment(parent.workflow, "{workflow}").Route("/run"),
        context,
        /*idempotent=*/false);
    SetJsonBody(post, RunBody(request, SessionOf(*config, request)));
    http::Classifier classify = Classify(
        post, config->Classifier(PolosCall::kRun, "", WriteOutcome{config->backend(), "create"}));
    config->client->Send(
        std::move(post), [config, parent, request, context, classify = std::move(classify),
                          done = std::move(done)](absl::StatusOr<http::HttpResponse> r) mutable {
          const std::string& backend = config->backend();
          if (http::Verdict verdict = http::Settle(classify, r);
              verdict.kind != http::Verdict::Kind::kSuccess) {
            Fail(*config, verdict, std::move(done));
            return;
          }
          // From here on Polos may have started the run: an answer the
          // gateway cannot use is OUTCOME_UNKNOWN, never an error that reads
          // as "nothing happened" (upstream_error.h).
          absl::StatusOr<rapidjson::Document> doc = config->ReadJson(*r);
          std::optional<std::string> id;
          if (doc.ok() && doc->IsObject()) id = JsonString(*doc, "execution_id");
          if (!id.has_value() || id->empty()) {
            std::move(done)(config->Redact(OutcomeUnknownStatus(
                {backend, "create", "", /*confirmed=*/false},
                absl::StrCat("Polos answered the run of workflow \"", BoundedEcho(parent.workflow),
                             "\" (HTTP ", r->status, ") without an execution_id"))));
            return;
          }
          if (!IsCanonicalUuid(*id)) {
            // Polos took the run but named it with an id no name can carry.
            std::move(done)(config->Redact(OutcomeUnknownStatus(
                {backend, "create", "", /*confirmed=*/true},
                absl::StrCat("Polos named the run \"", BoundedEcho(*id),
                             "\", which is not a UUID and cannot be read or named"))));
            return;
          }
          ReadAfterConfirmedWrite(config, CanonicalUuid(*id), "create", context, std::move(done));
        });
  }

  void FindCreated(const ParentName& parent, const v1::CreateExecutionRequest& request,
                   absl::Time since, absl::Time until, const CallContext& context,
                   Done<std::optional<v1::Execution>> done) override {
    if (absl::Status s = CheckCreate(parent, request); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    if (request.request_id().empty() || !request.session_id().empty()) {
      // Runs are told apart only by the session derived from the
      // request_id: in a session of the caller's, another request's run
      // with the same input would look the same.
      std::move(done)(absl::UnimplementedError(
          "a Polos run can be found only when the gateway chose its session"));
      return;
    }
    std::make_shared<CreatedRunSearch>(config_, parent.workflow, SessionOf(*config_, request),
                                       request.input(), since, until, context, std::move(done))
        ->Page(/*offset=*/0, /*pages_read=*/0);
  }

  void CancelExecution(const ExecutionName& name, const CallContext& context,
                       Done<v1::Execution> done) override {
    if (absl::Status s = CheckName(name, "name"); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    std::shared_ptr<const PolosApi> config = config_;
    const std::string id = CanonicalUuid(name.execution);
    http::HttpRequest post =
        config->Request("POST", ExecutionPath(id).Route("/cancel"), context, /*idempotent=*/true);
    http::Classifier classify = Classify(
        post, config->Classifier(PolosCall::kCancel, id,
                                 WriteOutcome{config->backend(), "cancel", config->NameOf(id)}));
    SendSettled(config, std::move(post), std::move(classify), context,
                [config, id, context, done = std::move(done)](
                    http::Verdict verdict, absl::StatusOr<http::HttpResponse> r) mutable {
                  if (verdict.kind != http::Verdict::Kind::kSuccess) {
                    Fail(*config, verdict, std::move(done));
                    return;
                  }
                  if (std::string problem = CancelAnswerProblem(config->ReadJson(*r), id);
                      !problem.empty()) {
                    std::move(done)(config->Redact(OutcomeUnknownStatus(
                        {config->backend(), "cancel", config->NameOf(id), /*confirmed=*/false},
                        absl::StrCat("Polos answered HTTP ", r->status, " but ", problem))));
                    return;
                  }
                  ReadAfterConfirmedWrite(config, id, "cancel", context, std::move(done));
                });
  }

 private:
  // `field` is the request field the name came from.
  absl::Status CheckName(const ExecutionName& name, absl::string_view field) const {
    const std::string& backend = config_->backend();
    if (name.backend != backend) {
      return InvalidField(field,
                          absl::StrCat("backend \"", name.backend,
                                       "\" was routed to Polos backend \"", backend, "\""),
                          backend);
    }
    if (!name.job.empty()) {
      return InvalidField(field,
                          absl::StrCat("backend \"", backend,
                                       "\" is a Polos backend, whose executions are named "
                                       "\"backends/",
                                       backend, "/executions/{execution}\" (no jobs/ segment)"),
                          backend, reason::kWrongBackendKind);
    }
    if (!IsCanonicalUuid(name.execution)) {
      return InvalidField(field,
                          absl::StrCat("execution id \"", BoundedEcho(name.execution),
                                       "\" is not a UUID; Polos execution ids look like "
                                       "\"6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60\""),
                          backend);
    }
    return absl::OkStatus();
  }

  absl::Status CheckParent(const ParentName& parent, bool for_create) const {
    const std::string& backend = config_->backend();
    if (parent.backend != backend) {
      return InvalidField("parent",
                          absl::StrCat("backend \"", parent.backend,
                                       "\" was routed to Polos backend \"", backend, "\""),
                          backend);
    }
    const std::string workflows = absl::StrCat("\"backends/", backend, "/workflows/{workflow}\"");
    if (!parent.job.empty()) {
      return InvalidField(
          "parent",
          absl::StrCat("backend \"", backend, "\" is a Polos backend, which has ",
                       "workflows, not jobs: use ", workflows,
                       for_create ? "" : absl::StrCat(" or \"backends/", backend, "\"")),
          backend, reason::kWrongBackendKind);
    }
    if (for_create && parent.workflow.empty()) {
      return InvalidField(
          "parent", absl::StrCat("a Polos execution is started under its workflow: ", workflows),
          backend);
    }
    return absl::OkStatus();
  }

  absl::Status CheckCreate(const ParentName& parent,
                           const v1::CreateExecutionRequest& request) const {
    if (absl::Status s = CheckParent(parent, /*for_create=*/true); !s.ok()) return s;
    const std::string& backend = config_->backend();
    std::vector<std::string> blaxel_only;
    if (!request.execution_id().empty()) blaxel_only.push_back("execution_id");
    if (request.task_parameters_size() > 0) blaxel_only.push_back("task_parameters");
    if (!request.env().empty()) blaxel_only.push_back("env");
    if (request.memory_mb() != 0) blaxel_only.push_back("memory_mb");
    if (request.reject_if_no_capacity()) blaxel_only.push_back("reject_if_no_capacity");
    if (!blaxel_only.empty()) {
      return UnsupportedFieldsError(blaxel_only, "Polos", backend);
    }
    if (!request.has_input() ||
        request.input().kind_case() == google::protobuf::Value::KIND_NOT_SET) {
      return InvalidField("input", "is required for Polos workflows (any JSON value)", backend);
    }
    if (request.has_timeout()) {
      const google::protobuf::Duration& t = request.timeout();
      if (t.seconds() <= 0 || t.nanos() != 0 || t.seconds() > std::numeric_limits<int32_t>::max()) {
        return InvalidField("timeout",
                            absl::StrCat("Polos run timeouts are whole positive seconds (at most ",
                                         std::numeric_limits<int32_t>::max(), "), got ",
                                         absl::FormatDuration(FromProtoDuration(t))),
                            backend);
      }
    }
    return absl::OkStatus();
  }

  std::unique_ptr<ChangeFeed> FollowChanges(const v1::Execution& execution,
                                            const std::string& cursor,
                                            ChangeFeedCallbacks callbacks) override {
    if (execution.workload().empty() || execution.execution_id().empty()) return nullptr;
    return std::make_unique<PolosChangeFeed>(
        config_, execution.workload(), execution.execution_id(), cursor, std::move(callbacks));
  }

  std::shared_ptr<const PolosApi> config_;
};

}  // namespace

std::unique_ptr<Backend> NewPolosBackend(PolosBackendOptions options, http::HttpClient& client) {
  RequestBuilder requests(
      options.base_url,
      {BearerAuthorization(options.api_key), {"X-Project-ID", options.project_id}},
      options.request_timeout);
  std::vector<std::string> secrets = {options.api_key};
  auto config = std::make_shared<PolosApi>(
      PolosApi{std::move(options), std::move(requests), &client, std::move(secrets)});
  return std::make_unique<PolosBackend>(std::move(config));
}

}  // namespace execgw::polos

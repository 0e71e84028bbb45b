#include "sim/blaxel/simulator.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "adapters/json_value.h"
#include "adapters/upstream_time.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace execgw::blaxel {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr absl::string_view kVersionLatest = "2026-04-28";
constexpr absl::string_view kVersionOldest = "2026-04-16";
constexpr absl::Duration kQueued = absl::Seconds(1);
constexpr absl::Duration kPending = absl::Seconds(1);
constexpr absl::Duration kCancelling = absl::Seconds(2);
constexpr absl::Duration kCursorLifetime = absl::Hours(24);

// ---------------------------------------------------------------- responses

using http::JsonResponse;

// Blaxel's error body: {"code": <status>, "error": "<text>", "message": "<text>"}.
http::ServerResponse ErrorResponse(int status, absl::string_view error, absl::string_view message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("code");
  w.Int(status);
  w.Key("error");
  w.String(error.data(), error.size());
  w.Key("message");
  w.String(message.data(), message.size());
  w.EndObject();
  return JsonResponse(status, std::string(buf.GetString(), buf.GetSize()));
}

void String(Writer& w, absl::string_view key, absl::string_view value) {
  w.Key(key.data(), key.size());
  w.String(value.data(), value.size());
}

void Int(Writer& w, absl::string_view key, int64_t value) {
  w.Key(key.data(), key.size());
  w.Int64(value);
}

// A time as the real server writes it; "" when it has not happened yet.
std::string TimeText(std::optional<absl::Time> t, absl::Time now) {
  if (!t.has_value() || *t > now) return "";
  return FormatRfc3339(*t);
}

// Go-like short duration text: "1h", "30m", "1h30m", "45s".
std::string DurationText(int64_t seconds) {
  std::string out;
  if (seconds >= 3600) absl::StrAppend(&out, seconds / 3600, "h");
  if (seconds % 3600 >= 60) absl::StrAppend(&out, (seconds % 3600) / 60, "m");
  if (seconds % 60 != 0 || out.empty()) absl::StrAppend(&out, seconds % 60, "s");
  return out;
}

// ---------------------------------------------------------------- lifecycle

struct TaskPlan {
  absl::Time created, scheduled, started, ended;
  bool fails = false;
  bool retried = false;
  absl::Time first_fail, retry_start;
};

struct Plan {
  absl::Time created, pending_at, run_start;
  std::vector<TaskPlan> tasks;
  std::optional<absl::Time> cancel_at;
  absl::Time terminal_at;
  std::string terminal_status;
};

Plan MakePlan(SimulatedScenario scenario, absl::Time created, int task_count,
              const SimulatedJob& job, std::optional<absl::Time> cancel_requested) {
  Plan p;
  p.created = created;
  p.pending_at = created + kQueued;
  p.run_start = p.pending_at + kPending;
  const int slots = std::max(1, job.parallelism);
  std::vector<absl::Time> slot_free(slots, p.run_start);
  absl::Time natural_end = p.run_start;
  bool any_fail = false;
  for (int i = 0; i < task_count; ++i) {
    TaskPlan t;
    // Small odd offsets so that rendered times carry varying fractional digits.
    t.created = created + absl::Nanoseconds(336304095 + 1000 * i);
    auto slot = std::min_element(slot_free.begin(), slot_free.end());
    t.scheduled = *slot + absl::Milliseconds(120 * i % 500) + absl::Nanoseconds(4500);
    t.started = t.scheduled + absl::Milliseconds(300);
    absl::Duration run = absl::Seconds(3) + absl::Milliseconds(700 * i) + absl::Microseconds(25);
    if (scenario == SimulatedScenario::kTimeout) {
      run = absl::Seconds(job.timeout_seconds) + absl::Hours(1);
    }
    if (scenario == SimulatedScenario::kTaskRetriedThenFail && i == 0) {
      t.fails = true;
      t.retried = job.max_retries > 0;
      t.first_fail = t.started + absl::Seconds(2);
      t.retry_start = t.first_fail + absl::Seconds(1);
      t.ended = t.retried ? t.retry_start + absl::Seconds(2) : t.first_fail;
      any_fail = true;
    } else {
      t.ended = t.started + run;
    }
    *slot = t.ended;
    natural_end = std::max(natural_end, t.ended);
    p.tasks.push_back(t);
  }
  const absl::Time timeout_at = p.run_start + absl::Seconds(job.timeout_seconds);
  if (job.timeout_seconds > 0 && timeout_at < natural_end) {
    p.terminal_at = timeout_at;
    p.terminal_status = "timeout";
  } else {
    p.terminal_at = natural_end;
    p.terminal_status = any_fail ? "failed" : "succeeded";
  }
  if (cancel_requested.has_value() && *cancel_requested < p.terminal_at) {
    p.cancel_at = cancel_requested;
    p.terminal_at = *cancel_requested + kCancelling;
    p.terminal_status = "cancelled";
  }
  return p;
}

std::string ExecutionStatusAt(const Plan& p, absl::Time now) {
  if (now >= p.terminal_at) return p.terminal_status;
  if (p.cancel_at.has_value() && now >= *p.cancel_at) return "cancelling";
  if (now < p.pending_at) return "queued";
  if (now < p.run_start) return "pending";
  return "running";
}

struct TaskView {
  std::string status;
  std::optional<absl::Time> completed;
  absl::Time updated;
  std::string condition_state, condition_reason, severity, message;
  bool counted_retry = false;
};

TaskView TaskAt(const Plan& p, const TaskPlan& t, int index, const SimulatedJob& job,
                absl::Time now) {
  TaskView v;
  // Where the execution's end cut the task short, and how.
  std::optional<absl::Time> cut;
  std::string cut_status;
  if (p.terminal_status == "cancelled") {
    if (t.started > *p.cancel_at) {
      cut = *p.cancel_at;
      cut_status = "cancelled";
    } else if (t.ended > p.terminal_at) {
      cut = p.terminal_at;
      cut_status = "cancelled";
    }
  } else if (p.terminal_status == "timeout" && t.ended > p.terminal_at) {
    cut = p.terminal_at;
    cut_status = t.started <= p.terminal_at ? "failed" : "cancelled";
  }
  std::vector<absl::Time> events = {t.created};
  if (cut.has_value() && now >= *cut) {
    v.status = cut_status;
    v.completed = *cut;
    events.push_back(*cut);
    if (cut_status == "cancelled") {
      v.condition_state = "CONDITION_CANCELLED";
      v.condition_reason = "CANCELLED";
      v.severity = "INFO";
      v.message = "The task was cancelled with its execution.";
    } else {
      v.condition_state = "CONDITION_FAILED";
      v.condition_reason = "DEADLINE_EXCEEDED";
      v.severity = "ERROR";
      v.message = absl::StrCat("The job timeout of ", job.timeout_seconds, "s was reached.");
    }
  } else if (now < t.scheduled) {
    v.status = "pending";
  } else if (now < t.started) {
    v.status = "reconciling";
  } else if (t.fails && t.retried && now >= t.first_fail && now < t.retry_start) {
    v.status = "reconciling";
  } else if (now < t.ended) {
    v.status = "running";
  } else {
    v.status = t.fails ? "failed" : "succeeded";
    v.completed = t.ended;
    if (t.fails) {
      v.condition_state = "CONDITION_FAILED";
      v.condition_reason = "NON_ZERO_EXIT_CODE";
      v.severity = "ERROR";
      v.message = absl::StrCat("Task task-", index, " exited with code 1 (attempt ",
                               t.retried ? 2 : 1, " of ", t.retried ? 2 : 1, ").");
    } else {
      v.condition_state = "CONDITION_SUCCEEDED";
      v.severity = "INFO";
      v.message = "Task completed successfully.";
    }
  }
  for (absl::Time e : {t.scheduled, t.started}) events.push_back(e);
  if (t.fails && t.retried) {
    events.push_back(t.first_fail);
    events.push_back(t.retry_start);
    v.counted_retry = now >= t.first_fail && (!cut.has_value() || t.first_fail < *cut);
  }
  if (!cut.has_value() || t.ended <= *cut) events.push_back(t.ended);
  v.updated = t.created;
  for (absl::Time e : events) {
    if (e <= now && (!cut.has_value() || e <= *cut)) v.updated = std::max(v.updated, e);
  }
  return v;
}

// Writes one task object.
void WriteTask(Writer& w, const Plan& p, const TaskPlan& t, int index, const SimulatedJob& job,
               absl::Time now, TaskView* view_out) {
  TaskView v = TaskAt(p, t, index, job, now);
  const bool cut_before_start = v.completed.has_value() && *v.completed < t.started;
  w.StartObject();
  w.Key("conditions");
  w.StartArray();
  if (!v.condition_state.empty()) {
    w.StartObject();
    String(w, "type", "CONDITION_SUCCEEDED");
    String(w, "state", v.condition_state);
    String(w, "reason", v.condition_reason);
    String(w, "executionReason", v.condition_reason);
    String(w, "severity", v.severity);
    String(w, "message", v.message);
    w.EndObject();
  }
  w.EndArray();
  w.Key("metadata");
  w.StartObject();
  String(w, "name", absl::StrCat("task-", index));
  String(w, "createdAt", TimeText(t.created, now));
  String(w, "scheduledAt", cut_before_start ? "" : TimeText(t.scheduled, now));
  String(w, "startedAt", cut_before_start ? "" : TimeText(t.started, now));
  String(w, "completedAt", TimeText(v.completed, now));
  String(w, "updatedAt", TimeText(v.updated, now));
  w.EndObject();
  w.Key("spec");
  w.StartObject();
  Int(w, "maxRetries", job.max_retries);
  String(w, "timeout", DurationText(job.timeout_seconds));
  w.EndObject();
  String(w, "status", v.status);
  w.EndObject();
  if (view_out != nullptr) *view_out = std::move(v);
}

// ---------------------------------------------------------------- paging

struct PageItem {
  std::string id;      // for q and name sorting
  absl::Time created;  // for createdAt sorting
  // The last tie-break: the task's position for tasks; 0 for executions
  // (their ids are unique per job, and a position would shift).
  int index = 0;
  std::string json;              // tasks: the rendered task; executions: rendered late
  const void* source = nullptr;  // executions: the Execution to render
};

// The total order of a listing: the sort key first, then the other fields,
// so that an item's key is a stable position for a cursor.
bool Before(const PageItem& a, const PageItem& b, absl::string_view sort) {
  auto by_time = [](const PageItem& i) { return std::tie(i.created, i.id, i.index); };
  auto by_name = [](const PageItem& i) { return std::tie(i.id, i.created, i.index); };
  if (sort == "createdAt:asc") return by_time(a) < by_time(b);
  if (sort == "createdAt:desc") return by_time(b) < by_time(a);
  if (sort == "name:asc") return by_name(a) < by_name(b);
  return by_name(b) < by_name(a);
}

struct PageQuery {
  std::string sort = "createdAt:desc";
  std::string q;  // trimmed, lowercased; "" when ignored
  size_t limit;
  size_t offset = 0;
  // Keyset cursors: the key of the last item served.
  std::optional<PageItem> after;
};

// A cursor: the binding, the issue time, and either the offset of the next
// item ("o") or the key of the last item served ("c" created ns, "i" id,
// "x" index).
std::string CursorFor(absl::string_view binding, absl::Time now, size_t offset,
                      const PageItem* last) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  String(w, "b", binding);
  Int(w, "t", absl::ToUnixSeconds(now));
  if (last != nullptr) {
    Int(w, "c", absl::ToUnixNanos(last->created));
    String(w, "i", last->id);
    Int(w, "x", last->index);
  } else {
    Int(w, "o", static_cast<int64_t>(offset));
  }
  w.EndObject();
  return absl::WebSafeBase64Escape(absl::string_view(buf.GetString(), buf.GetSize()));
}

// Parses sort, q, limit and cursor for a cursor-paged listing. `binding`
// names what the listing is of; the cursor is valid only with the same
// binding, sort and q.
std::optional<http::ServerResponse> ParsePageQuery(const http::ServerRequest& request,
                                                   size_t default_limit, size_t max_limit,
                                                   bool clamp, absl::string_view binding,
                                                   absl::Time now, PageQuery& out) {
  out.limit = default_limit;
  if (const std::string* sort = request.FindQuery("sort"); sort != nullptr && !sort->empty()) {
    if (*sort != "createdAt:desc" && *sort != "createdAt:asc" && *sort != "name:asc" &&
        *sort != "name:desc") {
      return ErrorResponse(400, "Bad Request",
                           absl::StrCat("invalid sort \"", *sort,
                                        "\": one of createdAt:desc, createdAt:asc, name:asc, "
                                        "name:desc"));
    }
    out.sort = *sort;
  }
  if (const std::string* q = request.FindQuery("q"); q != nullptr) {
    if (q->size() > 200)
      return ErrorResponse(400, "Bad Request", "q is longer than 200 characters");
    std::string trimmed = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*q));
    if (trimmed.size() >= 2) out.q = std::move(trimmed);
  }
  if (const std::string* limit = request.FindQuery("limit"); limit != nullptr) {
    int64_t n;
    if (!absl::SimpleAtoi(*limit, &n)) {
      return ErrorResponse(400, "Bad Request", absl::StrCat("invalid limit \"", *limit, "\""));
    }
    if (clamp) {
      n = std::clamp<int64_t>(n, 1, static_cast<int64_t>(max_limit));
    } else if (n < 1 || n > static_cast<int64_t>(max_limit)) {
      return ErrorResponse(400, "Bad Request",
                           absl::StrCat("limit must be between 1 and ", max_limit));
    }
    out.limit = static_cast<size_t>(n);
  }
  const std::string full_binding = absl::StrCat(binding, "|", out.sort, "|", out.q);
  if (const std::string* cursor = request.FindQuery("cursor");
      cursor != nullptr && !cursor->empty()) {
    std::string decoded;
    absl::StatusOr<rapidjson::Document> doc = absl::InvalidArgumentError("");
    if (absl::WebSafeBase64Unescape(*cursor, &decoded)) doc = ParseJson(decoded);
    std::optional<int64_t> o, t, c, x;
    std::optional<std::string> b, i;
    if (doc.ok()) {
      o = JsonInt(*doc, "o");
      t = JsonInt(*doc, "t");
      b = JsonString(*doc, "b");
      c = JsonInt(*doc, "c");
      i = JsonString(*doc, "i");
      x = JsonInt(*doc, "x");
    }
    const bool keyset = c.has_value() && i.has_value() && x.has_value();
    if (!t.has_value() || !b.has_value() || (!keyset && (!o.has_value() || *o < 0))) {
      return ErrorResponse(400, "invalid_cursor", "the cursor is malformed");
    }
    if (*b != full_binding) {
      return ErrorResponse(400, "invalid_cursor",
                           "the cursor belongs to another query (sort, q or resource differ)");
    }
    if (now - absl::FromUnixSeconds(*t) > kCursorLifetime) {
      return ErrorResponse(400, "invalid_cursor", "the cursor has expired");
    }
    if (keyset) {
      PageItem after;
      after.created = absl::FromUnixNanos(*c);
      after.id = *std::move(i);
      after.index = static_cast<int>(*x);
      out.after = std::move(after);
    } else {
      out.offset = static_cast<size_t>(*o);
    }
  }
  return std::nullopt;
}

// Filters, sorts and slices; writes {"data":[...],"meta":{...}}. With
// `keyset`, the next cursor is the last served item's key, else an offset.
// `render` gives an item's JSON.
std::string WritePage(std::vector<PageItem> items, const PageQuery& query,
                      absl::string_view binding, absl::Time now, bool keyset,
                      absl::FunctionRef<std::string(const PageItem&)> render) {
  const size_t total = items.size();
  if (!query.q.empty()) {
    std::erase_if(items, [&](const PageItem& i) {
      return !absl::StrContains(absl::AsciiStrToLower(i.id), query.q);
    });
  }
  auto before = [&](const PageItem& a, const PageItem& b) { return Before(a, b, query.sort); };
  std::sort(items.begin(), items.end(), before);
  size_t begin = std::min(query.offset, items.size());
  if (query.after.has_value()) {
    begin = std::upper_bound(items.begin(), items.end(), *query.after, before) - items.begin();
  }
  const size_t end = std::min(begin + query.limit, items.size());
  const bool has_more = end < items.size();
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("data");
  w.StartArray();
  for (size_t i = begin; i < end; ++i) {
    const std::string json = render(items[i]);
    w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  }
  w.EndArray();
  w.Key("meta");
  w.StartObject();
  w.Key("hasMore");
  w.Bool(has_more);
  const std::string full_binding = absl::StrCat(binding, "|", query.sort, "|", query.q);
  String(w, "nextCursor",
         has_more ? CursorFor(full_binding, now, end, keyset ? &items[end - 1] : nullptr) : "");
  Int(w, "total", static_cast<int64_t>(total));
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string Hex(uint64_t x, int width) {
  return absl::StrFormat("%0*x", width,
                         x & ((width >= 16) ? ~uint64_t{0} : ((uint64_t{1} << (4 * width)) - 1)));
}

}  // namespace

// ---------------------------------------------------------------- server

BlaxelSimulator::BlaxelSimulator(BlaxelSimulatorOptions options)
    : options_(std::move(options)),
      api_(
          [](const http::ServerRequest&) {
            return ErrorResponse(404, "Not Found", "no such route");
          },
          [](const http::ServerRequest& request) {
            return ErrorResponse(405, "Method Not Allowed",
                                 absl::StrCat(request.method, " is not allowed here"));
          }) {
  using Params = http::SimulatedApi::Params;
  api_.Add("POST", "/v0/oauth/token", "token",
           [this](const http::ServerRequest& request, const Params&) { return Token(request); });
  api_.Add("POST", "/v0/jobs/{}/executions", "create",
           Checked([this](const http::ServerRequest& request, const Params& p, bool) {
             return Create(request, p[0]);
           }));
  api_.Add("GET", "/v0/jobs/{}/executions", "list",
           Checked([this](const http::ServerRequest& request, const Params& p, bool legacy) {
             return List(request, p[0], legacy);
           }));
  api_.Add("GET", "/v0/jobs/{}/executions/{}", "get",
           Checked([this](const http::ServerRequest&, const Params& p, bool) {
             return Get(p[0], p[1]);
           }));
  api_.Add("DELETE", "/v0/jobs/{}/executions/{}", "cancel",
           Checked([this](const http::ServerRequest&, const Params& p, bool) {
             return Cancel(p[0], p[1]);
           }));
  api_.Add("GET", "/v0/jobs/{}/executions/{}/tasks", "tasks",
           Checked([this](const http::ServerRequest& request, const Params& p, bool legacy) {
             if (legacy) {
               return ErrorResponse(400, "unsupported_api_version",
                                    absl::StrCat("listing tasks needs Blaxel-Version ",
                                                 kVersionLatest, " or later"));
             }
             return Tasks(request, p[0], p[1]);
           }));
}

BlaxelSimulator::~BlaxelSimulator() { Stop(); }

absl::StatusOr<std::unique_ptr<BlaxelSimulator>> BlaxelSimulator::Start(
    BlaxelSimulatorOptions options) {
  if (options.clock == nullptr) options.clock = WallClock();
  std::unique_ptr<BlaxelSimulator> sim(new BlaxelSimulator(std::move(options)));
  if (sim->options_.seed_demo_data) sim->Seed();
  if (sim->options_.before_serving) sim->options_.before_serving(*sim);
  absl::StatusOr<std::unique_ptr<http::HttpServer>> server = sim->api_.Serve(sim->options_.port);
  if (!server.ok()) return server.status();
  sim->server_ = *std::move(server);
  return sim;
}

void BlaxelSimulator::Stop() {
  if (server_ != nullptr) server_->Stop();
}

std::string BlaxelSimulator::base_url() const { return absl::StrCat(server_->base_url(), "/v0"); }

std::vector<SeededExecution> BlaxelSimulator::seeded() const {
  absl::MutexLock lock(&mu_);
  return seeded_;
}

void BlaxelSimulator::PutJob(const std::string& job, SimulatedJob config) {
  absl::MutexLock lock(&mu_);
  jobs_[job] = config;
}

void BlaxelSimulator::PutExecution(const std::string& job, const std::string& id,
                                   SimulatedScenario scenario, absl::Time created, int task_count,
                                   std::vector<std::string> env_keys) {
  absl::MutexLock lock(&mu_);
  jobs_.try_emplace(job);
  Execution e;
  e.job = job;
  e.id = id;
  e.message_id = absl::StrCat("msg-", id);
  e.scenario = scenario;
  e.created = created;
  e.task_count = std::max(0, task_count);
  e.env_keys = std::move(env_keys);
  executions_[{job, id}] = std::move(e);
}

void BlaxelSimulator::PutRaw(const std::string& job, const std::string& id, std::string raw_json) {
  absl::MutexLock lock(&mu_);
  jobs_.try_emplace(job);
  Execution e;
  e.job = job;
  e.id = id;
  // Lists sort on createdAt, as the real server does: the document's own
  // createdAt when it has a usable one, else the time it was put.
  e.created = options_.clock->Now();
  if (absl::StatusOr<rapidjson::Document> doc = ParseJson(raw_json); doc.ok()) {
    const rapidjson::Value* md = JsonMember(*doc, "metadata");
    std::optional<std::string> created = md ? JsonString(*md, "createdAt") : std::nullopt;
    if (std::optional<absl::Time> t = ParseUpstreamTime(created.value_or(""))) e.created = *t;
  }
  e.raw = std::move(raw_json);
  executions_[{job, id}] = std::move(e);
}

std::vector<std::string> BlaxelSimulator::AddExecutions(const std::string& job, int n,
                                                        absl::Time first_created,
                                                        absl::Duration spacing,
                                                        SimulatedScenario scenario) {
  std::vector<std::string> ids;
  ids.reserve(std::max(0, n));
  absl::MutexLock lock(&mu_);
  jobs_.try_emplace(job);
  for (int i = 0; i < n; ++i) {
    Execution e;
    e.job = job;
    e.id = absl::StrFormat("exec-bulk-%06d", next_bulk_++);
    e.message_id = absl::StrCat("msg-", e.id);
    e.scenario = scenario;
    e.created = first_created + spacing * i;
    e.task_count = 1;
    ids.push_back(e.id);
    executions_[{job, e.id}] = std::move(e);
  }
  return ids;
}

int BlaxelSimulator::tokens_issued() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(tokens_.size());
}

std::string BlaxelSimulator::CheckBearer(const std::string& token) const {
  if (!options_.api_key.empty() && token == options_.api_key) return "";
  absl::MutexLock lock(&mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return "invalid credentials";
  if (options_.clock->Now() >= it->second) return "the access token has expired";
  return "";
}

http::ServerResponse BlaxelSimulator::Token(const http::ServerRequest& request) {
  // Client authentication: Basic base64(client_id:client_secret). Neither
  // value is echoed.
  std::string client;
  if (const std::string* value = request.FindHeader("authorization"); value != nullptr) {
    absl::string_view v = absl::StripAsciiWhitespace(*value);
    if (v.size() > 6 && absl::EqualsIgnoreCase(v.substr(0, 6), "basic ")) {
      if (!absl::Base64Unescape(absl::StripAsciiWhitespace(v.substr(6)), &client)) client.clear();
    }
  }
  const size_t colon = client.find(':');
  if (colon == std::string::npos || client.substr(0, colon) != options_.oauth_client_id ||
      client.substr(colon + 1) != options_.oauth_client_secret ||
      options_.oauth_client_id.empty()) {
    return ErrorResponse(401, "invalid_client", "client authentication failed");
  }
  std::string grant_type;
  if (absl::StatusOr<rapidjson::Document> body = ParseJson(request.body);
      body.ok() && body->IsObject()) {
    grant_type = JsonString(*body, "grant_type").value_or("");
  } else {
    for (absl::string_view pair : absl::StrSplit(request.body, '&')) {
      if (absl::ConsumePrefix(&pair, "grant_type=")) {
        grant_type = http::PercentDecode(pair, /*plus_is_space=*/true);
      }
    }
  }
  if (grant_type != "client_credentials") {
    return ErrorResponse(400, "unsupported_grant_type", "grant_type must be client_credentials");
  }
  const absl::Time now = options_.clock->Now();
  std::string token;
  {
    absl::MutexLock lock(&mu_);
    const uint64_t n = static_cast<uint64_t>(next_id_++);
    const uint64_t mixed =
        (n * 0x9E3779B97F4A7C15ULL) ^ static_cast<uint64_t>(absl::ToUnixNanos(now));
    token = absl::StrCat("bl-oauth-", tokens_.size() + 1, "-", Hex(mixed, 16));
    tokens_[token] = now + options_.token_lifetime;
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  String(w, "access_token", token);
  String(w, "token_type", "Bearer");
  Int(w, "expires_in", absl::ToInt64Seconds(options_.token_lifetime));
  w.EndObject();
  return JsonResponse(200, std::string(buf.GetString(), buf.GetSize()));
}

int BlaxelSimulator::request_count(const std::string& endpoint) const {
  return api_.request_count(endpoint);
}

std::optional<http::ServerRequest> BlaxelSimulator::last_request(
    const std::string& endpoint) const {
  return api_.last_request(endpoint);
}

std::vector<std::string> BlaxelSimulator::request_lines() const { return api_.request_lines(); }

http::SimulatedApi::Action BlaxelSimulator::Checked(CheckedAction action) const {
  return [this, action = std::move(action)](const http::ServerRequest& request,
                                            const http::SimulatedApi::Params& params) {
    // Credentials. The presented token is never echoed.
    std::string token;
    for (absl::string_view header : {"authorization", "x-blaxel-authorization"}) {
      const std::string* value = request.FindHeader(header);
      if (value == nullptr) continue;
      absl::string_view v = absl::StripAsciiWhitespace(*value);
      if (v.size() > 7 && absl::EqualsIgnoreCase(v.substr(0, 7), "bearer ")) {
        token = std::string(absl::StripAsciiWhitespace(v.substr(7)));
        break;
      }
    }
    if (token.empty()) {
      return ErrorResponse(401, "Unauthorized",
                           "missing credentials: send Authorization: Bearer <key>");
    }
    if (std::string refusal = CheckBearer(token); !refusal.empty()) {
      return ErrorResponse(401, "Unauthorized", refusal);
    }
    // Workspace.
    const std::string* workspace = request.FindHeader("x-blaxel-workspace");
    if (workspace == nullptr || workspace->empty()) workspace = request.FindQuery("workspace");
    if (workspace == nullptr || workspace->empty()) {
      return ErrorResponse(400, "workspace_required",
                           "missing workspace: send X-Blaxel-Workspace or ?workspace=");
    }
    if (*workspace != options_.workspace) {
      return ErrorResponse(
          403, "Forbidden",
          absl::StrCat("the credential has no access to workspace \"", *workspace, "\""));
    }
    // Version.
    std::string version(kVersionOldest);
    if (const std::string* v = request.FindHeader("blaxel-version"); v != nullptr && !v->empty()) {
      if (*v != kVersionLatest && *v != kVersionOldest) {
        return ErrorResponse(400, "invalid_api_version",
                             absl::StrCat("Unknown API version \"", *v, "\"; known versions: ",
                                          kVersionOldest, ", ", kVersionLatest));
      }
      version = *v;
    }
    return action(request, params, /*legacy=*/version == kVersionOldest);
  };
}

std::string BlaxelSimulator::Render(const Execution& e, absl::Time now) const {
  if (e.raw.has_value()) return *e.raw;
  SimulatedJob job;
  if (auto it = jobs_.find(e.job); it != jobs_.end()) job = it->second;
  const Plan p = MakePlan(e.scenario, e.created, e.task_count, job, e.cancel_requested);
  const std::string status = ExecutionStatusAt(p, now);

  rapidjson::StringBuffer tasks_buf;
  Writer tw(tasks_buf);
  tw.StartArray();
  int succeeded = 0, failed = 0, running = 0, cancelled = 0, retried = 0;
  absl::Time updated = p.created;
  for (absl::Time t : {p.pending_at, p.run_start}) {
    if (t <= now && (!p.cancel_at.has_value() || t <= *p.cancel_at)) updated = std::max(updated, t);
  }
  if (p.cancel_at.has_value() && *p.cancel_at <= now) updated = std::max(updated, *p.cancel_at);
  if (p.terminal_at <= now) updated = std::max(updated, p.terminal_at);
  for (int i = 0; i < static_cast<int>(p.tasks.size()); ++i) {
    TaskView v;
    WriteTask(tw, p, p.tasks[i], i, job, now, &v);
    succeeded += v.status == "succeeded";
    failed += v.status == "failed";
    running += v.status == "running";
    cancelled += v.status == "cancelled";
    retried += v.counted_retry;
    updated = std::max(updated, v.updated);
  }
  tw.EndArray();

  const bool started =
      now >= p.run_start && (!p.cancel_at.has_value() || p.run_start <= *p.cancel_at);
  const bool terminal = now >= p.terminal_at;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("metadata");
  w.StartObject();
  String(w, "cluster", "sim-us-pdx-1");
  String(w, "completedAt", terminal ? FormatRfc3339(p.terminal_at) : "");
  String(w, "createdAt", FormatRfc3339(p.created));
  String(w, "expiredAt", terminal ? FormatRfc3339(p.terminal_at + absl::Hours(24 * 7)) : "");
  String(w, "id", e.id);
  String(w, "job", e.job);
  String(w, "startedAt", started ? FormatRfc3339(p.run_start) : "");
  String(w, "updatedAt", FormatRfc3339(updated));
  String(w, "workspace", options_.workspace);
  w.EndObject();
  w.Key("spec");
  w.StartObject();
  if (!e.env_keys.empty()) {
    w.Key("envOverride");
    w.StartObject();
    for (const std::string& k : e.env_keys) String(w, k, "***");
    w.EndObject();
  }
  if (e.memory_override_mb > 0) Int(w, "memoryOverride", e.memory_override_mb);
  Int(w, "parallelism", job.parallelism);
  Int(w, "timeout", job.timeout_seconds);
  w.EndObject();
  w.Key("stats");
  w.StartObject();
  Int(w, "cancelled", cancelled);
  Int(w, "failure", failed);
  Int(w, "retried", retried);
  Int(w, "running", running);
  Int(w, "success", succeeded);
  Int(w, "total", static_cast<int64_t>(p.tasks.size()));
  w.EndObject();
  String(w, "status", status);
  w.Key("tasks");
  w.RawValue(tasks_buf.GetString(), tasks_buf.GetSize(), rapidjson::kArrayType);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

http::ServerResponse BlaxelSimulator::Get(const std::string& job, const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = executions_.find({job, id});
  if (it == executions_.end()) {
    return ErrorResponse(404, "Not Found",
                         absl::StrCat("Job execution ", id, " not found for job ", job));
  }
  return JsonResponse(200, Render(it->second, options_.clock->Now()));
}

http::ServerResponse BlaxelSimulator::Cancel(const std::string& job, const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = executions_.find({job, id});
  if (it == executions_.end()) {
    return ErrorResponse(404, "Not Found",
                         absl::StrCat("Job execution ", id, " not found for job ", job));
  }
  Execution& e = it->second;
  const absl::Time now = options_.clock->Now();
  if (!e.raw.has_value() && !e.cancel_requested.has_value()) {
    SimulatedJob config;
    if (auto j = jobs_.find(job); j != jobs_.end()) config = j->second;
    // Cancelling a finished execution changes nothing.
    if (now < MakePlan(e.scenario, e.created, e.task_count, config, std::nullopt).terminal_at) {
      e.cancel_requested = now;
    }
  }
  return JsonResponse(200, Render(e, now));
}

http::ServerResponse BlaxelSimulator::Create(const http::ServerRequest& request,
                                             const std::string& job) {
  rapidjson::Document body;
  if (absl::StripAsciiWhitespace(request.body).empty()) {
    body.SetObject();
  } else {
    absl::StatusOr<rapidjson::Document> parsed = ParseJson(request.body);
    if (!parsed.ok() || !parsed->IsObject()) {
      return ErrorResponse(400, "Bad Request", "the request body must be a JSON object");
    }
    body = *std::move(parsed);
  }
  const rapidjson::Value* tasks = JsonMember(body, "tasks");
  std::vector<std::string> params;
  if (tasks != nullptr && !tasks->IsNull()) {
    if (!tasks->IsArray()) return ErrorResponse(400, "Bad Request", "tasks must be an array");
    for (const auto& t : tasks->GetArray()) {
      if (!t.IsObject()) return ErrorResponse(400, "Bad Request", "each task must be an object");
      params.push_back(JsonToString(t));
    }
  }
  std::vector<std::string> env_keys;
  if (const rapidjson::Value* env = JsonMember(body, "env"); env != nullptr && !env->IsNull()) {
    if (!env->IsObject()) return ErrorResponse(400, "Bad Request", "env must be an object");
    for (const auto& m : env->GetObject()) {
      if (!m.value.IsString()) {
        return ErrorResponse(400, "Bad Request", "env values must be strings");
      }
      env_keys.emplace_back(m.name.GetString(), m.name.GetStringLength());
    }
  }
  const std::optional<int64_t> memory = JsonInt(body, "memory");
  const bool allow_queue = JsonBool(body, "allowQueue").value_or(true);
  std::string execution_id = JsonString(body, "executionId").value_or("");
  std::string message_id = JsonString(body, "id").value_or("");

  absl::MutexLock lock(&mu_);
  auto job_it = jobs_.find(job);
  if (job_it == jobs_.end()) {
    return ErrorResponse(404, "Not Found", absl::StrCat("Job ", job, " not found"));
  }
  const SimulatedJob& config = job_it->second;
  const absl::Time now = options_.clock->Now();

  auto partial = [&](const Execution& e) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    String(w, "executionId", e.id);
    String(w, "id", e.message_id);
    String(w, "jobId", e.job);
    w.Key("tasks");
    w.StartArray();
    for (const std::string& p : e.task_params) {
      w.RawValue(p.data(), p.size(), rapidjson::kObjectType);
    }
    w.EndArray();
    String(w, "workspaceId", options_.workspace);
    w.EndObject();
    return JsonResponse(200, std::string(buf.GetString(), buf.GetSize()));
  };
  // Idempotency: the same executionId, or the same message id, answers the
  // execution already created.
  if (!execution_id.empty()) {
    if (auto it = executions_.find({job, execution_id}); it != executions_.end()) {
      return partial(it->second);
    }
  }
  if (!message_id.empty()) {
    for (const auto& [key, e] : executions_) {
      if (key.first == job && e.message_id == message_id) return partial(e);
    }
  }
  if (memory.has_value() && (*memory <= 0 || *memory > config.memory_mb)) {
    return ErrorResponse(
        400, "Bad Request",
        absl::StrCat("memory ", *memory, " MB can never fit: the job allows at most ",
                     config.memory_mb, " MB"));
  }
  if (!allow_queue) {
    int unfinished = 0;
    for (const auto& [key, e] : executions_) {
      if (key.first != job || e.raw.has_value()) continue;
      if (now <
          MakePlan(e.scenario, e.created, e.task_count, config, e.cancel_requested).terminal_at) {
        ++unfinished;
      }
    }
    if (unfinished >= config.capacity) {
      http::ServerResponse r =
          ErrorResponse(429, "Too Many Requests",
                        absl::StrCat("job ", job, " has no capacity right now (", unfinished,
                                     " of ", config.capacity, " executions unfinished)"));
      r.headers.push_back({"Retry-After", "5"});
      return r;
    }
  }
  const uint64_t n = static_cast<uint64_t>(next_id_++);
  const uint64_t mixed =
      (n * 0x9E3779B97F4A7C15ULL) ^ static_cast<uint64_t>(absl::ToUnixNanos(now));
  if (execution_id.empty()) execution_id = absl::StrCat("exec-", Hex(mixed, 8));
  if (message_id.empty()) {
    message_id = absl::StrCat(Hex(mixed >> 32, 8), "-", Hex(mixed >> 16, 4), "-4", Hex(mixed, 3),
                              "-8", Hex(mixed >> 8, 3), "-", Hex(mixed * 31, 12));
  }
  Execution e;
  e.job = job;
  e.id = execution_id;
  e.message_id = message_id;
  e.scenario = config.scenario;
  e.created = now;
  e.task_params = params;
  e.task_count = std::max<int>(1, static_cast<int>(params.size()));
  if (params.empty()) e.task_params.push_back("{}");
  e.env_keys = std::move(env_keys);
  e.memory_override_mb = memory.has_value() ? static_cast<int>(*memory) : 0;
  auto [it, inserted] = executions_.emplace(std::make_pair(job, execution_id), std::move(e));
  return partial(it->second);
}

http::ServerResponse BlaxelSimulator::List(const http::ServerRequest& request,
                                           const std::string& job, bool legacy) {
  const absl::Time now = options_.clock->Now();
  PageQuery query;
  const std::string binding = absl::StrCat(options_.workspace, "|", job);
  if (legacy) {
    // 2026-04-16: bare array, limit/offset, newest first; sort, q, cursor ignored.
    query.limit = 20;
    int64_t n;
    if (const std::string* limit = request.FindQuery("limit"); limit != nullptr) {
      if (!absl::SimpleAtoi(*limit, &n) || n < 1 || n > 100) {
        return ErrorResponse(400, "Bad Request", "limit must be between 1 and 100");
      }
      query.limit = static_cast<size_t>(n);
    }
    if (const std::string* offset = request.FindQuery("offset"); offset != nullptr) {
      if (!absl::SimpleAtoi(*offset, &n) || n < 0) {
        return ErrorResponse(400, "Bad Request", "offset must be 0 or more");
      }
      query.offset = static_cast<size_t>(n);
    }
  } else if (auto error = ParsePageQuery(request, 20, 100, /*clamp=*/false, binding, now, query)) {
    return *std::move(error);
  }
  absl::MutexLock lock(&mu_);
  if (!jobs_.contains(job)) {
    return ErrorResponse(404, "Not Found", absl::StrCat("Job ", job, " not found"));
  }
  // Only the served page is rendered: listings of thousands stay cheap.
  std::vector<PageItem> items;
  for (auto it = executions_.lower_bound({job, ""});
       it != executions_.end() && it->first.first == job; ++it) {
    const Execution& e = it->second;
    if (e.raw.has_value()) {
      rapidjson::Document check;
      check.Parse(e.raw->data(), e.raw->size());
      if (check.HasParseError() || !check.IsObject()) continue;
    }
    PageItem item;
    item.id = e.id;
    item.created = e.created;
    item.source = &e;
    items.push_back(std::move(item));
  }
  auto render = [&](const PageItem& item) {
    return Render(*static_cast<const Execution*>(item.source), now);
  };
  if (!legacy) {
    return JsonResponse(200,
                        WritePage(std::move(items), query, binding, now, /*keyset=*/true, render));
  }
  std::sort(items.begin(), items.end(),
            [](const PageItem& a, const PageItem& b) { return Before(a, b, "createdAt:desc"); });
  std::string out = "[";
  for (size_t i = query.offset; i < items.size() && i < query.offset + query.limit; ++i) {
    if (out.size() > 1) out += ",";
    out += render(items[i]);
  }
  out += "]";
  return JsonResponse(200, std::move(out));
}

http::ServerResponse BlaxelSimulator::Tasks(const http::ServerRequest& request,
                                            const std::string& job, const std::string& id) {
  const absl::Time now = options_.clock->Now();
  PageQuery query;
  const std::string binding = absl::StrCat(options_.workspace, "|", job, "|", id);
  if (auto error = ParsePageQuery(request, 50, 200, /*clamp=*/true, binding, now, query)) {
    return *std::move(error);
  }
  std::string doc_text;
  {
    absl::MutexLock lock(&mu_);
    if (!jobs_.contains(job)) {
      return ErrorResponse(404, "Not Found", absl::StrCat("Job ", job, " not found"));
    }
    auto it = executions_.find({job, id});
    if (it == executions_.end()) {
      return ErrorResponse(404, "Not Found",
                           absl::StrCat("Job execution ", id, " not found for job ", job));
    }
    doc_text = Render(it->second, now);
  }
  std::vector<PageItem> items;
  absl::StatusOr<rapidjson::Document> doc = ParseJson(doc_text);
  if (doc.ok()) {
    const rapidjson::Value* tasks = JsonMember(*doc, "tasks");
    if (tasks != nullptr && tasks->IsArray()) {
      int index = 0;
      for (const auto& t : tasks->GetArray()) {
        std::string name;
        absl::Time created = absl::InfinitePast();
        if (const rapidjson::Value* md = JsonMember(t, "metadata")) {
          name = JsonString(*md, "name").value_or("");
          if (auto c = JsonString(*md, "createdAt")) {
            created = ParseUpstreamTime(*c).value_or(absl::InfinitePast());
          }
        }
        PageItem item;
        item.id = std::move(name);
        item.created = created;
        item.index = index++;
        item.json = JsonToString(t);
        items.push_back(std::move(item));
      }
    }
  }
  return JsonResponse(200, WritePage(std::move(items), query, binding, now, /*keyset=*/false,
                                     [](const PageItem& item) { return item.json; }));
}

// ---------------------------------------------------------------- demo data

void BlaxelSimulator::Seed() {
  const absl::Time now = options_.clock->Now();
  PutJob("data-processing-job", SimulatedJob{});
  SimulatedJob flaky;
  flaky.scenario = SimulatedScenario::kTaskRetriedThenFail;
  PutJob("flaky-import", flaky);
  SimulatedJob slow;
  slow.timeout_seconds = 30;
  slow.scenario = SimulatedScenario::kTimeout;
  PutJob("slow-report", slow);

  PutExecution("data-processing-job", "exec-1a2b3c", SimulatedScenario::kSucceed,
               now - absl::Hours(1) + absl::Nanoseconds(336304095), 10, {"MY_VAR", "BATCH_SIZE"});
  PutExecution("data-processing-job", "exec-4d5e6f", SimulatedScenario::kSucceed,
               now + absl::Milliseconds(1), 3);
  PutExecution("flaky-import", "exec-7a8b9c", SimulatedScenario::kTaskRetriedThenFail,
               now - absl::Minutes(10) + absl::Microseconds(120), 2);
  PutExecution("flaky-import", "exec-0f1e2d", SimulatedScenario::kTaskRetriedThenFail,
               now + absl::Milliseconds(2), 2);
  PutExecution("slow-report", "exec-3c4b5a", SimulatedScenario::kTimeout,
               now - absl::Minutes(5) + absl::Milliseconds(250), 1);
  PutExecution("slow-report", "exec-6d7c8b", SimulatedScenario::kTimeout,
               now + absl::Milliseconds(3), 1);
  PutExecution("data-processing-job", "exec-9e8d7c", SimulatedScenario::kSucceed,
               now - absl::Minutes(20), 5);
  {
    absl::MutexLock lock(&mu_);
    executions_[{"data-processing-job", "exec-9e8d7c"}].cancel_requested =
        now - absl::Minutes(20) + absl::Seconds(3);
  }
  PutRaw("data-processing-job", "exec-odd001",
         R"({"metadata":{"id":"exec-odd001","job":"data-processing-job","workspace":")" +
             options_.workspace +
             R"(","createdAt":"2026-01-01T00:00:00.5+00:00","startedAt":"not-a-time",)"
             R"("completedAt":"","updatedAt":null,"expiredAt":"0001-01-01T00:00:00Z",)"
             R"("labels":{"team":"data"}},"spec":{"envOverride":"{\"MY_VAR\": \"***\"}",)"
             R"("timeout":"3600","parallelism":null},"stats":null,"status":"paused",)"
             R"("tasks":[{"metadata":{"name":"task-0","startedAt":"yesterday"},)"
             R"("spec":{"timeout":"forever"},"status":"hibernating"}],"owner":"ops"})");
  absl::MutexLock lock(&mu_);
  seeded_ = {
      {"data-processing-job", "exec-1a2b3c", "succeeded an hour ago (10 tasks, envOverride)"},
      {"data-processing-job", "exec-4d5e6f", "queued now, succeeds within ~8 s"},
      {"data-processing-job", "exec-9e8d7c", "cancelled 20 minutes ago"},
      {"data-processing-job", "exec-odd001",
       "odd document: unknown status, unparseable times, envOverride as a string"},
      {"flaky-import", "exec-7a8b9c", "failed 10 minutes ago after a task retry"},
      {"flaky-import", "exec-0f1e2d", "queued now, a task fails, is retried, fails: failed"},
      {"slow-report", "exec-3c4b5a", "timed out 5 minutes ago (job timeout 30 s)"},
      {"slow-report", "exec-6d7c8b", "queued now, times out after ~32 s"},
  };
}

}  // namespace execgw::blaxel

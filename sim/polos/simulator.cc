#include "sim/polos/simulator.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "adapters/json_value.h"
#include "adapters/polos/execution_id.h"
#include "adapters/upstream_time.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace execgw::polos {

struct PolosSimulator::Record {
  std::string id;
  std::string workflow_id;
  std::string workflow_type = "workflow";
  std::string payload_json;
  Scenario scenario;
  Timing timing;
  std::optional<int> run_timeout_seconds;
  std::string parent_id, root_id, batch_id, session_id, user_id, queue_name, concurrency_key,
      deployment_id, step_key, output_schema_name;
  int64_t seq = 0;  // insertion order, breaks created_at ties in lists
};

namespace {

using http::JsonResponse;
using http::ServerRequest;
using http::ServerResponse;
using Params = http::SimulatedApi::Params;

// RFC 3339 with `+00:00` and microseconds, as the real server renders.
std::string PolosTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", t, absl::UTCTimeZone());
}

std::string NewUuid() {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  absl::MutexLock lock(&mu);
  const uint64_t a = absl::Uniform<uint64_t>(*gen);
  const uint64_t b = absl::Uniform<uint64_t>(*gen);
  return absl::StrFormat("%08x-%04x-4%03x-%04x-%012x", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                         0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffULL);
}

// A small JSON writer.
class Json {
 public:
  Json() : w_(buf_) {}
  rapidjson::Writer<rapidjson::StringBuffer>& w() { return w_; }
  void Key(absl::string_view k) { w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void Str(absl::string_view s) { w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
  // A string, or null when empty.
  void StrOrNull(absl::string_view s) {
    if (s.empty()) {
      w_.Null();
    } else {
      Str(s);
    }
  }
  void TimeOrNull(const std::optional<absl::Time>& t) {
    if (t.has_value()) {
      Str(PolosTime(*t));
    } else {
      w_.Null();
    }
  }
  void Raw(absl::string_view json) {
    w_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  }
  std::string str() const { return std::string(buf_.GetString(), buf_.GetSize()); }

 private:
  rapidjson::StringBuffer buf_;
  rapidjson::Writer<rapidjson::StringBuffer> w_;
};

ServerResponse Error(int status, absl::string_view message, absl::string_view type) {
  Json j;
  j.w().StartObject();
  j.Key("error");
  j.Str(message);
  j.Key("error_type");
  j.Str(type);
  j.w().EndObject();
  return JsonResponse(status, j.str());
}

ServerResponse Empty(int status) {
  ServerResponse r;
  r.status = status;
  return r;
}

// axum's rejection of an unparseable query string: 400, plain text.
ServerResponse BadQuery(absl::string_view what) {
  ServerResponse r;
  r.status = 400;
  r.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  r.body = absl::StrCat("Failed to deserialize query string: ", what);
  return r;
}

std::optional<std::string> OptString(const rapidjson::Value& o, const char* key) {
  return JsonString(o, key);
}

std::string Topic(absl::string_view workflow_id, absl::string_view run_id) {
  return absl::StrCat("workflow/", workflow_id, "/", run_id);
}

// A deterministic event id: the run id with the sequence in its last group.
std::string EventId(absl::string_view run_id, int64_t seq) {
  std::string prefix(run_id.substr(0, 24));
  if (prefix.size() < 24) prefix = "00000000-0000-4000-8000-";
  return absl::StrFormat("%s%012x", prefix, seq);
}

std::string EventJson(absl::string_view workflow_id, absl::string_view run_id, int64_t seq,
                      const TimelineEvent& e) {
  Json j;
  j.w().StartObject();
  j.Key("id");
  j.Str(EventId(run_id, seq));
  j.Key("sequence_id");
  j.w().Int64(seq);
  j.Key("topic");
  j.Str(Topic(workflow_id, run_id));
  j.Key("event_type");
  j.Str(e.event_type);
  j.Key("data");
  j.Raw(e.data_json);
  j.Key("created_at");
  j.Str(PolosTime(e.at));
  j.w().EndObject();
  return j.str();
}

}  // namespace

PolosSimulator::PolosSimulator(PolosSimulatorOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : WallClock()),
      api_([](const ServerRequest&) { return Empty(404); },
           [](const ServerRequest&) { return Empty(405); }) {
  api_.Add("GET", "/health", "", [](const ServerRequest&, const Params&) {
    return JsonResponse(200, R"({"status":"ok"})");
  });
  api_.Add("GET", "/api/v1/executions/{}", "get",
           Checked([this](const ServerRequest&, const Params& p) { return GetExecution(p[0]); }));
  api_.Add(
      "POST", "/api/v1/executions/{}/cancel", "cancel",
      Checked([this](const ServerRequest&, const Params& p) { return CancelExecution(p[0]); }));
  api_.Add(
      "GET", "/api/v1/workflows/runs", "list",
      Checked([this](const ServerRequest& request, const Params&) { return ListRuns(request); }));
  api_.Add(
      "POST", "/api/v1/workflows/batch_run", "run",
      Checked([this](const ServerRequest& request, const Params&) { return BatchRun(request); }));
  api_.Add("POST", "/api/v1/workflows/{}/run", "run",
           Checked([this](const ServerRequest& request, const Params& p) {
             return Run(p[0], request);
           }));
  api_.Add(
      "GET", "/api/v1/events", "events",
      Checked([this](const ServerRequest& request, const Params&) { return PollEvents(request); }));
  api_.Add("GET", "/api/v1/events/stream", "events",
           Checked([this](const ServerRequest& request, const Params&) {
             return StreamEvents(request);
           }));
}

absl::StatusOr<std::unique_ptr<PolosSimulator>> PolosSimulator::Start(
    PolosSimulatorOptions options) {
  std::unique_ptr<PolosSimulator> sim(new PolosSimulator(std::move(options)));
  if (sim->options_.seed_demo_data) sim->Seed();
  absl::StatusOr<std::unique_ptr<http::HttpServer>> server = sim->api_.Serve(sim->options_.port);
  if (!server.ok()) return server.status();
  sim->server_ = *std::move(server);
  return sim;
}

PolosSimulator::~PolosSimulator() { Stop(); }

void PolosSimulator::Stop() {
  if (server_ != nullptr) server_->Stop();
}

std::string PolosSimulator::base_url() const { return server_->base_url(); }

std::vector<SeededExecution> PolosSimulator::seeded() const {
  absl::MutexLock lock(&mu_);
  return seeded_;
}

void PolosSimulator::PutRaw(const std::string& id, std::string raw_json) {
  absl::MutexLock lock(&mu_);
  raw_[id] = std::move(raw_json);
}

std::string PolosSimulator::AddExecution(NewExecution execution) {
  absl::MutexLock lock(&mu_);
  return AddLocked(std::move(execution));
}

std::vector<std::string> PolosSimulator::AddExecutions(const std::string& workflow_id, int n,
                                                       absl::Time first_created_at,
                                                       absl::Duration spacing,
                                                       const Scenario& scenario) {
  std::vector<std::string> ids;
  ids.reserve(std::max(n, 0));
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < n; ++i) {
    NewExecution e;
    e.workflow_id = workflow_id;
    e.payload_json = absl::StrCat("{\"i\":", i, "}");
    e.scenario = scenario;
    e.created_at = first_created_at + i * spacing;
    ids.push_back(AddLocked(std::move(e)));
  }
  return ids;
}

void PolosSimulator::SetWorkflowScenario(const std::string& workflow_id, Scenario scenario) {
  absl::MutexLock lock(&mu_);
  scenarios_[workflow_id] = std::move(scenario);
}

std::vector<std::string> PolosSimulator::RunPayloads(const std::string& workflow_id) const {
  std::vector<const Record*> runs;
  absl::MutexLock lock(&mu_);
  for (const auto& [id, r] : records_) {
    if (r->workflow_id == workflow_id) runs.push_back(r.get());
  }
  std::sort(runs.begin(), runs.end(),
            [](const Record* a, const Record* b) { return a->seq < b->seq; });
  std::vector<std::string> out;
  for (const Record* r : runs) out.push_back(r->payload_json);
  return out;
}

int PolosSimulator::request_count(const std::string& endpoint) const {
  return api_.request_count(endpoint);
}

std::optional<http::ServerRequest> PolosSimulator::last_request(const std::string& endpoint) const {
  return api_.last_request(endpoint);
}

std::vector<std::string> PolosSimulator::request_lines() const { return api_.request_lines(); }

std::string PolosSimulator::AddLocked(NewExecution e) {
  auto r = std::make_unique<Record>();
  r->id = e.id.empty() ? NewUuid() : e.id;
  r->workflow_id = e.workflow_id;
  r->payload_json = e.payload_json.empty() ? "null" : e.payload_json;
  r->scenario = std::move(e.scenario);
  r->timing.created_at = e.created_at.value_or(clock_->Now());
  r->run_timeout_seconds = e.run_timeout_seconds;
  if (e.run_timeout_seconds.has_value()) {
    r->timing.run_timeout = absl::Seconds(*e.run_timeout_seconds);
  }
  r->parent_id = e.parent_execution_id;
  if (!r->parent_id.empty()) {
    auto parent = records_.find(r->parent_id);
    r->root_id = parent != records_.end() && !parent->second->root_id.empty()
                     ? parent->second->root_id
                     : r->parent_id;
  }
  r->batch_id = e.batch_id;
  r->session_id = e.session_id.empty() ? NewUuid() : e.session_id;
  r->user_id = e.user_id;
  r->queue_name = e.queue_name.empty() ? e.workflow_id : e.queue_name;
  r->concurrency_key = e.concurrency_key;
  r->deployment_id = e.deployment_id;
  r->step_key = e.step_key;
  r->output_schema_name = e.output_schema_name;
  r->seq = ++next_seq_;
  const std::string id = r->id;
  records_[id] = std::move(r);
  return id;
}

void PolosSimulator::Seed() {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto add = [&](NewExecution e, absl::string_view description) {
    const std::string workflow = e.workflow_id;
    const std::string id = AddLocked(std::move(e));
    seeded_.push_back({workflow, id, std::string(description)});
    return id;
  };
  {
    NewExecution e;
    e.id = "0d5c3b6e-7f1a-4e2b-9c3d-000000000001";
    e.workflow_id = "order-pipeline";
    e.payload_json = R"({"order_id":"ord-1042","items":3})";
    e.scenario.result_json = R"({"status":"shipped","tracking":"1Z999"})";
    e.created_at = now - absl::Minutes(10);
    add(std::move(e), "completed with a result");
  }
  {
    NewExecution e;
    e.id = "0d5c3b6e-7f1a-4e2b-9c3d-000000000002";
    e.workflow_id = "order-pipeline";
    e.payload_json = R"({"order_id":"ord-1043","items":1})";
    e.scenario.queued_for = absl::Seconds(5);
    e.scenario.claimed_for = absl::Seconds(2);
    e.scenario.running_for = absl::Seconds(90);
    e.created_at = now;
    add(std::move(e), "queued, then claimed, running ~90 s, completes");
  }
  {
    NewExecution e;
    e.id = "0d5c3b6e-7f1a-4e2b-9c3d-000000000003";
    e.workflow_id = "flaky-sync";
    e.payload_json = R"({"source":"crm"})";
    e.scenario.running_for = absl::Seconds(20);
    e.scenario.failed_attempts = 2;
    e.scenario.error = "ConnectionError: crm.example.com timed out";
    e.created_at = now;
    add(std::move(e), "fails twice (back to queued with the error kept), then completes");
  }
  {
    NewExecution e;
    e.id = "0d5c3b6e-7f1a-4e2b-9c3d-000000000004";
    e.workflow_id = "flaky-sync";
    e.payload_json = R"({"source":"erp"})";
    e.scenario.failed_attempts = 3;
    e.scenario.error = "ValueError: unknown account type";
    e.created_at = now - absl::Minutes(5);
    add(std::move(e), "failed after 3 attempts");
  }
  {
    NewExecution e;
    e.id = "0d5c3b6e-7f1a-4e2b-9c3d-000000000005";
    e.workflow_id = "report-builder";
    e.payload_json = R"({"quarter":"2026-Q1"})";
    e.scenario.running_for = absl::InfiniteDuration();
    e.run_timeout_seconds = 60;
    e.created_at = now - absl::Minutes(3);
    add(std::move(e), "cancelled by its 60 s run timeout (cancelled_by timeout)");
  }
  std::string parent;
  {
    NewExecution e;
    e.id = "0d5c3b6e-7f1a-4e2b-9c3d-000000000006";
    e.workflow_id = "research-agent";
    e.payload_json = R"({"question":"compare vector databases"})";
    e.scenario.queued_for = absl::Seconds(1);
    e.scenario.running_for = absl::Seconds(20);
    e.scenario.waiting_for = absl::Minutes(5);
    e.created_at = now;
    e.user_id = "user-42";
    parent = add(std::move(e), "parent: runs, then waits ~5 min for its child");
  }
  {
    NewExecution e;
    e.id = "0d5c3b6e-7f1a-4e2b-9c3d-000000000007";
    e.workflow_id = "web-search";
    e.payload_json = R"({"query":"vector database benchmarks"})";
    e.scenario.queued_for = absl::Seconds(12);
    e.scenario.running_for = absl::Minutes(4);
    e.parent_execution_id = parent;
    e.step_key = "search";
    e.created_at = now;
    add(std::move(e), "child of the research-agent run");
  }
  {
    NewExecution e;
    e.id = "0d5c3b6e-7f1a-4e2b-9c3d-000000000008";
    e.workflow_id = "nightly-cleanup";
    e.scenario.queued_for = absl::Hours(1);
    e.concurrency_key = "maintenance";
    e.created_at = now;
    add(std::move(e), "stuck in the queue for an hour");
  }
  {
    NewExecution e;
    e.id = "0d5c3b6e-7f1a-4e2b-9c3d-000000000009";
    e.workflow_id = "reminder";
    e.payload_json = R"({"in":"1h"})";
    e.scenario.queued_for = absl::ZeroDuration();
    e.scenario.claimed_for = absl::ZeroDuration();
    e.scenario.running_for = absl::Seconds(2);
    e.scenario.waiting_for = absl::Hours(1);
    e.created_at = now - absl::Seconds(2);
    add(std::move(e), "sleeping (waiting) for an hour");
  }
  {
    NewExecution e;
    e.id = "0d5c3b6e-7f1a-4e2b-9c3d-00000000000a";
    e.workflow_id = "order-pipeline";
    e.scenario.running_for = absl::InfiniteDuration();
    e.created_at = now - absl::Minutes(2);
    const std::string id = add(std::move(e), "cancelled by hand (cancelled_by manual)");
    records_[id]->timing.cancel_requested_at = now - absl::Minutes(1);
  }
}

std::optional<ServerResponse> PolosSimulator::CheckAuth(const ServerRequest& request) const {
  const std::string* auth = request.FindHeader("authorization");
  if (auth == nullptr || *auth != absl::StrCat("Bearer ", options_.api_key)) {
    return Error(401, "Invalid or missing API key", "UNAUTHORIZED");
  }
  const std::string* project = request.FindHeader("x-project-id");
  if (project == nullptr || project->empty()) {
    return Error(400, "X-Project-ID header is required", "BAD_REQUEST");
  }
  if (!IsCanonicalUuid(*project)) {
    // The server's ProjectId extractor: a header that is not a UUID is a
    // bare 400, like an execution id that is not one.
    return Empty(400);
  }
  if (!absl::EqualsIgnoreCase(*project, options_.project_id)) {
    return Error(403, "Access to this project is forbidden", "PROJECT_ACCESS_FORBIDDEN");
  }
  return std::nullopt;
}

http::SimulatedApi::Action PolosSimulator::Checked(
    std::function<ServerResponse(const ServerRequest& request, const Params& params)> action)
    const {
  return [this, action = std::move(action)](const ServerRequest& request, const Params& params) {
    if (std::optional<ServerResponse> denied = CheckAuth(request); denied.has_value()) {
      return *std::move(denied);
    }
    return action(request, params);
  };
}

namespace {

void WriteExecution(Json& j, const std::string& id, const std::string& workflow_id,
                    const std::string& payload_json, const ExecutionView& v,
                    const std::function<void(Json&)>& rest) {
  j.w().StartObject();
  j.Key("id");
  j.Str(id);
  j.Key("workflow_id");
  j.Str(workflow_id);
  j.Key("status");
  j.Str(v.status);
  j.Key("payload");
  j.Raw(payload_json);
  j.Key("result");
  if (v.result_json.has_value()) {
    j.Raw(*v.result_json);
  } else {
    j.w().Null();
  }
  j.Key("error");
  if (v.error.has_value()) {
    j.Str(*v.error);
  } else {
    j.w().Null();
  }
  j.Key("completed_at");
  j.TimeOrNull(v.completed_at);
  rest(j);
  j.w().EndObject();
}

}  // namespace

ServerResponse PolosSimulator::GetExecution(const std::string& id) {
  if (!IsCanonicalUuid(id)) return Empty(400);
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  if (auto raw = raw_.find(id); raw != raw_.end()) return JsonResponse(200, raw->second);
  auto it = records_.find(id);
  if (it == records_.end()) return Empty(500);  // the quirk: not 404
  const Record& r = *it->second;
  const ExecutionView v = Materialize(r.scenario, r.timing, now);
  Json j;
  WriteExecution(j, r.id, r.workflow_id, r.payload_json, v, [&](Json& j) {
    j.Key("created_at");
    j.Str(PolosTime(r.timing.created_at));
    j.Key("started_at");
    j.TimeOrNull(v.started_at);
    j.Key("cancelled_at");
    j.TimeOrNull(v.cancelled_at);
    j.Key("cancelled_by");
    j.StrOrNull(v.cancelled_by);
    j.Key("retry_count");
    j.w().Int(v.retry_count);
    j.Key("parent_execution_id");
    j.StrOrNull(r.parent_id);
    j.Key("root_execution_id");
    j.StrOrNull(r.root_id);
    j.Key("batch_id");
    j.StrOrNull(r.batch_id);
    j.Key("session_id");
    j.StrOrNull(r.session_id);
    j.Key("user_id");
    j.StrOrNull(r.user_id);
    j.Key("queue_name");
    j.StrOrNull(r.queue_name);
    j.Key("concurrency_key");
    j.StrOrNull(r.concurrency_key);
    j.Key("deployment_id");
    j.StrOrNull(r.deployment_id);
    j.Key("assigned_to_worker");
    j.StrOrNull(v.worker.value_or(""));
    j.Key("output_schema_name");
    j.StrOrNull(r.output_schema_name);
    j.Key("run_timeout_seconds");
    if (r.run_timeout_seconds.has_value()) {
      j.w().Int(*r.run_timeout_seconds);
    } else {
      j.w().Null();
    }
    j.Key("step_key");
    j.StrOrNull(r.step_key);
  });
  return JsonResponse(200, j.str());
}

ServerResponse PolosSimulator::CancelExecution(const std::string& id) {
  if (!IsCanonicalUuid(id)) return Error(400, "Invalid execution ID", "BAD_REQUEST");
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = records_.find(id);
  if (it == records_.end()) return Error(500, "Failed to get execution", "INTERNAL_ERROR");
  Record& target = *it->second;
  const ExecutionView before = Materialize(target.scenario, target.timing, now);
  if (before.terminal) {
    return Error(400, absl::StrCat("Execution cannot be cancelled (status: ", before.status, ")"),
                 "CANCELLATION_ERROR");
  }
  // The execution, all its descendants and all its ancestors (not the
  // ancestors' other children).
  std::set<std::string> tree = {id};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [child_id, child] : records_) {
      if (!child->parent_id.empty() && tree.contains(child->parent_id) &&
          !tree.contains(child_id)) {
        tree.insert(child_id);
        grew = true;
      }
    }
  }
  for (std::string up = target.parent_id; !up.empty() && !tree.contains(up);) {
    tree.insert(up);
    auto p = records_.find(up);
    up = p == records_.end() ? "" : p->second->parent_id;
  }
  for (const std::string& member : tree) {
    auto m = records_.find(member);
    if (m == records_.end()) continue;
    Record& r = *m->second;
    if (r.timing.cancel_requested_at.has_value()) continue;
    if (Materialize(r.scenario, r.timing, now).terminal) continue;
    r.timing.cancel_requested_at = now;
  }
  const ExecutionView after = Materialize(target.scenario, target.timing, now);
  Json j;
  j.w().StartObject();
  j.Key("execution_id");
  j.Str(id);
  j.Key("status");
  j.Str(after.status);
  j.Key("cancelled_at");
  j.Str(PolosTime(after.cancelled_at.value_or(now)));
  j.w().EndObject();
  return JsonResponse(200, j.str());
}

namespace {

// Reads the run options shared by run and batch_run into `e`.
void ReadRunOptions(const rapidjson::Value& body, NewExecution& e) {
  if (auto v = OptString(body, "deployment_id")) e.deployment_id = *v;
  if (auto v = OptString(body, "queue_name")) e.queue_name = *v;
  if (auto v = OptString(body, "concurrency_key")) e.concurrency_key = *v;
  if (auto v = OptString(body, "session_id")) e.session_id = *v;
  if (auto v = OptString(body, "user_id")) e.user_id = *v;
  if (auto v = OptString(body, "parent_execution_id")) e.parent_execution_id = *v;
  if (auto v = OptString(body, "step_key")) e.step_key = *v;
  if (auto v = JsonInt(body, "run_timeout_seconds")) e.run_timeout_seconds = static_cast<int>(*v);
}

std::string RunResponseJson(const std::string& id, absl::Time created) {
  return absl::StrCat("{\"execution_id\":\"", id, "\",\"created_at\":\"", PolosTime(created),
                      "\"}");
}

}  // namespace

ServerResponse PolosSimulator::Run(const std::string& workflow_id, const ServerRequest& request) {
  absl::StatusOr<rapidjson::Document> body = ParseJson(request.body);
  if (!body.ok() || !body->IsObject()) {
    return Error(400, "Invalid JSON body", "BAD_REQUEST");
  }
  const rapidjson::Value* payload = JsonMember(*body, "payload");
  if (payload == nullptr) return Error(400, "payload is required", "BAD_REQUEST");
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  NewExecution e;
  e.workflow_id = workflow_id;
  e.payload_json = JsonToString(*payload);
  auto s = scenarios_.find(workflow_id);
  e.scenario = s != scenarios_.end() ? s->second : options_.default_scenario;
  ReadRunOptions(*body, e);
  e.created_at = now;
  const std::string id = AddLocked(std::move(e));
  return JsonResponse(200, RunResponseJson(id, now));
}

ServerResponse PolosSimulator::BatchRun(const ServerRequest& request) {
  absl::StatusOr<rapidjson::Document> body = ParseJson(request.body);
  if (!body.ok() || !body->IsObject()) {
    return Error(400, "Invalid JSON body", "BAD_REQUEST");
  }
  const rapidjson::Value* workflows = JsonMember(*body, "workflows");
  if (workflows == nullptr || !workflows->IsArray() || workflows->Empty()) {
    return Error(400, "workflows must be a non-empty list", "BAD_REQUEST");
  }
  for (const auto& w : workflows->GetArray()) {
    if (!OptString(w, "workflow_id").has_value() || JsonMember(w, "payload") == nullptr) {
      return Error(400, "each workflow needs a workflow_id and a payload", "BAD_REQUEST");
    }
  }
  const absl::Time now = clock_->Now();
  const std::string batch_id = NewUuid();
  absl::MutexLock lock(&mu_);
  Json j;
  j.w().StartObject();
  j.Key("executions");
  j.w().StartArray();
  for (const auto& w : workflows->GetArray()) {
    NewExecution e;
    e.workflow_id = *OptString(w, "workflow_id");
    e.payload_json = JsonToString(*JsonMember(w, "payload"));
    auto s = scenarios_.find(e.workflow_id);
    e.scenario = s != scenarios_.end() ? s->second : options_.default_scenario;
    ReadRunOptions(*body, e);  // batch-wide defaults
    ReadRunOptions(w, e);      // per-workflow values win
    e.batch_id = batch_id;
    e.created_at = now;
    const std::string id = AddLocked(std::move(e));
    j.Raw(RunResponseJson(id, now));
  }
  j.w().EndArray();
  j.w().EndObject();
  return JsonResponse(200, j.str());
}

ServerResponse PolosSimulator::ListRuns(const ServerRequest& request) {
  int64_t limit = 50;
  int64_t offset = 0;
  if (const std::string* v = request.FindQuery("limit"); v != nullptr && !v->empty()) {
    if (!absl::SimpleAtoi(*v, &limit)) return BadQuery("limit: invalid digit found in string");
  }
  if (const std::string* v = request.FindQuery("offset"); v != nullptr && !v->empty()) {
    if (!absl::SimpleAtoi(*v, &offset)) return BadQuery("offset: invalid digit found in string");
  }
  std::string type = "workflow";
  if (const std::string* v = request.FindQuery("workflow_type"); v != nullptr && !v->empty()) {
    type = *v;
  }
  const std::string* workflow_id = request.FindQuery("workflow_id");
  std::optional<absl::Time> start, end;  // unparseable: silently ignored
  if (const std::string* v = request.FindQuery("start_time")) start = ParseUpstreamTime(*v);
  if (const std::string* v = request.FindQuery("end_time")) end = ParseUpstreamTime(*v);

  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  std::vector<const Record*> matches;
  for (const auto& [id, r] : records_) {
    if (r->workflow_type != type) continue;
    if (workflow_id != nullptr && !workflow_id->empty() && r->workflow_id != *workflow_id) {
      continue;
    }
    if (start.has_value() && r->timing.created_at < *start) continue;
    if (end.has_value() && (options_.end_time_exclusive ? r->timing.created_at >= *end
                                                        : r->timing.created_at > *end)) {
      continue;
    }
    matches.push_back(r.get());
  }
  std::sort(matches.begin(), matches.end(), [](const Record* a, const Record* b) {
    if (a->timing.created_at != b->timing.created_at) {
      return a->timing.created_at > b->timing.created_at;
    }
    return a->seq > b->seq;
  });
  offset = std::max<int64_t>(offset, 0);
  limit = std::max<int64_t>(limit, 0);
  Json j;
  j.w().StartArray();
  for (int64_t i = offset; i < static_cast<int64_t>(matches.size()) && i < offset + limit; ++i) {
    const Record& r = *matches[i];
    const ExecutionView v = Materialize(r.scenario, r.timing, now);
    WriteExecution(j, r.id, r.workflow_id, r.payload_json, v, [&](Json& j) {
      j.Key("root_execution_id");
      j.StrOrNull(r.root_id);
      j.Key("session_id");
      j.StrOrNull(r.session_id);
      j.Key("created_at");
      j.Str(PolosTime(r.timing.created_at));
    });
  }
  j.w().EndArray();
  return JsonResponse(200, j.str());
}

ServerResponse PolosSimulator::PollEvents(const ServerRequest& request) {
  const std::string* topic = request.FindQuery("topic");
  if (topic == nullptr || topic->empty()) {
    return Error(400, "topic is required", "BAD_REQUEST");
  }
  int64_t last = 0;
  int64_t limit = 100;
  if (const std::string* v = request.FindQuery("last_sequence_id"); v != nullptr && !v->empty()) {
    if (!absl::SimpleAtoi(*v, &last)) return BadQuery("last_sequence_id: invalid digit");
  }
  if (const std::string* v = request.FindQuery("limit"); v != nullptr && !v->empty()) {
    if (!absl::SimpleAtoi(*v, &limit)) return BadQuery("limit: invalid digit");
  }
  // topic = workflow/{workflow_id}/{run_id}
  const std::vector<std::string> parts = absl::StrSplit(*topic, '/');
  std::vector<TimelineEvent> events;
  std::string workflow_id, run_id;
  if (parts.size() == 3 && parts[0] == "workflow") {
    workflow_id = parts[1];
    run_id = parts[2];
    const absl::Time now = clock_->Now();
    absl::MutexLock lock(&mu_);
    auto it = records_.find(run_id);
    if (it != records_.end() && it->second->workflow_id == workflow_id) {
      events = EventsUntil(it->second->scenario, it->second->timing, now);
    }
  }
  Json j;
  j.w().StartObject();
  j.Key("events");
  j.w().StartArray();
  int64_t next = last;
  bool has_more = false;
  int64_t taken = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const int64_t seq = static_cast<int64_t>(i) + 1;
    if (seq <= last) continue;
    if (taken >= limit) {
      has_more = true;
      break;
    }
    j.Raw(EventJson(workflow_id, run_id, seq, events[i]));
    next = seq;
    ++taken;
  }
  j.w().EndArray();
  j.Key("next_sequence_id");
  if (taken > 0) {
    j.w().Int64(next);
  } else {
    j.w().Null();
  }
  j.Key("has_more");
  j.w().Bool(has_more);
  j.w().EndObject();
  return JsonResponse(200, j.str());
}

ServerResponse PolosSimulator::StreamEvents(const ServerRequest& request) {
  std::string workflow_id, run_id;
  if (const std::string* v = request.FindQuery("workflow_id")) workflow_id = *v;
  if (const std::string* v = request.FindQuery("workflow_run_id")) run_id = *v;
  if (const std::string* topic = request.FindQuery("topic"); topic != nullptr) {
    const std::vector<std::string> parts = absl::StrSplit(*topic, '/');
    if (parts.size() == 3 && parts[0] == "workflow") {
      workflow_id = parts[1];
      run_id = parts[2];
    }
  }
  if (run_id.empty()) {
    return Error(400, "workflow_run_id or topic is required", "BAD_REQUEST");
  }
  int64_t last = 0;
  if (const std::string* v = request.FindQuery("last_sequence_id"); v != nullptr && !v->empty()) {
    if (!absl::SimpleAtoi(*v, &last)) return BadQuery("last_sequence_id: invalid digit");
  }
  ServerResponse r;
  r.status = 200;
  r.headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}};
  r.stream = [this, workflow_id, run_id, last](http::ServerStream& stream) mutable {
    if (!stream.Write(": connected\n\n")) return;
    absl::Time last_write = absl::Now();
    int keepalives = 0;
    for (;;) {
      std::vector<TimelineEvent> events;
      ExecutionView view;
      bool known = false;
      {
        const absl::Time now = clock_->Now();
        absl::MutexLock lock(&mu_);
        auto it = records_.find(run_id);
        if (it != records_.end() &&
            (workflow_id.empty() || it->second->workflow_id == workflow_id)) {
          known = true;
          const Record& rec = *it->second;
          events = EventsUntil(rec.scenario, rec.timing, now);
          view = Materialize(rec.scenario, rec.timing, now);
          if (workflow_id.empty()) workflow_id = rec.workflow_id;
        }
      }
      for (size_t i = 0; i < events.size(); ++i) {
        const int64_t seq = static_cast<int64_t>(i) + 1;
        if (seq <= last) continue;
        if (!stream.Write(
                absl::StrCat("data: ", EventJson(workflow_id, run_id, seq, events[i]), "\n\n"))) {
          return;
        }
        last = seq;
        last_write = absl::Now();
      }
      const bool finished = known && view.terminal && !events.empty() &&
                            events.back().event_type == "workflow_finish";
      if (finished) {
        if (view.status == "failed") {
          Json j;
          j.w().StartObject();
          j.Key("type");
          j.Str("error");
          j.Key("message");
          j.Str(view.error.value_or("workflow failed"));
          j.w().EndObject();
          stream.Write(absl::StrCat("data: ", j.str(), "\n\n"));
        }
        return;
      }
      // Events go out as soon as they happen (checked every few
      // milliseconds, as the real server pushes them); keepalives only when
      // nothing else was sent for keepalive_interval.
      const absl::Duration check = std::min(absl::Milliseconds(5), options_.keepalive_interval);
      if (!stream.Sleep(check)) return;
      if (absl::Now() - last_write < options_.keepalive_interval) continue;
      const bool ok =
          ++keepalives % 10 == 0 ? stream.Write(": ping\n\n") : stream.Write("data: keepalive\n\n");
      if (!ok) return;
      last_write = absl::Now();
    }
  };
  return r;
}

}  // namespace execgw::polos

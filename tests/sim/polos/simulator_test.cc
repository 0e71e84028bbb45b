// The Polos simulator's wire protocol, exercised with the real HTTP client.

#include "sim/polos/simulator.h"

#include <algorithm>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/json_value.h"
#include "adapters/polos/execution_id.h"
#include "gtest/gtest.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::polos {
namespace {

using ::execgw::testing::SimulatedEventLoop;

constexpr absl::string_view kMissingId = "00000000-1111-4222-8333-444444444444";

class PolosSimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(false); }

  void Start(bool seed) {
    client_.reset();
    sim_.reset();
    PolosSimulatorOptions options;
    options.clock = &clock_;
    options.seed_demo_data = seed;
    options.keepalive_interval = absl::Milliseconds(20);
    auto sim = PolosSimulator::Start(options);
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = *std::move(sim);
    client_ = http::NewCurlHttpClient();
  }

  http::Headers Auth() const {
    return {{"Authorization", absl::StrCat("Bearer ", sim_->api_key())},
            {"X-Project-ID", sim_->project_id()}};
  }

  http::HttpResponse Call(const std::string& method, const std::string& path, std::string body = "",
                          std::optional<http::Headers> headers = {}) {
    http::HttpRequest r;
    r.method = method;
    r.url = sim_->base_url() + path;
    r.headers = headers.value_or(Auth());
    if (!body.empty()) r.headers.push_back({"Content-Type", "application/json"});
    r.body = std::move(body);
    r.deadline = absl::Now() + absl::Seconds(10);
    absl::Notification done;
    absl::StatusOr<http::HttpResponse> out;
    client_->Send(std::move(r), [&](absl::StatusOr<http::HttpResponse> resp) {
      out = std::move(resp);
      done.Notify();
    });
    done.WaitForNotification();
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : http::HttpResponse{};
  }

  rapidjson::Document Json(const http::HttpResponse& r) {
    absl::StatusOr<rapidjson::Document> doc = ParseJson(r.body);
    EXPECT_TRUE(doc.ok()) << r.body;
    return doc.ok() ? *std::move(doc) : rapidjson::Document();
  }

  std::string Run(const std::string& workflow, const std::string& extra = "") {
    http::HttpResponse r = Call("POST", absl::StrCat("/api/v1/workflows/", workflow, "/run"),
                                absl::StrCat(R"({"payload":{"x":1})", extra, "}"));
    EXPECT_EQ(r.status, 200) << r.body;
    return JsonString(Json(r), "execution_id").value_or("");
  }

  std::string StatusOf(const std::string& id) {
    http::HttpResponse r = Call("GET", "/api/v1/executions/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return JsonString(Json(r), "status").value_or("?");
  }

  // Reads the event stream until the server closes it or `stop` says so.
  std::string Stream(const std::string& query,
                     std::function<bool(const std::string&)> stop = nullptr) {
    http::HttpRequest r;
    r.url = sim_->base_url() + "/api/v1/events/stream?" + query;
    r.headers = Auth();
    r.deadline = absl::Now() + absl::Seconds(10);
    auto body = std::make_shared<std::string>();
    absl::Notification done;
    http::StreamCallbacks cb;
    cb.on_headers = [](int status, const http::Headers&) { return status == 200; };
    cb.on_data = [body, stop](absl::string_view chunk) {
      body->append(chunk.data(), chunk.size());
      return !(stop && stop(*body));
    };
    cb.on_done = [&done](absl::StatusOr<http::HttpResponse>) { done.Notify(); };
    client_->Stream(std::move(r), std::move(cb));
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(15)));
    return *body;
  }

  SimulatedEventLoop clock_;
  std::unique_ptr<PolosSimulator> sim_;
  std::unique_ptr<http::HttpClient> client_;
};

TEST_F(PolosSimulatorTest, HealthNeedsNoAuth) {
  http::HttpResponse r = Call("GET", "/health", "", http::Headers{});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(JsonString(Json(r), "status"), "ok");
}

TEST_F(PolosSimulatorTest, Auth) {
  const std::string path = absl::StrCat("/api/v1/executions/", kMissingId);
  http::HttpResponse none = Call("GET", path, "", http::Headers{});
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(JsonString(Json(none), "error_type"), "UNAUTHORIZED");
  EXPECT_TRUE(JsonString(Json(none), "error").has_value());

  http::HttpResponse wrong = Call(
      "GET", path, "",
      http::Headers{{"Authorization", "Bearer sk_nope"}, {"X-Project-ID", sim_->project_id()}});
  EXPECT_EQ(wrong.status, 401);

  http::HttpResponse no_project = Call(
      "GET", path, "", http::Headers{{"Authorization", absl::StrCat("Bearer ", sim_->api_key())}});
  EXPECT_EQ(no_project.status, 400);

  http::HttpResponse malformed_project =
      Call("GET", path, "",
           http::Headers{{"Authorization", absl::StrCat("Bearer ", sim_->api_key())},
                         {"X-Project-ID", "my-project"}});
  EXPECT_EQ(malformed_project.status, 400);
  EXPECT_EQ(malformed_project.body, "");

  http::HttpResponse other_project =
      Call("GET", path, "",
           http::Headers{{"Authorization", absl::StrCat("Bearer ", sim_->api_key())},
                         {"X-Project-ID", "99999999-9999-4999-8999-999999999999"}});
  EXPECT_EQ(other_project.status, 403);
  EXPECT_EQ(JsonString(Json(other_project), "error_type"), "PROJECT_ACCESS_FORBIDDEN");
}

TEST_F(PolosSimulatorTest, GetQuirks) {
  http::HttpResponse bad = Call("GET", "/api/v1/executions/not-a-uuid");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "");
  http::HttpResponse missing = Call("GET", absl::StrCat("/api/v1/executions/", kMissingId));
  EXPECT_EQ(missing.status, 500);
  EXPECT_EQ(missing.body, "");
}

TEST_F(PolosSimulatorTest, ExecutionDocumentLooksLikeTheRealOne) {
  const std::string id = Run("greeter", R"(,"run_timeout_seconds":120,"user_id":"u1")");
  ASSERT_TRUE(IsCanonicalUuid(id)) << id;
  http::HttpResponse r = Call("GET", "/api/v1/executions/" + id);
  ASSERT_EQ(r.status, 200);
  rapidjson::Document doc = Json(r);
  for (const char* field : {"id",
                            "workflow_id",
                            "status",
                            "payload",
                            "created_at",
                            "retry_count",
                            "started_at",
                            "completed_at",
                            "cancelled_at",
                            "cancelled_by",
                            "result",
                            "error",
                            "parent_execution_id",
                            "root_execution_id",
                            "batch_id",
                            "session_id",
                            "user_id",
                            "queue_name",
                            "concurrency_key",
                            "deployment_id",
                            "assigned_to_worker",
                            "output_schema_name",
                            "run_timeout_seconds",
                            "step_key"}) {
    EXPECT_NE(JsonMember(doc, field), nullptr) << field;
  }
  EXPECT_EQ(JsonString(doc, "status"), "queued");
  EXPECT_EQ(JsonString(doc, "queue_name"), "greeter");  // defaults to the workflow id
  EXPECT_TRUE(IsCanonicalUuid(JsonString(doc, "session_id").value_or("")));
  EXPECT_EQ(JsonInt(doc, "run_timeout_seconds"), 120);
  EXPECT_EQ(JsonString(doc, "user_id"), "u1");
  EXPECT_TRUE(JsonMember(doc, "started_at")->IsNull());
  const std::string created = JsonString(doc, "created_at").value_or("");
  EXPECT_TRUE(
      std::regex_match(created, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00)")))
      << created;
}

TEST_F(PolosSimulatorTest, RunNeedsAPayloadAndIsNotIdempotent) {
  http::HttpResponse missing = Call("POST", "/api/v1/workflows/w/run", R"({"queue_name":"q"})");
  EXPECT_EQ(missing.status, 400);
  http::HttpResponse garbage = Call("POST", "/api/v1/workflows/w/run", "{nope");
  EXPECT_EQ(garbage.status, 400);
  const std::string a = Run("w");
  const std::string b = Run("w");
  EXPECT_NE(a, b);
  EXPECT_EQ(StatusOf(a), "queued");
  EXPECT_EQ(StatusOf(b), "queued");
  // A null payload is a payload.
  EXPECT_EQ(Call("POST", "/api/v1/workflows/w/run", R"({"payload":null})").status, 200);
}

TEST_F(PolosSimulatorTest, BatchRun) {
  EXPECT_EQ(Call("POST", "/api/v1/workflows/batch_run", R"({"workflows":[]})").status, 400);
  http::HttpResponse r = Call(
      "POST", "/api/v1/workflows/batch_run",
      R"({"workflows":[{"workflow_id":"a","payload":1},{"workflow_id":"b","payload":2}],"user_id":"u"})");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc = Json(r);
  const rapidjson::Value* executions = JsonMember(doc, "executions");
  ASSERT_TRUE(executions != nullptr && executions->IsArray());
  ASSERT_EQ(executions->Size(), 2u);
  std::set<std::string> batches;
  for (const auto& e : executions->GetArray()) {
    const std::string id = JsonString(e, "execution_id").value_or("");
    http::HttpResponse got = Call("GET", "/api/v1/executions/" + id);
    rapidjson::Document d = Json(got);
    batches.insert(JsonString(d, "batch_id").value_or(""));
    EXPECT_EQ(JsonString(d, "user_id"), "u");
  }
  EXPECT_EQ(batches.size(), 1u);
  EXPECT_FALSE(batches.begin()->empty());
}

TEST_F(PolosSimulatorTest, LifecycleAdvancesWithTheClock) {
  const std::string id = Run("w");
  EXPECT_EQ(StatusOf(id), "queued");
  clock_.Advance(absl::Milliseconds(1200));
  EXPECT_EQ(StatusOf(id), "claimed");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(StatusOf(id), "running");
  clock_.Advance(absl::Seconds(10));
  http::HttpResponse r = Call("GET", "/api/v1/executions/" + id);
  rapidjson::Document doc = Json(r);
  EXPECT_EQ(JsonString(doc, "status"), "completed");
  EXPECT_TRUE(JsonMember(doc, "result")->IsObject());
  EXPECT_TRUE(JsonString(doc, "completed_at").has_value());
}

TEST_F(PolosSimulatorTest, CancelRules) {
  http::HttpResponse missing =
      Call("POST", absl::StrCat("/api/v1/executions/", kMissingId, "/cancel"));
  EXPECT_EQ(missing.status, 500);
  EXPECT_EQ(JsonString(Json(missing), "error"), "Failed to get execution");
  EXPECT_EQ(JsonString(Json(missing), "error_type"), "INTERNAL_ERROR");

  const std::string done = Run("w");
  clock_.Advance(absl::Minutes(1));
  http::HttpResponse finished = Call("POST", "/api/v1/executions/" + done + "/cancel");
  EXPECT_EQ(finished.status, 400);
  EXPECT_EQ(JsonString(Json(finished), "error_type"), "CANCELLATION_ERROR");
  EXPECT_EQ(JsonString(Json(finished), "error"),
            "Execution cannot be cancelled (status: completed)");
}

TEST_F(PolosSimulatorTest, CancelMarksAncestorsAndDescendants) {
  Scenario forever;
  forever.running_for = absl::InfiniteDuration();
  forever.cancel_confirm_after = absl::Seconds(5);
  auto add = [&](const std::string& parent) {
    NewExecution e;
    e.scenario = forever;
    e.parent_execution_id = parent;
    return sim_->AddExecution(std::move(e));
  };
  const std::string root = add("");
  const std::string middle = add(root);
  const std::string sibling = add(root);
  const std::string leaf = add(middle);
  clock_.Advance(absl::Seconds(3));

  http::HttpResponse r = Call("POST", "/api/v1/executions/" + middle + "/cancel");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc = Json(r);
  EXPECT_EQ(JsonString(doc, "execution_id"), middle);
  EXPECT_EQ(JsonString(doc, "status"), "pending_cancel");
  EXPECT_TRUE(JsonString(doc, "cancelled_at").has_value());

  EXPECT_EQ(StatusOf(middle), "pending_cancel");
  EXPECT_EQ(StatusOf(root), "pending_cancel");  // ancestor
  EXPECT_EQ(StatusOf(leaf), "pending_cancel");  // descendant
  EXPECT_EQ(StatusOf(sibling), "running");      // neither

  // pending_cancel may be cancelled again.
  EXPECT_EQ(Call("POST", "/api/v1/executions/" + middle + "/cancel").status, 200);

  clock_.Advance(absl::Seconds(6));
  http::HttpResponse after = Call("GET", "/api/v1/executions/" + leaf);
  rapidjson::Document d = Json(after);
  EXPECT_EQ(JsonString(d, "status"), "cancelled");
  EXPECT_EQ(JsonString(d, "cancelled_by"), "manual");
  EXPECT_EQ(JsonString(d, "root_execution_id"), root);
  EXPECT_EQ(JsonString(d, "parent_execution_id"), middle);
}

TEST_F(PolosSimulatorTest, ListPagingFiltersAndOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 55; ++i) {
    ids.push_back(Run(i % 5 == 0 ? "special" : "plain"));
    clock_.Advance(absl::Milliseconds(10));
  }
  http::HttpResponse all = Call("GET", "/api/v1/workflows/runs");
  ASSERT_EQ(all.status, 200);
  rapidjson::Document doc = Json(all);
  ASSERT_TRUE(doc.IsArray());
  EXPECT_EQ(doc.Size(), 50u);                       // default limit
  EXPECT_EQ(JsonString(doc[0], "id"), ids.back());  // newest first
  for (const char* field : {"id", "root_execution_id", "workflow_id", "session_id", "created_at",
                            "status", "completed_at", "payload", "result", "error"}) {
    EXPECT_NE(JsonMember(doc[0], field), nullptr) << field;
  }

  std::vector<std::string> paged;
  for (int offset = 0;; offset += 20) {
    rapidjson::Document page =
        Json(Call("GET", absl::StrCat("/api/v1/workflows/runs?limit=20&offset=", offset)));
    for (const auto& item : page.GetArray()) paged.push_back(JsonString(item, "id").value_or(""));
    if (page.Size() < 20) break;
  }
  std::vector<std::string> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(paged, expected);

  rapidjson::Document special = Json(Call("GET", "/api/v1/workflows/runs?workflow_id=special"));
  EXPECT_EQ(special.Size(), 11u);

  const std::string cutoff = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%E6S+00:00", clock_.Now() - absl::Milliseconds(105), absl::UTCTimeZone());
  rapidjson::Document recent = Json(Call(
      "GET", "/api/v1/workflows/runs?start_time=" + absl::StrReplaceAll(cutoff, {{"+", "%2B"}})));
  EXPECT_EQ(recent.Size(), 10u);
  // An unparseable time is silently ignored.
  rapidjson::Document ignored =
      Json(Call("GET", "/api/v1/workflows/runs?start_time=yesterday&limit=100"));
  EXPECT_EQ(ignored.Size(), 55u);
  EXPECT_EQ(Json(Call("GET", "/api/v1/workflows/runs?workflow_type=agent")).Size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/workflows/runs?limit=abc").status, 400);
}

TEST_F(PolosSimulatorTest, AddExecutionsAndTimeFilterBounds) {
  const absl::Time t0 = clock_.Now() - absl::Seconds(10);
  const std::vector<std::string> ids = sim_->AddExecutions("bulk", 5, t0, absl::Seconds(1));
  ASSERT_EQ(ids.size(), 5u);
  auto at = [](absl::Time t) {
    return absl::StrReplaceAll(
        absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", t, absl::UTCTimeZone()), {{"+", "%2B"}});
  };
  auto listed = [&](const std::string& query) {
    std::vector<std::string> out;
    rapidjson::Document doc = Json(Call("GET", "/api/v1/workflows/runs?workflow_id=bulk" + query));
    for (const auto& item : doc.GetArray()) out.push_back(JsonString(item, "id").value_or(""));
    return out;
  };
  EXPECT_EQ(listed(""), (std::vector<std::string>{ids[4], ids[3], ids[2], ids[1], ids[0]}));
  rapidjson::Document first = Json(Call("GET", "/api/v1/executions/" + ids[0]));
  EXPECT_EQ(JsonString(first, "created_at"),
            absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", t0, absl::UTCTimeZone()));
  EXPECT_EQ(JsonToString(*JsonMember(first, "payload")), R"({"i":0})");
  // Both bounds inclusive by default.
  EXPECT_EQ(
      listed("&start_time=" + at(t0 + absl::Seconds(1)) + "&end_time=" + at(t0 + absl::Seconds(3))),
      (std::vector<std::string>{ids[3], ids[2], ids[1]}));

  PolosSimulatorOptions options;
  options.clock = &clock_;
  options.end_time_exclusive = true;
  auto exclusive = PolosSimulator::Start(options);
  ASSERT_TRUE(exclusive.ok()) << exclusive.status();
  sim_ = *std::move(exclusive);
  const std::vector<std::string> more = sim_->AddExecutions("bulk", 5, t0, absl::Seconds(1));
  EXPECT_EQ(
      listed("&start_time=" + at(t0 + absl::Seconds(1)) + "&end_time=" + at(t0 + absl::Seconds(3))),
      (std::vector<std::string>{more[2], more[1]}));
}

TEST_F(PolosSimulatorTest, ChildExecutionsAreListed) {
  const std::string parent = Run("p");
  const std::string child = Run("c", absl::StrCat(R"(,"parent_execution_id":")", parent, "\""));
  rapidjson::Document doc = Json(Call("GET", "/api/v1/workflows/runs"));
  ASSERT_EQ(doc.Size(), 2u);
  bool found = false;
  for (const auto& item : doc.GetArray()) {
    if (JsonString(item, "id") == child) {
      found = true;
      EXPECT_EQ(JsonString(item, "root_execution_id"), parent);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(PolosSimulatorTest, FaultsApplyPerEndpoint) {
  const std::string id = Run("w");
  http::ServerResponse unavailable;
  unavailable.status = 503;
  sim_->faults().Add("get", unavailable);
  EXPECT_EQ(Call("GET", "/api/v1/executions/" + id).status, 503);
  EXPECT_EQ(Call("GET", "/api/v1/executions/" + id).status, 200);
  // A faulted run creates nothing.
  sim_->faults().Add("run", unavailable);
  EXPECT_EQ(Call("POST", "/api/v1/workflows/w/run", R"({"payload":1})").status, 503);
  EXPECT_EQ(Json(Call("GET", "/api/v1/workflows/runs")).Size(), 1u);
  EXPECT_EQ(sim_->request_count("get"), 2);
  EXPECT_EQ(sim_->request_count("run"), 2);
}

TEST_F(PolosSimulatorTest, EventsPoll) {
  const std::string id = Run("w");
  clock_.Advance(absl::Minutes(1));
  http::HttpResponse r =
      Call("GET", absl::StrCat("/api/v1/events?topic=workflow/w/", id, "&last_sequence_id=1"));
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc = Json(r);
  const rapidjson::Value* events = JsonMember(doc, "events");
  ASSERT_TRUE(events != nullptr && events->IsArray());
  ASSERT_EQ(events->Size(), 3u);
  EXPECT_EQ(JsonInt((*events)[0], "sequence_id"), 2);
  EXPECT_EQ(JsonString((*events)[2], "event_type"), "workflow_finish");
  EXPECT_EQ(JsonString((*events)[2], "topic"), absl::StrCat("workflow/w/", id));
  EXPECT_EQ(JsonInt(doc, "next_sequence_id"), 4);
  EXPECT_EQ(JsonBool(doc, "has_more"), false);
  EXPECT_EQ(Call("GET", "/api/v1/events").status, 400);
}

TEST_F(PolosSimulatorTest, EventStreamOfACompletedRunEndsAfterWorkflowFinish) {
  const std::string id = Run("w");
  clock_.Advance(absl::Minutes(1));
  const std::string body = Stream(absl::StrCat("workflow_id=w&workflow_run_id=", id));
  EXPECT_TRUE(absl::StrContains(body, "\"event_type\":\"workflow_start\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, "\"event_type\":\"workflow_finish\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, "\"sequence_id\":4")) << body;
  EXPECT_FALSE(absl::StrContains(body, "\"type\":\"error\"")) << body;
  // Resuming after sequence 3 sends only the last event.
  const std::string resumed =
      Stream(absl::StrCat("workflow_id=w&workflow_run_id=", id, "&last_sequence_id=3"));
  EXPECT_FALSE(absl::StrContains(resumed, "\"sequence_id\":3")) << resumed;
  EXPECT_TRUE(absl::StrContains(resumed, "\"sequence_id\":4")) << resumed;
}

TEST_F(PolosSimulatorTest, EventStreamOfAFailedRunSendsAnErrorFrame) {
  Scenario failing;
  failing.failed_attempts = 3;
  failing.error = "boom";
  sim_->SetWorkflowScenario("bad", failing);
  const std::string id = Run("bad");
  clock_.Advance(absl::Minutes(1));
  const std::string body = Stream(absl::StrCat("workflow_id=bad&workflow_run_id=", id));
  EXPECT_TRUE(absl::StrContains(body, R"(data: {"type":"error","message":"boom"})")) << body;
}

TEST_F(PolosSimulatorTest, EventStreamSendsKeepalivesWhileRunning) {
  Scenario forever;
  forever.running_for = absl::InfiniteDuration();
  sim_->SetWorkflowScenario("long", forever);
  const std::string id = Run("long");
  clock_.Advance(absl::Seconds(5));
  const std::string body =
      Stream(absl::StrCat("workflow_id=long&workflow_run_id=", id), [](const std::string& b) {
        return absl::StrContains(b, "data: keepalive") && absl::StrContains(b, ": ping");
      });
  EXPECT_TRUE(absl::StrContains(body, ": connected")) << body;
  EXPECT_TRUE(absl::StrContains(body, "\"event_type\":\"step_start\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, "data: keepalive")) << body;
}

// An event stream read in the background: the body so far, and whether the
// server ended it.
struct OpenStream {
  absl::Mutex mu;
  std::string body ABSL_GUARDED_BY(mu);
  int status ABSL_GUARDED_BY(mu) = 0;
  bool stop ABSL_GUARDED_BY(mu) = false;
  absl::Notification done;
  absl::Status end;  // set before done

  std::string Body() {
    absl::MutexLock lock(&mu);
    return body;
  }
  bool WaitFor(absl::string_view part, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu);
    auto has = [this, part]()
                   ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return absl::StrContains(body, part); };
    return mu.AwaitWithTimeout(absl::Condition(&has), timeout);
  }
  void Stop() {
    absl::MutexLock lock(&mu);
    stop = true;
  }
};

// The frames of an event-stream body ("\n\n"-separated; the simulator
// writes "\n" line ends).
std::vector<std::string> Frames(absl::string_view body) {
  std::vector<std::string> out = absl::StrSplit(body, "\n\n", absl::SkipEmpty());
  return out;
}

class PolosSimulatorStreamTest : public PolosSimulatorTest {
 protected:
  std::shared_ptr<OpenStream> Open(const std::string& query) {
    auto s = std::make_shared<OpenStream>();
    http::HttpRequest r;
    r.url = sim_->base_url() + "/api/v1/events/stream?" + query;
    r.headers = Auth();
    r.deadline = absl::Now() + absl::Seconds(30);
    http::StreamCallbacks cb;
    cb.on_headers = [s](int status, const http::Headers&) {
      absl::MutexLock lock(&s->mu);
      s->status = status;
      return true;
    };
    cb.on_data = [s](absl::string_view chunk) {
      absl::MutexLock lock(&s->mu);
      s->body.append(chunk.data(), chunk.size());
      return !s->stop;
    };
    cb.on_done = [s](absl::StatusOr<http::HttpResponse> r) {
      s->end = r.status();
      s->done.Notify();
    };
    client_->Stream(std::move(r), std::move(cb));
    return s;
  }

  std::string RunForever(const std::string& workflow) {
    Scenario forever;
    forever.running_for = absl::InfiniteDuration();
    sim_->SetWorkflowScenario(workflow, forever);
    return Run(workflow);
  }
};

TEST_F(PolosSimulatorStreamTest, KeepalivesComeEveryIntervalWithAPingCommentEveryTenth) {
  const std::string id = RunForever("long");
  clock_.Advance(absl::Seconds(5));
  auto s = Open(absl::StrCat("workflow_id=long&workflow_run_id=", id));
  // The simulated clock stands still: only keepalives and pings follow.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  auto ping_count = [&] {
    std::vector<std::string> f = Frames(s->Body());
    return std::count(f.begin(), f.end(), ": ping");
  };
  while (ping_count() < 2 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_GE(ping_count(), 2) << s->Body();
  s->Stop();
  ASSERT_TRUE(s->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  const std::vector<std::string> frames = Frames(s->Body());
  ASSERT_GE(frames.size(), 3u);
  EXPECT_EQ(frames[0], ": connected");
  EXPECT_TRUE(absl::StrContains(frames[1], "\"sequence_id\":1")) << frames[1];
  EXPECT_TRUE(absl::StrContains(frames[2], "\"sequence_id\":2")) << frames[2];
  // Then, per interval, a keepalive frame; every tenth a comment instead.
  int keepalives = 0, pings = 0;
  for (size_t i = 3; i < frames.size(); ++i) {
    const size_t tick = i - 3;
    if (tick % 10 == 9) {
      EXPECT_EQ(frames[i], ": ping") << "frame " << i;
      ++pings;
    } else {
      EXPECT_EQ(frames[i], "data: keepalive") << "frame " << i;
      ++keepalives;
    }
  }
  EXPECT_GE(pings, 2);
  EXPECT_GE(keepalives, 18);
}

TEST_F(PolosSimulatorStreamTest, EventsArriveWhileTheStreamIsOpenThenItCloses) {
  const std::string id = Run("w");  // the default scenario: ~4.5 s of life
  auto s = Open(absl::StrCat("topic=workflow/w/", id));
  ASSERT_TRUE(s->WaitFor(": connected\n\n"));
  ASSERT_TRUE(s->WaitFor("data: keepalive\n\n"));
  EXPECT_FALSE(absl::StrContains(s->Body(), "sequence_id")) << s->Body();
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(s->WaitFor("\"sequence_id\":2")) << s->Body();
  EXPECT_FALSE(s->done.HasBeenNotified());
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(s->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(s->end.ok()) << s->end;  // closed by the server, cleanly
  const std::vector<std::string> frames = Frames(s->Body());
  ASSERT_FALSE(frames.empty());
  EXPECT_TRUE(absl::StrContains(frames.back(), "\"event_type\":\"workflow_finish\""))
      << frames.back();
  EXPECT_TRUE(absl::StrContains(frames.back(), "\"sequence_id\":4")) << frames.back();
  EXPECT_EQ(sim_->request_count("events"), 1);
}

TEST_F(PolosSimulatorStreamTest, AFailedRunsStreamEndsWithTheErrorFrameThenCloses) {
  Scenario failing;
  failing.failed_attempts = 3;
  failing.error = "ValueError: unknown account type";
  sim_->SetWorkflowScenario("bad", failing);
  const std::string id = Run("bad");
  auto s = Open(absl::StrCat("workflow_id=bad&workflow_run_id=", id));
  ASSERT_TRUE(s->WaitFor(": connected\n\n"));
  clock_.Advance(absl::Minutes(5));
  ASSERT_TRUE(s->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(s->end.ok()) << s->end;
  const std::vector<std::string> frames = Frames(s->Body());
  ASSERT_GE(frames.size(), 2u);
  EXPECT_EQ(frames.back(),
            R"(data: {"type":"error","message":"ValueError: unknown account type"})");
  EXPECT_TRUE(absl::StrContains(frames[frames.size() - 2], "\"event_type\":\"workflow_finish\""))
      << frames[frames.size() - 2];
  EXPECT_TRUE(absl::StrContains(frames[frames.size() - 2], "\"status\":\"failed\""));
}

TEST_F(PolosSimulatorStreamTest, ResumingSendsOnlyLaterEventsInEitherForm) {
  const std::string id = Run("w");
  clock_.Advance(absl::Minutes(1));
  for (const std::string& run :
       {absl::StrCat("workflow_id=w&workflow_run_id=", id), absl::StrCat("topic=workflow/w/", id),
        absl::StrCat("topic=workflow%2Fw%2F", id)}) {
    auto s = Open(run + "&last_sequence_id=2");
    ASSERT_TRUE(s->done.WaitForNotificationWithTimeout(absl::Seconds(10))) << run;
    const std::vector<std::string> frames = Frames(s->Body());
    ASSERT_EQ(frames.size(), 3u) << run << ": " << s->Body();
    EXPECT_EQ(frames[0], ": connected");
    EXPECT_TRUE(absl::StrContains(frames[1], "\"sequence_id\":3")) << frames[1];
    EXPECT_TRUE(absl::StrContains(frames[2], "\"sequence_id\":4")) << frames[2];
  }
  // Past the last event: connected, then closed.
  auto s = Open(absl::StrCat("topic=workflow/w/", id, "&last_sequence_id=4"));
  ASSERT_TRUE(s->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(s->Body(), ": connected\n\n");
  EXPECT_EQ(sim_->request_count("events"), 4);
}

TEST_F(PolosSimulatorStreamTest, StreamRequestsAreCountedAndFaultedPerRoute) {
  const std::string id = RunForever("long");
  http::ServerResponse down;
  down.status = 503;
  down.body = R"({"error":"unavailable","error_type":"SERVICE_UNAVAILABLE"})";
  sim_->faults().Add("events", down);
  auto failed = Open(absl::StrCat("workflow_id=long&workflow_run_id=", id));
  ASSERT_TRUE(failed->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  {
    absl::MutexLock lock(&failed->mu);
    EXPECT_EQ(failed->status, 503);
  }
  auto s = Open(absl::StrCat("workflow_id=long&workflow_run_id=", id));
  ASSERT_TRUE(s->WaitFor(": connected\n\n"));
  EXPECT_EQ(sim_->request_count("events"), 2);
  EXPECT_EQ(sim_->request_count("get"), 0);
  std::optional<http::ServerRequest> last = sim_->last_request("events");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->path, "/api/v1/events/stream");
  s->Stop();
  ASSERT_TRUE(s->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  // A stream without a run is refused.
  auto bad = Open("workflow_id=long");
  ASSERT_TRUE(bad->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::MutexLock lock(&bad->mu);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(PolosSimulatorTest, SeededDemoData) {
  Start(true);
  std::vector<SeededExecution> seeded = sim_->seeded();
  ASSERT_GE(seeded.size(), 8u);
  std::set<std::string> statuses;
  for (const SeededExecution& s : seeded) {
    EXPECT_FALSE(s.description.empty());
    http::HttpResponse r = Call("GET", "/api/v1/executions/" + s.execution_id);
    ASSERT_EQ(r.status, 200) << s.execution_id;
    rapidjson::Document doc = Json(r);
    EXPECT_EQ(JsonString(doc, "workflow_id"), s.workflow_id);
    std::string status = JsonString(doc, "status").value_or("");
    if (status == "cancelled") status += "/" + JsonString(doc, "cancelled_by").value_or("");
    statuses.insert(status);
  }
  for (const char* expected :
       {"completed", "queued", "failed", "cancelled/timeout", "cancelled/manual", "waiting"}) {
    EXPECT_TRUE(statuses.contains(expected)) << expected;
  }
}

TEST_F(PolosSimulatorTest, PutRawServesTheDocumentVerbatim) {
  const std::string raw = R"({"id":"x","status":"weird","extra":[1,2]})";
  sim_->PutRaw(std::string(kMissingId), raw);
  http::HttpResponse r = Call("GET", absl::StrCat("/api/v1/executions/", kMissingId));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, raw);
}

}  // namespace
}  // namespace execgw::polos

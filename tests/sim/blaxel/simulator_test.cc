// The Blaxel simulator's wire protocol, spoken to with the real HTTP client.
#include "sim/blaxel/simulator.h"

#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/json_value.h"
#include "adapters/upstream_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::blaxel {
namespace {

using ::execgw::testing::SimulatedEventLoop;

constexpr char kKey[] = "bl-sim-test-key";
constexpr char kWorkspace[] = "acme";
constexpr char kJob[] = "job-a";

class SimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BlaxelSimulatorOptions options;
    options.api_key = kKey;
    options.workspace = kWorkspace;
    options.clock = &clock_;
    auto sim = BlaxelSimulator::Start(options);
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = *std::move(sim);
    sim_->PutJob(kJob, SimulatedJob{});
    client_ = http::NewCurlHttpClient();
  }

  struct Reply {
    int status = 0;
    http::HttpResponse response;
    rapidjson::Document json;
  };

  // Sends with the contract headers unless `headers` replaces them.
  Reply Send(const std::string& method, const std::string& path_and_query,
             std::optional<http::Headers> headers = std::nullopt, std::string body = "") {
    http::HttpRequest request;
    request.method = method;
    request.url = sim_->base_url() + path_and_query;
    request.headers =
        headers.value_or(http::Headers{{"Authorization", std::string("Bearer ") + kKey},
                                       {"X-Blaxel-Workspace", kWorkspace},
                                       {"Blaxel-Version", "2026-04-28"},
                                       {"Accept", "application/json"}});
    if (!body.empty()) request.headers.push_back({"Content-Type", "application/json"});
    request.body = std::move(body);
    request.deadline = absl::Now() + absl::Seconds(10);
    absl::Notification done;
    absl::StatusOr<http::HttpResponse> result;
    client_->Send(std::move(request), [&](absl::StatusOr<http::HttpResponse> r) {
      result = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    Reply reply;
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return reply;
    reply.status = result->status;
    reply.response = *result;
    reply.json.Parse(result->body.c_str());
    return reply;
  }

  // Follows nextCursor through every page; returns the ids in order.
  std::vector<std::string> Walk(const std::string& path, const std::string& query) {
    std::vector<std::string> ids;
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
      Reply r =
          Send("GET", absl::StrCat(path, "?", query, cursor.empty() ? "" : "&cursor=", cursor));
      EXPECT_EQ(r.status, 200) << r.response.body;
      if (r.status != 200) break;
      for (const auto& item : r.json["data"].GetArray()) {
        ids.push_back(JsonString(item["metadata"], "id")
                          .value_or(JsonString(item["metadata"], "name").value_or("")));
      }
      cursor = JsonString(r.json["meta"], "nextCursor").value();
      EXPECT_EQ(r.json["meta"]["hasMore"].GetBool(), !cursor.empty());
      if (cursor.empty()) break;
    }
    return ids;
  }

  SimulatedEventLoop clock_;
  std::unique_ptr<BlaxelSimulator> sim_;
  std::unique_ptr<http::HttpClient> client_;
};

TEST_F(SimulatorTest, Authentication) {
  sim_->PutExecution(kJob, "e1", SimulatedScenario::kSucceed, clock_.Now());
  Reply none =
      Send("GET", "/jobs/job-a/executions/e1", http::Headers{{"X-Blaxel-Workspace", kWorkspace}});
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.json["code"].GetInt(), 401);
  EXPECT_TRUE(none.json["error"].IsString());
  EXPECT_TRUE(none.json["message"].IsString());
  Reply wrong = Send(
      "GET", "/jobs/job-a/executions/e1",
      http::Headers{{"Authorization", "Bearer guess-123"}, {"X-Blaxel-Workspace", kWorkspace}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_FALSE(absl::StrContains(wrong.response.body, "guess-123"));
  Reply alt = Send("GET", "/jobs/job-a/executions/e1",
                   http::Headers{{"X-Blaxel-Authorization", std::string("Bearer ") + kKey},
                                 {"X-Blaxel-Workspace", kWorkspace}});
  EXPECT_EQ(alt.status, 200) << alt.response.body;
}

TEST_F(SimulatorTest, Workspace) {
  sim_->PutExecution(kJob, "e1", SimulatedScenario::kSucceed, clock_.Now());
  const std::string auth = std::string("Bearer ") + kKey;
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions/e1", http::Headers{{"Authorization", auth}}).status,
            400);
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions/e1?workspace=acme",
                 http::Headers{{"Authorization", auth}})
                .status,
            200);
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions/e1",
                 http::Headers{{"Authorization", auth}, {"X-Blaxel-Workspace", "other"}})
                .status,
            403);
}

TEST_F(SimulatorTest, Versions) {
  sim_->PutExecution(kJob, "e1", SimulatedScenario::kSucceed, clock_.Now());
  const std::string auth = std::string("Bearer ") + kKey;
  Reply unknown = Send("GET", "/jobs/job-a/executions",
                       http::Headers{{"Authorization", auth},
                                     {"X-Blaxel-Workspace", kWorkspace},
                                     {"Blaxel-Version", "2030-01-01"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(JsonString(unknown.json, "error"), "invalid_api_version");
  EXPECT_THAT(JsonString(unknown.json, "message").value_or(""),
              ::testing::HasSubstr("Unknown API version"));
  // Omitted: the oldest version, whose lists are bare arrays.
  Reply legacy = Send("GET", "/jobs/job-a/executions",
                      http::Headers{{"Authorization", auth}, {"X-Blaxel-Workspace", kWorkspace}});
  EXPECT_EQ(legacy.status, 200);
  EXPECT_TRUE(legacy.json.IsArray());
  Reply old = Send("GET", "/jobs/job-a/executions",
                   http::Headers{{"Authorization", auth},
                                 {"X-Blaxel-Workspace", kWorkspace},
                                 {"Blaxel-Version", "2026-04-16"}});
  EXPECT_TRUE(old.json.IsArray());
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions/e1/tasks",
                 http::Headers{{"Authorization", auth}, {"X-Blaxel-Workspace", kWorkspace}})
                .status,
            400);
  Reply latest = Send("GET", "/jobs/job-a/executions");
  ASSERT_TRUE(latest.json.IsObject());
  EXPECT_TRUE(latest.json["data"].IsArray());
  EXPECT_TRUE(latest.json["meta"].IsObject());
}

TEST_F(SimulatorTest, GetRendersTheWireFormat) {
  clock_.Advance(absl::Nanoseconds(336304095));
  sim_->PutExecution(kJob, "e1", SimulatedScenario::kSucceed, clock_.Now(), 2, {"MY_VAR"});
  Reply r = Send("GET", "/jobs/job-a/executions/e1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(*r.response.FindHeader("content-type"), "application/json");
  const auto& md = r.json["metadata"];
  EXPECT_EQ(JsonString(md, "createdAt"), "2026-01-01T00:00:00.336304095Z");
  EXPECT_EQ(JsonString(md, "startedAt"), "");
  EXPECT_EQ(JsonString(md, "completedAt"), "");
  EXPECT_EQ(JsonString(md, "workspace"), kWorkspace);
  EXPECT_EQ(JsonString(r.json["spec"]["envOverride"], "MY_VAR"), "***");
  EXPECT_EQ(JsonString(r.json, "status"), "queued");
  EXPECT_EQ(r.json["tasks"].Size(), 2u);
  EXPECT_EQ(r.json["stats"]["total"].GetInt(), 2);
  Reply missing = Send("GET", "/jobs/job-a/executions/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json["code"].GetInt(), 404);
}

TEST_F(SimulatorTest, CreateIsPartialAndIdempotent) {
  Reply created =
      Send("POST", "/jobs/job-a/executions", std::nullopt,
           R"({"tasks":[{"file":"a"},{"file":"b"}],"env":{"X":"secret"},"executionId":"mine"})");
  ASSERT_EQ(created.status, 200) << created.response.body;
  std::set<std::string> keys;
  for (const auto& m : created.json.GetObject()) keys.insert(m.name.GetString());
  EXPECT_EQ(keys, (std::set<std::string>{"executionId", "id", "jobId", "tasks", "workspaceId"}));
  EXPECT_EQ(JsonString(created.json, "executionId"), "mine");
  EXPECT_EQ(created.json["tasks"].Size(), 2u);
  Reply again = Send("POST", "/jobs/job-a/executions", std::nullopt, R"({"executionId":"mine"})");
  EXPECT_EQ(JsonString(again.json, "id"), JsonString(created.json, "id"));
  // Same message id, no executionId: the same execution again.
  Reply by_message = Send("POST", "/jobs/job-a/executions", std::nullopt,
                          absl::StrCat(R"({"id":")", *JsonString(created.json, "id"), R"("})"));
  EXPECT_EQ(JsonString(by_message.json, "executionId"), "mine");
  Reply got = Send("GET", "/jobs/job-a/executions/mine");
  EXPECT_EQ(JsonString(got.json, "status"), "queued");
  EXPECT_EQ(JsonString(got.json["spec"]["envOverride"], "X"), "***");
  EXPECT_EQ(got.json["tasks"].Size(), 2u);
  Reply generated = Send("POST", "/jobs/job-a/executions", std::nullopt, "{}");
  EXPECT_TRUE(absl::StartsWith(JsonString(generated.json, "executionId").value_or(""), "exec-"));
  EXPECT_EQ(Send("POST", "/jobs/nojob/executions", std::nullopt, "{}").status, 404);
  EXPECT_EQ(Send("POST", "/jobs/job-a/executions", std::nullopt, R"({"memory":999999})").status,
            400);
  EXPECT_EQ(Send("POST", "/jobs/job-a/executions", std::nullopt, "not json").status, 400);
}

TEST_F(SimulatorTest, AllowQueueFalseWithoutCapacityIs429) {
  SimulatedJob one;
  one.capacity = 1;
  sim_->PutJob("small", one);
  EXPECT_EQ(Send("POST", "/jobs/small/executions", std::nullopt, R"({"allowQueue":false})").status,
            200);
  Reply full = Send("POST", "/jobs/small/executions", std::nullopt, R"({"allowQueue":false})");
  EXPECT_EQ(full.status, 429);
  EXPECT_NE(full.response.FindHeader("retry-after"), nullptr);
  EXPECT_EQ(Send("POST", "/jobs/small/executions", std::nullopt, R"({"allowQueue":true})").status,
            200);
  clock_.Advance(absl::Minutes(5));  // everything finished
  EXPECT_EQ(Send("POST", "/jobs/small/executions", std::nullopt, R"({"allowQueue":false})").status,
            200);
}

TEST_F(SimulatorTest, CancelGoesCancellingThenCancelled) {
  sim_->PutExecution(kJob, "e1", SimulatedScenario::kSucceed, clock_.Now(), 3);
  clock_.Advance(absl::Seconds(3));
  Reply cancel = Send("DELETE", "/jobs/job-a/executions/e1");
  ASSERT_EQ(cancel.status, 200);
  EXPECT_EQ(JsonString(cancel.json, "status"), "cancelling");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(JsonString(Send("GET", "/jobs/job-a/executions/e1").json, "status"), "cancelling");
  clock_.Advance(absl::Seconds(1.5));
  Reply done = Send("GET", "/jobs/job-a/executions/e1");
  EXPECT_EQ(JsonString(done.json, "status"), "cancelled");
  EXPECT_NE(JsonString(done.json["metadata"], "completedAt"), "");
  EXPECT_GT(done.json["stats"]["cancelled"].GetInt(), 0);
  // A finished execution is not changed by a cancel.
  sim_->PutExecution(kJob, "e2", SimulatedScenario::kSucceed, clock_.Now() - absl::Hours(1), 1);
  EXPECT_EQ(JsonString(Send("DELETE", "/jobs/job-a/executions/e2").json, "status"), "succeeded");
  EXPECT_EQ(Send("DELETE", "/jobs/job-a/executions/nope").status, 404);
}

TEST_F(SimulatorTest, ListCursorPaging) {
  for (int i = 0; i < 7; ++i) {
    sim_->PutExecution(kJob, absl::StrCat("exec-", i), SimulatedScenario::kSucceed,
                       clock_.Now() + absl::Seconds(i), 1);
  }
  sim_->PutExecution("job-b", "other", SimulatedScenario::kSucceed, clock_.Now(), 1);
  EXPECT_THAT(
      Walk("/jobs/job-a/executions", "limit=3"),
      ::testing::ElementsAre("exec-6", "exec-5", "exec-4", "exec-3", "exec-2", "exec-1", "exec-0"));
  EXPECT_THAT(
      Walk("/jobs/job-a/executions", "limit=2&sort=createdAt:asc"),
      ::testing::ElementsAre("exec-0", "exec-1", "exec-2", "exec-3", "exec-4", "exec-5", "exec-6"));
  EXPECT_THAT(
      Walk("/jobs/job-a/executions", "sort=name:desc"),
      ::testing::ElementsAre("exec-6", "exec-5", "exec-4", "exec-3", "exec-2", "exec-1", "exec-0"));
  Reply first = Send("GET", "/jobs/job-a/executions?limit=3");
  EXPECT_EQ(first.json["meta"]["total"].GetInt(), 7);
  EXPECT_EQ(first.json["data"].Size(), 3u);
  const std::string cursor = *JsonString(first.json["meta"], "nextCursor");
  // Bound to the query: another sort or q is rejected, garbage too.
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions?limit=3&sort=name:asc&cursor=" + cursor).status,
            400);
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions?limit=3&q=exec&cursor=" + cursor).status, 400);
  EXPECT_EQ(Send("GET", "/jobs/job-b/executions?limit=3&cursor=" + cursor).status, 400);
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions?cursor=%21%21garbage").status, 400);
  clock_.Advance(absl::Hours(25));
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions?limit=3&cursor=" + cursor).status, 400);
  // Default 20, bounds 1..100.
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions?limit=0").status, 400);
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions?limit=101").status, 400);
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions?limit=100").status, 200);
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions?sort=bogus").status, 400);
}

// Lists are ordered by createdAt, as the real server orders them, raw
// documents included (they used to sort by the time they were put).
TEST_F(SimulatorTest, ListsAreOrderedByCreatedAt) {
  sim_->PutExecution(kJob, "today-1", SimulatedScenario::kSucceed, clock_.Now() - absl::Hours(1),
                     1);
  sim_->PutRaw(kJob, "old-raw",
               R"({"metadata":{"id":"old-raw","createdAt":"2025-06-01T00:00:00.5+00:00"}})");
  sim_->PutRaw(kJob, "no-time", R"({"metadata":{"id":"no-time","createdAt":"soon"}})");
  sim_->PutExecution(kJob, "today-2", SimulatedScenario::kSucceed, clock_.Now() - absl::Minutes(1),
                     1);
  EXPECT_THAT(Walk("/jobs/job-a/executions", "limit=2"),
              ::testing::ElementsAre("no-time", "today-2", "today-1", "old-raw"));
  EXPECT_THAT(Walk("/jobs/job-a/executions", "limit=3&sort=createdAt:asc"),
              ::testing::ElementsAre("old-raw", "today-1", "today-2", "no-time"));
}

TEST_F(SimulatorTest, ListDefaultLimitAndSearch) {
  for (int i = 0; i < 25; ++i) {
    sim_->PutExecution(kJob, absl::StrCat(i % 5 == 0 ? "nightly-" : "adhoc-", i),
                       SimulatedScenario::kSucceed, clock_.Now() + absl::Seconds(i), 1);
  }
  Reply page = Send("GET", "/jobs/job-a/executions");
  EXPECT_EQ(page.json["data"].Size(), 20u);
  EXPECT_TRUE(page.json["meta"]["hasMore"].GetBool());
  Reply search = Send("GET", "/jobs/job-a/executions?q=NIGHTLY");
  EXPECT_EQ(search.json["data"].Size(), 5u);
  EXPECT_EQ(search.json["meta"]["total"].GetInt(), 25);  // total ignores q
  EXPECT_EQ(Walk("/jobs/job-a/executions", "q=nightly&limit=2").size(), 5u);
  Reply short_q = Send("GET", "/jobs/job-a/executions?q=n");  // < 2 characters: ignored
  EXPECT_EQ(short_q.json["data"].Size(), 20u);
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions?q=" + std::string(201, 'x')).status, 400);
}

TEST_F(SimulatorTest, LegacyOffsetPaging) {
  for (int i = 0; i < 5; ++i) {
    sim_->PutExecution(kJob, absl::StrCat("exec-", i), SimulatedScenario::kSucceed,
                       clock_.Now() + absl::Seconds(i), 1);
  }
  const http::Headers legacy = {{"Authorization", std::string("Bearer ") + kKey},
                                {"X-Blaxel-Workspace", kWorkspace}};
  Reply r = Send("GET", "/jobs/job-a/executions?limit=2&offset=2", legacy);
  ASSERT_TRUE(r.json.IsArray());
  ASSERT_EQ(r.json.Size(), 2u);
  EXPECT_EQ(JsonString(r.json[0]["metadata"], "id"), "exec-2");
  EXPECT_EQ(JsonString(r.json[1]["metadata"], "id"), "exec-1");
}

TEST_F(SimulatorTest, TasksPaging) {
  sim_->PutExecution(kJob, "big", SimulatedScenario::kSucceed, clock_.Now(), 230);
  Reply first = Send("GET", "/jobs/job-a/executions/big/tasks");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.json["data"].Size(), 50u);  // default
  EXPECT_EQ(first.json["meta"]["total"].GetInt(), 230);
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions/big/tasks?limit=1000").json["data"].Size(), 200u);
  EXPECT_EQ(Walk("/jobs/job-a/executions/big/tasks", "limit=64&sort=createdAt:asc").size(), 230u);
  std::vector<std::string> names =
      Walk("/jobs/job-a/executions/big/tasks", "limit=100&sort=name:asc");
  ASSERT_EQ(names.size(), 230u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions/nope/tasks").status, 404);
  EXPECT_EQ(Send("GET", "/jobs/nojob/executions/big/tasks").status, 404);
}

TEST_F(SimulatorTest, OAuthTokensAreIssuedAndExpire) {
  sim_->PutExecution(kJob, "e1", SimulatedScenario::kSucceed, clock_.Now(), 1);
  auto basic = [](const std::string& id, const std::string& secret) {
    return http::Headers{{"Authorization", "Basic " + absl::Base64Escape(id + ":" + secret)}};
  };
  const std::string grant = R"({"grant_type":"client_credentials"})";
  const BlaxelSimulatorOptions& o = sim_->options();
  EXPECT_EQ(Send("POST", "/oauth/token", basic(o.oauth_client_id, "nope"), grant).status, 401);
  EXPECT_EQ(Send("POST", "/oauth/token", http::Headers{}, grant).status, 401);
  EXPECT_EQ(Send("POST", "/oauth/token", basic(o.oauth_client_id, o.oauth_client_secret),
                 R"({"grant_type":"password"})")
                .status,
            400);
  EXPECT_EQ(Send("GET", "/oauth/token", basic(o.oauth_client_id, o.oauth_client_secret)).status,
            405);
  Reply token =
      Send("POST", "/oauth/token", basic(o.oauth_client_id, o.oauth_client_secret), grant);
  ASSERT_EQ(token.status, 200);
  EXPECT_EQ(JsonInt(token.json, "expires_in"), 7200);
  EXPECT_EQ(JsonString(token.json, "token_type"), "Bearer");
  const std::string access = JsonString(token.json, "access_token").value_or("");
  ASSERT_FALSE(access.empty());
  EXPECT_EQ(sim_->tokens_issued(), 1);
  // Form-encoded bodies work too.
  EXPECT_EQ(Send("POST", "/oauth/token", basic(o.oauth_client_id, o.oauth_client_secret),
                 "grant_type=client_credentials")
                .status,
            200);
  const http::Headers bearer = {{"Authorization", "Bearer " + access},
                                {"X-Blaxel-Workspace", kWorkspace},
                                {"Blaxel-Version", "2026-04-28"}};
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions/e1", bearer).status, 200);
  clock_.Advance(absl::Seconds(7199));
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions/e1", bearer).status, 200);
  clock_.Advance(absl::Seconds(1));
  Reply expired = Send("GET", "/jobs/job-a/executions/e1", bearer);
  EXPECT_EQ(expired.status, 401);
  EXPECT_FALSE(absl::StrContains(expired.response.body, access));
  EXPECT_EQ(sim_->request_count("token"), 5);  // the 405 was not routed
}

TEST_F(SimulatorTest, CursorIsAPositionSoCreationsDoNotShiftPages) {
  std::vector<std::string> ids =
      sim_->AddExecutions(kJob, 10, clock_.Now() - absl::Hours(1), absl::Seconds(1));
  EXPECT_EQ(ids.front(), "exec-bulk-000000");
  Reply first = Send("GET", "/jobs/job-a/executions?limit=4&sort=createdAt:asc");
  const std::string cursor = *JsonString(first.json["meta"], "nextCursor");
  // Older and newer executions appear meanwhile; the next page goes on
  // right after the last one served.
  sim_->AddExecutions(kJob, 3, clock_.Now() - absl::Hours(2), absl::Seconds(1));
  sim_->AddExecutions(kJob, 2, clock_.Now(), absl::Seconds(1));
  Reply next = Send("GET", "/jobs/job-a/executions?limit=4&sort=createdAt:asc&cursor=" + cursor);
  ASSERT_EQ(next.status, 200);
  EXPECT_EQ(JsonString(next.json["data"][0]["metadata"], "id"), ids[4]);
  EXPECT_EQ(next.json["meta"]["total"].GetInt(), 15);
}

TEST_F(SimulatorTest, FaultsApplyPerEndpoint) {
  sim_->PutExecution(kJob, "e1", SimulatedScenario::kSucceed, clock_.Now(), 1);
  http::ServerResponse fault;
  fault.status = 503;
  fault.body = "overloaded";
  sim_->faults().Add("get", fault, 2);
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions").status, 200);  // list untouched
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions/e1").status, 503);
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions/e1").status, 503);
  EXPECT_EQ(Send("GET", "/jobs/job-a/executions/e1").status, 200);
  EXPECT_EQ(sim_->request_count("get"), 3);
  EXPECT_EQ(sim_->request_count("list"), 1);
}

TEST(SimulatorSeed, DemoDataIsServed) {
  SimulatedEventLoop clock;
  BlaxelSimulatorOptions options;
  options.clock = &clock;
  options.seed_demo_data = true;
  auto sim = BlaxelSimulator::Start(options);
  ASSERT_TRUE(sim.ok()) << sim.status();
  std::vector<SeededExecution> seeded = (*sim)->seeded();
  ASSERT_GE(seeded.size(), 6u);
  auto client = http::NewCurlHttpClient();
  std::set<std::string> statuses;
  for (const SeededExecution& s : seeded) {
    SCOPED_TRACE(s.execution_id);
    EXPECT_FALSE(s.description.empty());
    http::HttpRequest request;
    request.url = absl::StrCat((*sim)->base_url(), "/jobs/", s.job, "/executions/", s.execution_id);
    request.headers = {{"Authorization", "Bearer " + options.api_key},
                       {"X-Blaxel-Workspace", options.workspace},
                       {"Blaxel-Version", "2026-04-28"}};
    absl::Notification done;
    absl::StatusOr<http::HttpResponse> response;
    client->Send(request, [&](absl::StatusOr<http::HttpResponse> r) {
      response = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
    absl::StatusOr<rapidjson::Document> doc = ParseJson(response->body);
    ASSERT_TRUE(doc.ok());
    statuses.insert(JsonString(*doc, "status").value_or("?"));
  }
  for (const char* want : {"succeeded", "failed", "timeout", "cancelled", "queued"}) {
    EXPECT_TRUE(statuses.contains(want)) << want;
  }
}

// The demo's Blaxel list reads newest first by createdAt: the odd document
// created 2026-01-01 comes after today's runs, not between them.
TEST(SimulatorSeed, DemoListsAreInCreateTimeOrder) {
  SimulatedEventLoop clock(absl::FromUnixSeconds(1795000000));  // 2026-11-18
  BlaxelSimulatorOptions options;
  options.clock = &clock;
  options.seed_demo_data = true;
  auto sim = BlaxelSimulator::Start(options);
  ASSERT_TRUE(sim.ok()) << sim.status();
  http::HttpRequest request;
  request.url = absl::StrCat((*sim)->base_url(), "/jobs/data-processing-job/executions");
  request.headers = {{"Authorization", "Bearer " + options.api_key},
                     {"X-Blaxel-Workspace", options.workspace},
                     {"Blaxel-Version", "2026-04-28"}};
  auto client = http::NewCurlHttpClient();
  absl::Notification done;
  absl::StatusOr<http::HttpResponse> response;
  client->Send(request, [&](absl::StatusOr<http::HttpResponse> r) {
    response = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  ASSERT_TRUE(response.ok()) << response.status();
  absl::StatusOr<rapidjson::Document> doc = ParseJson(response->body);
  ASSERT_TRUE(doc.ok() && doc->IsObject());
  std::vector<std::string> ids;
  absl::Time previous = absl::InfiniteFuture();
  for (const auto& item : (*doc)["data"].GetArray()) {
    ids.push_back(JsonString(item["metadata"], "id").value_or("?"));
    std::optional<absl::Time> created =
        ParseUpstreamTime(JsonString(item["metadata"], "createdAt").value_or(""));
    ASSERT_TRUE(created.has_value()) << ids.back();
    EXPECT_LE(*created, previous) << ids.back() << " is out of order";
    previous = *created;
  }
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.back(), "exec-odd001");
}

}  // namespace
}  // namespace execgw::blaxel

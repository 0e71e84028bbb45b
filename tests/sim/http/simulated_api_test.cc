#include "sim/http/simulated_api.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace execgw::http {
namespace {

ServerRequest Request(std::string method, std::string target) {
  ServerRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  return r;
}

ServerResponse Text(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// A small API: its actions answer with what they were given, and count
// their runs, so that tests see what routing passed on and whether it ran.
class SimulatedApiTest : public ::testing::Test {
 protected:
  SimulatedApiTest()
      : api_([](const ServerRequest& r) { return Text(404, "no route: " + r.target); },
             [](const ServerRequest& r) { return Text(405, "no " + r.method); }) {
    auto echo = [this](const ServerRequest& request, const SimulatedApi::Params& params) {
      ++runs_;
      return Text(200, absl::StrCat(request.method, " [", absl::StrJoin(params, "|"), "]"));
    };
    api_.Add("GET", "/health", "", echo);
    api_.Add("GET", "/v0/jobs/{}/executions", "list", echo);
    api_.Add("POST", "/v0/jobs/{}/executions", "create", echo);
    api_.Add("GET", "/v0/jobs/{}/executions/{}", "get", echo);
    api_.Add("GET", "/v0/jobs/{}/executions/{}/tasks", "tasks", echo);
  }

  SimulatedApi api_;
  int runs_ = 0;
};

TEST_F(SimulatedApiTest, RoutesByMethodAndPatternAndDecodesEachSegment) {
  EXPECT_EQ(api_.Handle(Request("GET", "/v0/jobs/a/executions?limit=2")).body, "GET [a]");
  EXPECT_EQ(api_.Handle(Request("POST", "/v0/jobs/a/executions")).body, "POST [a]");
  // An escaped '/' stays inside its segment; '+' is not a space in a path.
  EXPECT_EQ(api_.Handle(Request("GET", "/v0/jobs/my%20job/executions/x%2Fy+z")).body,
            "GET [my job|x/y+z]");
  EXPECT_EQ(api_.Handle(Request("GET", "/v0/jobs/a/executions/b/tasks")).body, "GET [a|b]");
}

TEST_F(SimulatedApiTest, AnswersUnknownPathsAndWrongMethodsWithTheUpstreamsRefusals) {
  EXPECT_EQ(api_.Handle(Request("GET", "/v0/jobs/a/executions/b/other")).status, 404);
  EXPECT_EQ(api_.Handle(Request("GET", "/v0/jobs")).status, 404);
  // "{}" matches one non-empty segment: no empty id, no doubled slash.
  EXPECT_EQ(api_.Handle(Request("GET", "/v0/jobs//executions")).status, 404);
  EXPECT_EQ(api_.Handle(Request("GET", "/v0/jobs/a/executions/")).status, 404);
  ServerResponse wrong = api_.Handle(Request("DELETE", "/v0/jobs/a/executions"));
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.body, "no DELETE");
  EXPECT_EQ(runs_, 0);
  EXPECT_EQ(api_.request_count("list"), 0);
}

TEST_F(SimulatedApiTest, LogsEachRoutedRequestByEndpoint) {
  api_.Handle(Request("GET", "/v0/jobs/a/executions?limit=1"));
  api_.Handle(Request("GET", "/v0/jobs/b/executions?limit=2"));
  api_.Handle(Request("GET", "/health"));
  EXPECT_EQ(api_.request_count("list"), 2);
  EXPECT_EQ(api_.request_count("get"), 0);
  ASSERT_TRUE(api_.last_request("list").has_value());
  EXPECT_EQ(api_.last_request("list")->target, "/v0/jobs/b/executions?limit=2");
  EXPECT_FALSE(api_.last_request("get").has_value());
  // The unnamed route is answered but neither logged nor faulted.
  EXPECT_EQ(api_.request_count(""), 0);
  api_.faults().Add("*", Text(503, "down"));
  EXPECT_EQ(api_.Handle(Request("GET", "/health")).status, 200);
}

TEST_F(SimulatedApiTest, AReplacingFaultAnswersWithoutRunningTheAction) {
  api_.faults().Add("create", Text(500, "boom"));
  ServerResponse faulted = api_.Handle(Request("POST", "/v0/jobs/a/executions"));
  EXPECT_EQ(faulted.status, 500);
  EXPECT_EQ(faulted.body, "boom");
  EXPECT_EQ(runs_, 0);
  EXPECT_EQ(api_.request_count("create"), 1);  // faulted requests are logged too
  // Used once: the next create is real.
  EXPECT_EQ(api_.Handle(Request("POST", "/v0/jobs/a/executions")).body, "POST [a]");
  EXPECT_EQ(runs_, 1);
}

TEST_F(SimulatedApiTest, AStatusZeroFaultKeepsTheRealAnswerAndAddsItsDelayAndTransportFault) {
  ServerResponse slow;
  slow.status = 0;
  slow.delay = absl::Milliseconds(250);
  slow.fault = ServerResponse::Fault::kTruncateBody;
  api_.faults().Add("get", slow);
  ServerResponse r = api_.Handle(Request("GET", "/v0/jobs/a/executions/b"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET [a|b]");
  EXPECT_EQ(r.delay, absl::Milliseconds(250));
  EXPECT_EQ(r.fault, ServerResponse::Fault::kTruncateBody);
  EXPECT_EQ(runs_, 1);
}

TEST(JsonResponseTest, SetsTheStatusTheBodyAndTheJsonContentType) {
  ServerResponse r = JsonResponse(201, R"({"a":1})");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, R"({"a":1})");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Content-Type");
  EXPECT_EQ(r.headers[0].second, "application/json");
}

}  // namespace
}  // namespace execgw::http

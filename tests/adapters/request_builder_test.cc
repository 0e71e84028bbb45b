#include "adapters/request_builder.h"

#include <map>
#include <string>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace execgw {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(UpstreamPathTest, CallerInputCannotChangeTheRouteOrTheQuery) {
  UpstreamPath path = UpstreamPath("/jobs").Segment("a/b?c").Route("/executions");
  path.Query("cursor", "x&y=z#").Query("limit", 20).QueryLiteral("sort", "createdAt:asc");
  EXPECT_EQ(path.text(),
            "/jobs/a%2Fb%3Fc/executions?cursor=x%26y%3Dz%23&limit=20&sort=createdAt:asc");
  EXPECT_EQ(UpstreamPath("/api/v1/workflows/runs").text(), "/api/v1/workflows/runs");
  // The template keeps the adapter's text and names the variable segments,
  // without the query: a bounded metric label.
  EXPECT_EQ(path.route_template(), "/jobs/{}/executions");
  EXPECT_EQ(UpstreamPath("/jobs").Segment("etl", "{job}").Segment("e-1", "{id}").route_template(),
            "/jobs/{job}/{id}");
}

TEST(RequestBuilderTest, BaseUrlHeadersInOrderContextAndTimeout) {
  const RequestBuilder requests("http://127.0.0.1:9/v0/",
                                {BearerAuthorization("k"), {"X-Project-ID", "p"}},
                                absl::Seconds(7));
  EXPECT_EQ(requests.base_url(), "http://127.0.0.1:9/v0");
  CallContext context;
  context.deadline = absl::FromUnixSeconds(100);
  context.cancellation = std::make_shared<Cancellation>();
  context.trace = std::make_shared<CallTrace>();
  http::HttpRequest r = requests.Build("DELETE", UpstreamPath("/x").Segment("1", "{id}"), context,
                                       /*idempotent=*/true);
  EXPECT_EQ(r.route, "DELETE /x/{id}");
  EXPECT_EQ(r.trace, context.trace);
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.url, "http://127.0.0.1:9/v0/x/1");
  EXPECT_THAT(r.headers, ElementsAre(Pair("Authorization", "Bearer k"), Pair("X-Project-ID", "p"),
                                     Pair("Accept", "application/json")));
  EXPECT_EQ(r.deadline, context.deadline);
  EXPECT_EQ(r.cancellation, context.cancellation);
  EXPECT_EQ(r.attempt_timeout, absl::Seconds(7));
  EXPECT_TRUE(r.idempotent);
  EXPECT_TRUE(r.body.empty());

  SetJsonBody(r, "{}");
  EXPECT_EQ(r.headers.back(),
            std::make_pair(std::string("Content-Type"), std::string("application/json")));
  EXPECT_EQ(r.body, "{}");
}

TEST(JsonBodyTest, WritesMembersInOrderEscaped) {
  JsonBody body;
  body.String("a", "q\"\\")
      .StringIfSet("skipped", "")
      .StringIfSet("b", "x")
      .Int("n", -(int64_t{1} << 40))
      .Bool("f", false)
      .Json("raw", R"({"k":[1,null]})")
      .JsonArray("list", {"{}", R"({"x":1})"})
      .StringMap("env", std::map<std::string, std::string>{{"Z", "1"}, {"A", "2"}});
  EXPECT_EQ(body.Finish(),
            R"({"a":"q\"\\","b":"x","n":-1099511627776,"f":false,"raw":{"k":[1,null]},)"
            R"("list":[{},{"x":1}],"env":{"A":"2","Z":"1"}})");
}

}  // namespace
}  // namespace execgw

#include "adapters/resource_name.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace execgw {
namespace {

using ::testing::HasSubstr;

TEST(ExecutionNameTest, ParsesBlaxelForm) {
  auto n = ParseExecutionName("backends/prod-bx/jobs/nightly/executions/exec-abc123");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->backend, "prod-bx");
  EXPECT_EQ(n->job, "nightly");
  EXPECT_EQ(n->execution, "exec-abc123");
  EXPECT_EQ(n->ToString(), "backends/prod-bx/jobs/nightly/executions/exec-abc123");
}

TEST(ExecutionNameTest, ParsesPolosForm) {
  auto n = ParseExecutionName("backends/polos/executions/6f1c2d3e-0000-4000-8000-000000000001");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->backend, "polos");
  EXPECT_TRUE(n->job.empty());
  EXPECT_EQ(n->ToString(), "backends/polos/executions/6f1c2d3e-0000-4000-8000-000000000001");
}

struct BadName {
  const char* name;
  const char* expected_fragment;
};

class BadExecutionNameTest : public ::testing::TestWithParam<BadName> {};

TEST_P(BadExecutionNameTest, IsInvalidArgumentNamingFieldAndProblem) {
  auto n = ParseExecutionName(GetParam().name, "name");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(n.status().message()), HasSubstr("name: "));
  EXPECT_THAT(std::string(n.status().message()), HasSubstr(GetParam().expected_fragment));
}

INSTANTIATE_TEST_SUITE_P(
    All, BadExecutionNameTest,
    ::testing::Values(BadName{"", "is required"},
                      BadName{"executions/x", "is not an execution name"},
                      BadName{"backends/b/jobs/j/executions/", "execution id is empty"},
                      BadName{"backends/b/jobs//executions/e", "job id is empty"},
                      BadName{"backends/B/executions/e", "not a valid backend name"},
                      BadName{"backends/1b/executions/e", "not a valid backend name"},
                      BadName{"backends/b/executions/a b", "whitespace"},
                      BadName{"backends/b/executions/e/extra", "is not an execution name"},
                      BadName{"backends/b/workflows/w/executions/e", "is not an execution name"},
                      BadName{"backends/b/jobs/../executions/e", "job id may not be \"..\""},
                      BadName{"backends/b/jobs/j/executions/.", "execution id may not be \".\""}));

TEST(ExecutionNameTest, RejectsOverlongSegment) {
  auto n = ParseExecutionName("backends/b/executions/" + std::string(201, 'x'));
  ASSERT_FALSE(n.ok());
  EXPECT_THAT(std::string(n.status().message()), HasSubstr("longer than 200"));
}

TEST(ParentNameTest, ParsesEveryForm) {
  auto all = ParseParentName("backends/p");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->ToString(), "backends/p");
  auto job = ParseParentName("backends/b/jobs/j1");
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->job, "j1");
  EXPECT_EQ(job->ToString(), "backends/b/jobs/j1");
  auto wf = ParseParentName("backends/p/workflows/w1");
  ASSERT_TRUE(wf.ok());
  EXPECT_EQ(wf->workflow, "w1");
  EXPECT_EQ(wf->ToString(), "backends/p/workflows/w1");
}

TEST(ParentNameTest, RejectsOtherShapes) {
  for (const char* bad : {"", "backends", "backends/b/things/x", "backends/b/jobs", "b/jobs/x",
                          "backends/b/workflows/..", "backends/b/jobs/."}) {
    auto p = ParseParentName(bad, "parent");
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(p.status().message()), HasSubstr("parent: ")) << bad;
  }
}

TEST(BackendNameTest, Rules) {
  EXPECT_TRUE(IsValidBackendName("a"));
  EXPECT_TRUE(IsValidBackendName("demo-blaxel-2"));
  EXPECT_FALSE(IsValidBackendName(""));
  EXPECT_FALSE(IsValidBackendName("-a"));
  EXPECT_FALSE(IsValidBackendName("a-"));
  EXPECT_FALSE(IsValidBackendName("a_b"));
  EXPECT_FALSE(IsValidBackendName(std::string(64, 'a')));
}

}  // namespace
}  // namespace execgw

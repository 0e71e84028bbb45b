#include "adapters/resource_name.h"

#include "absl/strings/match.h"
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
                      BadName{"backends/b/jobs/j/executions/.", "execution id may not be \".\""},
                      BadName{"backends/b/executions/a%FF", "execution id is not valid UTF-8"},
                      BadName{"backends/b/jobs/caf%C3/executions/e", "job id is not valid UTF-8"}));

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

// Every id an upstream can hold (but "", "." and "..") has one name, and the
// name gives the id back.
TEST(IdEscapingTest, UpstreamIdsRoundTripThroughNames) {
  for (const std::string id :
       {std::string("exec-abc123"), std::string("my exec"), std::string("a/b"), std::string("100%"),
        std::string("%41"), std::string("line\r\nbreak"), std::string("nul\0byte", 8),
        std::string("tab\there"), std::string("..."), std::string("caf\xc3\xa9"),
        std::string(kMaxIdBytes, '/')}) {
    const ExecutionName blaxel{"bx", id, id};
    auto parsed = ParseExecutionName(blaxel.ToString());
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, blaxel);
    const ExecutionName polos{"px", "", id};
    auto parsed_polos = ParseExecutionName(polos.ToString());
    ASSERT_TRUE(parsed_polos.ok()) << parsed_polos.status();
    EXPECT_EQ(*parsed_polos, polos);
    const ParentName workflow{"px", "", id};
    auto parsed_workflow = ParseParentName(workflow.ToString());
    ASSERT_TRUE(parsed_workflow.ok()) << parsed_workflow.status();
    EXPECT_EQ(*parsed_workflow, workflow);
    EXPECT_TRUE(IsNameableId(id));
  }
  EXPECT_EQ(EscapeId("my exec/1%"), "my%20exec%2F1%25");
  EXPECT_EQ(EscapeId("6f1c2d3e-0000-4000-8000-000000000001"),
            "6f1c2d3e-0000-4000-8000-000000000001");
}

TEST(IdEscapingTest, IdsThatCannotBeNamed) {
  EXPECT_FALSE(IsNameableId(""));
  EXPECT_FALSE(IsNameableId("."));
  EXPECT_FALSE(IsNameableId(".."));
  EXPECT_FALSE(IsNameableId(std::string(kMaxIdBytes + 1, 'x')));
  // Escaping does not smuggle them in either.
  for (const char* name : {"backends/b/executions/%2E%2E", "backends/b/executions/%2e",
                           "backends/b/jobs/%2E%2E/executions/e"}) {
    auto n = ParseExecutionName(name);
    ASSERT_FALSE(n.ok()) << name;
    EXPECT_THAT(std::string(n.status().message()), HasSubstr("may not be")) << name;
  }
}

TEST(IdEscapingTest, RejectsBrokenEscapes) {
  for (const char* name : {"backends/b/executions/a%", "backends/b/executions/a%4",
                           "backends/b/executions/a%zz", "backends/b/executions/%G1"}) {
    auto n = ParseExecutionName(name);
    ASSERT_FALSE(n.ok()) << name;
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(n.status().message()), HasSubstr("two hex digits")) << name;
  }
}

TEST(PlainIdTest, CallerIdsFollowTheLiteralSegmentRules) {
  EXPECT_TRUE(CheckPlainId("execution_id", "exec-1.2_3").ok());
  for (const std::string bad : {std::string(""), std::string("."), std::string(".."),
                                std::string("a b"), std::string("a\r\nb"), std::string("nul\0", 4),
                                std::string("a/b"), std::string(kMaxIdBytes + 1, 'x')}) {
    absl::Status s = CheckPlainId("execution_id", bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("execution_id: "));
    EXPECT_LT(s.message().size(), 200u);
  }
}

// A huge backend segment is refused without being echoed whole.
TEST(BackendNameTest, EchoIsBounded) {
  const std::string name = "backends/" + std::string(1 << 20, 'B') + "/executions/e";
  auto n = ParseExecutionName(name);
  ASSERT_FALSE(n.ok());
  EXPECT_THAT(std::string(n.status().message()), HasSubstr("not a valid backend name"));
  EXPECT_LT(n.status().message().size(), 400u);
  auto p = ParseParentName("backends/" + std::string(4000, 'x'));
  ASSERT_FALSE(p.ok());
  EXPECT_LT(p.status().message().size(), 400u);
}

// Found by tests/fuzz (resource_name): each byte that is not UTF-8 is
// written as U+FFFD (3 bytes), which took short text past the bound.
TEST(BoundedEchoTest, StaysWithinItsBoundForBytesThatAreNotUtf8) {
  const std::string echo = BoundedEcho(std::string(90, '\xff'), 100);
  EXPECT_LE(echo.size(), 103u);
  EXPECT_TRUE(absl::EndsWith(echo, "..."));
  EXPECT_EQ(BoundedEcho("short", 100), "short");
}

// Found by tests/fuzz (resource_name): a plain id may hold '%' (the
// hostile-input tests create such executions), which is the one byte it
// does not read the same as inside its name: there it is %25, and the name
// gives the id back.
TEST(CheckPlainIdTest, PercentIsEscapedInTheName) {
  ASSERT_TRUE(CheckPlainId("execution_id", "run%41").ok());
  const ExecutionName name{"b", "job", "run%41"};
  EXPECT_EQ(name.ToString(), "backends/b/jobs/job/executions/run%2541");
  absl::StatusOr<ExecutionName> back = ParseExecutionName(name.ToString());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, name);
}

}  // namespace
}  // namespace execgw

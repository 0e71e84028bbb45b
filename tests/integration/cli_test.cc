// execgw-cli, the real binary, against the real gateway and simulators.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"

namespace execgw::testing {
namespace {

using ::testing::HasSubstr;

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr
};

class CliTest : public ::testing::Test {
 protected:
  CliRun Cli(const std::string& args) {
    const std::string command = absl::StrCat(EXECGW_CLI_PATH, " --server=127.0.0.1:", h_.port(),
                                             " ", args, " 2>&1");
    CliRun run{-1, ""};
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return run;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.output.append(buf, n);
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
  }

  GatewayHarness h_;
};

TEST_F(CliTest, GetListTasksCancel) {
  // Long-running tasks: still running a minute in.
  blaxel::SimulatedJob job;
  job.timeout_seconds = 7200;
  job.scenario = blaxel::SimulatedScenario::kTimeout;
  h_.blaxel().PutJob("etl", job);
  h_.blaxel().PutExecution("etl", "exec-cli", blaxel::SimulatedScenario::kTimeout,
                           h_.clock().Now() - absl::Minutes(1), 2);
  CliRun get = Cli("get backends/bx/jobs/etl/executions/exec-cli");
  EXPECT_EQ(get.exit_code, 0) << get.output;
  EXPECT_THAT(get.output, HasSubstr("name: backends/bx/jobs/etl/executions/exec-cli"));
  EXPECT_THAT(get.output, HasSubstr("state: RUNNING (upstream: \"running\")"));

  CliRun json = Cli("--json get backends/bx/jobs/etl/executions/exec-cli");
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_THAT(json.output, HasSubstr("\"state\": \"STATE_RUNNING\""));

  CliRun list = Cli("list backends/bx/jobs/etl");
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(list.output, HasSubstr("backends/bx/jobs/etl/executions/exec-cli"));
  EXPECT_THAT(list.output, HasSubstr("(1 in all)"));

  CliRun tasks = Cli("tasks backends/bx/jobs/etl/executions/exec-cli");
  EXPECT_EQ(tasks.exit_code, 0) << tasks.output;
  EXPECT_THAT(tasks.output, HasSubstr("task task-1"));

  CliRun cancel = Cli("cancel backends/bx/jobs/etl/executions/exec-cli");
  EXPECT_EQ(cancel.exit_code, 0) << cancel.output;
  EXPECT_THAT(cancel.output, HasSubstr("CANCELLING"));
}

TEST_F(CliTest, CreatePolosAndBlaxel) {
  CliRun px = Cli("create backends/px/workflows/summarize --input='{\"doc\":\"q3\"}' "
               "--request_id=cli-1 --run_timeout=90s");
  EXPECT_EQ(px.exit_code, 0) << px.output;
  EXPECT_THAT(px.output, HasSubstr("workflow: summarize"));
  EXPECT_THAT(px.output, HasSubstr("input: {\"doc\":\"q3\"}"));
  EXPECT_THAT(px.output, HasSubstr("timeout: 1m30s"));

  h_.blaxel().PutJob("etl", blaxel::SimulatedJob{});
  CliRun bx = Cli("create backends/bx/jobs/etl --tasks='[{\"n\":1},{\"n\":2}]' --env=A=1,B=2 "
               "--request_id=cli-bx-1");
  EXPECT_EQ(bx.exit_code, 0) << bx.output;
  EXPECT_THAT(bx.output, HasSubstr("execution id: cli-bx-1"));
  EXPECT_THAT(bx.output, HasSubstr("env A: ***"));
}

TEST_F(CliTest, ErrorsExplainThemselves) {
  CliRun bad = Cli("get backends/px/executions/not-a-uuid");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(bad.output, HasSubstr("field name:"));
  CliRun missing = Cli("get backends/nope/executions/x");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("reason: BACKEND_NOT_CONFIGURED"));
  CliRun usage = Cli("frobnicate x");
  EXPECT_EQ(usage.exit_code, 2);
  CliRun bad_json = Cli("create backends/px/workflows/w --input='{oops'");
  EXPECT_EQ(bad_json.exit_code, 2);
  EXPECT_THAT(bad_json.output, HasSubstr("--input"));
}

}  // namespace
}  // namespace execgw::testing

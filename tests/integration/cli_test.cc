// execgw-cli, the real binary, against the real gateway and simulators.
#include <atomic>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gateway/caller_auth.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "sim/http/http_server.h"
#include "tests/integration/gateway_harness.h"
#include "tests/testing/suite_secrets.h"

namespace execgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr
};

class CliTest : public ::testing::Test {
 protected:
  CliTest() = default;
  explicit CliTest(GatewayHarness::Options options) : h_(std::move(options)) {}

  CliRun Cli(const std::string& args) {
    const std::string command =
        absl::StrCat(EXECGW_CLI_PATH, " --server=127.0.0.1:", h_.port(), " ", args, " 2>&1");
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

class CliAuthTest : public CliTest {
 protected:
  static GatewayHarness::Options Options() {
    GatewayHarness::Options o;
    auto* t = o.auth.add_tokens();
    t->set_name("cli-user");
    t->set_hash(gateway::HashToken(::execgw::testing::kCliToken));
    t->mutable_allow()->add_backends("*");
    t->mutable_allow()->add_methods("read");
    return o;
  }
  CliAuthTest() : CliTest(Options()) {}
};

TEST_F(CliAuthTest, TheTokenComesFromTheEnvironment) {
  h_.blaxel().PutExecution("etl", "exec-auth", blaxel::SimulatedScenario::kSucceed,
                           h_.clock().Now() - absl::Minutes(1), 1);
  const std::string name = "get backends/bx/jobs/etl/executions/exec-auth";
  unsetenv("EXECGW_TOKEN");
  CliRun without = Cli(name);
  EXPECT_EQ(without.exit_code, 1) << without.output;
  EXPECT_THAT(without.output, HasSubstr("UNAUTHENTICATED"));
  setenv("EXECGW_TOKEN", ::execgw::testing::kCliToken, 1);
  CliRun with = Cli(name);
  EXPECT_EQ(with.exit_code, 0) << with.output;
  EXPECT_THAT(with.output, HasSubstr("name: backends/bx/jobs/etl/executions/exec-auth"));
  // Read-only: a cancel is refused, naming the caller.
  CliRun cancel = Cli("cancel backends/bx/jobs/etl/executions/exec-auth");
  EXPECT_NE(cancel.exit_code, 0);
  EXPECT_THAT(cancel.output, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(cancel.output, Not(HasSubstr(::execgw::testing::kCliToken)));
  unsetenv("EXECGW_TOKEN");
}

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
  CliRun px =
      Cli("create backends/px/workflows/summarize --input='{\"doc\":\"q3\"}' "
          "--request_id=cli-1 --run_timeout=90s");
  EXPECT_EQ(px.exit_code, 0) << px.output;
  EXPECT_THAT(px.output, HasSubstr("workflow: summarize"));
  EXPECT_THAT(px.output, HasSubstr("input: {\"doc\":\"q3\"}"));
  EXPECT_THAT(px.output, HasSubstr("timeout: 1m30s"));

  h_.blaxel().PutJob("etl", blaxel::SimulatedJob{});
  CliRun bx =
      Cli("create backends/bx/jobs/etl --tasks='[{\"n\":1},{\"n\":2}]' --env=A=1,B=2 "
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

TEST_F(CliTest, HelpExplainsCommandsFlagsAndExamples) {
  CliRun help = Cli("--help");
  EXPECT_EQ(help.exit_code, 0) << help.output;
  // Abseil's own --help ended here, listing no flag at all.
  EXPECT_THAT(help.output, Not(HasSubstr("No flags matched")));
  EXPECT_THAT(help.output, Not(HasSubstr("helpfull")));
  for (const char* command :
       {"get NAME", "list PARENT", "tasks NAME", "create PARENT", "cancel NAME", "watch NAME"}) {
    EXPECT_THAT(help.output, HasSubstr(absl::StrCat("  ", command, " "))) << command;
  }
  for (const char* flag : {"server",        "json",
                           "timeout",       "page_size",
                           "page_token",    "all",
                           "filter",        "order_by",
                           "view",          "request_id",
                           "input",         "run_timeout",
                           "queue",         "concurrency_key",
                           "session_id",    "user_id",
                           "deployment_id", "tasks",
                           "env",           "memory_mb",
                           "execution_id",  "reject_if_no_capacity",
                           "etag",          "heartbeat"}) {
    EXPECT_THAT(help.output, HasSubstr(absl::StrCat("\n  --", flag))) << flag;
  }
  EXPECT_THAT(help.output, HasSubstr("--server=HOST:PORT"));
  EXPECT_THAT(help.output, HasSubstr("(default: localhost:50051)"));
  EXPECT_THAT(help.output, HasSubstr("unset: 30s"));
  EXPECT_THAT(help.output, HasSubstr("--view=basic|full"));
  // What a Polos create needs, and what the Blaxel flags need.
  EXPECT_THAT(help.output, HasSubstr("PARENT is backends/B/workflows/W, and --input is required"));
  EXPECT_THAT(help.output, HasSubstr("create of a Blaxel job execution: PARENT is "
                                     "backends/B/jobs/J"));
  EXPECT_THAT(help.output, HasSubstr("examples"));
  EXPECT_THAT(help.output, HasSubstr("execgw-cli create backends/demo-polos/workflows/summarize "
                                     "--input="));
  EXPECT_EQ(Cli("help").output, help.output);
  EXPECT_EQ(Cli("-h").output, help.output);
  EXPECT_EQ(Cli("list --help").output, help.output);
}

TEST_F(CliTest, DurationsWithoutAUnitSaySo) {
  CliRun bare = Cli("--timeout=2 get backends/bx/jobs/etl/executions/exec-a");
  EXPECT_EQ(bare.exit_code, 2) << bare.output;
  EXPECT_THAT(bare.output, HasSubstr("--timeout: \"2\" needs a unit, such as 2s or 500ms"));
  EXPECT_THAT(bare.output, Not(HasSubstr("Illegal value")));
  CliRun run = Cli("create backends/px/workflows/summarize --input='{}' --run_timeout=90");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--run_timeout: \"90\" needs a unit"));
  CliRun fraction =
      Cli("create backends/px/workflows/summarize --input='{}' "
          "--run_timeout=1500ms");
  EXPECT_EQ(fraction.exit_code, 2) << fraction.output;
  EXPECT_THAT(fraction.output, HasSubstr("--run_timeout: \"1500ms\" must be whole seconds"));
  EXPECT_EQ(h_.polos().request_count("run"), 0);
  CliRun ok = Cli("--timeout=5s list backends/px");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST_F(CliTest, CreateSaysWhatEachBackendNeeds) {
  CliRun no_input = Cli("create backends/px/workflows/summarize --request_id=r1");
  EXPECT_EQ(no_input.exit_code, 2) << no_input.output;
  EXPECT_THAT(no_input.output, HasSubstr("create: a Polos workflow run needs --input='<json>'"));
  CliRun backend_only = Cli("create backends/px --input='{}'");
  EXPECT_EQ(backend_only.exit_code, 2) << backend_only.output;
  EXPECT_THAT(backend_only.output,
              HasSubstr("create: PARENT must be a Polos workflow, backends/B/workflows/W (with "
                        "--input), or a Blaxel job, backends/B/jobs/J"));
  CliRun polos_flag_on_job = Cli("create backends/bx/jobs/etl --input='{}' --queue=q");
  EXPECT_EQ(polos_flag_on_job.exit_code, 2) << polos_flag_on_job.output;
  EXPECT_THAT(polos_flag_on_job.output,
              HasSubstr("create: --input, --queue are Polos options: they need a workflow "
                        "parent, backends/B/workflows/W"));
  CliRun blaxel_flag_on_workflow =
      Cli("create backends/px/workflows/summarize --input='{}' --tasks='[{}]'");
  EXPECT_EQ(blaxel_flag_on_workflow.exit_code, 2) << blaxel_flag_on_workflow.output;
  EXPECT_THAT(blaxel_flag_on_workflow.output,
              HasSubstr("create: --tasks is a Blaxel option: it needs a job parent, "
                        "backends/B/jobs/J"));
  // None of these reached an upstream.
  EXPECT_EQ(h_.polos().request_count("run"), 0);
  EXPECT_EQ(h_.blaxel().request_count("create"), 0);
}

TEST_F(CliTest, ListTakesAView) {
  polos::NewExecution n;
  n.workflow_id = "summarize";
  const std::string id = h_.polos().AddExecution(n);
  CliRun basic = Cli("list backends/px --view=basic");
  EXPECT_EQ(basic.exit_code, 0) << basic.output;
  EXPECT_THAT(basic.output, HasSubstr(absl::StrCat("backends/px/executions/", id)));
  EXPECT_THAT(basic.output, Not(HasSubstr("name: ")));
  CliRun full = Cli("list backends/px --view=FULL");
  EXPECT_EQ(full.exit_code, 0) << full.output;
  EXPECT_THAT(full.output, HasSubstr(absl::StrCat("name: backends/px/executions/", id, "\n")));
  EXPECT_THAT(full.output, HasSubstr("workflow: summarize\n"));
  CliRun bad = Cli("list backends/px --view=everything");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("--view: \"everything\" must be basic or full"));
}

// Each run of the CLI is a new process, whose protobuf maps iterate in
// another order: the output must not follow them.
TEST_F(CliTest, TheSameExecutionPrintsTheSameSortedKeys) {
  std::string input = "{";
  std::vector<std::string> keys;
  for (char c = 'p'; c >= 'a'; --c) {
    keys.insert(keys.begin(), std::string(3, c));
    absl::StrAppend(&input, c == 'p' ? "" : ",", "\"", std::string(3, c), "\":", c - 'a');
  }
  input += "}";
  CliRun created =
      Cli(absl::StrCat("--json create backends/px/workflows/summarize --input='", input, "'"));
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const size_t at = created.output.find("\"name\": \"");
  ASSERT_NE(at, std::string::npos) << created.output;
  const std::string name =
      created.output.substr(at + 9, created.output.find('"', at + 9) - (at + 9));
  for (const char* json : {"", "--json "}) {
    const std::string first = Cli(absl::StrCat(json, "get ", name)).output;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(Cli(absl::StrCat(json, "get ", name)).output, first);
    size_t pos = first.find("input");
    ASSERT_NE(pos, std::string::npos) << first;
    for (const std::string& k : keys) {
      const size_t next = first.find(absl::StrCat("\"", k, "\""), pos);
      ASSERT_NE(next, std::string::npos) << k << " out of order in\n" << first;
      pos = next;
    }
  }
}

TEST_F(CliTest, TaskConditionsAreLabelled) {
  h_.blaxel().PutJob("etl", blaxel::SimulatedJob{});
  h_.blaxel().PutExecution("etl", "exec-done", blaxel::SimulatedScenario::kSucceed,
                           h_.clock().Now() - absl::Hours(1), 1);
  CliRun tasks = Cli("tasks backends/bx/jobs/etl/executions/exec-done");
  EXPECT_EQ(tasks.exit_code, 0) << tasks.output;
  EXPECT_THAT(tasks.output,
              HasSubstr("condition: type=CONDITION_SUCCEEDED state=CONDITION_SUCCEEDED "
                        "severity=INFO message=\"Task completed successfully.\"\n"));
}

// `execgw-cli watch` running while the test goes on: its output (stdout and
// stderr) read line by line.
class CliWatchProcess {
 public:
  CliWatchProcess(int port, const std::string& args) {
    const std::string command =
        absl::StrCat(EXECGW_CLI_PATH, " --server=127.0.0.1:", port, " ", args, " 2>&1");
    pipe_ = popen(command.c_str(), "r");
  }
  ~CliWatchProcess() {
    if (pipe_ != nullptr) Finish();
  }

  // The next line, without its newline; nullopt at the end of output.
  std::optional<std::string> NextLine() {
    if (pipe_ == nullptr) return std::nullopt;
    std::string line;
    char buf[4096];
    while (fgets(buf, sizeof buf, pipe_) != nullptr) {
      line += buf;
      if (!line.empty() && line.back() == '\n') {
        line.pop_back();
        return line;
      }
    }
    if (line.empty()) return std::nullopt;
    return line;
  }

  // The rest of the output, and the exit code.
  CliRun Finish() {
    CliRun run{-1, ""};
    if (pipe_ == nullptr) return run;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe_)) > 0) run.output.append(buf, n);
    const int status = pclose(pipe_);
    pipe_ = nullptr;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
  }

 private:
  FILE* pipe_ = nullptr;
};

// `watch` against a gateway that reads every 20 ms.
class CliWatchTest : public CliTest {
 protected:
  static GatewayHarness::Options Options() {
    GatewayHarness::Options o;
    o.watch.set_min_poll_interval_ms(20);
    o.watch.set_max_poll_interval_ms(20);
    o.watch.set_disable_event_stream(true);
    return o;
  }
  CliWatchTest() : CliTest(Options()) {}

  std::string AddRun(int failed_attempts) {
    polos::NewExecution n;
    n.workflow_id = "ingest";
    n.scenario.failed_attempts = failed_attempts;
    n.scenario.max_attempts = 3;
    return absl::StrCat("backends/px/executions/", h_.polos().AddExecution(n));
  }
  // A run that stays RUNNING for `running_for` of simulated time.
  std::string AddLongRun(absl::Duration running_for) {
    polos::NewExecution n;
    n.workflow_id = "ingest";
    n.scenario.running_for = running_for;
    return absl::StrCat("backends/px/executions/", h_.polos().AddExecution(n));
  }
};

TEST_F(CliWatchTest, PrintsALinePerChangeAndExitsWithTheFinalStatesCode) {
  const std::string name = AddRun(0);
  CliWatchProcess watch(h_.port(), absl::StrCat("watch ", name));
  // The first line is the state before the clock moves (however long the
  // CLI takes to start: under ASan, longer than one step of the clock).
  const std::optional<std::string> first = watch.NextLine();
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(*first, HasSubstr("QUEUED (queued)"));
  // Then the run advances on the simulated clock while the CLI watches.
  std::atomic<bool> stop{false};
  std::thread clock([&] {
    for (int i = 0; i < 200 && !stop; ++i) {
      absl::SleepFor(absl::Milliseconds(60));
      h_.clock().Advance(absl::Milliseconds(250));
    }
  });
  CliRun run = watch.Finish();
  stop = true;
  clock.join();
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const std::vector<std::string> lines = absl::StrSplit(run.output, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 1u) << run.output;
  EXPECT_THAT(lines.back(), HasSubstr("SUCCEEDED (completed)"));
  EXPECT_THAT(run.output, HasSubstr("RUNNING (running)"));
}

TEST_F(CliWatchTest, AFailedRunExitsThreeAndJsonPrintsOneMessagePerLine) {
  const std::string name = AddRun(3);
  h_.clock().Advance(absl::Minutes(5));  // all three attempts failed
  CliRun text = Cli(absl::StrCat("watch ", name));
  EXPECT_EQ(text.exit_code, 3) << text.output;
  EXPECT_THAT(text.output, HasSubstr("FAILED (failed)"));
  EXPECT_THAT(text.output, HasSubstr("error: "));

  CliRun json = Cli(absl::StrCat("--json watch ", name));
  EXPECT_EQ(json.exit_code, 3) << json.output;
  const std::vector<std::string> lines = absl::StrSplit(json.output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u) << json.output;
  v1::WatchExecutionResponse message;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[0], &message).ok()) << lines[0];
  EXPECT_EQ(message.execution().state(), v1::Execution::STATE_FAILED);
  EXPECT_TRUE(message.has_confirm_time());
}

TEST_F(CliWatchTest, AStreamThatFailsExitsOneWithTheError) {
  CliRun run = Cli("watch backends/bx/jobs/etl/executions/exec-that-never-was");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("NOT_FOUND"));
  CliRun bad = Cli("watch backends/px/executions/x --heartbeat=2");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
}

TEST_F(CliWatchTest, UpstreamFailuresAreToldOnStderrWhenTheyStartAndWhenTheyEnd) {
  const std::string name = AddLongRun(absl::Hours(1));
  CliWatchProcess watch(h_.port(), absl::StrCat("watch ", name));
  const std::optional<std::string> first = watch.NextLine();
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(*first, HasSubstr("QUEUED (queued)"));
  http::ServerResponse down;
  down.status = 503;
  h_.polos().faults().Add("get", down, /*times=*/-1);
  const std::optional<std::string> failing = watch.NextLine();
  ASSERT_TRUE(failing.has_value());
  EXPECT_THAT(*failing, HasSubstr("execgw-cli: the upstream is failing since "));
  EXPECT_THAT(*failing, HasSubstr("; last confirmed "));
  h_.polos().faults().Clear();
  h_.clock().Advance(absl::Milliseconds(1200));  // claimed
  std::vector<std::string> after;
  while (after.size() < 2) {
    std::optional<std::string> line = watch.NextLine();
    ASSERT_TRUE(line.has_value()) << absl::StrJoin(after, "\n");
    after.push_back(*line);
  }
  // Told once, however many heartbeats carried the failure; then the change.
  EXPECT_EQ(after[0], "execgw-cli: the upstream answers again");
  EXPECT_THAT(after[1], HasSubstr("PENDING"));
  h_.clock().Advance(absl::Hours(2));  // it finishes
  const CliRun rest = watch.Finish();
  EXPECT_EQ(rest.exit_code, 0) << rest.output;
  EXPECT_THAT(rest.output, HasSubstr("SUCCEEDED (completed)"));
  EXPECT_THAT(rest.output, Not(HasSubstr("failing")));
}

TEST_F(CliWatchTest, AShutdownPrintsTheCommandToResumeWith) {
  const std::string name = AddLongRun(absl::Hours(1));
  CliWatchProcess watch(h_.port(), absl::StrCat("--json watch ", name));
  const std::optional<std::string> first = watch.NextLine();
  ASSERT_TRUE(first.has_value());
  v1::WatchExecutionResponse snapshot;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*first, &snapshot).ok()) << *first;
  ASSERT_FALSE(snapshot.execution().etag().empty());
  std::thread stop([&] { h_.server().Shutdown(absl::Seconds(2)); });
  const CliRun rest = watch.Finish();
  stop.join();
  EXPECT_EQ(rest.exit_code, 1) << rest.output;
  EXPECT_THAT(rest.output, HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(rest.output, HasSubstr("GATEWAY_SHUTTING_DOWN"));
  EXPECT_THAT(rest.output, HasSubstr(absl::StrCat("resume with: execgw-cli watch ", name,
                                                  " --etag=", snapshot.execution().etag())));
}

TEST_F(CliWatchTest, AResumeOfAFinishedExecutionExitsWithItsFinalStatesCode) {
  const std::string name = AddRun(3);
  h_.clock().Advance(absl::Minutes(5));  // all three attempts failed
  CliRun json = Cli(absl::StrCat("--json watch ", name));
  ASSERT_EQ(json.exit_code, 3) << json.output;
  v1::WatchExecutionResponse last;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(
          std::vector<std::string>(absl::StrSplit(json.output, '\n', absl::SkipEmpty())).back(),
          &last)
          .ok());
  // The stream does not repeat the final content; the exit code still says
  // how the execution ended.
  CliRun resumed = Cli(absl::StrCat("watch ", name, " --etag=", last.execution().etag()));
  EXPECT_EQ(resumed.exit_code, 3) << resumed.output;
  EXPECT_EQ(resumed.output, "execgw-cli: the execution had already ended: FAILED\n");
  // An etag the execution never had: the snapshot, as a new watch.
  CliRun outdated = Cli(absl::StrCat("watch ", name, " --etag=an-etag-of-long-ago"));
  EXPECT_EQ(outdated.exit_code, 3) << outdated.output;
  EXPECT_THAT(outdated.output, HasSubstr("FAILED (failed)"));
}

}  // namespace
}  // namespace execgw::testing

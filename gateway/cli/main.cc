// execgw-cli: a small client for the execgw gateway. See PrintHelp.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "adapters/resource_name.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "gateway/caller_auth.h"
#include "gateway/cli/execution_text.h"
#include "gateway/cli/flag_values.h"
#include "gateway/cli/status_text.h"
#include "gateway/cli/watch_text.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

// Durations are read as text so that a mistake gets a message that says
// what to write (ParseDurationFlag), not Abseil's bare "Illegal value".
ABSL_FLAG(std::string, server, "localhost:50051", "the gateway's address");
ABSL_FLAG(bool, json, false, "print results as proto3 JSON (keys sorted) instead of text");
ABSL_FLAG(std::string, timeout, "",
          "deadline of each call, with a unit: 30s, 500ms, 2m; unset: 30s (watch: none)");
// watch
ABSL_FLAG(std::string, etag, "", "watch: resume after the execution content with this etag");
ABSL_FLAG(std::string, heartbeat, "",
          "watch: ask for heartbeats this often when nothing changes (at least the server's)");
// list / tasks
ABSL_FLAG(int32_t, page_size, 0,
          "most items per page; 0: the server's default (20 executions, 50 tasks)");
ABSL_FLAG(std::string, page_token, "", "continue from the next_page_token an earlier page gave");
ABSL_FLAG(bool, all, false, "follow next_page_token to the end");
ABSL_FLAG(std::string, filter, "",
          "list: such as 'state = RUNNING AND create_time > \"2026-01-01T00:00:00Z\"'");
ABSL_FLAG(std::string, order_by, "",
          "list: 'create_time desc' (the default) or 'create_time asc' (Blaxel only)");
ABSL_FLAG(std::string, view, "",
          "list: basic (the default: name, state, create and end time, error) or full (each "
          "execution in full, as get prints it)");
// create
ABSL_FLAG(std::string, request_id, "",
          "makes retries safe: the same id answers the same execution");
ABSL_FLAG(std::string, input, "", "the run's input payload, any JSON value; required");
ABSL_FLAG(std::string, run_timeout, "", "the run's timeout, in whole seconds: 90s, 5m");
ABSL_FLAG(std::string, queue, "", "the queue to run in");
ABSL_FLAG(std::string, concurrency_key, "", "the concurrency key");
ABSL_FLAG(std::string, session_id, "", "the session id");
ABSL_FLAG(std::string, user_id, "", "the user id");
ABSL_FLAG(std::string, deployment_id, "", "the deployment id");
ABSL_FLAG(std::string, tasks, "", "a JSON array of per-task parameter objects");
ABSL_FLAG(std::vector<std::string>, env, {}, "environment overrides");
ABSL_FLAG(int32_t, memory_mb, 0, "memory override, in MB");
ABSL_FLAG(std::string, execution_id, "", "the execution id to use");
ABSL_FLAG(bool, reject_if_no_capacity, false, "fail at once instead of queueing");

namespace {

using execgw::v1::ExecutionService;

// How --help shows a flag: its name and what its value looks like (empty
// for a boolean).
struct FlagHelp {
  const char* name;
  const char* value;
};
struct FlagGroup {
  const char* title;
  std::vector<FlagHelp> flags;
};

const std::vector<FlagGroup>& FlagGroups() {
  static const auto* groups = new std::vector<FlagGroup>{
      {"flags of every command", {{"server", "HOST:PORT"}, {"json", ""}, {"timeout", "DURATION"}}},
      {"list and tasks",
       {{"page_size", "N"},
        {"page_token", "TOKEN"},
        {"all", ""},
        {"filter", "FILTER"},
        {"order_by", "ORDER"},
        {"view", "basic|full"}}},
      {"watch", {{"etag", "ETAG"}, {"heartbeat", "DURATION"}}},
      {"create, on either backend", {{"request_id", "ID"}}},
      {"create of a Polos workflow run: PARENT is backends/B/workflows/W, and --input is required",
       {{"input", "JSON"},
        {"run_timeout", "DURATION"},
        {"queue", "Q"},
        {"concurrency_key", "K"},
        {"session_id", "S"},
        {"user_id", "U"},
        {"deployment_id", "D"}}},
      {"create of a Blaxel job execution: PARENT is backends/B/jobs/J",
       {{"tasks", "JSON"},
        {"env", "K=V,..."},
        {"memory_mb", "N"},
        {"execution_id", "ID"},
        {"reject_if_no_capacity", ""}}},
  };
  return *groups;
}

constexpr char kHelpTop[] =
    "execgw-cli: a command-line client for the execgw gateway (execgw.v1.ExecutionService).\n"
    "\n"
    "usage: execgw-cli [--server=HOST:PORT] [--json] [--timeout=30s] COMMAND NAME [FLAGS]\n"
    "\n"
    "commands:\n"
    "  get NAME        print one execution\n"
    "  list PARENT     list executions, newest first, under a Blaxel job (backends/B/jobs/J),\n"
    "                  a Polos workflow (backends/B/workflows/W) or a whole Polos backend\n"
    "                  (backends/B)\n"
    "  tasks NAME      list a Blaxel execution's tasks, oldest first\n"
    "  create PARENT   start an execution:\n"
    "                    a Polos workflow run: PARENT backends/B/workflows/W, --input required\n"
    "                    a Blaxel job execution: PARENT backends/B/jobs/J\n"
    "  cancel NAME     cancel an execution\n"
    "  watch NAME      follow an execution live, one line per change, until it ends; the exit\n"
    "                  status is its final state's: 0 SUCCEEDED, 3 FAILED, 4 CANCELLED,\n"
    "                  5 TIMED_OUT (1 if the stream fails); --json prints every message\n"
    "                  (heartbeats too), one proto3 JSON object per line\n"
    "  hash-token      read a caller token on stdin and print the salted hash to put in the\n"
    "                  gateway's config (auth.tokens[].hash); the token is not printed\n"
    "  help            print this help\n"
    "\n"
    "NAME is backends/B/jobs/J/executions/E (Blaxel) or backends/B/executions/E (Polos).\n"
    "A gateway that authenticates callers gets the bearer token in $EXECGW_TOKEN.\n";

constexpr char kHelpBottom[] =
    "examples, against the demo (scripts/demo.sh):\n"
    "  execgw-cli get backends/demo-blaxel/jobs/data-processing-job/executions/exec-4d5e6f\n"
    "  execgw-cli --json get backends/demo-polos/executions/0d5c3b6e-7f1a-4e2b-9c3d-000000000003\n"
    "  execgw-cli list backends/demo-polos --filter='(state = FAILED OR state = SUCCEEDED)'\n"
    "  execgw-cli list backends/demo-blaxel/jobs/data-processing-job --view=full --all\n"
    "  execgw-cli tasks backends/demo-blaxel/jobs/data-processing-job/executions/exec-1a2b3c\n"
    "  execgw-cli create backends/demo-polos/workflows/summarize --input='{\"doc\":\"q3\"}' "
    "--request_id=try-1\n"
    "  execgw-cli create backends/demo-blaxel/jobs/data-processing-job --tasks='[{\"n\":1}]' "
    "--env=A=1,B=2\n"
    "  execgw-cli cancel backends/demo-polos/executions/0d5c3b6e-7f1a-4e2b-9c3d-000000000002\n"
    "  execgw-cli watch backends/demo-polos/executions/0d5c3b6e-7f1a-4e2b-9c3d-000000000002\n"
    "\n"
    "Results print as text, or as proto3 JSON with --json; either way the same execution always\n"
    "prints the same. Exit status: 0 on success; 1 when the call fails (the gRPC code and\n"
    "message are printed with the error's reason, metadata, retry delay and field violations);\n"
    "2 for a mistake on the command line.\n";

// One flag of the help: `--name=VALUE`, then its help and default, wrapped
// to fit 100 columns.
std::string FlagLine(const absl::CommandLineFlag& flag, absl::string_view value) {
  constexpr size_t kIndent = 31;
  constexpr size_t kWidth = 100;
  const std::string default_value = flag.DefaultValue();
  const bool shown = !default_value.empty() && default_value != "0" && default_value != "false";
  const std::string text =
      absl::StrCat(flag.Help(), shown ? absl::StrCat(" (default: ", default_value, ")") : "");
  std::string out =
      absl::StrFormat("%-30s", absl::StrCat("  --", flag.Name(), value.empty() ? "" : "=", value));
  size_t column = out.size();
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (column > kIndent && column + 1 + word.size() > kWidth) {
      absl::StrAppend(&out, "\n", std::string(kIndent - 1, ' '));
      column = kIndent - 1;
    }
    absl::StrAppend(&out, " ", word);
    column += 1 + word.size();
  }
  return absl::StrCat(out, "\n");
}

// The whole help: commands, every flag of this file with its default,
// examples. Flags missing from FlagGroups still appear, under "other".
std::string Help() {
  std::string out = kHelpTop;
  std::vector<std::string> grouped;
  for (const FlagGroup& group : FlagGroups()) {
    absl::StrAppend(&out, "\n", group.title, ":\n");
    for (const FlagHelp& f : group.flags) {
      const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(f.name);
      if (flag == nullptr) continue;
      absl::StrAppend(&out, FlagLine(*flag, f.value));
      grouped.push_back(f.name);
    }
  }
  std::vector<const absl::CommandLineFlag*> others;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->Filename() == __FILE__ &&
        std::find(grouped.begin(), grouped.end(), name) == grouped.end()) {
      others.push_back(flag);
    }
  }
  if (!others.empty()) {
    std::sort(others.begin(), others.end(),
              [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
    absl::StrAppend(&out, "\nother flags:\n");
    for (const auto* flag : others) absl::StrAppend(&out, FlagLine(*flag, "VALUE"));
  }
  absl::StrAppend(&out, "\n", kHelpBottom);
  return out;
}

bool IsHelpFlag(absl::string_view arg) {
  return arg == "-h" || arg == "--help" || arg == "-help" || arg == "--helpshort" ||
         arg == "-helpshort";
}

int Usage(absl::string_view problem) {
  std::cerr << "execgw-cli: " << problem << "\n";
  return 2;
}

int Failed(const grpc::Status& status) {
  std::cerr << execgw::cli::FormatStatus(status);
  return 1;
}

// A gateway with caller auth wants a bearer token: taken from the
// environment (EXECGW_TOKEN), never from the command line, where other
// users of the machine could read it.
void AddCredentials(grpc::ClientContext& context) {
  const char* token = std::getenv("EXECGW_TOKEN");
  if (token != nullptr && *token != '\0') {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }
}

struct Client {
  std::unique_ptr<ExecutionService::Stub> stub;
  absl::Duration timeout;

  std::unique_ptr<grpc::ClientContext> NewContext() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
    AddCredentials(*context);
    return context;
  }
};

int PrintExecution(const execgw::v1::Execution& execution) {
  std::cout << (absl::GetFlag(FLAGS_json) ? execgw::cli::MessageToJson(execution)
                                          : execgw::cli::FormatExecution(execution));
  return 0;
}

int Get(const Client& client, const std::string& name) {
  execgw::v1::GetExecutionRequest request;
  request.set_name(name);
  execgw::v1::Execution execution;
  grpc::Status status = client.stub->GetExecution(client.NewContext().get(), request, &execution);
  if (!status.ok()) return Failed(status);
  return PrintExecution(execution);
}

int Cancel(const Client& client, const std::string& name) {
  execgw::v1::CancelExecutionRequest request;
  request.set_name(name);
  execgw::v1::Execution execution;
  grpc::Status status =
      client.stub->CancelExecution(client.NewContext().get(), request, &execution);
  if (!status.ok()) return Failed(status);
  return PrintExecution(execution);
}

int List(const Client& client, const std::string& parent) {
  absl::StatusOr<execgw::v1::ExecutionView> view =
      execgw::cli::ParseViewFlag(absl::GetFlag(FLAGS_view));
  if (!view.ok()) return Usage(view.status().message());
  execgw::v1::ListExecutionsRequest request;
  request.set_parent(parent);
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  request.set_filter(absl::GetFlag(FLAGS_filter));
  request.set_order_by(absl::GetFlag(FLAGS_order_by));
  request.set_view(*view);
  bool first = true;
  do {
    execgw::v1::ListExecutionsResponse response;
    grpc::Status status =
        client.stub->ListExecutions(client.NewContext().get(), request, &response);
    if (!status.ok()) return Failed(status);
    if (absl::GetFlag(FLAGS_json)) {
      std::cout << execgw::cli::MessageToJson(response);
    } else {
      for (const auto& e : response.executions()) {
        if (*view == execgw::v1::EXECUTION_VIEW_FULL) {
          std::cout << (first ? "" : "\n") << execgw::cli::FormatExecution(e);
        } else {
          std::cout << execgw::cli::FormatSummary(e);
        }
        first = false;
      }
      if (response.total_size() >= 0 && request.page_token().empty()) {
        std::cout << "(" << response.total_size() << " in all)\n";
      }
      if (!response.next_page_token().empty() && !absl::GetFlag(FLAGS_all)) {
        std::cout << "next page: --page_token=" << response.next_page_token() << "\n";
      }
    }
    request.set_page_token(response.next_page_token());
  } while (absl::GetFlag(FLAGS_all) && !request.page_token().empty());
  return 0;
}

int Tasks(const Client& client, const std::string& name) {
  execgw::v1::ListExecutionTasksRequest request;
  request.set_parent(name);
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  do {
    execgw::v1::ListExecutionTasksResponse response;
    grpc::Status status =
        client.stub->ListExecutionTasks(client.NewContext().get(), request, &response);
    if (!status.ok()) return Failed(status);
    if (absl::GetFlag(FLAGS_json)) {
      std::cout << execgw::cli::MessageToJson(response);
    } else {
      for (const auto& t : response.tasks()) std::cout << execgw::cli::FormatTask(t);
      if (!response.next_page_token().empty() && !absl::GetFlag(FLAGS_all)) {
        std::cout << "next page: --page_token=" << response.next_page_token() << "\n";
      }
    }
    request.set_page_token(response.next_page_token());
  } while (absl::GetFlag(FLAGS_all) && !request.page_token().empty());
  return 0;
}

// The create flags of one backend kind that this command line sets.
std::vector<std::string> PolosCreateFlags() {
  std::vector<std::string> given;
  for (const auto& [name, value] :
       {std::pair<const char*, std::string>{"input", absl::GetFlag(FLAGS_input)},
        {"run_timeout", absl::GetFlag(FLAGS_run_timeout)},
        {"queue", absl::GetFlag(FLAGS_queue)},
        {"concurrency_key", absl::GetFlag(FLAGS_concurrency_key)},
        {"session_id", absl::GetFlag(FLAGS_session_id)},
        {"user_id", absl::GetFlag(FLAGS_user_id)},
        {"deployment_id", absl::GetFlag(FLAGS_deployment_id)}}) {
    if (!value.empty()) given.push_back(absl::StrCat("--", name));
  }
  return given;
}

std::vector<std::string> BlaxelCreateFlags() {
  std::vector<std::string> given;
  if (!absl::GetFlag(FLAGS_tasks).empty()) given.push_back("--tasks");
  if (!absl::GetFlag(FLAGS_env).empty()) given.push_back("--env");
  if (absl::GetFlag(FLAGS_memory_mb) != 0) given.push_back("--memory_mb");
  if (!absl::GetFlag(FLAGS_execution_id).empty()) given.push_back("--execution_id");
  if (absl::GetFlag(FLAGS_reject_if_no_capacity)) given.push_back("--reject_if_no_capacity");
  return given;
}

// What a create needs from the command line, by the parent's form: a
// workflow (Polos) takes --input and the Polos flags, a job (Blaxel) the
// Blaxel flags. A parent that does not parse is left to the server, whose
// error names the problem exactly.
absl::Status CheckCreateFlags(absl::string_view parent_text) {
  absl::StatusOr<execgw::ParentName> parent = execgw::ParseParentName(parent_text);
  if (!parent.ok()) return absl::OkStatus();
  if (!parent->workflow.empty()) {
    if (std::vector<std::string> blaxel = BlaxelCreateFlags(); !blaxel.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "create: ", absl::StrJoin(blaxel, ", "),
          blaxel.size() == 1 ? " is a Blaxel option: it needs" : " are Blaxel options: they need",
          " a job parent, backends/B/jobs/J"));
    }
    if (absl::GetFlag(FLAGS_input).empty()) {
      return absl::InvalidArgumentError(
          "create: a Polos workflow run needs --input='<json>', its input payload (any JSON "
          "value, such as '{}')");
    }
    return absl::OkStatus();
  }
  if (!parent->job.empty()) {
    if (std::vector<std::string> polos = PolosCreateFlags(); !polos.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "create: ", absl::StrJoin(polos, ", "),
          polos.size() == 1 ? " is a Polos option: it needs" : " are Polos options: they need",
          " a workflow parent, backends/B/workflows/W"));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "create: PARENT must be a Polos workflow, backends/B/workflows/W (with --input), or a "
      "Blaxel job, backends/B/jobs/J");
}

int Create(const Client& client, const std::string& parent) {
  if (absl::Status s = CheckCreateFlags(parent); !s.ok()) return Usage(s.message());
  execgw::v1::CreateExecutionRequest request;
  request.set_parent(parent);
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  if (const std::string input = absl::GetFlag(FLAGS_input); !input.empty()) {
    if (!google::protobuf::util::JsonStringToMessage(input, request.mutable_input()).ok()) {
      return Usage("--input: not valid JSON");
    }
  }
  if (const std::string tasks = absl::GetFlag(FLAGS_tasks); !tasks.empty()) {
    google::protobuf::ListValue list;
    if (!google::protobuf::util::JsonStringToMessage(tasks, &list).ok()) {
      return Usage("--tasks: expected a JSON array of objects");
    }
    for (const auto& v : list.values()) {
      if (!v.has_struct_value()) return Usage("--tasks: every item must be a JSON object");
      *request.add_task_parameters() = v.struct_value();
    }
  }
  for (const std::string& kv : absl::GetFlag(FLAGS_env)) {
    std::pair<std::string, std::string> split = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (split.first.empty() || kv.find('=') == std::string::npos) {
      return Usage(absl::StrCat("--env: expected KEY=VALUE, got \"", kv, "\""));
    }
    (*request.mutable_env())[split.first] = split.second;
  }
  request.set_memory_mb(absl::GetFlag(FLAGS_memory_mb));
  request.set_execution_id(absl::GetFlag(FLAGS_execution_id));
  request.set_reject_if_no_capacity(absl::GetFlag(FLAGS_reject_if_no_capacity));
  if (const std::string text = absl::GetFlag(FLAGS_run_timeout); !text.empty()) {
    absl::StatusOr<absl::Duration> t = execgw::cli::ParseDurationFlag("run_timeout", text);
    if (!t.ok()) return Usage(t.status().message());
    // The API carries whole seconds; a fraction would be cut silently.
    if (*t % absl::Seconds(1) != absl::ZeroDuration()) {
      return Usage(absl::StrCat("--run_timeout: \"", text, "\" must be whole seconds"));
    }
    request.mutable_timeout()->set_seconds(absl::ToInt64Seconds(*t));
  }
  request.set_queue(absl::GetFlag(FLAGS_queue));
  request.set_concurrency_key(absl::GetFlag(FLAGS_concurrency_key));
  request.set_session_id(absl::GetFlag(FLAGS_session_id));
  request.set_user_id(absl::GetFlag(FLAGS_user_id));
  request.set_deployment_id(absl::GetFlag(FLAGS_deployment_id));
  execgw::v1::Execution execution;
  grpc::Status status =
      client.stub->CreateExecution(client.NewContext().get(), request, &execution);
  if (!status.ok()) return Failed(status);
  return PrintExecution(execution);
}

int Watch(const std::string& server, const std::string& name, bool timeout_given,
          absl::Duration timeout) {
  auto stub =
      ExecutionService::NewStub(grpc::CreateChannel(server, grpc::InsecureChannelCredentials()));
  execgw::v1::WatchExecutionRequest request;
  request.set_name(name);
  request.set_etag(absl::GetFlag(FLAGS_etag));
  if (const std::string text = absl::GetFlag(FLAGS_heartbeat); !text.empty()) {
    absl::StatusOr<absl::Duration> d = execgw::cli::ParseDurationFlag("heartbeat", text);
    if (!d.ok()) return Usage(d.status().message());
    absl::Duration rest;
    const int64_t seconds = absl::IDivDuration(*d, absl::Seconds(1), &rest);
    request.mutable_heartbeat_interval()->set_seconds(seconds);
    request.mutable_heartbeat_interval()->set_nanos(
        static_cast<int32_t>(absl::ToInt64Nanoseconds(rest)));
  }
  grpc::ClientContext context;
  AddCredentials(context);
  // A watch lasts as long as its execution: no deadline unless asked.
  if (timeout_given) {
    context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  }
  auto reader = stub->WatchExecution(&context, request);
  execgw::cli::WatchPrinter printer;
  const bool json = absl::GetFlag(FLAGS_json);
  execgw::v1::WatchExecutionResponse message;
  while (reader->Read(&message)) {
    if (json) {
      printer.Take(message);
      std::cout << execgw::cli::MessageToJsonLine(message) << std::flush;
      continue;
    }
    execgw::cli::WatchPrinter::Output o = printer.Take(message);
    // The upstream's notice first: it says how current the line after it is.
    std::cerr << o.err;
    std::cout << o.out << std::flush;
  }
  const grpc::Status status = reader->Finish();
  if (status.ok() && !printer.finished() && !request.etag().empty()) {
    // A resume of an execution that had already ended with that etag: the
    // stream ends OK without repeating it; its final state gives the exit
    // code.
    grpc::ClientContext get_context;
    AddCredentials(get_context);
    get_context.set_deadline(std::chrono::system_clock::now() +
                             absl::ToChronoMilliseconds(timeout));
    execgw::v1::GetExecutionRequest get;
    get.set_name(name);
    execgw::v1::Execution execution;
    if (stub->GetExecution(&get_context, get, &execution).ok()) {
      std::cerr << printer.TakeFinishedBeforeResume(execution, request.etag());
    }
  }
  if (!status.ok()) {
    std::cerr << execgw::cli::FormatStatus(status) << execgw::cli::ResumeHint(name, status);
  } else if (!printer.finished()) {
    std::cerr << "execgw-cli: the stream ended before the execution did\n";
  }
  return printer.ExitCode(status);
}

}  // namespace

int main(int argc, char** argv) {
  // Abseil's own --help lists flags by source file and points to
  // --helpfull; this one explains the commands too.
  for (int i = 1; i < argc; ++i) {
    if (IsHelpFlag(argv[i])) {
      std::cout << Help();
      return 0;
    }
  }
  absl::SetProgramUsageMessage("a client for the execgw gateway; execgw-cli --help explains it");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) {
    std::cerr << "execgw-cli: no command given\n\n" << Help();
    return 2;
  }
  const std::string command = args[1];
  if (command == "help") {
    std::cout << Help();
    return 0;
  }
  if (command == "hash-token") {
    std::string token;
    std::getline(std::cin, token);
    if (token.size() < execgw::gateway::kMinTokenLength) {
      std::cerr << "execgw-cli: hash-token: the token on stdin is shorter than "
                << execgw::gateway::kMinTokenLength << " characters\n";
      return 2;
    }
    std::cout << execgw::gateway::HashToken(token) << "\n";
    return 0;
  }
  if (command != "get" && command != "list" && command != "tasks" && command != "create" &&
      command != "cancel" && command != "watch") {
    return Usage(
        absl::StrCat("unknown command \"", execgw::BoundedEcho(command, 40),
                     "\" (commands: get, list, tasks, create, cancel, watch, hash-token, help; "
                     "execgw-cli --help explains them)"));
  }
  if (args.size() != 3) {
    return Usage(absl::StrCat(command, ": expected exactly one ",
                              command == "list" || command == "create" ? "PARENT" : "NAME",
                              " argument (execgw-cli --help)"));
  }
  const bool timeout_given = !absl::GetFlag(FLAGS_timeout).empty();
  absl::StatusOr<absl::Duration> timeout =
      timeout_given ? execgw::cli::ParseDurationFlag("timeout", absl::GetFlag(FLAGS_timeout))
                    : absl::StatusOr<absl::Duration>(absl::Seconds(30));
  if (!timeout.ok()) return Usage(timeout.status().message());
  if (command == "watch") {
    return Watch(absl::GetFlag(FLAGS_server), args[2], timeout_given, *timeout);
  }
  Client client{ExecutionService::NewStub(grpc::CreateChannel(absl::GetFlag(FLAGS_server),
                                                              grpc::InsecureChannelCredentials())),
                *timeout};
  if (command == "get") return Get(client, args[2]);
  if (command == "list") return List(client, args[2]);
  if (command == "tasks") return Tasks(client, args[2]);
  if (command == "create") return Create(client, args[2]);
  return Cancel(client, args[2]);
}

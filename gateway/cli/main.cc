// execgw-cli: a small client for the execgw gateway. See kUsage.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "gateway/cli/execution_text.h"
#include "gateway/cli/status_text.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(std::string, server, "localhost:50051", "The gateway's address, host:port.");
ABSL_FLAG(bool, json, false, "Print results as proto3 JSON instead of text.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30), "Deadline for each call.");
// list / tasks
ABSL_FLAG(int32_t, page_size, 0, "list, tasks: most items per page (0: the server's default).");
ABSL_FLAG(std::string, page_token, "", "list, tasks: continue from this next_page_token.");
ABSL_FLAG(std::string, filter, "",
          "list: e.g. 'state = STATE_RUNNING AND create_time > \"2026-01-01T00:00:00Z\"'.");
ABSL_FLAG(std::string, order_by, "", "list: 'create_time desc' (default) or 'create_time asc'.");
ABSL_FLAG(bool, all, false, "list, tasks: follow next_page_token to the end.");
// create
ABSL_FLAG(std::string, request_id, "", "create: makes retries safe (same id, same run).");
ABSL_FLAG(std::string, input, "", "create (Polos): the input payload, any JSON value.");
ABSL_FLAG(std::string, tasks, "", "create (Blaxel): JSON array of per-task parameter objects.");
ABSL_FLAG(std::vector<std::string>, env, {}, "create (Blaxel): KEY=VALUE,... env overrides.");
ABSL_FLAG(int32_t, memory_mb, 0, "create (Blaxel): memory override in MB.");
ABSL_FLAG(std::string, execution_id, "", "create (Blaxel): the execution id to use.");
ABSL_FLAG(bool, reject_if_no_capacity, false, "create (Blaxel): fail instead of queueing.");
ABSL_FLAG(absl::Duration, run_timeout, absl::ZeroDuration(), "create (Polos): run timeout.");
ABSL_FLAG(std::string, queue, "", "create (Polos): queue name.");
ABSL_FLAG(std::string, concurrency_key, "", "create (Polos): concurrency key.");
ABSL_FLAG(std::string, session_id, "", "create (Polos): session id.");
ABSL_FLAG(std::string, user_id, "", "create (Polos): user id.");
ABSL_FLAG(std::string, deployment_id, "", "create (Polos): deployment id.");

namespace {

using execgw::v1::ExecutionService;

constexpr char kUsage[] =
    "a client for the execgw gateway.\n\n"
    "usage: execgw-cli [--server=HOST:PORT] [--json] [--timeout=30s] COMMAND ARGS [FLAGS]\n\n"
    "commands:\n"
    "  get NAME        print one execution\n"
    "  list PARENT     list executions under backends/B/jobs/J, backends/B/workflows/W or\n"
    "                  backends/B  [--page_size --page_token --filter --order_by --all]\n"
    "  tasks NAME      list an execution's tasks  [--page_size --page_token --all]\n"
    "  create PARENT   start an execution of a job or workflow  [--request_id --input\n"
    "                  --tasks --env --memory_mb --execution_id --reject_if_no_capacity\n"
    "                  --run_timeout --queue --concurrency_key --session_id --user_id\n"
    "                  --deployment_id]\n"
    "  cancel NAME     cancel an execution\n\n"
    "example:\n"
    "  execgw-cli get backends/demo-blaxel/jobs/data-processing-job/executions/exec-1a2b3c\n";

std::unique_ptr<grpc::ClientContext> NewContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
  return context;
}

int Failed(const grpc::Status& status) {
  std::cerr << execgw::cli::FormatStatus(status);
  return 1;
}

int Usage(absl::string_view problem) {
  std::cerr << "execgw-cli: " << problem << "\n";
  return 2;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

int PrintExecution(const execgw::v1::Execution& execution) {
  std::cout << (absl::GetFlag(FLAGS_json) ? ToJson(execution)
                                          : execgw::cli::FormatExecution(execution));
  return 0;
}

int Get(ExecutionService::Stub& stub, const std::string& name) {
  execgw::v1::GetExecutionRequest request;
  request.set_name(name);
  execgw::v1::Execution execution;
  grpc::Status status = stub.GetExecution(NewContext().get(), request, &execution);
  if (!status.ok()) return Failed(status);
  return PrintExecution(execution);
}

int Cancel(ExecutionService::Stub& stub, const std::string& name) {
  execgw::v1::CancelExecutionRequest request;
  request.set_name(name);
  execgw::v1::Execution execution;
  grpc::Status status = stub.CancelExecution(NewContext().get(), request, &execution);
  if (!status.ok()) return Failed(status);
  return PrintExecution(execution);
}

int List(ExecutionService::Stub& stub, const std::string& parent) {
  execgw::v1::ListExecutionsRequest request;
  request.set_parent(parent);
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  request.set_filter(absl::GetFlag(FLAGS_filter));
  request.set_order_by(absl::GetFlag(FLAGS_order_by));
  do {
    execgw::v1::ListExecutionsResponse response;
    grpc::Status status = stub.ListExecutions(NewContext().get(), request, &response);
    if (!status.ok()) return Failed(status);
    if (absl::GetFlag(FLAGS_json)) {
      std::cout << ToJson(response);
    } else {
      for (const auto& e : response.executions()) std::cout << execgw::cli::FormatSummary(e);
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

int Tasks(ExecutionService::Stub& stub, const std::string& name) {
  execgw::v1::ListExecutionTasksRequest request;
  request.set_parent(name);
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  do {
    execgw::v1::ListExecutionTasksResponse response;
    grpc::Status status = stub.ListExecutionTasks(NewContext().get(), request, &response);
    if (!status.ok()) return Failed(status);
    if (absl::GetFlag(FLAGS_json)) {
      std::cout << ToJson(response);
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

int Create(ExecutionService::Stub& stub, const std::string& parent) {
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
  if (const absl::Duration t = absl::GetFlag(FLAGS_run_timeout); t > absl::ZeroDuration()) {
    request.mutable_timeout()->set_seconds(absl::ToInt64Seconds(t));
  }
  request.set_queue(absl::GetFlag(FLAGS_queue));
  request.set_concurrency_key(absl::GetFlag(FLAGS_concurrency_key));
  request.set_session_id(absl::GetFlag(FLAGS_session_id));
  request.set_user_id(absl::GetFlag(FLAGS_user_id));
  request.set_deployment_id(absl::GetFlag(FLAGS_deployment_id));
  execgw::v1::Execution execution;
  grpc::Status status = stub.CreateExecution(NewContext().get(), request, &execution);
  if (!status.ok()) return Failed(status);
  return PrintExecution(execution);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) {
    std::cerr << "execgw-cli: " << kUsage;
    return 2;
  }
  const std::string command = args[1];
  if (args.size() != 3) {
    return Usage(absl::StrCat(command, ": expected exactly one name argument"));
  }
  auto channel =
      grpc::CreateChannel(absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials());
  auto stub = ExecutionService::NewStub(channel);
  if (command == "get") return Get(*stub, args[2]);
  if (command == "list") return List(*stub, args[2]);
  if (command == "tasks") return Tasks(*stub, args[2]);
  if (command == "create") return Create(*stub, args[2]);
  if (command == "cancel") return Cancel(*stub, args[2]);
  std::cerr << "execgw-cli: unknown command \"" << command << "\"\n\n" << kUsage;
  return 2;
}

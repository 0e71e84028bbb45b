// execgw-cli: a small client for the execgw gateway.
//
//   execgw-cli [--server=HOST:PORT] [--json] [--timeout=10s] get NAME
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "gateway/cli/execution_text.h"
#include "gateway/cli/status_text.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(std::string, server, "localhost:50051", "The gateway's address, host:port.");
ABSL_FLAG(bool, json, false, "Print results as proto3 JSON instead of text.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline for each call.");

namespace {

constexpr char kUsage[] =
    "a client for the execgw gateway.\n\n"
    "usage: execgw-cli [--server=HOST:PORT] [--json] [--timeout=10s] COMMAND ARGS\n\n"
    "commands:\n"
    "  get NAME   print one execution, e.g.\n"
    "             execgw-cli get backends/demo-blaxel/jobs/nightly-etl/executions/exec-1\n";

int Get(execgw::v1::ExecutionService::Stub& stub, const std::string& name) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
  execgw::v1::GetExecutionRequest request;
  request.set_name(name);
  execgw::v1::Execution execution;
  grpc::Status status = stub.GetExecution(&context, request, &execution);
  if (!status.ok()) {
    std::cerr << execgw::cli::FormatStatus(status);
    return 1;
  }
  std::cout << (absl::GetFlag(FLAGS_json) ? execgw::cli::ExecutionToJson(execution)
                                          : execgw::cli::FormatExecution(execution));
  return 0;
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
  auto channel =
      grpc::CreateChannel(absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials());
  auto stub = execgw::v1::ExecutionService::NewStub(channel);
  if (command == "get") {
    if (args.size() != 3) {
      std::cerr << "execgw-cli get: expected exactly one execution name\n";
      return 2;
    }
    return Get(*stub, args[2]);
  }
  std::cerr << "execgw-cli: unknown command \"" << command << "\"\n\n" << kUsage;
  return 2;
}

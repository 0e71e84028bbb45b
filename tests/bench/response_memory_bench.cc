// What one GetExecution of a large upstream body costs the gateway's memory:
// its peak RSS during the call and what stays afterwards. A measurement, not
// a timed benchmark. The gateway runs in a child process of its own (this
// program started again with --gateway), so that neither the upstream
// simulator's copy of the body nor the client's counts; the parent serves
// the body from a Polos simulator, calls the gateway over gRPC and reads the
// child's VmHWM and VmRSS from /proc.
//
//   response_memory_bench [--body_mb=60] [--max_response_bytes=0 (the default)]
//
// Prints one line per case: the body size, the limit, whether the call
// succeeded, RSS before, peak and after (MiB).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "adapters/http/curl_http_client.h"
#include "execgw/config/v1/config.pb.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "gateway/gateway_server.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "sim/polos/simulator.h"

extern char** environ;

ABSL_FLAG(bool, gateway, false, "Internal: run the gateway (the child process).");
ABSL_FLAG(std::string, upstream, "", "Internal: the Polos simulator's base URL.");
ABSL_FLAG(std::string, project, "", "Internal: the Polos project id.");
ABSL_FLAG(std::vector<std::string>, body_mb, std::vector<std::string>({"8", "60"}),
          "Sizes of the upstream string to serve, in MB (10^6 bytes); one case each. "
          "\"limit\" means exactly the limit's worth of JSON.");
ABSL_FLAG(int64_t, max_response_bytes, 0,
          "The backend's maxResponseBytes (0: the gateway's default).");

namespace execgw {
namespace {

constexpr char kKeyEnv[] = "EXECGW_MEMORY_BENCH_POLOS_KEY";
constexpr char kSmallId[] = "0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a10";
constexpr char kBigId[] = "0b5c7a2e-1f1d-4c39-9a57-3d2f7f7e1a11";

int RunGateway() {
  // As main() does.
  http::ReturnLargeBuffersToTheSystem();
  config::v1::GatewayConfig config;
  config::v1::Backend* b = config.add_backends();
  b->set_name("px");
  b->mutable_polos()->set_base_url(absl::GetFlag(FLAGS_upstream));
  b->mutable_polos()->set_project_id(absl::GetFlag(FLAGS_project));
  b->mutable_polos()->mutable_api_key()->set_env(kKeyEnv);
  if (absl::GetFlag(FLAGS_max_response_bytes) > 0) {
    b->set_max_response_bytes(static_cast<int32_t>(absl::GetFlag(FLAGS_max_response_bytes)));
  }
  auto server = gateway::GatewayServer::Start(config, "127.0.0.1:0");
  if (!server.ok()) {
    std::cerr << server.status() << "\n";
    return 1;
  }
  std::cout << (*server)->port() << std::endl;
  // Serve until the parent closes our stdin.
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return 0;
}

// A kB figure from /proc/PID/status ("VmRSS:   1234 kB").
double StatusMiB(pid_t pid, const std::string& key) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    int64_t kb = 0;
    std::string digits;
    for (char ch : line) {
      if (ch >= '0' && ch <= '9') digits += ch;
    }
    if (absl::SimpleAtoi(digits, &kb)) return kb / 1024.0;
  }
  return -1;
}

// A Polos execution document whose payload is one string of `n` bytes.
std::string ExecutionJson(const std::string& id, size_t n) {
  return absl::StrCat(R"({"id":")", id,
                      R"(","workflow_id":"bench","status":"completed",)"
                      R"("created_at":"2026-01-01T00:00:00.000000+00:00","retry_count":0,)"
                      R"("payload":{"blob":")",
                      std::string(n, 'x'), R"("}})");
}

struct Child {
  pid_t pid = 0;
  int to_child = -1;
  int port = 0;
};

Child SpawnGateway(const polos::PolosSimulator& polos) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) std::abort();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, in[1]);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<std::string> args = {
      "response_memory_bench", "--gateway", absl::StrCat("--upstream=", polos.base_url()),
      absl::StrCat("--project=", polos.project_id()),
      absl::StrCat("--max_response_bytes=", absl::GetFlag(FLAGS_max_response_bytes))};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Child child;
  if (posix_spawn(&child.pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ) != 0) {
    std::abort();
  }
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  child.to_child = in[1];
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);
  if (!absl::SimpleAtoi(line, &child.port)) std::abort();
  return child;
}

grpc::Status Get(v1::ExecutionService::Stub& stub, const std::string& id) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  v1::GetExecutionRequest request;
  request.set_name(absl::StrCat("backends/px/executions/", id));
  v1::Execution e;
  return stub.GetExecution(&context, request, &e);
}

int RunCases() {
  auto polos = *polos::PolosSimulator::Start();
  setenv(kKeyEnv, polos->api_key().c_str(), 1);
  polos->PutRaw(kSmallId, ExecutionJson(kSmallId, 100));
  const int64_t limit = absl::GetFlag(FLAGS_max_response_bytes) > 0
                            ? absl::GetFlag(FLAGS_max_response_bytes)
                            : 8 << 20;
  std::printf("%-10s %-12s %-24s %10s %10s %10s\n", "body", "limit", "answer", "before", "peak",
              "after");
  for (const std::string& size : absl::GetFlag(FLAGS_body_mb)) {
    size_t n = 0;
    if (size == "limit") {
      n = static_cast<size_t>(limit) - ExecutionJson(kBigId, 0).size();
    } else {
      double mb = 0;
      if (!absl::SimpleAtod(size, &mb)) return 2;
      n = static_cast<size_t>(mb * 1e6);
    }
    polos->PutRaw(kBigId, ExecutionJson(kBigId, n));
    Child child = SpawnGateway(*polos);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    auto stub = v1::ExecutionService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", child.port), grpc::InsecureChannelCredentials(), args));
    // Warm up: connections, threads and the first allocations.
    for (int i = 0; i < 3; ++i) Get(*stub, kSmallId);
    absl::SleepFor(absl::Milliseconds(300));
    const double before = StatusMiB(child.pid, "VmRSS");
    grpc::Status s = Get(*stub, kBigId);
    absl::SleepFor(absl::Seconds(1));
    // A few small calls after: memory the allocator keeps stays.
    for (int i = 0; i < 3; ++i) Get(*stub, kSmallId);
    absl::SleepFor(absl::Milliseconds(300));
    const double peak = StatusMiB(child.pid, "VmHWM");
    const double after = StatusMiB(child.pid, "VmRSS");
    const std::string body = absl::StrFormat("%.1fMB", (n + ExecutionJson(kBigId, 0).size()) / 1e6);
    const std::string limit_text =
        absl::GetFlag(FLAGS_max_response_bytes) > 0 ? absl::StrCat(limit) : "default";
    const std::string answer = s.ok() ? "OK" : absl::StrCat("code ", s.error_code());
    std::printf("%-10s %-12s %-24s %10.1f %10.1f %10.1f\n", body.c_str(), limit_text.c_str(),
                answer.c_str(), before, peak, after);
    std::fflush(stdout);
    stub.reset();
    close(child.to_child);
    int status = 0;
    waitpid(child.pid, &status, 0);
  }
  return 0;
}

}  // namespace
}  // namespace execgw

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_gateway)) return execgw::RunGateway();
  return execgw::RunCases();
}

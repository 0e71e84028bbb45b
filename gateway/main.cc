// execgw: the gRPC gateway for Blaxel job executions and Polos workflow
// executions. See README.md.
//
//   execgw --config=execgw.json [--listen=0.0.0.0:50051] [--workers=N]
//   execgw --demo               (embedded simulators, no config needed)
#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "adapters/http/curl_http_client.h"
#include "gateway/config.h"
#include "gateway/demo.h"
#include "gateway/gateway_server.h"

ABSL_FLAG(std::string, listen, "",
          "Address to serve gRPC on, host:port, overriding the config's server.listen (whose "
          "default is 0.0.0.0:50051).");
ABSL_FLAG(std::string, config, "", "Path of the config file (JSON; see README.md).");
ABSL_FLAG(int, workers, 0,
          "Worker threads, overriding the config's `workers` (0: as the config says, whose "
          "default is one per core).");
ABSL_FLAG(bool, check_config, false,
          "Load and check --config (every rule of config.proto; the secrets are not read), print "
          "what is wrong, naming the field, and exit: 0 when it is valid, 1 otherwise.");
ABSL_FLAG(std::string, admin_listen, "",
          "Address to serve the admin HTTP listener on (GET /metrics), host:port, overriding "
          "the config's admin.listen (empty: as the config says; none by default).");
ABSL_FLAG(std::string, log_level, "",
          "Least severe log lines written: debug, info, warn or error, overriding the config's "
          "log.level (empty: as the config says; info by default).");
ABSL_FLAG(bool, demo, false,
          "Start embedded Blaxel and Polos simulators with live demo data and serve them; "
          "--config is then not needed.");

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "execgw: " << status.message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the execgw gRPC gateway.\n\n  execgw --config=FILE [--listen=HOST:PORT]\n  execgw --demo "
      "[--listen=HOST:PORT]");
  absl::ParseCommandLine(argc, argv);
  execgw::http::ReturnLargeBuffersToTheSystem();
  // Debian's Abseil is built without NDEBUG, so every mutex would keep a
  // lock graph for deadlock detection (GraphCycles), a cost on every lock.
  // The tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // execgw-cli is built beside execgw: show a command that runs as printed.
  std::string cli = "execgw-cli";
  if (const std::string self = argv[0]; self.find('/') != std::string::npos) {
    cli = self.substr(0, self.rfind('/') + 1) + "execgw-cli";
  }

  // SIGINT/SIGTERM are taken by sigwait below, on the main thread, for a
  // graceful shutdown; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<execgw::gateway::DemoUpstreams> demo;
  execgw::config::v1::GatewayConfig config;
  if (absl::GetFlag(FLAGS_demo)) {
    auto started = execgw::gateway::DemoUpstreams::Start();
    if (!started.ok()) return Fail(started.status());
    demo = *std::move(started);
    config = demo->config();
  } else {
    if (absl::GetFlag(FLAGS_config).empty()) {
      return Fail(absl::InvalidArgumentError(
          "--config is required (or --demo for the embedded demo upstreams); see --help"));
    }
    auto loaded = execgw::gateway::LoadConfigFile(absl::GetFlag(FLAGS_config));
    if (!loaded.ok()) return Fail(loaded.status());
    config = *std::move(loaded);
    if (absl::GetFlag(FLAGS_check_config)) {
      // The secrets are not read: where they live may differ here.
      std::cout << "execgw: " << absl::GetFlag(FLAGS_config) << " is valid\n";
      return 0;
    }
  }
  if (absl::GetFlag(FLAGS_workers) != 0) config.set_workers(absl::GetFlag(FLAGS_workers));
  if (!absl::GetFlag(FLAGS_admin_listen).empty()) {
    config.mutable_admin()->set_listen(absl::GetFlag(FLAGS_admin_listen));
  }
  if (!absl::GetFlag(FLAGS_log_level).empty()) {
    config.mutable_log()->set_level(absl::GetFlag(FLAGS_log_level));
  }
  // The flags may have made the config invalid (a bad address or level).
  if (auto s = execgw::gateway::ValidateConfig(config); !s.ok()) return Fail(s);

  auto server = execgw::gateway::GatewayServer::Start(config, absl::GetFlag(FLAGS_listen));
  if (!server.ok()) return Fail(server.status());
  std::cout << "execgw: serving " << config.backends_size() << " backend(s) on port "
            << (*server)->port() << "\n";
  std::cout << "  " << (*server)->worker_count() << " worker(s)\n";
  if ((*server)->admin_port() != 0) {
    std::cout << "  metrics on port " << (*server)->admin_port() << " (GET /metrics)\n";
  }
  for (const auto& b : config.backends()) {
    std::cout << "  backend " << b.name() << " (" << (b.has_blaxel() ? "blaxel" : "polos") << ")\n";
  }
  if (demo) {
    std::cout << "\nDemo executions to try (they advance in real time):\n";
    for (const auto& s : demo->samples()) {
      std::cout << "  " << cli << " --server=localhost:" << (*server)->port() << " get " << s.name
                << "\n      " << s.description << "\n";
    }
    std::cout << "\nFollow one live until it ends (one line per change): " << cli
              << " --server=localhost:" << (*server)->port() << " watch NAME\n";
  }
  std::cout << std::flush;

  int signal = 0;
  sigwait(&signals, &signal);
  std::cout << "execgw: draining (health NOT_SERVING; watches end with their resume etag)\n"
            << std::flush;
  (*server)->Drain();
  std::cout << "execgw: stopped\n" << std::flush;
  return 0;
}

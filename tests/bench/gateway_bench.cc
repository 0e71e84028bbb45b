// What a GetExecution through the gateway costs compared with the direct
// HTTP GET to the same upstream simulator (the baseline: what a client
// polling the REST API pays), and what many waiting clients cost upstream
// with and without the gateway's shared reads. Run: build/tests/bench/gateway_bench
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/http/curl_http_client.h"
#include "benchmark/benchmark.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "gateway/gateway_server.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "sim/blaxel/simulator.h"
#include "sim/polos/simulator.h"

namespace execgw {
namespace {

struct World {
  World() {
    blaxel::BlaxelSimulatorOptions bo;
    blaxel = *blaxel::BlaxelSimulator::Start(bo);
    blaxel->PutExecution("etl", "exec-bench", blaxel::SimulatedScenario::kSucceed,
                         absl::Now() - absl::Hours(1), 5);
    polos::PolosSimulatorOptions po;
    polos = *polos::PolosSimulator::Start(po);
    setenv("EXECGW_BENCH_BLAXEL_KEY", blaxel->options().api_key.c_str(), 1);
    setenv("EXECGW_BENCH_POLOS_KEY", polos->api_key().c_str(), 1);
    config::v1::GatewayConfig config;
    auto* b = config.add_backends();
    b->set_name("bx");
    b->mutable_blaxel()->set_base_url(blaxel->base_url());
    b->mutable_blaxel()->set_workspace(blaxel->options().workspace);
    b->mutable_blaxel()->mutable_api_key()->set_env("EXECGW_BENCH_BLAXEL_KEY");
    auto* p = config.add_backends();
    p->set_name("px");
    p->mutable_polos()->set_base_url(polos->base_url());
    p->mutable_polos()->set_project_id(polos->project_id());
    p->mutable_polos()->mutable_api_key()->set_env("EXECGW_BENCH_POLOS_KEY");
    server = *gateway::GatewayServer::Start(config, "127.0.0.1:0");
    stub = v1::ExecutionService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server->port()), grpc::InsecureChannelCredentials()));
    http = http::NewCurlHttpClient();
  }
  std::unique_ptr<blaxel::BlaxelSimulator> blaxel;
  std::unique_ptr<polos::PolosSimulator> polos;
  std::unique_ptr<gateway::GatewayServer> server;
  std::unique_ptr<v1::ExecutionService::Stub> stub;
  std::unique_ptr<http::HttpClient> http;
};

World& TheWorld() {
  static World* world = new World();
  return *world;
}

// Baseline: one direct GET of the execution from the simulator, as a
// polling client does today (HTTP keep-alive, JSON body, no translation).
void BM_DirectUpstreamGet(benchmark::State& state) {
  World& w = TheWorld();
  for (auto _ : state) {
    std::atomic<bool> done{false};
    http::HttpRequest r;
    r.url = w.blaxel->base_url() + "/jobs/etl/executions/exec-bench";
    r.headers = {{"Authorization", "Bearer " + w.blaxel->options().api_key},
                 {"X-Blaxel-Workspace", w.blaxel->options().workspace},
                 {"Blaxel-Version", "2026-04-28"}};
    w.http->Send(r, [&](absl::StatusOr<http::HttpResponse> resp) {
      if (!resp.ok() || resp->status != 200) state.SkipWithError("direct GET failed");
      done = true;
    });
    while (!done) std::this_thread::yield();
  }
}
BENCHMARK(BM_DirectUpstreamGet)->UseRealTime();

// The same read through the gateway: gRPC in, HTTP out, translation back.
void BM_GatewayGet(benchmark::State& state) {
  World& w = TheWorld();
  v1::GetExecutionRequest request;
  request.set_name("backends/bx/jobs/etl/executions/exec-bench");
  for (auto _ : state) {
    grpc::ClientContext context;
    v1::Execution e;
    if (!w.stub->GetExecution(&context, request, &e).ok())
      state.SkipWithError("gateway GET failed");
  }
}
BENCHMARK(BM_GatewayGet)->UseRealTime();

// A gRPC round trip to the gateway that never reaches an upstream (the
// name is refused): the share of BM_GatewayGet that is gRPC itself.
void BM_GatewayRoundTripOnly(benchmark::State& state) {
  World& w = TheWorld();
  v1::GetExecutionRequest request;
  request.set_name("backends/bx/not-a-name");
  for (auto _ : state) {
    grpc::ClientContext context;
    v1::Execution e;
    if (w.stub->GetExecution(&context, request, &e).ok()) state.SkipWithError("unexpected OK");
  }
}
BENCHMARK(BM_GatewayRoundTripOnly)->UseRealTime();

// Many clients reading one execution at once: upstream requests per client
// read, reported as a counter (1.0 would mean no sharing).
void BM_GatewayGetManyClients(benchmark::State& state) {
  World& w = TheWorld();
  const int clients = static_cast<int>(state.range(0));
  const int before = w.blaxel->request_count("get");
  int64_t reads = 0;
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (int i = 0; i < clients; ++i) {
      threads.emplace_back([&] {
        grpc::ClientContext context;
        v1::GetExecutionRequest request;
        request.set_name("backends/bx/jobs/etl/executions/exec-bench");
        v1::Execution e;
        w.stub->GetExecution(&context, request, &e);
      });
    }
    for (auto& t : threads) t.join();
    reads += clients;
  }
  state.counters["upstream_requests_per_read"] =
      static_cast<double>(w.blaxel->request_count("get") - before) / static_cast<double>(reads);
}
BENCHMARK(BM_GatewayGetManyClients)->Arg(16)->Arg(64)->UseRealTime();

}  // namespace
}  // namespace execgw

BENCHMARK_MAIN();

#ifndef EXECGW_TESTS_INTEGRATION_GATEWAY_HARNESS_H_
#define EXECGW_TESTS_INTEGRATION_GATEWAY_HARNESS_H_

#include <memory>
#include <string>

#include "execgw/config/v1/config.pb.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "gateway/gateway_server.h"
#include "google/rpc/error_details.pb.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/status.h"
#include "sim/blaxel/simulator.h"
#include "sim/polos/simulator.h"
#include "tests/testing/grpc_error_details.h"  // ErrorDetails, DetailsOf
#include "tests/testing/simulated_event_loop.h"

namespace execgw::testing {

// The whole gateway, for real: a Blaxel and a Polos simulator on loopback
// (their lifecycles on simulated time), the execgw server configured for them through
// the ordinary config path (credentials in environment variables), and a
// gRPC stub on a real channel.
class GatewayHarness {
 public:
  static constexpr char kBlaxel[] = "bx";
  static constexpr char kPolos[] = "px";

  struct Options {
    bool seed = false;
    // Overrides for the credentials the gateway is given (empty: the
    // simulators' real keys).
    std::string blaxel_key_override;
    std::string polos_key_override;
    // Blaxel credentials: OAuth client credentials instead of an API key.
    bool blaxel_oauth = false;
    // The Blaxel-Version the gateway sends (empty: its default).
    std::string blaxel_api_version;
    // Applied to both backends (default: the gateway's defaults).
    config::v1::Resilience resilience;
    // Both backends' maxResponseBytes (0: the gateway's default).
    int max_response_bytes = 0;
    // Applied to both backends' `watch` (default: the gateway's defaults).
    config::v1::BackendWatch watch;
    // The gateway-wide watch settings and worker count (0: the defaults).
    config::v1::Watch watch_limits;
    int workers = 0;
    // The listener's settings (TLS, sizes, drain) and the probe listener.
    config::v1::Server server;
    config::v1::Health health;
    // Caller authentication (unset: none).
    config::v1::Auth auth;
    // The credentials of the harness's own channel (stub()).
    std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
    // Serve the admin listener (GET /metrics) on a free loopback port.
    bool admin = false;
  };

  explicit GatewayHarness(Options options);
  GatewayHarness() : GatewayHarness(Options{}) {}
  ~GatewayHarness();

  SimulatedEventLoop& clock() { return clock_; }
  blaxel::BlaxelSimulator& blaxel() { return *blaxel_; }
  polos::PolosSimulator& polos() { return *polos_; }
  v1::ExecutionService::Stub& stub() { return *stub_; }
  int port() const { return server_->port(); }
  gateway::GatewayServer& server() { return *server_; }
  const config::v1::GatewayConfig& config() const { return config_; }

  // Calls with a deadline `timeout` from now.
  grpc::Status Get(const std::string& name, v1::Execution* out,
                   absl::Duration timeout = absl::Seconds(10));

 private:
  SimulatedEventLoop clock_;
  std::unique_ptr<blaxel::BlaxelSimulator> blaxel_;
  std::unique_ptr<polos::PolosSimulator> polos_;
  config::v1::GatewayConfig config_;
  std::unique_ptr<gateway::GatewayServer> server_;
  std::unique_ptr<v1::ExecutionService::Stub> stub_;
};

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_INTEGRATION_GATEWAY_HARNESS_H_

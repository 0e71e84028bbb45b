#include "tests/integration/gateway_harness.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

namespace execgw::testing {

GatewayHarness::GatewayHarness(Options options) {
  blaxel::BlaxelSimulatorOptions bo;
  bo.clock = &clock_;
  bo.seed_demo_data = options.seed;
  auto bx = blaxel::BlaxelSimulator::Start(bo);
  EXPECT_TRUE(bx.ok()) << bx.status();
  blaxel_ = *std::move(bx);

  polos::PolosSimulatorOptions po;
  po.clock = &clock_;
  po.seed_demo_data = options.seed;
  auto px = polos::PolosSimulator::Start(po);
  EXPECT_TRUE(px.ok()) << px.status();
  polos_ = *std::move(px);

  // Credentials travel the way an operator gives them: environment
  // variables named in the config.
  setenv("EXECGW_IT_BLAXEL_KEY",
         (options.blaxel_key_override.empty() ? blaxel_->options().api_key
                                              : options.blaxel_key_override)
             .c_str(),
         1);
  setenv(
      "EXECGW_IT_POLOS_KEY",
      (options.polos_key_override.empty() ? polos_->api_key() : options.polos_key_override).c_str(),
      1);
  auto* b = config_.add_backends();
  b->set_name(kBlaxel);
  b->mutable_blaxel()->set_base_url(blaxel_->base_url());
  b->mutable_blaxel()->set_workspace(blaxel_->options().workspace);
  if (options.blaxel_oauth) {
    setenv("EXECGW_IT_BLAXEL_CLIENT_ID", blaxel_->options().oauth_client_id.c_str(), 1);
    setenv("EXECGW_IT_BLAXEL_CLIENT_SECRET", blaxel_->options().oauth_client_secret.c_str(), 1);
    b->mutable_blaxel()->mutable_oauth()->mutable_client_id()->set_env(
        "EXECGW_IT_BLAXEL_CLIENT_ID");
    b->mutable_blaxel()->mutable_oauth()->mutable_client_secret()->set_env(
        "EXECGW_IT_BLAXEL_CLIENT_SECRET");
  } else {
    b->mutable_blaxel()->mutable_api_key()->set_env("EXECGW_IT_BLAXEL_KEY");
  }
  b->mutable_blaxel()->set_api_version(options.blaxel_api_version);
  *b->mutable_resilience() = options.resilience;
  auto* p = config_.add_backends();
  *p->mutable_resilience() = options.resilience;
  p->set_name(kPolos);
  p->mutable_polos()->set_base_url(polos_->base_url());
  p->mutable_polos()->set_project_id(polos_->project_id());
  p->mutable_polos()->mutable_api_key()->set_env("EXECGW_IT_POLOS_KEY");

  b->set_max_response_bytes(options.max_response_bytes);
  p->set_max_response_bytes(options.max_response_bytes);
  *b->mutable_watch() = options.watch;
  *p->mutable_watch() = options.watch;
  *config_.mutable_watch() = options.watch_limits;
  config_.set_workers(options.workers);
  *config_.mutable_server() = options.server;
  *config_.mutable_health() = options.health;
  if (options.auth.tokens_size() + options.auth.identities_size() > 0 ||
      !options.auth.tokens_file().empty()) {
    *config_.mutable_auth() = options.auth;
  }
  if (options.admin) config_.mutable_admin()->set_listen("127.0.0.1:0");
  auto server = gateway::GatewayServer::Start(config_, "127.0.0.1:0");
  EXPECT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  stub_ = v1::ExecutionService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server_->port()), options.channel_credentials != nullptr
                                                       ? options.channel_credentials
                                                       : grpc::InsecureChannelCredentials()));
}

GatewayHarness::~GatewayHarness() {
  server_->Shutdown(absl::Seconds(1));
  server_.reset();
  polos_.reset();
  blaxel_.reset();
}

grpc::Status GatewayHarness::Get(const std::string& name, v1::Execution* out,
                                 absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::GetExecutionRequest request;
  request.set_name(name);
  return stub_->GetExecution(&context, request, out);
}

}  // namespace execgw::testing

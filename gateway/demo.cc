#include "gateway/demo.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "sim/blaxel/simulator.h"
#include "sim/polos/simulator.h"

namespace execgw::gateway {
namespace {

constexpr char kBlaxelBackend[] = "demo-blaxel";
constexpr char kPolosBackend[] = "demo-polos";
// Process-local variables through which the simulators' keys reach the
// ordinary config path; nothing secret: the simulators are local toys.
constexpr char kBlaxelKeyEnv[] = "EXECGW_DEMO_BLAXEL_API_KEY";
constexpr char kPolosKeyEnv[] = "EXECGW_DEMO_POLOS_API_KEY";

class DemoUpstreamsImpl final : public DemoUpstreams {
 public:
  absl::Status Start() {
    blaxel::BlaxelSimulatorOptions bo;
    bo.seed_demo_data = true;
    auto bx = blaxel::BlaxelSimulator::Start(bo);
    if (!bx.ok()) return bx.status();
    blaxel_ = *std::move(bx);

    polos::PolosSimulatorOptions po;
    po.seed_demo_data = true;
    auto px = polos::PolosSimulator::Start(po);
    if (!px.ok()) return px.status();
    polos_ = *std::move(px);

    setenv(kBlaxelKeyEnv, blaxel_->options().api_key.c_str(), 1);
    setenv(kPolosKeyEnv, polos_->api_key().c_str(), 1);

    auto* b = config_.add_backends();
    b->set_name(kBlaxelBackend);
    b->mutable_blaxel()->set_base_url(blaxel_->base_url());
    b->mutable_blaxel()->set_workspace(blaxel_->options().workspace);
    b->mutable_blaxel()->mutable_api_key()->set_env(kBlaxelKeyEnv);
    auto* p = config_.add_backends();
    p->set_name(kPolosBackend);
    p->mutable_polos()->set_base_url(polos_->base_url());
    p->mutable_polos()->set_project_id(polos_->project_id());
    p->mutable_polos()->mutable_api_key()->set_env(kPolosKeyEnv);
    return absl::OkStatus();
  }

  const config::v1::GatewayConfig& config() const override { return config_; }

  std::vector<Sample> samples() const override {
    std::vector<Sample> out;
    for (const auto& s : blaxel_->seeded()) {
      out.push_back({absl::StrCat("backends/", kBlaxelBackend, "/jobs/", s.job, "/executions/",
                                  s.execution_id),
                     absl::StrCat("Blaxel: ", s.description)});
    }
    for (const auto& s : polos_->seeded()) {
      out.push_back({absl::StrCat("backends/", kPolosBackend, "/executions/", s.execution_id),
                     absl::StrCat("Polos: ", s.description)});
    }
    return out;
  }

 private:
  std::unique_ptr<blaxel::BlaxelSimulator> blaxel_;
  std::unique_ptr<polos::PolosSimulator> polos_;
  config::v1::GatewayConfig config_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<DemoUpstreams>> DemoUpstreams::Start() {
  auto demo = std::make_unique<DemoUpstreamsImpl>();
  if (auto s = demo->Start(); !s.ok()) return s;
  return demo;
}

}  // namespace execgw::gateway

#ifndef EXECGW_GATEWAY_DEMO_H_
#define EXECGW_GATEWAY_DEMO_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "execgw/config/v1/config.pb.h"

namespace execgw::gateway {

// Demo mode: both upstream simulators running in-process on loopback,
// seeded with executions that move through their lifecycles in real time,
// and a config that points a Blaxel backend ("demo-blaxel") and a Polos
// backend ("demo-polos") at them. Needs no credentials: the simulators'
// keys are handed over through process-local environment variables.
class DemoUpstreams {
 public:
  struct Sample {
    std::string name;         // resource name to try with execgw-cli get
    std::string description;  // what it shows
  };

  static absl::StatusOr<std::unique_ptr<DemoUpstreams>> Start();
  virtual ~DemoUpstreams() = default;

  virtual const config::v1::GatewayConfig& config() const = 0;
  virtual std::vector<Sample> samples() const = 0;
};

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_DEMO_H_

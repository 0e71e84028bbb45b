// Config loading (gateway/config.h ParseConfig) on config file text.
//  - An error names a field ("backends[1].name: ..."), is bounded in size
//    and is INVALID_ARGUMENT (ParseConfig reads no secret).
//  - A config that loads is valid (ValidateConfig), and written out as
//    JSON it loads again to the same config.
#include <cstddef>
#include <cstdint>
#include <string>

#include "gateway/config.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/fuzz/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace execgw;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<config::v1::GatewayConfig> config = gateway::ParseConfig(text);
  if (!config.ok()) {
    fuzz::CheckFieldError(config.status());
    return 0;
  }
  const absl::Status valid = gateway::ValidateConfig(*config);
  FUZZ_CHECK(valid.ok(), valid.ToString());
  std::string json;
  FUZZ_CHECK(google::protobuf::util::MessageToJsonString(*config, &json).ok(), "no JSON");
  absl::StatusOr<config::v1::GatewayConfig> again = gateway::ParseConfig(json);
  FUZZ_CHECK(again.ok(), json, ": ", again.status().ToString());
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(*again, *config),
             "written out and read again it differs: ", json);
  return 0;
}

#ifndef EXECGW_GATEWAY_CONFIG_H_
#define EXECGW_GATEWAY_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "execgw/config/v1/config.pb.h"

namespace execgw::gateway {

// Parses a config file's JSON text (the proto3 JSON mapping of
// execgw.config.v1.GatewayConfig; unknown fields, and a key given twice in
// one object, are errors) and validates it. Errors are INVALID_ARGUMENT and
// name the offending field, such as
// `backends[1].name: "Prod" is not a valid backend name`.
absl::StatusOr<config::v1::GatewayConfig> ParseConfig(absl::string_view json);

// Reads and parses a config file. A missing or unreadable file is
// NOT_FOUND / PERMISSION_DENIED naming the path.
absl::StatusOr<config::v1::GatewayConfig> LoadConfigFile(const std::string& path);

// Checks what ParseConfig checks (config.proto states each rule): at least
// one backend; names valid and unique; every number 0 (the default) or
// within its bounds; on each backend a kind, a base URL of the form
// http(s)://host[:port][/path], credentials, and the kind's settings in
// their forms (a workspace without spaces or control characters, an
// apiVersion date, a projectId UUID).
absl::Status ValidateConfig(const config::v1::GatewayConfig& config);

// Reads a secret from where `source` points. Errors name `field` and the
// variable or file, never the secret's value.
absl::StatusOr<std::string> ResolveSecret(const config::v1::SecretSource& source,
                                          absl::string_view field);

// As ResolveSecret, for a secret sent in an HTTP header (an API key, OAuth
// client credentials): one holding a control character (CR or LF would end
// the header early) is INVALID_ARGUMENT naming `field` and the source, never
// the value.
absl::StatusOr<std::string> ResolveHeaderSecret(const config::v1::SecretSource& source,
                                                absl::string_view field);

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_CONFIG_H_

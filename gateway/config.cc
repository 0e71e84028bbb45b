#include "gateway/config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/resource_name.h"
#include "google/protobuf/util/json_util.h"

namespace execgw::gateway {
namespace {

using config::v1::Backend;
using config::v1::GatewayConfig;
using config::v1::SecretSource;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status CheckBaseUrl(absl::string_view field, absl::string_view url) {
  if (url.empty()) return Invalid(field, "is required");
  if (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
    return Invalid(field, absl::StrCat("\"", url, "\" must start with http:// or https://"));
  }
  // Credentials go in apiKey/oauth, never in the URL (error messages name
  // the URL).
  const absl::string_view authority = url.substr(url.find("//") + 2);
  if (authority.substr(0, authority.find('/')).find('@') != absl::string_view::npos) {
    return Invalid(field, "must not carry credentials (user:password@); use apiKey or oauth");
  }
  return absl::OkStatus();
}

absl::Status CheckSecretSource(absl::string_view field, const SecretSource& source,
                               bool has_source) {
  if (!has_source || source.source_case() == SecretSource::SOURCE_NOT_SET) {
    return Invalid(field, "is required: set \"env\" (a variable name) or \"file\" (a path)");
  }
  if (source.source_case() == SecretSource::kEnv && source.env().empty()) {
    return Invalid(absl::StrCat(field, ".env"), "is empty");
  }
  if (source.source_case() == SecretSource::kFile && source.file().empty()) {
    return Invalid(absl::StrCat(field, ".file"), "is empty");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateConfig(const GatewayConfig& config) {
  if (config.backends().empty()) return Invalid("backends", "at least one backend is required");
  if (config.request_id_ttl_seconds() < 0) {
    return Invalid("requestIdTtlSeconds", "must not be negative");
  }
  if (config.has_page_token_key()) {
    if (auto s = CheckSecretSource("pageTokenKey", config.page_token_key(), true); !s.ok()) {
      return s;
    }
  }
  std::set<std::string> names;
  for (int i = 0; i < config.backends_size(); ++i) {
    const Backend& b = config.backends(i);
    const std::string at = absl::StrCat("backends[", i, "]");
    if (!IsValidBackendName(b.name())) {
      return Invalid(absl::StrCat(at, ".name"),
                     absl::StrCat("\"", b.name(),
                                  "\" is not a valid backend name (1 to 63 of a-z, 0-9 and '-', "
                                  "starting with a letter)"));
    }
    if (!names.insert(b.name()).second) {
      return Invalid(absl::StrCat(at, ".name"), absl::StrCat("\"", b.name(), "\" is used twice"));
    }
    if (b.request_timeout_ms() < 0) {
      return Invalid(absl::StrCat(at, ".requestTimeoutMs"), "must not be negative");
    }
    const auto& r = b.resilience();
    const std::pair<const char*, int> limits[] = {
        {"maxAttempts", r.max_attempts()},
        {"initialBackoffMs", r.initial_backoff_ms()},
        {"maxBackoffMs", r.max_backoff_ms()},
        {"maxConcurrentRequests", r.max_concurrent_requests()},
        {"breakerFailureThreshold", r.breaker_failure_threshold()},
        {"breakerOpenMs", r.breaker_open_ms()}};
    for (const auto& [field, value] : limits) {
      if (value < 0) {
        return Invalid(absl::StrCat(at, ".resilience.", field), "must not be negative");
      }
    }
    switch (b.kind_case()) {
      case Backend::kBlaxel: {
        const auto& x = b.blaxel();
        if (auto s = CheckBaseUrl(absl::StrCat(at, ".blaxel.baseUrl"), x.base_url()); !s.ok()) {
          return s;
        }
        if (x.workspace().empty()) return Invalid(absl::StrCat(at, ".blaxel.workspace"), "is required");
        if (x.has_api_key() && x.has_oauth()) {
          return Invalid(absl::StrCat(at, ".blaxel"), "set either \"apiKey\" or \"oauth\", not both");
        }
        if (x.has_oauth()) {
          if (auto s = CheckSecretSource(absl::StrCat(at, ".blaxel.oauth.clientId"),
                                         x.oauth().client_id(), x.oauth().has_client_id());
              !s.ok()) {
            return s;
          }
          if (auto s = CheckSecretSource(absl::StrCat(at, ".blaxel.oauth.clientSecret"),
                                         x.oauth().client_secret(), x.oauth().has_client_secret());
              !s.ok()) {
            return s;
          }
        } else if (auto s = CheckSecretSource(absl::StrCat(at, ".blaxel.apiKey"), x.api_key(),
                                              x.has_api_key());
                   !s.ok()) {
          return s;
        }
        break;
      }
      case Backend::kPolos: {
        const auto& x = b.polos();
        if (auto s = CheckBaseUrl(absl::StrCat(at, ".polos.baseUrl"), x.base_url()); !s.ok()) {
          return s;
        }
        if (x.project_id().empty()) {
          return Invalid(absl::StrCat(at, ".polos.projectId"), "is required");
        }
        if (auto s = CheckSecretSource(absl::StrCat(at, ".polos.apiKey"), x.api_key(),
                                       x.has_api_key());
            !s.ok()) {
          return s;
        }
        break;
      }
      case Backend::KIND_NOT_SET:
        return Invalid(at, "needs a kind: a \"blaxel\" or a \"polos\" object");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<GatewayConfig> ParseConfig(absl::string_view json) {
  GatewayConfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &config, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: not a valid GatewayConfig: ", status.message().as_string()));
  }
  if (auto s = ValidateConfig(config); !s.ok()) return s;
  return config;
}

absl::StatusOr<GatewayConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string why = std::strerror(err);
    if (err == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat("config file ", path, ": ", why));
    }
    return absl::NotFoundError(absl::StrCat("config file ", path, ": ", why));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto config = ParseConfig(text.str());
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

absl::StatusOr<std::string> ResolveSecret(const SecretSource& source, absl::string_view field) {
  switch (source.source_case()) {
    case SecretSource::kEnv: {
      const char* value = std::getenv(source.env().c_str());
      if (value == nullptr || *value == '\0') {
        return absl::FailedPreconditionError(absl::StrCat(
            field, ": environment variable ", source.env(), " is not set or empty"));
      }
      return std::string(value);
    }
    case SecretSource::kFile: {
      std::ifstream in(source.file(), std::ios::binary);
      if (!in) {
        return absl::FailedPreconditionError(
            absl::StrCat(field, ": cannot read file ", source.file(), ": ", std::strerror(errno)));
      }
      std::stringstream text;
      text << in.rdbuf();
      std::string secret = text.str();
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
      if (secret.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat(field, ": file ", source.file(), " is empty"));
      }
      return secret;
    }
    case SecretSource::SOURCE_NOT_SET:
      break;
  }
  return absl::FailedPreconditionError(absl::StrCat(field, ": no secret source set"));
}

}  // namespace execgw::gateway

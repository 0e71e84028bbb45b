#include "gateway/caller_auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "adapters/upstream_error.h"
#include "google/protobuf/util/json_util.h"

namespace execgw::gateway {
namespace {

constexpr absl::string_view kMethodNames[] = {"GetExecution",       "ListExecutions",
                                              "ListExecutionTasks", "WatchExecution",
                                              "CreateExecution",    "CancelExecution"};

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

std::string Sha256(absl::string_view salt, absl::string_view token) {
  std::string data = absl::StrCat(salt, token);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  OPENSSL_cleanse(data.data(), data.size());
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

bool IsHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty() && s.size() % 2 == 0;
}

absl::StatusOr<Caller> CompileGrant(absl::string_view at, const std::string& name,
                                    const config::v1::CallerGrant& grant,
                                    const std::vector<std::string>& backends) {
  Caller caller;
  if (name.empty()) return Invalid(absl::StrCat(at, ".name"), "is required");
  caller.name = name;
  for (int i = 0; i < grant.backends_size(); ++i) {
    const std::string& b = grant.backends(i);
    if (b == "*") {
      caller.all_backends = true;
    } else if (std::find(backends.begin(), backends.end(), b) != backends.end()) {
      caller.backends.push_back(b);
    } else {
      return Invalid(absl::StrCat(at, ".allow.backends[", i, "]"),
                     absl::StrCat("\"", absl::CHexEscape(b.substr(0, 100)),
                                  "\" is not a configured backend (or \"*\")"));
    }
  }
  for (int i = 0; i < grant.methods_size(); ++i) {
    const std::string& m = grant.methods(i);
    if (m == "*" || m == "read" || m == "write") {
      for (int k = 0; k < 6; ++k) {
        if (m == "*" || (m == "read") == (k < 4)) caller.methods[k] = true;
      }
      continue;
    }
    bool known = false;
    for (int k = 0; k < 6; ++k) {
      if (m == kMethodNames[k]) caller.methods[k] = known = true;
    }
    if (!known) {
      return Invalid(absl::StrCat(at, ".allow.methods[", i, "]"),
                     absl::StrCat("\"", absl::CHexEscape(m.substr(0, 100)),
                                  "\" is not a method name, \"read\", \"write\" or \"*\""));
    }
  }
  return caller;
}

absl::Status Unauthenticated(absl::string_view why) {
  return MakeError(absl::StatusCode::kUnauthenticated,
                   absl::StrCat("the call is not authenticated: ", why,
                                "; send `authorization: Bearer <token>` metadata or a client "
                                "certificate the gateway knows"),
                   "CALLER_UNAUTHENTICATED", {});
}

}  // namespace

absl::string_view MethodName(Method method) { return kMethodNames[static_cast<int>(method)]; }

std::string HashToken(absl::string_view token, std::string salt) {
  if (salt.empty()) {
    salt.resize(16);
    RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size()));
  }
  return absl::StrCat("sha256:", absl::BytesToHexString(salt), ":",
                      absl::BytesToHexString(Sha256(salt, token)));
}

absl::StatusOr<std::unique_ptr<CallerAuth>> CallerAuth::FromConfig(
    const config::v1::Auth& auth_config, const std::vector<std::string>& backends,
    bool read_files) {
  config::v1::Auth auth = auth_config;
  if (!auth.tokens_file().empty() && read_files) {
    std::ifstream in(auth.tokens_file());
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat("auth.tokensFile: cannot read \"", auth.tokens_file(), "\""));
    }
    std::stringstream text;
    text << in.rdbuf();
    config::v1::Auth from_file;
    google::protobuf::util::JsonParseOptions options;
    if (!google::protobuf::util::JsonStringToMessage(text.str(), &from_file, options).ok() ||
        !from_file.tokens_file().empty() || from_file.identities_size() > 0) {
      return Invalid("auth.tokensFile",
                     absl::StrCat("\"", auth.tokens_file(),
                                  "\" is not a JSON object {\"tokens\": [...]} of token entries"));
    }
    for (auto& t : *from_file.mutable_tokens()) *auth.add_tokens() = std::move(t);
  }
  auto out = std::unique_ptr<CallerAuth>(new CallerAuth());
  for (int i = 0; i < auth.tokens_size(); ++i) {
    const auto& t = auth.tokens(i);
    const std::string at = absl::StrCat("auth.tokens[", i, "]");
    std::vector<absl::string_view> parts = absl::StrSplit(t.hash(), ':');
    if (parts.size() != 3 || parts[0] != "sha256" || !IsHex(parts[1]) || parts[1].size() < 16 ||
        !IsHex(parts[2]) || parts[2].size() != 64) {
      return Invalid(absl::StrCat(at, ".hash"),
                     "is not \"sha256:<salt hex, 8 bytes or more>:<digest hex>\" "
                     "(execgw-cli hash-token makes one)");
    }
    auto caller = CompileGrant(at, t.name(), t.allow(), backends);
    if (!caller.ok()) return caller.status();
    out->tokens_.push_back(Token{absl::HexStringToBytes(parts[1]), absl::HexStringToBytes(parts[2]),
                                 *std::move(caller)});
  }
  for (int i = 0; i < auth.identities_size(); ++i) {
    const auto& id = auth.identities(i);
    const std::string at = absl::StrCat("auth.identities[", i, "]");
    if (id.spiffe_id().empty() == id.dns_name().empty()) {
      return Invalid(at, "give exactly one of spiffeId and dnsName");
    }
    if (!id.spiffe_id().empty() && !absl::StartsWith(id.spiffe_id(), "spiffe://")) {
      return Invalid(absl::StrCat(at, ".spiffeId"), "must start with spiffe://");
    }
    auto caller = CompileGrant(at, id.name(), id.allow(), backends);
    if (!caller.ok()) return caller.status();
    out->identities_.push_back(Identity{id.spiffe_id(), id.dns_name(), *std::move(caller)});
  }
  if (out->tokens_.empty() && out->identities_.empty() && auth.tokens_file().empty()) {
    return Invalid("auth", "names no caller: give tokens, tokensFile or identities");
  }
  return out;
}

absl::StatusOr<const Caller*> CallerAuth::Authenticate(
    const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto header = metadata.find("authorization");
  if (header != metadata.end()) {
    absl::string_view value(header->second.data(), header->second.size());
    if (!absl::StartsWithIgnoreCase(value, "bearer ")) {
      return Unauthenticated("the authorization metadata is not a bearer token");
    }
    absl::string_view token = absl::StripAsciiWhitespace(value.substr(7));
    if (token.size() >= kMinTokenLength) {
      for (const Token& t : tokens_) {
        const std::string digest = Sha256(t.salt, token);
        if (CRYPTO_memcmp(digest.data(), t.digest.data(), digest.size()) == 0) return &t.caller;
      }
    }
    return Unauthenticated("the bearer token is not known");
  }
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    for (const Identity& id : identities_) {
      const char* property = id.spiffe_id.empty() ? "peer_dns" : "x509_subject_alternative_name";
      for (const grpc::string_ref& v : auth->FindPropertyValues(property)) {
        const absl::string_view value(v.data(), v.size());
        if (value == (id.spiffe_id.empty() ? id.dns_name : id.spiffe_id)) return &id.caller;
      }
      if (!id.spiffe_id.empty()) {
        for (const char* p : {"peer_spiffe_id", "peer_uri"}) {
          for (const grpc::string_ref& v : auth->FindPropertyValues(p)) {
            if (absl::string_view(v.data(), v.size()) == id.spiffe_id) return &id.caller;
          }
        }
      }
    }
    return Unauthenticated("the client certificate names no known identity");
  }
  return Unauthenticated("no credential");
}

absl::Status CallerAuth::Authorize(const Caller& caller, Method method, absl::string_view backend) {
  const bool backend_ok =
      caller.all_backends ||
      std::find(caller.backends.begin(), caller.backends.end(), backend) != caller.backends.end();
  if (backend_ok && caller.methods[static_cast<int>(method)]) return absl::OkStatus();
  return MakeError(absl::StatusCode::kPermissionDenied,
                   absl::StrCat("caller \"", caller.name, "\" may not call ", MethodName(method),
                                " on backend \"", backend, "\""),
                   "CALLER_NOT_ALLOWED",
                   {{"caller", caller.name},
                    {"method", std::string(MethodName(method))},
                    {"backend", std::string(backend)}});
}

}  // namespace execgw::gateway

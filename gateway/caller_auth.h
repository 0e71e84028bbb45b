#ifndef EXECGW_GATEWAY_CALLER_AUTH_H_
#define EXECGW_GATEWAY_CALLER_AUTH_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "execgw/config/v1/config.pb.h"
#include "grpcpp/server_context.h"

namespace execgw::gateway {

// The ExecutionService methods a grant names.
enum class Method { kGet, kList, kListTasks, kWatch, kCreate, kCancel };
absl::string_view MethodName(Method method);

// A caller the config knows, and what it may do.
struct Caller {
  std::string name;
  bool all_backends = false;
  std::vector<std::string> backends;
  // Indexed by Method.
  bool methods[6] = {};
};

// Who a call comes from (config `auth`): a bearer token whose salted
// SHA-256 matches a configured hash, or a mutual-TLS client certificate
// whose SPIFFE URI or DNS name matches a configured identity. Immutable;
// thread-safe.
class CallerAuth {
 public:
  // Checks and compiles `auth` (tokens from tokens_file too); errors name
  // the field. `backends`: the configured backend names, which grants may
  // name (or "*").
  // `read_files` false: tokens_file is not read (a config check away from
  // where the file lives).
  static absl::StatusOr<std::unique_ptr<CallerAuth>> FromConfig(
      const config::v1::Auth& auth, const std::vector<std::string>& backends,
      bool read_files = true);

  // The caller of `context`: UNAUTHENTICATED (CALLER_UNAUTHENTICATED)
  // without a credential that matches. A token that is given must match,
  // whatever certificate the connection has.
  absl::StatusOr<const Caller*> Authenticate(const grpc::ServerContextBase& context) const;

  // PERMISSION_DENIED (CALLER_NOT_ALLOWED, metadata caller, method,
  // backend) unless `caller` may call `method` on `backend`.
  static absl::Status Authorize(const Caller& caller, Method method, absl::string_view backend);

 private:
  struct Token {
    std::string salt;
    std::string digest;  // SHA-256(salt | token), raw bytes
    Caller caller;
  };
  struct Identity {
    std::string spiffe_id;
    std::string dns_name;
    Caller caller;
  };
  std::vector<Token> tokens_;
  std::vector<Identity> identities_;
};

// "sha256:<salt hex>:<digest hex>" for `token` with `salt` (random 16
// bytes when empty): what `execgw-cli hash-token` prints.
std::string HashToken(absl::string_view token, std::string salt = "");

// The shortest token accepted.
inline constexpr size_t kMinTokenLength = 16;

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_CALLER_AUTH_H_

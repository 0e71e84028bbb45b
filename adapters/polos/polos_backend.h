#ifndef EXECGW_ADAPTERS_POLOS_POLOS_BACKEND_H_
#define EXECGW_ADAPTERS_POLOS_POLOS_BACKEND_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/http/http_client.h"

namespace execgw::polos {

struct PolosBackendOptions {
  // The configured backend name, as used in resource names.
  std::string name;
  // Where the orchestrator listens, such as `http://127.0.0.1:8080`
  // (no trailing path; a trailing '/' is tolerated).
  std::string base_url;
  // The project UUID, sent as X-Project-ID on every call.
  std::string project_id;
  // The API key (`sk_...`), sent as `Authorization: Bearer`. Never appears
  // in errors or logs.
  std::string api_key;
  // Upper bound on each upstream request; the caller's deadline applies
  // too when it is sooner.
  absl::Duration request_timeout = absl::Seconds(30);
};

// A Backend for a Polos orchestrator (v1 API), speaking HTTP through
// `client`, which must outlive the backend and every call it started.
//
// GetExecution:
// - a name with a `jobs/` segment (the Blaxel form) gives INVALID_ARGUMENT
//   (reason WRONG_BACKEND_KIND) naming the field `name` and the expected
//   form; an execution id that is not a canonical UUID gives
//   INVALID_ARGUMENT (reason INVALID_ARGUMENT), without calling Polos;
// - sends `GET {base_url}/api/v1/executions/{id}` with the deadline
//   min(context.deadline, now + request_timeout) and the context's
//   cancellation;
// - a 2xx body that is not a JSON object, or that describes another
//   execution, gives INTERNAL (UPSTREAM_INVALID_RESPONSE);
// - failures are mapped by the table in errors.h, including the health
//   probe that tells a missing execution (NOT_FOUND) from a sick server
//   (UNAVAILABLE).
std::unique_ptr<Backend> NewPolosBackend(PolosBackendOptions options, http::HttpClient& client);

}  // namespace execgw::polos

#endif  // EXECGW_ADAPTERS_POLOS_POLOS_BACKEND_H_

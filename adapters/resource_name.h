#ifndef EXECGW_ADAPTERS_RESOURCE_NAME_H_
#define EXECGW_ADAPTERS_RESOURCE_NAME_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace execgw {

// A parsed execution resource name (AIP-122). Two forms exist:
//   backends/{backend}/jobs/{job}/executions/{execution}   (Blaxel)
//   backends/{backend}/executions/{execution}              (Polos)
// `job` is empty for the second form.
struct ExecutionName {
  std::string backend;
  std::string job;
  std::string execution;

  std::string ToString() const;
  bool operator==(const ExecutionName&) const = default;
};

// A parsed parent of executions:
//   backends/{backend}                      (a whole backend)
//   backends/{backend}/jobs/{job}           (a Blaxel job)
//   backends/{backend}/workflows/{workflow} (a Polos workflow)
struct ParentName {
  std::string backend;
  std::string job;       // set for the jobs form
  std::string workflow;  // set for the workflows form

  std::string ToString() const;
  bool operator==(const ParentName&) const = default;
};

// Parse a name given by a caller. Errors are INVALID_ARGUMENT with a
// message naming `field` (the request field the name came from) and what is
// wrong, for example: `name: expected "backends/{backend}/..."`.
// Segment ids must be 1..200 characters, without '/', whitespace or control
// characters, and not "." or ".."; the backend segment must be a valid
// backend name.
absl::StatusOr<ExecutionName> ParseExecutionName(absl::string_view name,
                                                 absl::string_view field = "name");
absl::StatusOr<ParentName> ParseParentName(absl::string_view name,
                                           absl::string_view field = "parent");

// True for a valid backend name: 1..63 of [a-z0-9-], starting with a
// letter, not ending with '-'.
bool IsValidBackendName(absl::string_view name);

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_RESOURCE_NAME_H_

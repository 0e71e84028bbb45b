#ifndef EXECGW_ADAPTERS_RESOURCE_NAME_H_
#define EXECGW_ADAPTERS_RESOURCE_NAME_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace execgw {

// Ids inside resource names. A name carries each upstream id (job,
// workflow, execution) percent-escaped, so that any id an upstream can hold
// has exactly one name and the name gives the id back:
//  - in a name, '%', '/' and every byte up to 0x20 (space, control
//    characters) or 0x7f are written %XX (upper-case hex); nothing else is
//    escaped, so ordinary ids (`exec-abc123`, UUIDs) read as themselves;
//  - parsing decodes %XX (either case); a '%' not followed by two hex
//    digits, or a literal '/', whitespace or control character, is refused,
//    and so is an id that is not valid UTF-8 once decoded ("%FF").
// The decoded id must be 1..kMaxIdBytes bytes and not "." or ".." (they
// would walk the upstream URL): an upstream id that breaks these rules
// cannot be named (IsNameableId).
inline constexpr size_t kMaxIdBytes = 200;

// A parsed execution resource name (AIP-122). Two forms exist:
//   backends/{backend}/jobs/{job}/executions/{execution}   (Blaxel)
//   backends/{backend}/executions/{execution}              (Polos)
// `job` is empty for the second form. Ids are held decoded.
struct ExecutionName {
  std::string backend;
  std::string job;
  std::string execution;

  // The name, with its ids escaped as above.
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
// wrong, for example: `name: expected "backends/{backend}/..."`. Ids follow
// the rules above; the backend segment must be a valid backend name.
// Nothing of the caller's text is echoed beyond a few hundred bytes.
absl::StatusOr<ExecutionName> ParseExecutionName(absl::string_view name,
                                                 absl::string_view field = "name");
absl::StatusOr<ParentName> ParseParentName(absl::string_view name,
                                           absl::string_view field = "parent");

// `id` as it appears inside a name (escaped as above).
std::string EscapeId(absl::string_view id);

// True when `id` (decoded) can appear in a name: 1..kMaxIdBytes bytes, not
// "." or "..".
bool IsNameableId(absl::string_view id);

// Checks an id a caller gives outside a name (CreateExecution's
// execution_id): the rules of a name segment written literally, so that the
// id reads the same in the name the gateway hands back, but for a '%',
// which the name writes %25 (and gives back as '%'). 1..kMaxIdBytes
// bytes, no '/', whitespace or control characters, not "." or "..".
// INVALID_ARGUMENT naming `field`; the id itself is echoed at most in part.
absl::Status CheckPlainId(absl::string_view field, absl::string_view id);

// True for a valid backend name: 1..63 of [a-z0-9-], starting with a
// letter, not ending with '-'.
bool IsValidBackendName(absl::string_view name);

// At most `max_bytes` of caller text for an error message, cut on a UTF-8
// character boundary and marked with "..." when cut: every echo of caller
// input is bounded (trailers have size limits).
std::string BoundedEcho(absl::string_view text, size_t max_bytes = 100);

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_RESOURCE_NAME_H_

#ifndef EXECGW_ADAPTERS_POLOS_EXECUTION_ID_H_
#define EXECGW_ADAPTERS_POLOS_EXECUTION_ID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace execgw::polos {

// True for a UUID in its canonical textual form, 8-4-4-4-12 hex digits
// (either case), such as `6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60`: the form
// Polos gives its execution ids in. Polos answers any id that is not a UUID
// with an empty 400, so the gateway checks ids itself first.
bool IsCanonicalUuid(absl::string_view text);

// `uuid` (IsCanonicalUuid) lower-cased: Polos compares ids as UUIDs and
// answers in lower case, so this is the one form the gateway names and
// sends.
std::string CanonicalUuid(absl::string_view uuid);

// True when `a` and `b` are both UUIDs and the same one (case ignored).
bool SameUuid(absl::string_view a, absl::string_view b);

}  // namespace execgw::polos

#endif  // EXECGW_ADAPTERS_POLOS_EXECUTION_ID_H_

#ifndef EXECGW_ADAPTERS_ETAG_H_
#define EXECGW_ADAPTERS_ETAG_H_

#include <string>

#include "absl/strings/string_view.h"
#include "execgw/v1/execution.pb.h"

namespace execgw {

// Sets `execution.etag` to a digest of every other field (deterministic
// serialization, so map order does not matter). Equal content gives an
// equal etag in every process and version of the gateway that shares the
// proto schema; any change gives a different one.
void SetEtag(v1::Execution& execution);

// A 128-bit digest of `bytes` as 32 lower-case hex digits, the same in every
// process and build (unlike absl::Hash). Not cryptographic: it tells
// contents apart, it does not hide them.
std::string StableDigest(absl::string_view bytes);

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_ETAG_H_

#ifndef EXECGW_ADAPTERS_ETAG_H_
#define EXECGW_ADAPTERS_ETAG_H_

#include <string>

#include "execgw/v1/execution.pb.h"

namespace execgw {

// Sets `execution.etag` to a digest of every other field (deterministic
// serialization, so map order does not matter). Equal content gives an
// equal etag in every process and version of the gateway that shares the
// proto schema; any change gives a different one.
void SetEtag(v1::Execution& execution);

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_ETAG_H_

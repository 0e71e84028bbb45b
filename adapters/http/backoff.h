#ifndef EXECGW_ADAPTERS_HTTP_BACKOFF_H_
#define EXECGW_ADAPTERS_HTTP_BACKOFF_H_

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"

namespace execgw::http {

// The longest wait before retry number `retry` (1 for the first retry) under
// exponential backoff: min(max, initial * 2^(retry - 1)). Never negative.
absl::Duration BackoffCeiling(absl::Duration initial, absl::Duration max, int retry);

// "Full jitter": a duration drawn uniformly from [0, ceiling], so clients
// that failed together do not retry together.
absl::Duration FullJitter(absl::Duration ceiling, absl::BitGenRef gen);

}  // namespace execgw::http

#endif  // EXECGW_ADAPTERS_HTTP_BACKOFF_H_

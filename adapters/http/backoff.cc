#include "adapters/http/backoff.h"

#include <algorithm>
#include <cstdint>

#include "absl/random/distributions.h"

namespace execgw::http {

absl::Duration BackoffCeiling(absl::Duration initial, absl::Duration max, int retry) {
  if (initial <= absl::ZeroDuration() || max <= absl::ZeroDuration()) {
    return absl::ZeroDuration();
  }
  absl::Duration d = initial;
  // Doubling stops at `max`, so it cannot overflow.
  for (int i = 1; i < retry && d < max; ++i) d *= 2;
  return std::min(d, max);
}

absl::Duration FullJitter(absl::Duration ceiling, absl::BitGenRef gen) {
  if (ceiling <= absl::ZeroDuration()) return absl::ZeroDuration();
  int64_t ns = absl::ToInt64Nanoseconds(ceiling);
  return absl::Nanoseconds(absl::Uniform(absl::IntervalClosed, gen, int64_t{0}, ns));
}

}  // namespace execgw::http

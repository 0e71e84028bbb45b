#include "gateway/watch/follow_policy.h"

#include <algorithm>
#include <cmath>

#include "adapters/upstream_error.h"

namespace execgw::gateway {

absl::Duration FollowPolicy::NextGap(absl::Duration previous, absl::Duration since_change) const {
  if (since_change < fast_period() || previous <= absl::ZeroDuration()) return min_interval;
  return std::clamp(previous * growth, min_interval, max_interval);
}

absl::Duration FollowPolicy::FailureGap(int failures, const absl::Status& error,
                                        double random) const {
  absl::Duration backoff = min_interval;
  for (int i = 1; i < failures && backoff < max_interval; ++i) backoff *= 2;
  backoff = std::min(backoff, max_interval);
  if (ErrorReasonOf(error) == reason::kCircuitOpen) backoff = max_interval;
  // Full jitter in [backoff/2, backoff): failed followers spread out
  // instead of retrying together when the upstream comes back.
  absl::Duration gap = backoff * (0.5 + 0.5 * std::clamp(random, 0.0, 1.0));
  if (std::optional<absl::Duration> asked = RetryDelayOf(error); asked.has_value()) {
    gap = std::max(gap, std::min(*asked, kMaxRetryDelay));
  }
  return gap;
}

FollowPolicy FollowPolicyFromConfig(const config::v1::Backend& backend) {
  const config::v1::BackendWatch& w = backend.watch();
  FollowPolicy p;
  if (w.min_poll_interval_ms() > 0) p.min_interval = absl::Milliseconds(w.min_poll_interval_ms());
  if (w.max_poll_interval_ms() > 0) p.max_interval = absl::Milliseconds(w.max_poll_interval_ms());
  p.follow_changes = !w.disable_event_stream();
  // A read (the backend's client retries it within this bound) may take a
  // few intervals, and never less than 10 s.
  p.read_timeout = std::max(4 * p.max_interval, absl::Seconds(10));
  return p;
}

}  // namespace execgw::gateway

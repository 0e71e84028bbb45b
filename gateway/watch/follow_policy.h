#ifndef EXECGW_GATEWAY_WATCH_FOLLOW_POLICY_H_
#define EXECGW_GATEWAY_WATCH_FOLLOW_POLICY_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "execgw/config/v1/config.pb.h"

namespace execgw::gateway {

// When a follower reads its execution again: the adaptive poll interval of
// one backend (config BackendWatch).
//
// While the execution changes, and during the first fast_period of a
// follow, it is read every min_interval; each read that finds no change
// after that stretches the interval by `growth`, up to max_interval. The
// schedule is fixed-rate from a random phase that each follower draws when
// it starts (its first gap is min_interval times a factor in [0.5, 1]), so
// followers started together (clients reconnecting after a restart) do not
// poll together, and an execution is still read exactly once per interval.
// Failed reads back off instead: doubling from min_interval up to
// max_interval, with full jitter (half to all of it), no sooner than an
// upstream's RetryInfo asks (up to kMaxRetryDelay), and at max_interval
// while the backend's circuit is open.
struct FollowPolicy {
  absl::Duration min_interval = absl::Seconds(1);
  absl::Duration max_interval = absl::Seconds(5);
  // How long after a follow starts, or after a change, reads stay at
  // min_interval: five of them.
  absl::Duration fast_period() const { return 5 * min_interval; }
  double growth = 1.5;
  // Whether to subscribe to the backend's change hints (Polos' event
  // stream); reads then stay at max_interval while the hints flow, as a
  // safety net.
  bool follow_changes = true;
  // Bound of one read: the backend's retries included.
  absl::Duration read_timeout = absl::Seconds(30);

  // The longest an upstream's RetryInfo may hold a follower back.
  static constexpr absl::Duration kMaxRetryDelay = absl::Minutes(5);

  // The gap after a read that succeeded: `previous` is the gap before it
  // (zero for the first), `since_change` the time since the follow started
  // or the execution last changed.
  absl::Duration NextGap(absl::Duration previous, absl::Duration since_change) const;

  // The gap after the `failures`-th consecutive failed read (1 for the
  // first) that failed with `error`; `random` in [0, 1).
  absl::Duration FailureGap(int failures, const absl::Status& error, double random) const;
};

// The policy of `backend` (zero fields: the defaults config.proto gives).
FollowPolicy FollowPolicyFromConfig(const config::v1::Backend& backend);

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_WATCH_FOLLOW_POLICY_H_

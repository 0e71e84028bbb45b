#ifndef EXECGW_ADAPTERS_HTTP_CIRCUIT_BREAKER_H_
#define EXECGW_ADAPTERS_HTTP_CIRCUIT_BREAKER_H_

#include "absl/time/time.h"
#include "adapters/event_loop.h"

namespace execgw::http {

// Stops traffic to an upstream that keeps failing, so callers fail fast
// instead of piling up behind it, and lets one probe request through now and
// then to find out whether it has recovered:
//
//   closed  --K consecutive failures-->  open
//   open    --open_duration passes--->   half-open (one probe admitted)
//   half-open --probe succeeds-->  closed;  --probe fails-->  open again
//
// Thread-compatible: the owner serializes calls (ResilientHttpClient holds
// its mutex). Time comes from the injected clock only.
class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  // How a finished request bears on the upstream's health.
  enum class Outcome {
    kSuccess,  // the upstream answered (2xx-4xx other than 429)
    kFailure,  // transport failure, 5xx, 429
    kNeutral,  // says nothing about the upstream (cancelled, caller deadline)
  };

  enum class Admission {
    kAllow,   // send it; report the outcome with Record(outcome, false)
    kProbe,   // send it as the half-open probe: Record(outcome, true), or
              // ReleaseProbe() if it is given up before being sent
    kReject,  // do not send it
  };

  struct Options {
    // Consecutive failures that open a closed breaker (at least 1).
    int failure_threshold = 5;
    // How long an open breaker rejects everything before probing.
    absl::Duration open_duration = absl::Seconds(5);
  };

  // `clock` must outlive the breaker.
  CircuitBreaker(Options options, const Clock& clock);

  // Whether a request may go upstream now. Moves an open breaker whose
  // open_duration has passed to half-open.
  Admission Admit();

  // Reports how a request that Admit() let through went. While open or
  // half-open, only the probe's outcome counts: a neutral probe outcome
  // frees the probe slot without deciding anything.
  void Record(Outcome outcome, bool probe);

  // Gives the probe slot back (the probe was abandoned before it was sent).
  void ReleaseProbe();

  // kHalfOpen also once an open breaker's open_duration has passed, even
  // before a request arrives to probe.
  State state() const;

  // While open: when a probe will be let through.
  absl::Time open_until() const { return open_until_; }

  // While half-open: whether the probe is out.
  bool probe_in_flight() const { return probe_in_flight_; }

  int consecutive_failures() const { return consecutive_failures_; }

 private:
  void Open();

  const Options options_;
  const Clock& clock_;
  State state_ = State::kClosed;  // kOpen here may have become half-open
  int consecutive_failures_ = 0;
  absl::Time open_until_ = absl::InfinitePast();
  bool probe_in_flight_ = false;
};

}  // namespace execgw::http

#endif  // EXECGW_ADAPTERS_HTTP_CIRCUIT_BREAKER_H_

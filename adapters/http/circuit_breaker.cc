#include "adapters/http/circuit_breaker.h"

#include <algorithm>

namespace execgw::http {

CircuitBreaker::CircuitBreaker(Options options, const Clock& clock)
    : options_(options), clock_(clock) {}

CircuitBreaker::State CircuitBreaker::state() const {
  if (state_ == State::kOpen && clock_.Now() >= open_until_) {
    return State::kHalfOpen;
  }
  return state_;
}

CircuitBreaker::Admission CircuitBreaker::Admit() {
  if (state_ == State::kOpen && clock_.Now() >= open_until_) {
    state_ = State::kHalfOpen;
    probe_in_flight_ = false;
  }
  switch (state_) {
    case State::kClosed:
      return Admission::kAllow;
    case State::kOpen:
      return Admission::kReject;
    case State::kHalfOpen:
      if (probe_in_flight_) return Admission::kReject;
      probe_in_flight_ = true;
      return Admission::kProbe;
  }
  return Admission::kReject;
}

void CircuitBreaker::Record(Outcome outcome, bool probe) {
  if (probe) {
    if (state_ != State::kHalfOpen || !probe_in_flight_) return;
    probe_in_flight_ = false;
    switch (outcome) {
      case Outcome::kSuccess:
        state_ = State::kClosed;
        consecutive_failures_ = 0;
        break;
      case Outcome::kFailure:
        Open();
        break;
      case Outcome::kNeutral:
        break;  // the next request probes
    }
    return;
  }
  // Late answers to requests sent before the breaker opened decide nothing.
  if (state_ != State::kClosed) return;
  switch (outcome) {
    case Outcome::kSuccess:
      consecutive_failures_ = 0;
      break;
    case Outcome::kFailure:
      if (++consecutive_failures_ >= std::max(1, options_.failure_threshold)) {
        Open();
      }
      break;
    case Outcome::kNeutral:
      break;
  }
}

void CircuitBreaker::ReleaseProbe() {
  if (state_ == State::kHalfOpen) probe_in_flight_ = false;
}

void CircuitBreaker::Open() {
  state_ = State::kOpen;
  open_until_ = clock_.Now() + options_.open_duration;
  probe_in_flight_ = false;
}

}  // namespace execgw::http

#include "adapters/http/circuit_breaker.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::http {
namespace {

using ::execgw::testing::SimulatedEventLoop;

using Admission = CircuitBreaker::Admission;
using Outcome = CircuitBreaker::Outcome;
using State = CircuitBreaker::State;

class CircuitBreakerTest : public ::testing::Test {
 protected:
  CircuitBreaker::Options Options() {
    CircuitBreaker::Options o;
    o.failure_threshold = 3;
    o.open_duration = absl::Seconds(5);
    return o;
  }
  void Fail(CircuitBreaker& b, int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(b.Admit(), Admission::kAllow);
      b.Record(Outcome::kFailure, false);
    }
  }
  SimulatedEventLoop clock_;
};

TEST_F(CircuitBreakerTest, OpensAfterConsecutiveFailuresOnly) {
  CircuitBreaker b(Options(), clock_);
  Fail(b, 2);
  b.Record(Outcome::kSuccess, false);
  EXPECT_EQ(b.consecutive_failures(), 0);
  Fail(b, 2);
  b.Record(Outcome::kNeutral, false);  // neither resets nor counts
  EXPECT_EQ(b.consecutive_failures(), 2);
  EXPECT_EQ(b.state(), State::kClosed);
  Fail(b, 1);
  EXPECT_EQ(b.state(), State::kOpen);
  EXPECT_EQ(b.Admit(), Admission::kReject);
  EXPECT_EQ(b.open_until(), clock_.Now() + absl::Seconds(5));
}

TEST_F(CircuitBreakerTest, HalfOpenAdmitsOneProbe) {
  CircuitBreaker b(Options(), clock_);
  Fail(b, 3);
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(b.state(), State::kHalfOpen);
  EXPECT_EQ(b.Admit(), Admission::kProbe);
  EXPECT_EQ(b.Admit(), Admission::kReject);
  // A late answer to a request sent before opening decides nothing.
  b.Record(Outcome::kSuccess, false);
  EXPECT_EQ(b.state(), State::kHalfOpen);
  b.Record(Outcome::kSuccess, true);
  EXPECT_EQ(b.state(), State::kClosed);
  EXPECT_EQ(b.Admit(), Admission::kAllow);
}

TEST_F(CircuitBreakerTest, FailedProbeReopensForAnotherPeriod) {
  CircuitBreaker b(Options(), clock_);
  Fail(b, 3);
  clock_.Advance(absl::Seconds(6));
  ASSERT_EQ(b.Admit(), Admission::kProbe);
  b.Record(Outcome::kFailure, true);
  EXPECT_EQ(b.state(), State::kOpen);
  EXPECT_EQ(b.open_until(), clock_.Now() + absl::Seconds(5));
  EXPECT_EQ(b.Admit(), Admission::kReject);
}

TEST_F(CircuitBreakerTest, NeutralOrReleasedProbeLetsTheNextOneProbe) {
  CircuitBreaker b(Options(), clock_);
  Fail(b, 3);
  clock_.Advance(absl::Seconds(5));
  ASSERT_EQ(b.Admit(), Admission::kProbe);
  b.Record(Outcome::kNeutral, true);
  ASSERT_EQ(b.Admit(), Admission::kProbe);
  b.ReleaseProbe();
  EXPECT_EQ(b.Admit(), Admission::kProbe);
  EXPECT_EQ(b.state(), State::kHalfOpen);
}

}  // namespace
}  // namespace execgw::http

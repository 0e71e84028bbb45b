#include "adapters/list_filter.h"

#include "absl/time/time.h"
#include "adapters/upstream_time.h"
#include "gtest/gtest.h"

namespace execgw {
namespace {

const absl::Time kT = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z

v1::Execution Execution(v1::Execution::State state, std::optional<absl::Time> created) {
  v1::Execution e;
  e.set_state(state);
  if (created.has_value()) *e.mutable_create_time() = ToProtoTimestamp(*created);
  return e;
}

TEST(MatchesTest, StatesAndTheHalfOpenCreateTimeRange) {
  ListExecutionsQuery q;
  const v1::Execution running = Execution(v1::Execution::STATE_RUNNING, kT);
  EXPECT_TRUE(Matches(q, running));  // no filter

  q.states = {v1::Execution::STATE_RUNNING, v1::Execution::STATE_QUEUED};
  EXPECT_TRUE(Matches(q, running));
  EXPECT_FALSE(Matches(q, Execution(v1::Execution::STATE_FAILED, kT)));

  q.created_from = kT;
  q.created_to = kT + absl::Seconds(10);
  EXPECT_TRUE(Matches(q, running));  // from is inclusive
  EXPECT_TRUE(Matches(q, Execution(v1::Execution::STATE_RUNNING, kT + absl::Seconds(9))));
  EXPECT_FALSE(Matches(q, Execution(v1::Execution::STATE_RUNNING, kT - absl::Nanoseconds(1))));
  EXPECT_FALSE(Matches(q, Execution(v1::Execution::STATE_RUNNING, kT + absl::Seconds(10))));
  // No create time: nothing says it is out of range; the state still counts.
  EXPECT_TRUE(Matches(q, Execution(v1::Execution::STATE_RUNNING, std::nullopt)));
  EXPECT_FALSE(Matches(q, Execution(v1::Execution::STATE_FAILED, std::nullopt)));
}

TEST(PastRangeTest, TheFarBoundInTheListingsOrder) {
  ListExecutionsQuery q;
  q.created_from = kT;
  q.created_to = kT + absl::Seconds(10);
  const v1::Execution older = Execution(v1::Execution::STATE_RUNNING, kT - absl::Seconds(1));
  const v1::Execution inside = Execution(v1::Execution::STATE_RUNNING, kT);
  const v1::Execution newer = Execution(v1::Execution::STATE_RUNNING, kT + absl::Seconds(10));
  const v1::Execution untimed = Execution(v1::Execution::STATE_RUNNING, std::nullopt);

  q.ascending = false;  // newest first: older than created_from ends it
  EXPECT_TRUE(PastRange(q, older));
  EXPECT_FALSE(PastRange(q, inside));
  EXPECT_FALSE(PastRange(q, newer));
  EXPECT_FALSE(PastRange(q, untimed));

  q.ascending = true;  // oldest first: at or after created_to ends it
  EXPECT_FALSE(PastRange(q, older));
  EXPECT_FALSE(PastRange(q, inside));
  EXPECT_TRUE(PastRange(q, newer));
  EXPECT_FALSE(PastRange(q, untimed));

  // Without bounds nothing is past them, whatever the state filter.
  ListExecutionsQuery open;
  open.states = {v1::Execution::STATE_FAILED};
  EXPECT_FALSE(PastRange(open, older));
}

}  // namespace
}  // namespace execgw

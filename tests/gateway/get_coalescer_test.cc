#include "gateway/get_coalescer.h"

#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/cancellation.h"
#include "adapters/upstream_error.h"
#include "gtest/gtest.h"
#include "tests/gateway/recording_backend.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::gateway {
namespace {

using ::execgw::testing::SimulatedEventLoop;

using testing::Answers;
using testing::ExecutionNamed;
using testing::RecordingBackend;

constexpr char kRun1[] = "backends/polos/executions/6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60";
constexpr char kRun2[] = "backends/polos/executions/7a2d3b5f-0c1e-4d4f-9a8b-2c3d4e5f6a71";

ExecutionName Name(const char* name) { return *ParseExecutionName(name); }

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);

CallContext Context(absl::Time deadline = absl::InfiniteFuture()) {
  return CallContext{deadline, std::make_shared<Cancellation>()};
}

class GetCoalescerTest : public ::testing::Test {
 protected:
  SimulatedEventLoop clock_{kT0};
  GetCoalescer gets_{&clock_};
  RecordingBackend polos_;
  Answers answers_;
};

TEST_F(GetCoalescerTest, ConcurrentIdenticalGetsShareOneUpstreamCall) {
  constexpr int kCallers = 32;
  std::latch start(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      gets_.Get(polos_, Name(kRun1), Context(), answers_.For(i));
    });
  }
  for (auto& t : threads) t.join();

  ASSERT_EQ(polos_.gets().size(), 1u);
  EXPECT_EQ(gets_.counters().upstream_calls, 1u);
  EXPECT_EQ(gets_.counters().joins, kCallers - 1u);
  polos_.CompleteGet(0, ExecutionNamed(kRun1, v1::Execution::STATE_SUCCEEDED));

  EXPECT_EQ(answers_.calls(), kCallers);
  EXPECT_EQ(answers_.repeated(), 0);
  for (int i = 0; i < kCallers; ++i) {
    auto answer = answers_.Get(i);
    ASSERT_TRUE(answer.has_value() && answer->ok()) << i;
    EXPECT_EQ((*answer)->name(), kRun1);
    EXPECT_EQ((*answer)->state(), v1::Execution::STATE_SUCCEEDED);
  }
  EXPECT_EQ(gets_.in_flight(), 0u);
}

TEST_F(GetCoalescerTest, ErrorsFanOutUnchanged) {
  for (int i = 0; i < 3; ++i) gets_.Get(polos_, Name(kRun1), Context(), answers_.For(i));
  absl::Status not_found = MakeError(absl::StatusCode::kNotFound, "no such run",
                                     reason::kUpstreamNotFound, {{"backend", "polos"}});
  polos_.CompleteGet(0, not_found);
  for (int i = 0; i < 3; ++i) {
    auto answer = answers_.Get(i);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status(), not_found);  // payloads included
  }
}

TEST_F(GetCoalescerTest, UpstreamCallRunsOnItsOwnCancellationWithTheStartersDeadline) {
  CallContext first = Context(kT0 + absl::Seconds(10));
  gets_.Get(polos_, Name(kRun1), first, answers_.For(0));
  ASSERT_EQ(polos_.gets().size(), 1u);
  CallContext upstream = polos_.gets()[0].context;
  EXPECT_EQ(upstream.deadline, first.deadline);
  ASSERT_NE(upstream.cancellation, nullptr);
  EXPECT_NE(upstream.cancellation, first.cancellation);
  EXPECT_EQ(polos_.gets()[0].name.ToString(), kRun1);
}

TEST_F(GetCoalescerTest, LaterDeadlineJoinsAndReadsAgainIfTheSharedReadRunsOutOfTime) {
  gets_.Get(polos_, Name(kRun1), Context(kT0 + absl::Seconds(1)), answers_.For(0));
  gets_.Get(polos_, Name(kRun1), Context(kT0 + absl::Seconds(2)), answers_.For(1));
  gets_.Get(polos_, Name(kRun1), Context(), answers_.For(2));  // no deadline at all
  ASSERT_EQ(polos_.gets().size(), 1u);
  EXPECT_EQ(gets_.counters().joins, 2u);

  // The shared read runs out of the first caller's time.
  clock_.AdvanceTo(kT0 + absl::Seconds(1));
  polos_.CompleteGet(0, absl::DeadlineExceededError("upstream too slow"));
  // The first caller takes the failure; the others, with time left, read
  // again: together, in one new read.
  EXPECT_EQ(answers_.calls(), 1);
  EXPECT_EQ((*answers_.Get(0)).status().code(), absl::StatusCode::kDeadlineExceeded);
  ASSERT_EQ(polos_.gets().size(), 2u);
  polos_.CompleteGet(1, ExecutionNamed(kRun1, v1::Execution::STATE_SUCCEEDED));
  EXPECT_EQ(answers_.calls(), 3);
  EXPECT_EQ((*answers_.Get(1))->state(), v1::Execution::STATE_SUCCEEDED);
  EXPECT_EQ((*answers_.Get(2))->state(), v1::Execution::STATE_SUCCEEDED);
}

TEST_F(GetCoalescerTest, UpstreamTimeoutBeforeTheSharedDeadlineIsEveryonesAnswer) {
  gets_.Get(polos_, Name(kRun1), Context(kT0 + absl::Seconds(60)), answers_.For(0));
  gets_.Get(polos_, Name(kRun1), Context(kT0 + absl::Seconds(120)), answers_.For(1));
  ASSERT_EQ(polos_.gets().size(), 1u);
  // The upstream timed out (its request timeout) long before either
  // caller's deadline: not a reason to read again.
  clock_.AdvanceTo(kT0 + absl::Seconds(30));
  polos_.CompleteGet(0, absl::DeadlineExceededError("upstream request timeout"));
  EXPECT_EQ(answers_.calls(), 2);
  EXPECT_EQ(polos_.gets().size(), 1u);
  EXPECT_EQ((*answers_.Get(1)).status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(GetCoalescerTest, JoinerWithoutTimeLeftTakesTheDeadlineFailure) {
  gets_.Get(polos_, Name(kRun1), Context(kT0 + absl::Seconds(1)), answers_.For(0));
  gets_.Get(polos_, Name(kRun1), Context(kT0 + absl::Seconds(1) + absl::Milliseconds(5)),
            answers_.For(1));
  clock_.AdvanceTo(kT0 + absl::Seconds(1));
  polos_.CompleteGet(0, absl::DeadlineExceededError("upstream too slow"));
  EXPECT_EQ(answers_.calls(), 2);
  EXPECT_EQ(polos_.gets().size(), 1u);
  EXPECT_EQ((*answers_.Get(1)).status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(GetCoalescerTest, CancelledCallerDetachesAloneAndTheLastOneCancelsUpstream) {
  CallContext a = Context(), b = Context();
  gets_.Get(polos_, Name(kRun1), a, answers_.For(0));
  gets_.Get(polos_, Name(kRun1), b, answers_.For(1));
  std::shared_ptr<Cancellation> upstream = polos_.gets()[0].context.cancellation;

  a.cancellation->Cancel();
  ASSERT_TRUE(answers_.Get(0).has_value());
  EXPECT_EQ(answers_.Get(0)->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(ErrorReasonOf(answers_.Get(0)->status()), reason::kCancelled);
  EXPECT_FALSE(upstream->cancelled());
  EXPECT_FALSE(answers_.Get(1).has_value());

  b.cancellation->Cancel();
  EXPECT_TRUE(upstream->cancelled());
  EXPECT_EQ(answers_.Get(1)->status().code(), absl::StatusCode::kCancelled);

  // An abandoned read is not joined: the next call starts its own.
  gets_.Get(polos_, Name(kRun1), Context(), answers_.For(2));
  ASSERT_EQ(polos_.gets().size(), 2u);
  EXPECT_FALSE(polos_.gets()[1].context.cancellation->cancelled());

  polos_.CompleteGet(0, MakeError(absl::StatusCode::kCancelled, "cancelled", reason::kCancelled));
  EXPECT_EQ(answers_.calls(), 2);
  polos_.CompleteGet(1, ExecutionNamed(kRun1));
  EXPECT_TRUE(answers_.Get(2)->ok());
  EXPECT_EQ(answers_.repeated(), 0);
}

TEST_F(GetCoalescerTest, CallerCancelledBeforehandSendsNothingUpstream) {
  CallContext a = Context();
  a.cancellation->Cancel();
  gets_.Get(polos_, Name(kRun1), a, answers_.For(0));
  ASSERT_TRUE(answers_.Get(0).has_value());
  EXPECT_EQ(answers_.Get(0)->status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(polos_.gets().empty());
  EXPECT_EQ(gets_.in_flight(), 0u);
}

TEST_F(GetCoalescerTest, DifferentNamesAreSeparateCalls) {
  gets_.Get(polos_, Name(kRun1), Context(), answers_.For(0));
  gets_.Get(polos_, Name(kRun2), Context(), answers_.For(1));
  RecordingBackend other("polos-eu");
  gets_.Get(other, Name("backends/polos-eu/executions/6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60"),
            Context(), answers_.For(2));
  EXPECT_EQ(polos_.gets().size(), 2u);
  EXPECT_EQ(other.gets().size(), 1u);
  polos_.CompleteGet(1, ExecutionNamed(kRun2));
  EXPECT_EQ((*answers_.Get(1))->name(), kRun2);
  EXPECT_FALSE(answers_.Get(0).has_value());
}

TEST_F(GetCoalescerTest, NothingIsCachedOnceAReadCompletes) {
  gets_.Get(polos_, Name(kRun1), Context(), answers_.For(0));
  polos_.CompleteGet(0, ExecutionNamed(kRun1));
  gets_.Get(polos_, Name(kRun1), Context(), answers_.For(1));
  EXPECT_EQ(polos_.gets().size(), 2u);
}

TEST_F(GetCoalescerTest, BackendAnsweringBeforeReturningDoesNotDeadlock) {
  polos_.AnswerAtOnce(ExecutionNamed(kRun1));
  gets_.Get(polos_, Name(kRun1), Context(), answers_.For(0));
  gets_.Get(polos_, Name(kRun1), Context(), answers_.For(1));
  EXPECT_EQ(polos_.gets().size(), 2u);
  EXPECT_EQ(answers_.calls(), 2);
  EXPECT_EQ(gets_.in_flight(), 0u);
}

// Callers cancelled on other threads while the read completes, and callers
// still arriving: every caller is answered exactly once.
TEST_F(GetCoalescerTest, CancellationRacingCompletionAnswersEachCallerOnce) {
  for (int round = 0; round < 200; ++round) {
    GetCoalescer gets;
    RecordingBackend backend;
    Answers answers;
    constexpr int kCallers = 8;
    std::vector<CallContext> contexts;
    for (int i = 0; i < kCallers; ++i) {
      contexts.push_back(Context());
      gets.Get(backend, Name(kRun1), contexts[i], answers.For(i));
    }
    std::latch go(kCallers + 2);
    std::vector<std::thread> threads;
    for (int i = 0; i < kCallers; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        contexts[i].cancellation->Cancel();
      });
    }
    threads.emplace_back([&] {
      go.arrive_and_wait();
      backend.CompleteGet(0, ExecutionNamed(kRun1));
    });
    threads.emplace_back([&] {
      go.arrive_and_wait();
      for (int i = kCallers; i < 2 * kCallers; ++i) {
        gets.Get(backend, Name(kRun1), Context(), answers.For(i));
      }
    });
    for (auto& t : threads) t.join();
    // Late callers may have started a second read; finish every read.
    for (size_t i = 1; i < backend.gets().size(); ++i) {
      backend.CompleteGet(i, ExecutionNamed(kRun1));
    }
    ASSERT_EQ(answers.calls(), 2 * kCallers) << round;
    ASSERT_EQ(answers.repeated(), 0) << round;
    ASSERT_EQ(gets.in_flight(), 0u) << round;
  }
}

}  // namespace
}  // namespace execgw::gateway

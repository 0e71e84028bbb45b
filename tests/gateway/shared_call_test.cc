#include "gateway/shared_call.h"

#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/cancellation.h"
#include "adapters/upstream_error.h"
#include "gtest/gtest.h"

namespace execgw::gateway {
namespace {

const absl::Time kDeadline = absl::FromUnixSeconds(1'700'000'000);

// What one waiter was answered, and how often.
struct Answer {
  int calls = 0;
  std::optional<absl::StatusOr<v1::Execution>> result;
};

Done<v1::Execution> Recorder(std::shared_ptr<Answer> answer) {
  return [answer](absl::StatusOr<v1::Execution> result) {
    ++answer->calls;
    answer->result = std::move(result);
  };
}

// Attaches and arms one waiter; returns its answer.
std::shared_ptr<Answer> Join(SharedCall& call, std::shared_ptr<Cancellation> cancellation) {
  auto answer = std::make_shared<Answer>();
  Done<v1::Execution> done = Recorder(answer);
  std::optional<SharedCall::WaiterId> id = call.Attach(std::move(cancellation), done);
  EXPECT_TRUE(id.has_value());
  if (id.has_value()) call.Arm(*id);
  return answer;
}

v1::Execution Named(const std::string& name) {
  v1::Execution e;
  e.set_name(name);
  return e;
}

TEST(SharedCallTest, UpstreamContextHasTheDeadlineAndItsOwnCancellation) {
  auto call = SharedCall::Make(kDeadline);
  EXPECT_EQ(call->deadline(), kDeadline);
  CallContext context = call->upstream_context();
  EXPECT_EQ(context.deadline, kDeadline);
  ASSERT_NE(context.cancellation, nullptr);
  EXPECT_FALSE(context.cancellation->cancelled());
}

TEST(SharedCallTest, EveryJoinerGetsTheResultOnce) {
  auto call = SharedCall::Make(kDeadline);
  std::vector<std::shared_ptr<Answer>> answers;
  for (int i = 0; i < 3; ++i) answers.push_back(Join(*call, std::make_shared<Cancellation>()));
  answers.push_back(Join(*call, nullptr));  // a waiter that never leaves early
  call->Complete(Named("backends/bx/jobs/j/executions/e"));
  for (const auto& answer : answers) {
    EXPECT_EQ(answer->calls, 1);
    ASSERT_TRUE(answer->result.has_value());
    ASSERT_TRUE(answer->result->ok());
    EXPECT_EQ((*answer->result)->name(), "backends/bx/jobs/j/executions/e");
  }
  // Later completions do nothing, and the call takes no new waiters.
  call->Complete(absl::UnavailableError("late"));
  for (const auto& answer : answers) EXPECT_EQ(answer->calls, 1);
  auto late = std::make_shared<Answer>();
  Done<v1::Execution> done = Recorder(late);
  EXPECT_FALSE(call->Attach(nullptr, done).has_value());
  ASSERT_TRUE(done);  // left alone on failure
  std::move(done)(Named("mine"));
  EXPECT_EQ(late->calls, 1);
  EXPECT_FALSE(call->abandoned());
  EXPECT_FALSE(call->upstream_context().cancellation->cancelled());
}

TEST(SharedCallTest, AnErrorReachesEveryJoiner) {
  auto call = SharedCall::Make(kDeadline);
  auto a = Join(*call, std::make_shared<Cancellation>());
  auto b = Join(*call, std::make_shared<Cancellation>());
  call->Complete(absl::UnavailableError("upstream down"));
  for (const auto& answer : {a, b}) {
    ASSERT_EQ(answer->calls, 1);
    EXPECT_EQ(answer->result->status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(answer->result->status().message(), "upstream down");
  }
}

// A waiter whose own deadline passed or whose client went away (its owner
// fires its Cancellation) is answered CANCELLED at once; the others wait on
// and get the result, and the upstream call goes on.
TEST(SharedCallTest, AJoinerLeavingAloneLeavesTheOthersUnaffected) {
  auto call = SharedCall::Make(kDeadline);
  auto leaving_cancellation = std::make_shared<Cancellation>();
  auto leaving = Join(*call, leaving_cancellation);
  auto staying = Join(*call, std::make_shared<Cancellation>());
  leaving_cancellation->Cancel();
  ASSERT_EQ(leaving->calls, 1);
  EXPECT_EQ(leaving->result->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(ErrorReasonOf(leaving->result->status()), reason::kCancelled);
  EXPECT_EQ(staying->calls, 0);
  EXPECT_FALSE(call->abandoned());
  EXPECT_FALSE(call->upstream_context().cancellation->cancelled());

  call->Complete(Named("done"));
  EXPECT_EQ(leaving->calls, 1);  // never answered twice
  ASSERT_EQ(staying->calls, 1);
  EXPECT_EQ((*staying->result)->name(), "done");
}

TEST(SharedCallTest, TheLastWaiterLeavingCancelsTheUpstreamCall) {
  auto call = SharedCall::Make(kDeadline);
  auto first_cancellation = std::make_shared<Cancellation>();
  auto second_cancellation = std::make_shared<Cancellation>();
  auto first = Join(*call, first_cancellation);
  auto second = Join(*call, second_cancellation);
  const std::shared_ptr<Cancellation> upstream = call->upstream_context().cancellation;
  first_cancellation->Cancel();
  EXPECT_FALSE(upstream->cancelled());
  second_cancellation->Cancel();
  EXPECT_TRUE(upstream->cancelled());
  EXPECT_TRUE(call->abandoned());
  EXPECT_EQ(second->result->status().code(), absl::StatusCode::kCancelled);

  // An abandoned call takes no new waiters; its late completion answers no one.
  Done<v1::Execution> done = Recorder(std::make_shared<Answer>());
  EXPECT_FALSE(call->Attach(nullptr, done).has_value());
  call->Complete(Named("too late"));
  EXPECT_EQ(first->calls, 1);
  EXPECT_EQ(second->calls, 1);
}

TEST(SharedCallTest, AWaiterAlreadyCancelledIsAnsweredWhenArmed) {
  auto call = SharedCall::Make(kDeadline);
  auto other = Join(*call, std::make_shared<Cancellation>());
  auto cancelled = std::make_shared<Cancellation>();
  cancelled->Cancel();
  auto answer = std::make_shared<Answer>();
  Done<v1::Execution> done = Recorder(answer);
  std::optional<SharedCall::WaiterId> id = call->Attach(cancelled, done);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(answer->calls, 0);  // Attach never answers
  call->Arm(*id);
  ASSERT_EQ(answer->calls, 1);
  EXPECT_EQ(answer->result->status().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(call->abandoned());
  call->Complete(Named("x"));
  EXPECT_EQ(other->calls, 1);
  EXPECT_EQ(answer->calls, 1);
}

// A Cancellation that outlives the call (a long-lived client context) may
// fire after the call is gone: its hook must neither keep the call alive
// nor touch it.
TEST(SharedCallTest, ACancellationFiredAfterTheCallIsGoneTouchesNothing) {
  auto long_lived = std::make_shared<Cancellation>();
  std::weak_ptr<SharedCall> weak;
  std::shared_ptr<Answer> answer;
  {
    auto call = SharedCall::Make(kDeadline);
    weak = call;
    answer = Join(*call, long_lived);
    call->Complete(Named("x"));
  }
  EXPECT_TRUE(weak.expired());
  long_lived->Cancel();
  EXPECT_EQ(answer->calls, 1);
  EXPECT_TRUE(answer->result->ok());

  // Gone before completion too (its owner dropped it): the hook finds nothing.
  auto other = std::make_shared<Cancellation>();
  {
    auto call = SharedCall::Make(kDeadline);
    weak = call;
    Join(*call, other);
  }
  EXPECT_TRUE(weak.expired());
  other->Cancel();
}

// Waiters leaving on other threads while the call completes: each is
// answered exactly once, either CANCELLED or with the result.
TEST(SharedCallTest, LeavingRacesWithCompletionAnswerEachWaiterOnce) {
  for (int round = 0; round < 200; ++round) {
    auto call = SharedCall::Make(kDeadline);
    std::vector<std::shared_ptr<Cancellation>> cancellations;
    std::vector<std::shared_ptr<Answer>> answers;
    for (int i = 0; i < 4; ++i) {
      cancellations.push_back(std::make_shared<Cancellation>());
      answers.push_back(Join(*call, cancellations.back()));
    }
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) threads.emplace_back([&, i] { cancellations[i]->Cancel(); });
    call->Complete(Named("raced"));
    for (auto& t : threads) t.join();
    for (const auto& answer : answers) {
      ASSERT_EQ(answer->calls, 1);
      if (!answer->result->ok()) {
        EXPECT_EQ(answer->result->status().code(), absl::StatusCode::kCancelled);
      } else {
        EXPECT_EQ((*answer->result)->name(), "raced");
      }
    }
    EXPECT_TRUE(answers[3]->result->ok());  // never cancelled
    EXPECT_FALSE(call->abandoned());
  }
}

}  // namespace
}  // namespace execgw::gateway

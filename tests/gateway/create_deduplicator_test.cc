#include "gateway/create_deduplicator.h"

#include <latch>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "adapters/cancellation.h"
#include "adapters/upstream_error.h"
#include "google/rpc/error_details.pb.h"
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

ParentName Workflow(const std::string& backend = "polos", const std::string& workflow = "nightly") {
  ParentName parent;
  parent.backend = backend;
  parent.workflow = workflow;
  return parent;
}

v1::CreateExecutionRequest Request(const std::string& request_id, const std::string& input = "a",
                                   const std::string& backend = "polos") {
  v1::CreateExecutionRequest request;
  request.set_parent("backends/" + backend + "/workflows/nightly");
  request.set_request_id(request_id);
  request.mutable_input()->set_string_value(input);
  return request;
}

// RequestIdReusedStatus(backend), compared by content: a map's serialised
// order is not stable, so payload bytes may differ.
void ExpectRequestIdReused(const absl::Status& status, const std::string& backend) {
  const absl::Status expected = RequestIdReusedStatus(backend);
  EXPECT_EQ(status.code(), expected.code());
  EXPECT_EQ(status.message(), expected.message());
  const auto payload = status.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(payload.has_value() && info.ParseFromString(std::string(*payload)));
  EXPECT_EQ(info.reason(), reason::kInvalidArgument);
  const std::map<std::string, std::string> expected_metadata = {{"field", "request_id"},
                                                                {"backend", backend}};
  const std::map<std::string, std::string> metadata(info.metadata().begin(), info.metadata().end());
  EXPECT_EQ(metadata, expected_metadata);
}

CallContext WithCancellation(absl::Time deadline = absl::InfiniteFuture()) {
  return CallContext{deadline, std::make_shared<Cancellation>()};
}

class CreateDeduplicatorTest : public ::testing::Test {
 protected:
  CreateDeduplicator::Options Opts(size_t max_entries = 100000) {
    return {.max_entries = max_entries, .ttl = absl::Hours(1), .clock = &clock_};
  }

  // A create of "req-1" (answer 0) that timed out: unresolved.
  void TimedOutFirstCreate(CreateDeduplicator& dedup) {
    dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(0));
    polos_.CompleteCreate(
        0, MakeError(absl::StatusCode::kDeadlineExceeded, "too slow", reason::kUpstreamTimeout));
  }

  SimulatedEventLoop clock_;
  RecordingBackend polos_;
  Answers answers_;
};

TEST_F(CreateDeduplicatorTest, ConcurrentCreatesWithOneRequestIdStartOneRun) {
  CreateDeduplicator dedup(Opts());
  constexpr int kThreads = 50;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      dedup.Create(polos_, Workflow(), Request("req-1"), WithCancellation(), answers_.For(i));
    });
  }
  for (auto& t : threads) t.join();

  ASSERT_EQ(polos_.creates().size(), 1u);
  EXPECT_EQ(answers_.calls(), 0);
  polos_.CompleteCreate(0, ExecutionNamed(kRun1));

  EXPECT_EQ(answers_.calls(), kThreads);
  for (int i = 0; i < kThreads; ++i) {
    auto answer = answers_.Get(i);
    ASSERT_TRUE(answer.has_value() && answer->ok()) << i;
    EXPECT_EQ((*answer)->name(), kRun1);
  }
  EXPECT_EQ(answers_.repeated(), 0);
  EXPECT_EQ(dedup.counters().upstream_creates, 1u);
  EXPECT_EQ(dedup.counters().joins, kThreads - 1u);
  EXPECT_TRUE(polos_.gets().empty());
}

TEST_F(CreateDeduplicatorTest, SameRequestIdForADifferentRequestIsInvalidArgument) {
  CreateDeduplicator dedup(Opts());
  dedup.Create(polos_, Workflow(), Request("req-1", "a"), {}, answers_.For(0));
  // While the first is in flight...
  dedup.Create(polos_, Workflow(), Request("req-1", "b"), {}, answers_.For(1));
  polos_.CompleteCreate(0, ExecutionNamed(kRun1));
  // ...and once it succeeded; a different parent counts as different too.
  v1::CreateExecutionRequest other_parent = Request("req-1", "a");
  other_parent.set_parent("backends/polos/workflows/weekly");
  dedup.Create(polos_, Workflow("polos", "weekly"), other_parent, {}, answers_.For(2));

  for (int i : {1, 2}) {
    auto answer = answers_.Get(i);
    ASSERT_TRUE(answer.has_value()) << i;
    EXPECT_EQ(answer->status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(answer->status().message(), "request_id: was already used for a different request");
    EXPECT_EQ(ErrorReasonOf(answer->status()), reason::kInvalidArgument);
    // The one answer of every backend kind (Blaxel's adapter gives it too).
    ExpectRequestIdReused(answer->status(), polos_.name());
  }
  EXPECT_EQ(polos_.creates().size(), 1u);
  EXPECT_TRUE(polos_.gets().empty());
  EXPECT_EQ(dedup.counters().conflicts, 2u);
}

TEST_F(CreateDeduplicatorTest, MapOrderDoesNotMakeRequestsDifferent) {
  CreateDeduplicator dedup(Opts());
  v1::CreateExecutionRequest first = Request("req-1");
  auto* fields = first.mutable_input()->mutable_struct_value()->mutable_fields();
  for (int i = 0; i < 20; ++i) (*fields)["k" + std::to_string(i)].set_number_value(i);
  v1::CreateExecutionRequest second = Request("req-1");
  auto* reversed = second.mutable_input()->mutable_struct_value()->mutable_fields();
  for (int i = 19; i >= 0; --i) (*reversed)["k" + std::to_string(i)].set_number_value(i);

  dedup.Create(polos_, Workflow(), first, {}, answers_.For(0));
  dedup.Create(polos_, Workflow(), second, {}, answers_.For(1));
  EXPECT_EQ(polos_.creates().size(), 1u);
  EXPECT_EQ(dedup.counters().joins, 1u);
}

TEST_F(CreateDeduplicatorTest, RetryAfterSuccessReadsTheFirstRunAsItStandsNow) {
  CreateDeduplicator dedup(Opts());
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(0));
  polos_.CompleteCreate(0, ExecutionNamed(kRun1));

  CallContext retry = WithCancellation(clock_.Now() + absl::Seconds(5));
  dedup.Create(polos_, Workflow(), Request("req-1"), retry, answers_.For(1));
  EXPECT_EQ(polos_.creates().size(), 1u);
  ASSERT_EQ(polos_.gets().size(), 1u);
  EXPECT_EQ(polos_.gets()[0].name.ToString(), kRun1);
  // The read runs on the retry's own context.
  EXPECT_EQ(polos_.gets()[0].context.deadline, retry.deadline);
  EXPECT_EQ(polos_.gets()[0].context.cancellation, retry.cancellation);

  polos_.CompleteGet(0, ExecutionNamed(kRun1, v1::Execution::STATE_SUCCEEDED));
  auto answer = answers_.Get(1);
  ASSERT_TRUE(answer.has_value() && answer->ok());
  EXPECT_EQ((*answer)->state(), v1::Execution::STATE_SUCCEEDED);
  EXPECT_EQ(dedup.counters().replays, 1u);
}

// Failures that say the upstream refused the create: nothing was started,
// so the request_id is forgotten and a retry creates again (no search).
TEST_F(CreateDeduplicatorTest, RefusedCreateIsForgottenSoARetryCreatesAgain) {
  CreateDeduplicator dedup(Opts());
  const absl::Status refusals[] = {
      MakeError(absl::StatusCode::kInvalidArgument, "bad payload", reason::kInvalidArgument),
      MakeError(absl::StatusCode::kResourceExhausted, "slow down", reason::kUpstreamRateLimited),
      MakeError(absl::StatusCode::kPermissionDenied, "no", reason::kUpstreamPermissionDenied),
      MakeError(absl::StatusCode::kFailedPrecondition, "paused", reason::kFailedPrecondition),
  };
  for (size_t i = 0; i < std::size(refusals); ++i) {
    dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(2 * i));
    dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(2 * i + 1));  // joins
    ASSERT_EQ(polos_.creates().size(), i + 1) << "a retry must create again";
    polos_.CompleteCreate(i, refusals[i]);
    for (size_t j : {2 * i, 2 * i + 1}) {
      auto answer = answers_.Get(j);
      ASSERT_TRUE(answer.has_value());
      EXPECT_EQ(answer->status(), refusals[i]);  // payloads included
    }
    EXPECT_EQ(dedup.size(), 0u) << i;
  }
  EXPECT_TRUE(polos_.finds().empty());
  EXPECT_EQ(dedup.counters().searches, 0u);
}

// Failures that leave open whether the upstream started the run.
std::vector<absl::Status> UnresolvedFailures() {
  return {
      MakeError(absl::StatusCode::kDeadlineExceeded, "too slow", reason::kUpstreamTimeout),
      MakeError(absl::StatusCode::kUnavailable, "connection reset", reason::kUpstreamUnavailable),
      MakeError(absl::StatusCode::kCancelled, "cancelled", reason::kCancelled),
      MakeError(absl::StatusCode::kInternal, "polos answered 500", reason::kUpstreamError),
      OutcomeUnknownStatus({.backend = "polos", .operation = "create", .name = kRun1},
                           "the answer was not JSON"),
      OutcomeUnknownStatus({.backend = "polos", .operation = "create", .confirmed = true},
                           "no execution id in the answer"),
      OutcomeUnknownStatus({.backend = "polos", .operation = "create"}, "the answer was cut"),
  };
}

// After such a failure the retry does not create blindly: it asks the
// backend for a run of this request since the first attempt, and the run
// found is the answer (and remembered, as after a success).
TEST_F(CreateDeduplicatorTest, RetryAfterAnUnresolvedFailureFindsTheRunItStarted) {
  const std::vector<absl::Status> failures = UnresolvedFailures();
  for (size_t i = 0; i < failures.size(); ++i) {
    SCOPED_TRACE(failures[i].ToString());
    RecordingBackend polos;
    Answers answers;
    CreateDeduplicator dedup(Opts());
    const absl::Time first_attempt = clock_.Now();
    dedup.Create(polos, Workflow(), Request("req-1"), {}, answers.For(0));
    clock_.Advance(absl::Seconds(2));
    const absl::Time failed_at = clock_.Now();
    polos.CompleteCreate(0, failures[i]);
    ASSERT_TRUE(answers.Get(0).has_value());
    EXPECT_EQ(answers.Get(0)->status(), failures[i]);
    EXPECT_EQ(dedup.size(), 1u) << "the request_id must be remembered";

    clock_.Advance(absl::Seconds(5));
    dedup.Create(polos, Workflow(), Request("req-1"), WithCancellation(), answers.For(1));
    dedup.Create(polos, Workflow(), Request("req-1"), {}, answers.For(2));  // joins the search
    EXPECT_EQ(polos.creates().size(), 1u) << "created again without looking";
    ASSERT_EQ(polos.finds().size(), 1u);
    EXPECT_EQ(polos.finds()[0].since, first_attempt);
    EXPECT_EQ(polos.finds()[0].until, failed_at);
    EXPECT_EQ(polos.finds()[0].parent.ToString(), Workflow().ToString());
    EXPECT_EQ(polos.finds()[0].request.request_id(), "req-1");
    polos.CompleteFind(
        0, std::optional<v1::Execution>(ExecutionNamed(kRun1, v1::Execution::STATE_RUNNING)));
    for (int j : {1, 2}) {
      auto answer = answers.Get(j);
      ASSERT_TRUE(answer.has_value() && answer->ok()) << answer->status();
      EXPECT_EQ((*answer)->name(), kRun1);
    }
    EXPECT_EQ(dedup.counters().searches, 1u);
    EXPECT_EQ(dedup.counters().found, 1u);
    EXPECT_EQ(dedup.counters().upstream_creates, 1u);

    // From now on as after a success: read, not searched or created.
    dedup.Create(polos, Workflow(), Request("req-1"), {}, answers.For(3));
    EXPECT_EQ(polos.finds().size(), 1u);
    EXPECT_EQ(polos.creates().size(), 1u);
    ASSERT_EQ(polos.gets().size(), 1u);
    EXPECT_EQ(polos.gets()[0].name.ToString(), kRun1);
  }
}

// The search found nothing: the create goes upstream again, as one call
// in flight with the search (a request arriving meanwhile joins it).
TEST_F(CreateDeduplicatorTest, RetryAfterAnUnresolvedFailureCreatesWhenNoRunIsFound) {
  CreateDeduplicator dedup(Opts());
  TimedOutFirstCreate(dedup);
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(1));
  ASSERT_EQ(polos_.finds().size(), 1u);
  polos_.CompleteFind(0, std::optional<v1::Execution>());
  ASSERT_EQ(polos_.creates().size(), 2u);
  EXPECT_EQ(polos_.creates()[1].request.request_id(), "req-1");
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(2));  // joins the create
  EXPECT_EQ(polos_.creates().size(), 2u);
  EXPECT_EQ(polos_.finds().size(), 1u);
  polos_.CompleteCreate(1, ExecutionNamed(kRun2));
  for (int j : {1, 2}) {
    auto answer = answers_.Get(j);
    ASSERT_TRUE(answer.has_value() && answer->ok()) << answer->status();
    EXPECT_EQ((*answer)->name(), kRun2);
  }
  EXPECT_EQ(dedup.counters().found, 0u);
  EXPECT_EQ(dedup.counters().upstream_creates, 2u);
}

// A failed search leaves the earlier outcome as open as it was: its error
// is the answer, nothing is created, and the next retry searches again.
// The search window still starts at the first attempt.
TEST_F(CreateDeduplicatorTest, FailedSearchKeepsTheRequestIdUnresolved) {
  CreateDeduplicator dedup(Opts());
  const absl::Time first_attempt = clock_.Now();
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(0));
  polos_.CompleteCreate(
      0, MakeError(absl::StatusCode::kUnavailable, "reset", reason::kUpstreamUnavailable));
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(1));
  const absl::Status down =
      MakeError(absl::StatusCode::kUnavailable, "polos is down", reason::kUpstreamUnavailable);
  polos_.CompleteFind(0, down);
  EXPECT_EQ(answers_.Get(1)->status(), down);
  EXPECT_EQ(polos_.creates().size(), 1u);
  EXPECT_EQ(dedup.size(), 1u);

  clock_.Advance(absl::Minutes(1));
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(2));
  ASSERT_EQ(polos_.finds().size(), 2u);
  EXPECT_EQ(polos_.finds()[1].since, first_attempt);
  // A different request behind the id is refused meanwhile too.
  dedup.Create(polos_, Workflow(), Request("req-1", "other"), {}, answers_.For(3));
  ExpectRequestIdReused(answers_.Get(3)->status(), polos_.name());
}

// A backend that cannot tell (OUTCOME_UNKNOWN from the search: too many
// runs to search) says so, and the request_id is forgotten so that the
// caller, told the outcome is unknown, can create again.
TEST_F(CreateDeduplicatorTest, SearchThatCannotTellForgetsTheRequestId) {
  CreateDeduplicator dedup(Opts());
  TimedOutFirstCreate(dedup);
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(1));
  const absl::Status cannot_tell =
      OutcomeUnknownStatus({.backend = "polos", .operation = "create"}, "too many runs to search");
  polos_.CompleteFind(0, cannot_tell);
  EXPECT_EQ(answers_.Get(1)->status(), cannot_tell);
  EXPECT_EQ(dedup.size(), 0u);
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(2));
  EXPECT_EQ(polos_.finds().size(), 1u);
  EXPECT_EQ(polos_.creates().size(), 2u);
}

// A backend without FindCreated: the retry creates again, as before.
TEST_F(CreateDeduplicatorTest, BackendThatCannotSearchCreatesAgain) {
  CreateDeduplicator dedup(Opts());
  TimedOutFirstCreate(dedup);
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(1));
  polos_.CompleteFind(0, absl::UnimplementedError("no search"));
  EXPECT_EQ(polos_.creates().size(), 2u);
  EXPECT_FALSE(answers_.Get(1).has_value());
  polos_.CompleteCreate(1, ExecutionNamed(kRun1));
  ASSERT_TRUE(answers_.Get(1)->ok());
}

// Every caller gone while the search ran, and it found nothing: no create
// is sent for nobody, and the request_id stays unresolved.
TEST_F(CreateDeduplicatorTest, SearchAbandonedByItsCallersCreatesNothing) {
  CreateDeduplicator dedup(Opts());
  TimedOutFirstCreate(dedup);
  CallContext caller = WithCancellation();
  dedup.Create(polos_, Workflow(), Request("req-1"), caller, answers_.For(1));
  ASSERT_EQ(polos_.finds().size(), 1u);
  caller.cancellation->Cancel();
  EXPECT_EQ(answers_.Get(1)->status().code(), absl::StatusCode::kCancelled);
  polos_.CompleteFind(0, std::optional<v1::Execution>());
  EXPECT_EQ(polos_.creates().size(), 1u);
  EXPECT_EQ(dedup.size(), 1u);
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(2));
  EXPECT_EQ(polos_.finds().size(), 2u);
  EXPECT_EQ(answers_.repeated(), 0);
}

// After a search found nothing, a refusal of the create sent again says
// only that this create started nothing: the first one's run may still
// appear, so the request_id stays unresolved and is searched again.
TEST_F(CreateDeduplicatorTest, RefusedCreateAfterASearchKeepsItUnresolved) {
  CreateDeduplicator dedup(Opts());
  TimedOutFirstCreate(dedup);
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(1));
  polos_.CompleteFind(0, std::optional<v1::Execution>());
  ASSERT_EQ(polos_.creates().size(), 2u);
  const absl::Status slow_down =
      MakeError(absl::StatusCode::kResourceExhausted, "slow down", reason::kUpstreamRateLimited);
  polos_.CompleteCreate(1, slow_down);
  EXPECT_EQ(answers_.Get(1)->status(), slow_down);
  EXPECT_EQ(dedup.size(), 1u);
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(2));
  EXPECT_EQ(polos_.finds().size(), 2u);
  EXPECT_EQ(polos_.creates().size(), 2u);
}

// An unresolved entry taken in flight again (its search) leaves the list of
// settled entries: neither eviction nor expiry may drop it meanwhile.
TEST_F(CreateDeduplicatorTest, UnresolvedEntryInFlightIsNeitherEvictedNorExpired) {
  CreateDeduplicator dedup(Opts(/*max_entries=*/1));
  TimedOutFirstCreate(dedup);
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(1));  // searching
  ASSERT_EQ(polos_.finds().size(), 1u);
  clock_.Advance(absl::Hours(2));  // beyond the ttl
  dedup.Create(polos_, Workflow(), Request("req-2"), {}, answers_.For(2));
  EXPECT_EQ(dedup.size(), 2u) << "the entry searching was dropped";
  EXPECT_EQ(dedup.counters().evictions, 0u);
  polos_.CompleteFind(0, std::optional<v1::Execution>(ExecutionNamed(kRun1)));
  ASSERT_TRUE(answers_.Get(1)->ok());
  EXPECT_EQ((*answers_.Get(1))->name(), kRun1);
  // Settled again, it is the oldest settled entry: over the bound, evicted.
  EXPECT_EQ(dedup.counters().evictions, 1u);
  EXPECT_EQ(dedup.size(), 1u);
}

// An unresolved entry expires `ttl` after it settled: then the request_id
// is new again (created, not searched).
TEST_F(CreateDeduplicatorTest, UnresolvedEntryExpiresAfterTtl) {
  CreateDeduplicator dedup(Opts());
  TimedOutFirstCreate(dedup);
  clock_.Advance(absl::Hours(1));
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(1));
  EXPECT_TRUE(polos_.finds().empty());
  EXPECT_EQ(polos_.creates().size(), 2u);
}

// A caller gone before the search was sent: nothing goes upstream and the
// request_id stays unresolved.
TEST_F(CreateDeduplicatorTest, CallerCancelledBeforeTheSearchKeepsItUnresolved) {
  CreateDeduplicator dedup(Opts());
  TimedOutFirstCreate(dedup);
  CallContext gone = WithCancellation();
  gone.cancellation->Cancel();
  dedup.Create(polos_, Workflow(), Request("req-1"), gone, answers_.For(1));
  EXPECT_EQ(answers_.Get(1)->status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(polos_.finds().empty());
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(2));
  EXPECT_EQ(polos_.finds().size(), 1u);
  EXPECT_EQ(polos_.creates().size(), 1u);
}

// The write rule (OutcomeUnknownStatus): OUTCOME_UNKNOWN with confirmed=true
// and a name means the upstream started the run and only reading it back
// failed. Its callers get that error; a retry reads the run instead of
// starting another.
TEST_F(CreateDeduplicatorTest, ConfirmedUnknownOutcomeIsRememberedSoARetryReadsIt) {
  CreateDeduplicator dedup(Opts());
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(0));
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(1));  // joins
  const absl::Status confirmed = OutcomeUnknownStatus(
      {.backend = "polos", .operation = "create", .name = kRun1, .confirmed = true},
      "the read-back timed out");
  polos_.CompleteCreate(0, confirmed);
  for (int i : {0, 1}) {
    auto answer = answers_.Get(i);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status(), confirmed);
  }
  EXPECT_EQ(dedup.size(), 1u);

  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(2));
  EXPECT_EQ(polos_.creates().size(), 1u) << "a second run was started";
  ASSERT_EQ(polos_.gets().size(), 1u);
  EXPECT_EQ(polos_.gets()[0].name.ToString(), kRun1);
  polos_.CompleteGet(0, ExecutionNamed(kRun1, v1::Execution::STATE_RUNNING));
  auto answer = answers_.Get(2);
  ASSERT_TRUE(answer.has_value() && answer->ok()) << answer->status();
  EXPECT_EQ((*answer)->name(), kRun1);
  EXPECT_EQ(dedup.counters().replays, 1u);
  // A different request behind the same id is refused as after a success.
  dedup.Create(polos_, Workflow(), Request("req-1", "other"), {}, answers_.For(3));
  ExpectRequestIdReused(answers_.Get(3)->status(), polos_.name());
}

TEST_F(CreateDeduplicatorTest, UpstreamCreateUsesFirstDeadlineAndItsOwnCancellation) {
  CreateDeduplicator dedup(Opts());
  CallContext first = WithCancellation(clock_.Now() + absl::Seconds(10));
  dedup.Create(polos_, Workflow(), Request("req-1"), first, answers_.For(0));
  dedup.Create(polos_, Workflow(), Request("req-1"),
               WithCancellation(clock_.Now() + absl::Seconds(30)), answers_.For(1));
  ASSERT_EQ(polos_.creates().size(), 1u);
  CallContext upstream = polos_.creates()[0].context;
  EXPECT_EQ(upstream.deadline, first.deadline);
  ASSERT_NE(upstream.cancellation, nullptr);
  EXPECT_NE(upstream.cancellation, first.cancellation);
  // The request goes upstream as given, request_id included.
  EXPECT_EQ(polos_.creates()[0].request.request_id(), "req-1");
}

TEST_F(CreateDeduplicatorTest, CancelledWaiterLeavesAloneAndTheLastOneCancelsUpstream) {
  CreateDeduplicator dedup(Opts());
  CallContext a = WithCancellation(), b = WithCancellation(), c = WithCancellation();
  dedup.Create(polos_, Workflow(), Request("req-1"), a, answers_.For(0));
  dedup.Create(polos_, Workflow(), Request("req-1"), b, answers_.For(1));
  dedup.Create(polos_, Workflow(), Request("req-1"), c, answers_.For(2));
  std::shared_ptr<Cancellation> upstream = polos_.creates()[0].context.cancellation;

  a.cancellation->Cancel();  // the first caller, whose deadline the create has
  ASSERT_TRUE(answers_.Get(0).has_value());
  EXPECT_EQ(answers_.Get(0)->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(ErrorReasonOf(answers_.Get(0)->status()), reason::kCancelled);
  b.cancellation->Cancel();
  EXPECT_EQ(answers_.Get(1)->status().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(upstream->cancelled());
  EXPECT_FALSE(answers_.Get(2).has_value());

  c.cancellation->Cancel();
  EXPECT_TRUE(upstream->cancelled());
  EXPECT_EQ(answers_.Get(2)->status().code(), absl::StatusCode::kCancelled);

  // Until the abandoned create finishes, its outcome is unknown.
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(3));
  ASSERT_TRUE(answers_.Get(3).has_value());
  EXPECT_EQ(answers_.Get(3)->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(polos_.creates().size(), 1u);

  // The upstream create ends CANCELLED: it may have started the run, so a
  // retry searches before it creates.
  polos_.CompleteCreate(0,
                        MakeError(absl::StatusCode::kCancelled, "cancelled", reason::kCancelled));
  EXPECT_EQ(answers_.calls(), 4);
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(4));
  EXPECT_EQ(polos_.finds().size(), 1u);
  EXPECT_EQ(polos_.creates().size(), 1u);
  EXPECT_EQ(answers_.repeated(), 0);
}

TEST_F(CreateDeduplicatorTest, AbandonedCreateThatSucceededAnywayIsRemembered) {
  CreateDeduplicator dedup(Opts());
  CallContext a = WithCancellation();
  dedup.Create(polos_, Workflow(), Request("req-1"), a, answers_.For(0));
  a.cancellation->Cancel();
  polos_.CompleteCreate(0, ExecutionNamed(kRun1));  // the run had started
  EXPECT_EQ(answers_.calls(), 1);

  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(1));
  EXPECT_EQ(polos_.creates().size(), 1u);
  ASSERT_EQ(polos_.gets().size(), 1u);
  EXPECT_EQ(polos_.gets()[0].name.ToString(), kRun1);
}

TEST_F(CreateDeduplicatorTest, CallerCancelledBeforehandSendsNothingUpstream) {
  CreateDeduplicator dedup(Opts());
  CallContext a = WithCancellation();
  a.cancellation->Cancel();
  dedup.Create(polos_, Workflow(), Request("req-1"), a, answers_.For(0));
  ASSERT_TRUE(answers_.Get(0).has_value());
  EXPECT_EQ(answers_.Get(0)->status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(polos_.creates().empty());
  EXPECT_EQ(dedup.size(), 0u);
}

TEST_F(CreateDeduplicatorTest, EntryExpiresAfterTtl) {
  CreateDeduplicator dedup(Opts());
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(0));
  clock_.Advance(absl::Minutes(10));  // in flight: the TTL runs from the success
  polos_.CompleteCreate(0, ExecutionNamed(kRun1));

  clock_.Advance(absl::Hours(1) - absl::Seconds(1));
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(1));
  EXPECT_EQ(polos_.creates().size(), 1u);
  EXPECT_EQ(polos_.gets().size(), 1u);

  clock_.Advance(absl::Seconds(1));
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(2));
  EXPECT_EQ(polos_.creates().size(), 2u);
  EXPECT_EQ(polos_.gets().size(), 1u);
}

TEST_F(CreateDeduplicatorTest, ExpiredEntriesArePurgedAsRequestsArrive) {
  CreateDeduplicator dedup(Opts());
  for (int i = 0; i < 5; ++i) {
    dedup.Create(polos_, Workflow(), Request("req-" + std::to_string(i)), {}, answers_.For(i));
    polos_.CompleteCreate(i, ExecutionNamed(kRun1));
  }
  EXPECT_EQ(dedup.size(), 5u);
  clock_.Advance(absl::Hours(2));
  dedup.Create(polos_, Workflow(), Request("other"), {}, answers_.For(5));
  EXPECT_EQ(dedup.size(), 1u);  // just the new one, in flight
}

TEST_F(CreateDeduplicatorTest, OldestSucceededEntriesAreEvictedOverTheBound) {
  CreateDeduplicator dedup(Opts(/*max_entries=*/3));
  for (int i = 0; i < 5; ++i) {
    dedup.Create(polos_, Workflow(), Request("req-" + std::to_string(i)), {}, answers_.For(i));
    polos_.CompleteCreate(i, ExecutionNamed(kRun1));
    clock_.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(dedup.size(), 3u);
  EXPECT_EQ(dedup.counters().evictions, 2u);

  dedup.Create(polos_, Workflow(), Request("req-4"), {}, answers_.For(5));  // newest: kept
  EXPECT_EQ(polos_.gets().size(), 1u);
  EXPECT_EQ(polos_.creates().size(), 5u);
  dedup.Create(polos_, Workflow(), Request("req-0"), {}, answers_.For(6));  // oldest: evicted
  EXPECT_EQ(polos_.creates().size(), 6u);
}

TEST_F(CreateDeduplicatorTest, CreatesInFlightAreNeverEvicted) {
  CreateDeduplicator dedup(Opts(/*max_entries=*/2));
  dedup.Create(polos_, Workflow(), Request("done"), {}, answers_.For(0));
  polos_.CompleteCreate(0, ExecutionNamed(kRun1));
  for (int i = 1; i <= 3; ++i) {
    dedup.Create(polos_, Workflow(), Request("req-" + std::to_string(i)), {}, answers_.For(i));
  }
  // The succeeded entry went; the three in flight stay, over the bound.
  EXPECT_EQ(dedup.size(), 3u);
  EXPECT_EQ(dedup.counters().evictions, 1u);
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(4));
  EXPECT_EQ(polos_.creates().size(), 4u);  // joined, not created
  EXPECT_EQ(dedup.counters().joins, 1u);

  for (size_t i = 1; i <= 3; ++i) polos_.CompleteCreate(i, ExecutionNamed(kRun2));
  EXPECT_EQ(dedup.size(), 2u);
  EXPECT_EQ(answers_.calls(), 5);
}

TEST_F(CreateDeduplicatorTest, BackendThatDeduplicatesUpstreamIsPassedThrough) {
  CreateDeduplicator dedup(Opts());
  RecordingBackend blaxel("blaxel", /*deduplicates_creates=*/true);
  ParentName job;
  job.backend = "blaxel";
  job.job = "render";
  v1::CreateExecutionRequest request;
  request.set_parent("backends/blaxel/jobs/render");
  request.set_request_id("req-1");
  CallContext context = WithCancellation();
  dedup.Create(blaxel, job, request, context, answers_.For(0));
  dedup.Create(blaxel, job, request, context, answers_.For(1));
  ASSERT_EQ(blaxel.creates().size(), 2u);
  EXPECT_EQ(blaxel.creates()[0].context.cancellation, context.cancellation);
  EXPECT_EQ(dedup.size(), 0u);
}

TEST_F(CreateDeduplicatorTest, RequestWithoutRequestIdIsPassedThrough) {
  CreateDeduplicator dedup(Opts());
  dedup.Create(polos_, Workflow(), Request(""), {}, answers_.For(0));
  dedup.Create(polos_, Workflow(), Request(""), {}, answers_.For(1));
  EXPECT_EQ(polos_.creates().size(), 2u);
  EXPECT_EQ(dedup.size(), 0u);
}

TEST_F(CreateDeduplicatorTest, RequestIdsAreScopedToTheirBackend) {
  CreateDeduplicator dedup(Opts());
  RecordingBackend other("polos-eu");
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(0));
  dedup.Create(other, Workflow("polos-eu"), Request("req-1", "a", "polos-eu"), {}, answers_.For(1));
  EXPECT_EQ(polos_.creates().size(), 1u);
  EXPECT_EQ(other.creates().size(), 1u);
}

TEST_F(CreateDeduplicatorTest, BackendAnsweringBeforeReturningDoesNotDeadlock) {
  CreateDeduplicator dedup(Opts());
  polos_.AnswerAtOnce(ExecutionNamed(kRun1));
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(0));
  dedup.Create(polos_, Workflow(), Request("req-1"), {}, answers_.For(1));
  EXPECT_EQ(polos_.creates().size(), 1u);
  EXPECT_EQ(polos_.gets().size(), 1u);
  EXPECT_EQ(answers_.calls(), 2);
}

// Waiters cancelled on other threads while the create completes: each
// caller is answered exactly once, and the run is remembered.
TEST_F(CreateDeduplicatorTest, CancellationRacingCompletionAnswersEachCallerOnce) {
  for (int round = 0; round < 200; ++round) {
    CreateDeduplicator dedup(Opts());
    RecordingBackend backend;
    Answers answers;
    constexpr int kCallers = 8;
    std::vector<CallContext> contexts;
    for (int i = 0; i < kCallers; ++i) {
      contexts.push_back(WithCancellation());
      dedup.Create(backend, Workflow(), Request("req-1"), contexts[i], answers.For(i));
    }
    std::latch go(kCallers + 1);
    std::vector<std::thread> threads;
    for (int i = 0; i < kCallers; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        contexts[i].cancellation->Cancel();
      });
    }
    threads.emplace_back([&] {
      go.arrive_and_wait();
      backend.CompleteCreate(0, ExecutionNamed(kRun1));
    });
    for (auto& t : threads) t.join();
    ASSERT_EQ(answers.calls(), kCallers) << round;
    ASSERT_EQ(answers.repeated(), 0) << round;
    ASSERT_EQ(dedup.size(), 1u) << round;
  }
}

}  // namespace
}  // namespace execgw::gateway

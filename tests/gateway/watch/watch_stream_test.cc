// WatchStream's logic without a gRPC call: a stream whose writes and
// finish are recorded, driven on simulated time. The orderings tested here
// (a hub event while a write is in flight) are the ones a real call makes
// too rare to reach on purpose.
#include "gateway/watch/watch_stream.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/upstream_error.h"
#include "execgw/v1/execution_service.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "gtest/gtest.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::gateway {
namespace {

// Records what the stream writes and how it finishes; a write stays in
// flight until the test completes it.
class RecordedStream final : public WatchStream {
 public:
  explicit RecordedStream(Params params) : WatchStream(std::move(params)) {}

  void Complete(bool ok = true) {
    ASSERT_TRUE(in_flight_) << "no write in flight";
    in_flight_ = false;
    WriteDone(ok);
  }

  const std::vector<v1::WatchExecutionResponse>& written() const { return written_; }
  bool in_flight() const { return in_flight_; }
  const std::optional<grpc::Status>& finished() const { return finished_; }

 private:
  void Send(const grpc::ByteBuffer* message) override {
    ASSERT_FALSE(in_flight_) << "two writes in flight";
    ASSERT_FALSE(finished_.has_value()) << "a write after Finish";
    in_flight_ = true;
    grpc::ByteBuffer copy(*message);
    v1::WatchExecutionResponse response;
    const grpc::Status parsed =
        grpc::GenericDeserialize<grpc::ProtoBufferReader, v1::WatchExecutionResponse>(&copy,
                                                                                      &response);
    ASSERT_TRUE(parsed.ok());
    written_.push_back(std::move(response));
  }
  void Close(const grpc::Status& status) override {
    ASSERT_FALSE(in_flight_) << "Finish with a write in flight";
    ASSERT_FALSE(finished_.has_value()) << "Finish twice";
    finished_ = status;
  }

  std::vector<v1::WatchExecutionResponse> written_;
  bool in_flight_ = false;
  std::optional<grpc::Status> finished_;
};

std::shared_ptr<const WatchSnapshot> Snapshot(const std::string& etag, bool terminal) {
  v1::WatchExecutionResponse response;
  response.mutable_execution()->set_etag(etag);
  response.mutable_execution()->set_state(terminal ? v1::Execution::STATE_SUCCEEDED
                                                   : v1::Execution::STATE_RUNNING);
  auto snapshot = std::make_shared<WatchSnapshot>();
  snapshot->etag = etag;
  snapshot->terminal = terminal;
  snapshot->confirmed_at = absl::FromUnixSeconds(1000);
  bool own_buffer = false;
  const grpc::Status serialised =
      grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::MessageLite>(
          response, &snapshot->message, &own_buffer);
  EXPECT_TRUE(serialised.ok());
  return snapshot;
}

FollowHealth Failing() {
  FollowHealth health;
  health.confirmed_at = absl::FromUnixSeconds(900);
  health.error = absl::UnavailableError("upstream answered 503");
  health.failing_since = absl::FromUnixSeconds(950);
  return health;
}

// The etag in a shutdown status's ErrorInfo.
std::string ResumeEtagOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "<no details>";
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) {
      EXPECT_EQ(info.reason(), reason::kGatewayShuttingDown);
      auto it = info.metadata().find("etag");
      return it == info.metadata().end() ? "" : it->second;
    }
  }
  return "<no ErrorInfo>";
}

class WatchStreamTest : public ::testing::Test {
 protected:
  std::unique_ptr<RecordedStream> NewStream(const std::string& resume_etag,
                                            absl::Time deadline = absl::InfiniteFuture()) {
    auto slot = limits_.Acquire("ipv4:127.0.0.1");
    EXPECT_TRUE(slot.ok()) << slot.status();
    // Never subscribed (Start is not called): the test plays the hub.
    WatchStream::Params params{&hub_,       nullptr,           ExecutionName{"bx", "etl", "exec-1"},
                               resume_etag, absl::Seconds(15), *std::move(slot)};
    params.deadline = deadline;
    return std::make_unique<RecordedStream>(std::move(params));
  }

  testing::SimulatedEventLoop loop_{absl::FromUnixSeconds(1000)};
  WatchHub hub_{loop_, WatchHub::Options{}};
  WatchLimits limits_{WatchLimits::Options{}};
};

TEST_F(WatchStreamTest, AResumedTerminalContentEndsTheStreamEvenWithAHealthNoticeInFlight) {
  auto stream = NewStream("etag-final");
  // The first read failed: a heartbeat with upstream_error goes out...
  stream->OnHealth(Failing());
  ASSERT_TRUE(stream->in_flight());
  ASSERT_EQ(stream->written().size(), 1u);
  EXPECT_TRUE(stream->written()[0].has_heartbeat());
  EXPECT_EQ(stream->written()[0].upstream_error().code(),
            static_cast<int>(absl::StatusCode::kUnavailable));
  // ...and, before it is done, the next read finds the terminal content
  // the client resumed from: the follower drops its subscribers after
  // this, so the stream must end by itself once the write is done.
  stream->OnExecution(Snapshot("etag-final", true));
  EXPECT_FALSE(stream->finished().has_value()) << "finished with a write in flight";
  stream->Complete();
  ASSERT_TRUE(stream->finished().has_value());
  EXPECT_TRUE(stream->finished()->ok()) << stream->finished()->error_message();
  EXPECT_EQ(stream->written().size(), 1u) << "the terminal content was sent again";
}

TEST_F(WatchStreamTest, AResumedTerminalContentEndsAtOnceWithNothingInFlight) {
  auto stream = NewStream("etag-final");
  stream->OnExecution(Snapshot("etag-final", true));
  ASSERT_TRUE(stream->finished().has_value());
  EXPECT_TRUE(stream->finished()->ok());
  EXPECT_TRUE(stream->written().empty());
}

TEST_F(WatchStreamTest, ATerminalContentQueuedBehindAHeartbeatIsWrittenThenEnds) {
  auto stream = NewStream("");
  stream->OnHealth(Failing());
  stream->OnExecution(Snapshot("etag-final", true));
  // Told twice about the same content while it waits: still written once.
  stream->OnExecution(Snapshot("etag-final", true));
  stream->Complete();
  ASSERT_EQ(stream->written().size(), 2u);
  EXPECT_EQ(stream->written()[1].execution().etag(), "etag-final");
  EXPECT_FALSE(stream->finished().has_value());
  stream->Complete();
  ASSERT_TRUE(stream->finished().has_value());
  EXPECT_TRUE(stream->finished()->ok());
}

TEST_F(WatchStreamTest, ShutdownDuringAContentWriteResumesFromThatContentOnceItIsDelivered) {
  auto stream = NewStream("etag-1");
  stream->OnExecution(Snapshot("etag-2", false));
  ASSERT_TRUE(stream->in_flight());
  stream->OnEnd(absl::UnavailableError("the gateway is shutting down"), /*shutting_down=*/true);
  EXPECT_FALSE(stream->finished().has_value());
  stream->Complete();
  ASSERT_TRUE(stream->finished().has_value());
  EXPECT_EQ(stream->finished()->error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ResumeEtagOf(*stream->finished()), "etag-2");
}

TEST_F(WatchStreamTest, ShutdownDuringAFailedContentWriteResumesFromTheContentBefore) {
  auto stream = NewStream("etag-1");
  stream->OnExecution(Snapshot("etag-2", false));
  stream->OnEnd(absl::UnavailableError("the gateway is shutting down"), /*shutting_down=*/true);
  stream->Complete(/*ok=*/false);
  ASSERT_TRUE(stream->finished().has_value());
  EXPECT_EQ(stream->finished()->error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ResumeEtagOf(*stream->finished()), "etag-1");
}

TEST_F(WatchStreamTest, ShutdownWhileTheTerminalContentIsWrittenEndsOk) {
  auto stream = NewStream("");
  stream->OnExecution(Snapshot("etag-final", true));
  stream->OnEnd(absl::UnavailableError("the gateway is shutting down"), /*shutting_down=*/true);
  stream->Complete();
  ASSERT_TRUE(stream->finished().has_value());
  EXPECT_TRUE(stream->finished()->ok()) << stream->finished()->error_message();
}

TEST_F(WatchStreamTest, OnlyTheNewestUnsentContentIsWrittenAfterTheOneInFlight) {
  auto stream = NewStream("");
  stream->OnExecution(Snapshot("etag-1", false));
  stream->OnExecution(Snapshot("etag-2", false));
  stream->OnExecution(Snapshot("etag-3", false));
  stream->Complete();
  stream->Complete();
  ASSERT_EQ(stream->written().size(), 2u);
  EXPECT_EQ(stream->written()[0].execution().etag(), "etag-1");
  EXPECT_EQ(stream->written()[1].execution().etag(), "etag-3");
  EXPECT_FALSE(stream->in_flight());
  EXPECT_FALSE(stream->finished().has_value());
}

TEST_F(WatchStreamTest, TheDeadlineEndsTheStreamOnTheLoopWithoutGrpcsCancellation) {
  const absl::Time deadline = loop_.Now() + absl::Seconds(30);
  auto stream = NewStream("", deadline);
  stream->OnExecution(Snapshot("etag-1", false));
  stream->Complete();
  loop_.AdvanceTo(deadline - absl::Milliseconds(1));
  EXPECT_FALSE(stream->finished().has_value()) << "ended before its deadline";
  loop_.AdvanceTo(deadline);
  ASSERT_TRUE(stream->finished().has_value()) << "still open at its deadline";
  EXPECT_EQ(stream->finished()->error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // Nothing more is written once it has ended.
  stream->OnExecution(Snapshot("etag-2", true));
  EXPECT_EQ(stream->written().size(), 1u);
}

TEST_F(WatchStreamTest, AtTheDeadlineAWriteInFlightIsWaitedForAndWhatIsQueuedDropped) {
  const absl::Time deadline = loop_.Now() + absl::Seconds(30);
  auto stream = NewStream("", deadline);
  stream->OnExecution(Snapshot("etag-1", false));
  stream->OnExecution(Snapshot("etag-2", false));  // queued behind etag-1
  loop_.AdvanceTo(deadline);
  EXPECT_FALSE(stream->finished().has_value()) << "finished with a write in flight";
  stream->Complete(/*ok=*/false);  // gRPC fails the write of a call past its deadline
  ASSERT_TRUE(stream->finished().has_value());
  EXPECT_EQ(stream->finished()->error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(stream->written().size(), 1u) << "the queued content was written after the deadline";
}

TEST_F(WatchStreamTest, AStreamThatEndedBeforeItsDeadlineIsNotEndedAgain) {
  const absl::Time deadline = loop_.Now() + absl::Seconds(30);
  auto stream = NewStream("", deadline);
  stream->OnExecution(Snapshot("etag-final", true));
  stream->Complete();
  ASSERT_TRUE(stream->finished().has_value());
  EXPECT_TRUE(stream->finished()->ok());
  // RecordedStream fails the test on a second Finish.
  loop_.AdvanceTo(deadline + absl::Seconds(1));
  EXPECT_TRUE(stream->finished()->ok());
}

}  // namespace
}  // namespace execgw::gateway

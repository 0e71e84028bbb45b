#include "gateway/watch/watch_stream.h"

#include <utility>

#include "adapters/upstream_error.h"
#include "execgw/v1/execution_service.pb.h"
#include "gateway/grpc_status.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_writer.h"

namespace execgw::gateway {
namespace {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

}  // namespace

WatchStream* WatchStream::Start(Params params) {
  auto* stream = new WatchStream(std::move(params));
  stream->loop().Post([stream] { stream->Subscribe(); });
  return stream;
}

WatchStream::WatchStream(Params params)
    : params_(std::move(params)),
      last_etag_(params_.resume_etag),
      delivered_etag_(params_.resume_etag) {
  ScheduleDeadline();
}

void WatchStream::ScheduleDeadline() {
  if (params_.deadline == absl::InfiniteFuture()) return;
  // gRPC cancels a call whose deadline passed too, but its OnCancel comes
  // from one of gRPC's threads and is posted here after it: on a busy
  // machine tens of milliseconds late (the soak saw the streams finish
  // 56 ms past their deadline). The loop's own timer ends it on time.
  loop().RunAt(
      params_.deadline,
      [this] {
        End(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the watch's deadline passed"));
      },
      timers_);
}

void WatchStream::Subscribe() {
  if (finished_ || ending_.has_value()) return;
  subscribed_ = true;
  last_write_ = loop().Now();
  ScheduleHeartbeat(last_write_ + params_.heartbeat_interval);
  params_.hub->Subscribe(*params_.backend, params_.name, this);
}

void WatchStream::OnExecution(std::shared_ptr<const WatchSnapshot> snapshot) {
  if (finished_ || ending_.has_value()) return;
  health_.confirmed_at = snapshot->confirmed_at;
  health_.error = absl::OkStatus();
  health_.failing_since = absl::InfinitePast();
  // A content the stream already queued or wrote, or the resume etag.
  if (snapshot->etag == last_etag_) {
    // Queued or being written: its write ends the stream when terminal.
    // Otherwise the client holds it already (a resume): end now, after
    // whatever heartbeat is in flight.
    if (snapshot->terminal && pending_ == nullptr && writing_snapshot_ == nullptr) {
      End(grpc::Status::OK);
    }
    return;
  }
  last_etag_ = snapshot->etag;
  pending_ = std::move(snapshot);
  WriteNext();
}

void WatchStream::OnHealth(const FollowHealth& health) {
  if (finished_ || ending_.has_value()) return;
  health_ = health;
  heartbeat_due_ = true;
  WriteNext();
}

void WatchStream::OnEnd(const absl::Status& status, bool shutting_down) {
  if (finished_) return;
  subscribed_ = false;
  if (!shutting_down) {
    End(ToGrpcStatus(RedactSecrets(status, params_.secrets)));
    return;
  }
  if (ending_.has_value()) return;
  // A content write in flight may still change the etag to resume from.
  ending_for_shutdown_ = true;
  End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is shutting down"));
}

grpc::Status WatchStream::ShuttingDownStatus() const {
  std::map<std::string, std::string> metadata;
  if (!delivered_etag_.empty()) metadata["etag"] = delivered_etag_;
  return ToGrpcStatus(MakeError(absl::StatusCode::kUnavailable,
                                "the gateway is shutting down: watch again (on another replica), "
                                "passing the etag in this error's metadata to resume",
                                reason::kGatewayShuttingDown, metadata));
}

void WatchStream::WriteNext() {
  if (writing_ || finished_) return;
  if (ending_.has_value()) {
    finished_ = true;
    timers_->Cancel();
    const grpc::Status status = ending_for_shutdown_ ? ShuttingDownStatus() : *ending_;
    if (params_.on_finish != nullptr) std::move(params_.on_finish)(status);
    Close(status);
    return;
  }
  if (pending_ != nullptr) {
    writing_snapshot_ = std::move(pending_);
    pending_ = nullptr;
    in_flight_ = writing_snapshot_->message;  // shares the serialised slices
  } else if (heartbeat_due_) {
    heartbeat_due_ = false;
    // The follower's last successful read, which unchanged reads move
    // without telling the subscribers.
    if (subscribed_) {
      if (const FollowHealth* health = params_.hub->HealthOf(params_.name); health != nullptr) {
        health_ = *health;
      }
    }
    v1::WatchExecutionResponse heartbeat;
    heartbeat.mutable_heartbeat();
    if (health_.confirmed_at != absl::InfinitePast()) {
      *heartbeat.mutable_confirm_time() = ToTimestamp(health_.confirmed_at);
    }
    if (!health_.error.ok()) {
      v1::UpstreamError* error = heartbeat.mutable_upstream_error();
      error->set_code(static_cast<int32_t>(health_.error.code()));
      error->set_message(std::string(health_.error.message()));
      error->set_reason(ErrorReasonOf(health_.error));
      if (auto info = health_.error.GetPayload("type.googleapis.com/google.rpc.ErrorInfo")) {
        error->mutable_error_info()->ParseFromString(std::string(*info));
      }
      if (health_.failing_since != absl::InfinitePast()) {
        *error->mutable_since() = ToTimestamp(health_.failing_since);
      }
    }
    bool own_buffer = false;
    grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::MessageLite>(
        heartbeat, &in_flight_, &own_buffer);
    writing_snapshot_ = nullptr;
  } else {
    return;
  }
  writing_ = true;
  last_write_ = loop().Now();
  Send(&in_flight_);
}

void WatchStream::OnWriteDone(bool ok) {
  loop().Post([this, ok] { WriteDone(ok); });
}

void WatchStream::WriteDone(bool ok) {
  writing_ = false;
  in_flight_.Clear();
  std::shared_ptr<const WatchSnapshot> written = std::move(writing_snapshot_);
  writing_snapshot_ = nullptr;
  if (!ok) {
    // The client has gone; gRPC cancels the call.
    if (!ending_.has_value()) ending_ = grpc::Status(grpc::StatusCode::CANCELLED, "write failed");
    WriteNext();
    return;
  }
  if (written != nullptr) {
    delivered_etag_ = written->etag;
    // The terminal content delivered: the watch is complete, even if the
    // gateway began shutting down meanwhile.
    if (written->terminal && (!ending_.has_value() || ending_for_shutdown_)) {
      ending_ = grpc::Status::OK;
      ending_for_shutdown_ = false;
    }
  }
  WriteNext();
}

void WatchStream::ScheduleHeartbeat(absl::Time when) {
  loop().RunAt(
      when, [this] { Heartbeat(); }, timers_);
}

void WatchStream::Heartbeat() {
  if (finished_ || ending_.has_value()) return;
  const absl::Time now = loop().Now();
  const absl::Time due = last_write_ + params_.heartbeat_interval;
  if (now >= due && !writing_) {
    heartbeat_due_ = true;
    WriteNext();
    ScheduleHeartbeat(now + params_.heartbeat_interval);
    return;
  }
  ScheduleHeartbeat(std::max(due, now + params_.heartbeat_interval / 10));
}

void WatchStream::End(grpc::Status status) {
  if (finished_ || ending_.has_value()) return;
  ending_ = std::move(status);
  pending_ = nullptr;
  heartbeat_due_ = false;
  WriteNext();
}

void WatchStream::OnCancel() {
  loop().Post(
      [this] { End(grpc::Status(grpc::StatusCode::CANCELLED, "the watch was cancelled")); });
}

void WatchStream::OnDone() {
  loop().Post([this] {
    timers_->Cancel();
    if (subscribed_) params_.hub->Unsubscribe(params_.name, this);
    delete this;
  });
}

}  // namespace execgw::gateway

#ifndef EXECGW_GATEWAY_WATCH_WATCH_STREAM_H_
#define EXECGW_GATEWAY_WATCH_WATCH_STREAM_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "adapters/backend.h"
#include "adapters/cancellation.h"
#include "adapters/resource_name.h"
#include "gateway/watch/watch_hub.h"
#include "gateway/watch/watch_limits.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"

namespace execgw::gateway {

// One WatchExecution call: a subscriber of the hub that writes what it
// hears to its gRPC stream. It keeps only the newest unsent content (a
// slow reader skips intermediate ones, never the terminal one) and one
// write in flight, so a slow client costs the follower and the other
// watchers nothing. Heartbeats go out when nothing else did for the
// stream's interval; a change in upstream health goes out at once as a
// heartbeat carrying upstream_error.
//
// Everything it does runs on the hub's loop: gRPC's reactions (a write
// done, a cancellation, the end) are posted there. Deletes itself once
// gRPC is done with it, after leaving the hub.
class WatchStream : public grpc::ServerWriteReactor<grpc::ByteBuffer>, public WatchSubscriber {
 public:
  struct Params {
    WatchHub* hub;
    Backend* backend;
    ExecutionName name;
    // The etag the client already has (resume); empty for none.
    std::string resume_etag;
    absl::Duration heartbeat_interval;
    WatchLimits::Slot slot;
    // The caller's deadline: the stream ends itself then, with
    // DEADLINE_EXCEEDED, on its own loop's timer instead of waiting for
    // gRPC's cancellation to reach the loop. InfiniteFuture for none.
    absl::Time deadline = absl::InfiniteFuture();
    // Stripped from the error the stream ends with; must outlive it.
    absl::Span<const std::string> secrets;
    // Optional: called once with the status the stream ends with, just
    // before it is sent (the "rpc" log line and metrics).
    absl::AnyInvocable<void(const grpc::Status&)> on_finish;
  };

  // Starts the stream (its subscription is posted to the hub's loop).
  static WatchStream* Start(Params params);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  void OnExecution(std::shared_ptr<const WatchSnapshot> snapshot) override;
  void OnHealth(const FollowHealth& health) override;
  void OnEnd(const absl::Status& status, bool shutting_down) override;

 protected:
  explicit WatchStream(Params params);
  ~WatchStream() override { timers_->Cancel(); }

  // The gRPC side: StartWrite and Finish, replaced by the tests that drive
  // the stream's logic without a call.
  virtual void Send(const grpc::ByteBuffer* message) { StartWrite(message); }
  virtual void Close(const grpc::Status& status) { Finish(status); }
  // Runs on the loop; called by OnWriteDone.
  void WriteDone(bool ok);

 private:
  EventLoop& loop() { return params_.hub->loop(); }
  void Subscribe();
  // Ends the stream at params_.deadline (a timer set by the constructor).
  void ScheduleDeadline();
  // Starts the next write if none is in flight, or ends the stream.
  void WriteNext();
  // The status that ends a stream on shutdown, with the etag to resume
  // from: built when the stream finishes, after the write in flight.
  grpc::Status ShuttingDownStatus() const;
  void ScheduleHeartbeat(absl::Time when);
  void Heartbeat();
  // Ends the stream with `status` once the write in flight is done;
  // unsent messages are dropped.
  void End(grpc::Status status);

  Params params_;
  // The etag of the newest content queued or written, and of the newest
  // the client has confirmedly received (for a resume after shutdown).
  std::string last_etag_;
  std::string delivered_etag_;
  std::shared_ptr<const WatchSnapshot> pending_;  // newest unsent content
  bool heartbeat_due_ = false;                    // a heartbeat or health notice
  FollowHealth health_;

  // The write in flight, kept alive until it is done.
  grpc::ByteBuffer in_flight_;
  bool writing_ = false;
  std::shared_ptr<const WatchSnapshot> writing_snapshot_;
  absl::Time last_write_ = absl::InfinitePast();

  std::optional<grpc::Status> ending_;
  // The ending is the gateway's shutdown (ShuttingDownStatus()).
  bool ending_for_shutdown_ = false;
  bool finished_ = false;
  bool subscribed_ = false;
  std::shared_ptr<Cancellation> timers_ = std::make_shared<Cancellation>();
};

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_WATCH_WATCH_STREAM_H_

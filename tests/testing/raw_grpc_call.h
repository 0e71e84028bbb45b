#ifndef EXECGW_TESTS_TESTING_RAW_GRPC_CALL_H_
#define EXECGW_TESTS_TESTING_RAW_GRPC_CALL_H_

// Calling a gRPC method with request bytes of the test's choosing, as a
// client built from another proto (or a broken one) would, for tests.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/client_callback.h"
#include "grpcpp/support/status.h"

namespace execgw::testing {

// What a raw call answered: its status and every response message.
// Every ExecutionService method, with the full name of its request message.
struct ExecutionServiceMethod {
  const char* name;
  const char* request_type;
};
inline constexpr ExecutionServiceMethod kExecutionServiceMethods[] = {
    {"GetExecution", "execgw.v1.GetExecutionRequest"},
    {"ListExecutions", "execgw.v1.ListExecutionsRequest"},
    {"ListExecutionTasks", "execgw.v1.ListExecutionTasksRequest"},
    {"CreateExecution", "execgw.v1.CreateExecutionRequest"},
    {"CancelExecution", "execgw.v1.CancelExecutionRequest"},
    {"WatchExecution", "execgw.v1.WatchExecutionRequest"},
};

struct RawAnswer {
  grpc::Status status;
  std::vector<std::string> responses;
};

namespace raw_call_internal {

inline std::string BytesOf(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// One call: writes the request, half-closes, reads until the server ends
// the call. Owned by the caller, who destroys it on its own thread after
// Wait: OnDone runs on a gRPC callback thread and must not drop the last
// reference to the stub's Channel there. With gRPC 1.51 that thread then
// shuts down and frees the shared callback completion queue it is polling
// (when the server has already let go of it) and aborts on its next poll
// (`ref_counted.h: prior > 0`).
class RawCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit RawCall(std::shared_ptr<grpc::Channel> channel) : stub_(std::move(channel)) {}

  void Start(const std::string& method, absl::string_view bytes, absl::Time deadline) {
    grpc::Slice slice(bytes.data(), bytes.size());
    request_ = grpc::ByteBuffer(&slice, 1);
    context_.set_deadline(absl::ToChronoTime(deadline));
    stub_.PrepareBidiStreamingCall(&context_, method, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    answer_.responses.push_back(BytesOf(response_));
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    answer_.status = status;
    done_.Notify();  // the last use of `this`: Wait's caller may destroy it at once
  }

  // Waits for the end of the call; after `wait`, cancels it and waits for
  // its end, so no call outlives the test.
  RawAnswer Wait(absl::Duration wait) {
    if (!done_.WaitForNotificationWithTimeout(wait)) {
      context_.TryCancel();
      done_.WaitForNotification();
      return {grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the test gave up waiting"), {}};
    }
    return std::move(answer_);
  }

 private:
  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  RawAnswer answer_;
  absl::Notification done_;
};

}  // namespace raw_call_internal

// Sends `bytes` as the request message of `method` ("/package.Service/Method")
// over `channel` with a deadline of `timeout`, and waits for the end of the
// call (a little longer than the deadline, then cancels it). The call is a
// generic streaming call that sends one message and reads every answer: on
// the wire that is a unary call as well as a server-streaming one, so one
// shape serves every method, and a streaming method (WatchExecution) is
// never called as a unary one, which its server does not expect.
inline RawAnswer CallRaw(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                         absl::string_view bytes, absl::Duration timeout = absl::Seconds(20)) {
  raw_call_internal::RawCall call(channel);
  call.Start(method, bytes, absl::Now() + timeout);
  return call.Wait(timeout + absl::Seconds(5));
}

// The status of CallRaw for a method of execgw.v1.ExecutionService, by name
// ("GetExecution").
inline grpc::Status CallExecutionServiceRaw(const std::shared_ptr<grpc::Channel>& channel,
                                            absl::string_view method, absl::string_view bytes,
                                            absl::Duration timeout = absl::Seconds(20)) {
  return CallRaw(channel, "/execgw.v1.ExecutionService/" + std::string(method), bytes, timeout)
      .status;
}

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_TESTING_RAW_GRPC_CALL_H_

#include "gateway/grpc_status.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/resource_name.h"
#include "adapters/upstream_error.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace execgw::gateway {
namespace {

constexpr absl::string_view kErrorInfoUrl = "type.googleapis.com/google.rpc.ErrorInfo";
constexpr absl::string_view kBadRequestUrl = "type.googleapis.com/google.rpc.BadRequest";

// Trailers have size limits (a default client refuses more than 8 KB of
// metadata, and the details repeat the message): whatever built a status,
// its message and ErrorInfo metadata values are cut to these. The gateway's
// own messages stay far below; only an unbounded echo reaches them.
constexpr size_t kMaxMessageBytes = 1024;
constexpr size_t kMaxMetadataValueBytes = 256;
// A field violation's description, "..." included, stays within a message's bound.
constexpr size_t kMaxDescriptionBytes = kMaxMessageBytes - 3;
// The ErrorInfo payload with every metadata value valid UTF-8 and cut to
// kMaxMetadataValueBytes.
std::string BoundedErrorInfo(const absl::Cord& payload) {
  std::string bytes(payload);
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(bytes)) return bytes;
  for (auto& [key, value] : *info.mutable_metadata()) {
    value = BoundedEcho(value, kMaxMetadataValueBytes);
  }
  return info.SerializeAsString();
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // Valid UTF-8 too: a decoded name segment may hold any byte, and clients
  // refuse a google.rpc.Status whose strings are not UTF-8.
  const std::string message = BoundedEcho(status.message(), kMaxMessageBytes);
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(status.code()));
  rich.set_message(message);
  const std::vector<FieldViolation> violations = FieldViolationsOf(status);
  status.ForEachPayload([&rich](absl::string_view type_url, const absl::Cord& payload) {
    if (type_url == kFieldViolationTypeUrl) return;  // sent as the BadRequest below
    auto* any = rich.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(type_url == kErrorInfoUrl ? BoundedErrorInfo(payload) : std::string(payload));
  });
  if (!status.GetPayload(kErrorInfoUrl).has_value()) {
    google::rpc::ErrorInfo info;
    info.set_domain(std::string(kErrorDomain));
    info.set_reason(absl::StatusCodeToString(status.code()));
    absl::AsciiStrToUpper(info.mutable_reason());
    auto* any = rich.add_details();
    any->set_type_url(std::string(kErrorInfoUrl));
    any->set_value(info.SerializeAsString());
  }
  if (!violations.empty() && !status.GetPayload(kBadRequestUrl).has_value()) {
    google::rpc::BadRequest bad;
    for (const FieldViolation& violation : violations) {
      auto* v = bad.add_field_violations();
      v->set_field(BoundedEcho(violation.field, kMaxMetadataValueBytes));
      v->set_description(BoundedEcho(violation.description, kMaxDescriptionBytes));
    }
    auto* any = rich.add_details();
    any->set_type_url(std::string(kBadRequestUrl));
    any->set_value(bad.SerializeAsString());
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message,
                      rich.SerializeAsString());
}

const char* GrpcCodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN";
}

}  // namespace execgw::gateway

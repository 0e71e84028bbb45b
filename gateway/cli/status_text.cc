#include "gateway/cli/status_text.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "gateway/grpc_status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace execgw::cli {

std::string FormatStatus(const grpc::Status& status) {
  std::string out = absl::StrCat("error: ", gateway::GrpcCodeName(status.error_code()), ": ",
                                 status.error_message(), "\n");
  google::rpc::Status rich;
  if (status.error_details().empty() || !rich.ParseFromString(status.error_details())) return out;
  for (const auto& any : rich.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) {
      google::rpc::ErrorInfo info;
      any.UnpackTo(&info);
      absl::StrAppend(&out, "  reason: ", info.reason(), " (", info.domain(), ")\n");
      // Sorted: the same error always prints the same text.
      const std::map<std::string, std::string> metadata(info.metadata().begin(),
                                                        info.metadata().end());
      for (const auto& [k, v] : metadata) absl::StrAppend(&out, "  ", k, ": ", v, "\n");
    } else if (any.Is<google::rpc::RetryInfo>()) {
      google::rpc::RetryInfo retry;
      any.UnpackTo(&retry);
      absl::StrAppend(&out, "  retry after: ", retry.retry_delay().seconds(), "s\n");
    } else if (any.Is<google::rpc::BadRequest>()) {
      google::rpc::BadRequest bad;
      any.UnpackTo(&bad);
      for (const auto& v : bad.field_violations()) {
        absl::StrAppend(&out, "  field ", v.field(), ": ", v.description(), "\n");
      }
    }
  }
  return out;
}

}  // namespace execgw::cli

#include "gateway/cli/status_text.h"

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace execgw::cli {
namespace {

grpc::Status WithInfo(const google::rpc::ErrorInfo& info) {
  google::rpc::Status rich;
  rich.set_code(grpc::StatusCode::UNAVAILABLE);
  rich.set_message("px: upstream unavailable");
  rich.add_details()->PackFrom(info);
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, rich.message(), rich.SerializeAsString());
}

TEST(StatusTextTest, ShowsCodeReasonAndMetadataSorted) {
  google::rpc::ErrorInfo info;
  info.set_reason("UPSTREAM_UNAVAILABLE");
  info.set_domain("execgw.dev");
  // Enough keys that hash order would differ from sorted order.
  for (const char* key : {"upstream_code", "http_status", "backend", "zeta", "alpha", "mid"}) {
    (*info.mutable_metadata())[key] = "v";
  }
  EXPECT_EQ(FormatStatus(WithInfo(info)),
            "error: UNAVAILABLE: px: upstream unavailable\n"
            "  reason: UPSTREAM_UNAVAILABLE (execgw.dev)\n"
            "  alpha: v\n"
            "  backend: v\n"
            "  http_status: v\n"
            "  mid: v\n"
            "  upstream_code: v\n"
            "  zeta: v\n");
}

}  // namespace
}  // namespace execgw::cli

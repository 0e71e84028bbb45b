#include "gateway/grpc_status.h"

#include "adapters/upstream_error.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace execgw::gateway {
namespace {

google::rpc::Status Rich(const grpc::Status& s) {
  google::rpc::Status rich;
  EXPECT_TRUE(rich.ParseFromString(s.error_details()));
  return rich;
}

TEST(GrpcStatusTest, OkStaysOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(GrpcStatusTest, CarriesPayloadsAsDetails) {
  absl::Status s = MakeError(absl::StatusCode::kResourceExhausted, "slow down",
                             reason::kUpstreamRateLimited, {{"backend", "bx"}}, absl::Seconds(3));
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(g.error_message(), "slow down");
  auto rich = Rich(g);
  EXPECT_EQ(rich.code(), static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  bool saw_info = false, saw_retry = false;
  for (const auto& any : rich.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) {
      google::rpc::ErrorInfo info;
      ASSERT_TRUE(any.UnpackTo(&info));
      EXPECT_EQ(info.reason(), "UPSTREAM_RATE_LIMITED");
      EXPECT_EQ(info.domain(), "execgw.dev");
      EXPECT_EQ(info.metadata().at("backend"), "bx");
      saw_info = true;
    }
    if (any.Is<google::rpc::RetryInfo>()) {
      google::rpc::RetryInfo retry;
      ASSERT_TRUE(any.UnpackTo(&retry));
      EXPECT_EQ(retry.retry_delay().seconds(), 3);
      saw_retry = true;
    }
  }
  EXPECT_TRUE(saw_info);
  EXPECT_TRUE(saw_retry);
}

TEST(GrpcStatusTest, AddsErrorInfoAndBadRequestToPlainFieldError) {
  grpc::Status g = ToGrpcStatus(FieldError("name", "execution id is empty"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(g.error_message(), "name: execution id is empty");
  auto rich = Rich(g);
  bool saw_info = false, saw_bad = false;
  for (const auto& any : rich.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) {
      google::rpc::ErrorInfo info;
      any.UnpackTo(&info);
      EXPECT_EQ(info.reason(), "INVALID_ARGUMENT");
      saw_info = true;
    }
    if (any.Is<google::rpc::BadRequest>()) {
      google::rpc::BadRequest bad;
      any.UnpackTo(&bad);
      ASSERT_EQ(bad.field_violations_size(), 1);
      EXPECT_EQ(bad.field_violations(0).field(), "name");
      EXPECT_EQ(bad.field_violations(0).description(), "execution id is empty");
      saw_bad = true;
    }
  }
  EXPECT_TRUE(saw_info);
  EXPECT_TRUE(saw_bad);
}

TEST(GrpcStatusTest, NoBadRequestWithoutLeadingField) {
  grpc::Status g = ToGrpcStatus(absl::InvalidArgumentError("something odd: with a colon later"));
  const google::rpc::Status rich = Rich(g);
  ASSERT_GT(rich.details_size(), 0);
  for (const auto& any : rich.details()) EXPECT_FALSE(any.Is<google::rpc::BadRequest>());
}

// The field comes from the status' field payload only: a message that reads
// like "field: problem" names no field, whatever builds it.
TEST(GrpcStatusTest, NoBadRequestFromMessageTextAlone) {
  const absl::Status plain[] = {
      absl::InvalidArgumentError("name: execution id is empty"),
      absl::InvalidArgumentError("x: y"),
      MakeError(absl::StatusCode::kInvalidArgument, "page_token: has expired",
                reason::kInvalidPageToken, {{"field", "page_token"}}),
  };
  for (const absl::Status& s : plain) {
    SCOPED_TRACE(s.message());
    grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(g.error_message(), s.message());
    const google::rpc::Status rich = Rich(g);
    ASSERT_GT(rich.details_size(), 0);
    for (const auto& any : rich.details()) EXPECT_FALSE(any.Is<google::rpc::BadRequest>());
  }
}

// Every violation a status carries is one BadRequest field violation, its
// own payload not sent as it is; any code may carry them.
TEST(GrpcStatusTest, EveryCarriedViolationIsSentOnce) {
  absl::Status s = UnsupportedFieldsError({"input", "queue"}, "Blaxel", "bx");
  s = AddFieldViolation(s, {"env", "is odd"});
  const google::rpc::Status rich = Rich(ToGrpcStatus(s));
  int bad_requests = 0;
  for (const auto& any : rich.details()) {
    EXPECT_NE(any.type_url(), kFieldViolationTypeUrl);
    if (!any.Is<google::rpc::BadRequest>()) continue;
    ++bad_requests;
    google::rpc::BadRequest bad;
    ASSERT_TRUE(any.UnpackTo(&bad));
    ASSERT_EQ(bad.field_violations_size(), 3);
    EXPECT_EQ(bad.field_violations(0).field(), "input");
    EXPECT_EQ(bad.field_violations(0).description(), "not supported by Blaxel backends");
    EXPECT_EQ(bad.field_violations(1).field(), "queue");
    EXPECT_EQ(bad.field_violations(2).field(), "env");
    EXPECT_EQ(bad.field_violations(2).description(), "is odd");
  }
  EXPECT_EQ(bad_requests, 1);

  absl::Status unreadable = AddFieldViolation(absl::FailedPreconditionError("auth.env: not set"),
                                              {"auth.env", "not set"});
  const google::rpc::Status unreadable_rich = Rich(ToGrpcStatus(unreadable));
  bool saw_bad = false;
  for (const auto& any : unreadable_rich.details()) {
    google::rpc::BadRequest bad;
    if (!any.UnpackTo(&bad)) continue;
    ASSERT_EQ(bad.field_violations_size(), 1);
    EXPECT_EQ(bad.field_violations(0).field(), "auth.env");
    saw_bad = true;
  }
  EXPECT_TRUE(saw_bad);
}

// Whatever echoes caller text unbounded, the answer stays within what a
// default client accepts (8 KB of trailers).
TEST(GrpcStatusTest, HugeMessagesAndMetadataAreCut) {
  const std::string huge(1 << 20, 'x');
  absl::Status s = FieldError("name", huge, reason::kInvalidArgument, {{"backend", huge}});
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LE(g.error_message().size(), 1024u + 3);
  EXPECT_EQ(g.error_message().substr(0, 10), "name: xxxx");
  EXPECT_EQ(g.error_message().substr(g.error_message().size() - 3), "...");
  EXPECT_LT(g.error_details().size(), 3000u);
  auto rich = Rich(g);
  EXPECT_EQ(rich.message(), g.error_message());
  bool saw_info = false, saw_bad_request = false;
  for (const auto& any : rich.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) {
      google::rpc::ErrorInfo info;
      ASSERT_TRUE(any.UnpackTo(&info));
      EXPECT_EQ(info.reason(), "INVALID_ARGUMENT");
      EXPECT_LE(info.metadata().at("backend").size(), 256u + 3);
      EXPECT_EQ(info.metadata().at("field"), "name");
      saw_info = true;
    }
    if (any.Is<google::rpc::BadRequest>()) {
      google::rpc::BadRequest bad;
      ASSERT_TRUE(any.UnpackTo(&bad));
      EXPECT_EQ(bad.field_violations(0).field(), "name");
      EXPECT_LE(bad.field_violations(0).description().size(), 1024u);
      saw_bad_request = true;
    }
  }
  EXPECT_TRUE(saw_info);
  EXPECT_TRUE(saw_bad_request);
  // Ordinary statuses pass unchanged.
  absl::Status small = MakeError(absl::StatusCode::kNotFound, std::string(1024, 'm'),
                                 reason::kUpstreamNotFound, {{"backend", std::string(256, 'b')}});
  EXPECT_EQ(ToGrpcStatus(small).error_message(), small.message());
}

// Every metadata value is bounded, however small the whole ErrorInfo, and
// messages and values are valid UTF-8 whatever bytes a decoded name held.
TEST(GrpcStatusTest, MidSizedValuesAreCutAndEveryStringIsUtf8) {
  absl::Status s = MakeError(absl::StatusCode::kInvalidArgument,
                             "name: execution id \"\xff\xfe\" is odd", reason::kInvalidArgument,
                             {{"upstream_code", std::string(600, 'c')}, {"id", "\xff"}});
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_message().find('\xff'), std::string::npos);
  EXPECT_NE(g.error_message().find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
  auto rich = Rich(g);
  bool saw_info = false;
  for (const auto& any : rich.details()) {
    if (!any.Is<google::rpc::ErrorInfo>()) continue;
    google::rpc::ErrorInfo info;
    ASSERT_TRUE(any.UnpackTo(&info));
    EXPECT_LE(info.metadata().at("upstream_code").size(), 256u + 3);
    EXPECT_EQ(info.metadata().at("id"), "\xef\xbf\xbd");
    saw_info = true;
  }
  EXPECT_TRUE(saw_info);
}

}  // namespace
}  // namespace execgw::gateway

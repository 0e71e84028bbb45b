#ifndef EXECGW_TESTS_TESTING_STATUS_DETAILS_H_
#define EXECGW_TESTS_TESTING_STATUS_DETAILS_H_

// Reading back what an absl::Status built with MakeError carries, for tests.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"

namespace execgw::testing {

// The RetryInfo delay a status carries, if any.
inline std::optional<absl::Duration> RetryDelayOf(const absl::Status& s) {
  auto payload = s.GetPayload("type.googleapis.com/google.rpc.RetryInfo");
  if (!payload.has_value()) return std::nullopt;
  google::rpc::RetryInfo info;
  if (!info.ParseFromString(std::string(*payload))) return std::nullopt;
  return absl::Seconds(info.retry_delay().seconds()) +
         absl::Nanoseconds(info.retry_delay().nanos());
}

// Everything a status shows its caller, payloads included.
inline std::string AllText(const absl::Status& s) {
  std::string out(s.message());
  s.ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) {
    absl::StrAppend(&out, "|", url, "=", std::string(payload));
  });
  return out;
}

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_TESTING_STATUS_DETAILS_H_

#ifndef EXECGW_TESTS_FUZZ_FUZZ_CHECKS_H_
#define EXECGW_TESTS_FUZZ_FUZZ_CHECKS_H_

// What the fuzz targets check beyond "does not crash". A broken invariant
// prints what broke and aborts: libFuzzer reports it as a crash (and keeps
// the input), the replay test (replay_main.cc) as a failure.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "adapters/json_value.h"
#include "adapters/upstream_error.h"

namespace execgw::fuzz {

[[noreturn]] inline void Fail(const char* condition, const char* file, int line,
                              const std::string& detail) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n  %s\n", file, line, condition,
               detail.c_str());
  std::fflush(stderr);
  std::abort();
}

#define FUZZ_CHECK(condition, ...)                                                       \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      ::execgw::fuzz::Fail(#condition, __FILE__, __LINE__, ::absl::StrCat(__VA_ARGS__)); \
    }                                                                                    \
  } while (0)

// The most an error message may hold, whatever the input's size: every echo
// of input is bounded (errors travel in gRPC trailers and log lines).
inline constexpr size_t kMaxErrorBytes = 1024;

// An error a caller or an operator reads: INVALID_ARGUMENT, bounded, valid
// UTF-8 (it becomes a proto string), its message "<field>: ..." with a field
// violation for that field, and `field` (when given) that field or a path
// inside it ("backends[0].name" inside "backends").
inline void CheckFieldError(const absl::Status& status, absl::string_view field = {}) {
  const std::string message(status.message());
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument, status.ToString());
  FUZZ_CHECK(message.size() <= kMaxErrorBytes, message.size(), " bytes: ", message.substr(0, 300));
  FUZZ_CHECK(SanitizeUtf8(message) == message, "not UTF-8: ", message.substr(0, 300));
  const std::vector<FieldViolation> violations = FieldViolationsOf(status);
  FUZZ_CHECK(!violations.empty(), "no field violation: ", message.substr(0, 300));
  const std::string& named = violations.front().field;
  FUZZ_CHECK(!named.empty() && absl::StartsWith(message, absl::StrCat(named, ": ")),
             "the message does not start with its field \"", named, "\": ", message.substr(0, 300));
  FUZZ_CHECK(field.empty() || named == field || absl::StartsWith(named, absl::StrCat(field, ".")) ||
                 absl::StartsWith(named, absl::StrCat(field, "[")),
             "names \"", named, "\", not ", field);
}

}  // namespace execgw::fuzz

#endif  // EXECGW_TESTS_FUZZ_FUZZ_CHECKS_H_

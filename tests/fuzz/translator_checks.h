#ifndef EXECGW_TESTS_FUZZ_TRANSLATOR_CHECKS_H_
#define EXECGW_TESTS_FUZZ_TRANSLATOR_CHECKS_H_

// What both translators' fuzz targets check of an execution they made.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "adapters/redaction.h"
#include "adapters/resource_name.h"
#include "adapters/upstream_error.h"
#include "execgw/v1/execution.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/fuzz/fuzz_checks.h"

namespace execgw::fuzz {

inline constexpr absl::string_view kBackend = "fuzz";
// The credential the fuzzed upstream bodies are redacted of, as the
// backends redact theirs (ParseRedactedJson) before translating.
inline constexpr absl::string_view kSecret = "fuzz-secret-3f9a";

// The fuzzed bytes as the backends read an upstream body: parsed, then
// redacted of kSecret (ParseRedactedJson).
inline absl::StatusOr<rapidjson::Document> ReadUpstreamBody(const uint8_t* data, size_t size) {
  return ParseRedactedJson(absl::string_view(reinterpret_cast<const char*>(data), size),
                           {std::string(kSecret)});
}

// `e` is a valid message (its strings UTF-8: it serialises and parses back
// the same), carries an etag and the backend, echoes no secret (in any
// spelling adapters/redaction.h knows), and its
// name is either empty or the canonical name of (backend, `job`,
// `execution`), which parses back to those ids.
inline void CheckExecution(const v1::Execution& e, absl::string_view job,
                           absl::string_view execution) {
  v1::Execution back;
  FUZZ_CHECK(back.ParseFromString(e.SerializeAsString()), "does not parse back (not UTF-8?)");
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(back, e), "parses back otherwise");
  FUZZ_CHECK(!e.etag().empty(), "no etag");
  FUZZ_CHECK(e.backend() == kBackend, e.backend());
  const std::string text = e.DebugString();
  FUZZ_CHECK(!absl::StrContains(text, kSecret), "the secret reaches the execution: ", text);
  // Nor in a spelling the redaction knows (percent-encoded, base64...).
  static const SecretSpellings* spellings = new SecretSpellings({std::string(kSecret)});
  FUZZ_CHECK(!spellings->FoundIn(text), "the secret reaches the execution spelt otherwise: ", text);
  if (e.name().empty()) return;
  absl::StatusOr<ExecutionName> name = ParseExecutionName(e.name());
  FUZZ_CHECK(name.ok(), e.name(), ": ", name.status().ToString());
  FUZZ_CHECK(name->backend == kBackend && name->job == job && name->execution == execution,
             e.name(), " names other ids than job \"", job, "\", execution \"", execution, "\"");
  FUZZ_CHECK(name->ToString() == e.name(), e.name(), " is not canonical");
}

}  // namespace execgw::fuzz

#endif  // EXECGW_TESTS_FUZZ_TRANSLATOR_CHECKS_H_

// Resource names (adapters/resource_name.h): the input is a caller's name,
// and, read as an id, what an upstream may hold.
//  - A name that parses formats back to itself, or (it spelled an escape
//    the canonical way does not: "%41", lower-case hex) to the one
//    canonical name of the same ids, which parses to the same ids again.
//  - Errors are INVALID_ARGUMENT naming the field, bounded in size.
//  - An id that can be named round-trips through its name; an id
//    CheckPlainId accepts reads the same inside a name but for '%' (%25).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "adapters/resource_name.h"
#include "tests/fuzz/fuzz_checks.h"

namespace execgw::fuzz {
namespace {

template <typename Name>
void CheckParsed(absl::string_view input, const absl::StatusOr<Name>& parsed,
                 absl::StatusOr<Name> (*parse)(absl::string_view, absl::string_view),
                 absl::string_view field) {
  if (!parsed.ok()) {
    CheckFieldError(parsed.status(), field);
    return;
  }
  FUZZ_CHECK(IsValidBackendName(parsed->backend), parsed->backend);
  const std::string canonical = parsed->ToString();
  FUZZ_CHECK(canonical == input || absl::StrContains(input, '%'), "\"", input,
             "\" parsed, formats as \"", canonical, "\"");
  absl::StatusOr<Name> again = parse(canonical, field);
  FUZZ_CHECK(again.ok(), canonical, ": ", again.status().ToString());
  FUZZ_CHECK(*again == *parsed, "\"", canonical, "\" parses to other ids than \"", input, "\"");
  FUZZ_CHECK(again->ToString() == canonical, canonical);
}

void CheckId(absl::string_view id) {
  const std::string echo = BoundedEcho(id, 100);
  FUZZ_CHECK(echo.size() <= 103 && SanitizeUtf8(echo) == echo, echo.size());

  const bool utf8 = SanitizeUtf8(id) == id;
  ExecutionName name{"b", "", std::string(id)};
  absl::StatusOr<ExecutionName> back = ParseExecutionName(name.ToString());
  FUZZ_CHECK(back.ok() == (IsNameableId(id) && utf8), name.ToString(), ": ",
             back.status().ToString());
  if (back.ok()) FUZZ_CHECK(*back == name, name.ToString());
  name.job = std::string(id);
  back = ParseExecutionName(name.ToString());
  FUZZ_CHECK(back.ok() == (IsNameableId(id) && utf8), name.ToString());

  const absl::Status plain = CheckPlainId("execution_id", id);
  if (plain.ok()) {
    FUZZ_CHECK(EscapeId(id) == absl::StrReplaceAll(id, {{"%", "%25"}}),
               "a plain id is escaped in its name: ", id);
  } else {
    CheckFieldError(plain, "execution_id");
  }
}

}  // namespace
}  // namespace execgw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace execgw;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz::CheckParsed<ExecutionName>(input, ParseExecutionName(input, "name"), ParseExecutionName,
                                   "name");
  fuzz::CheckParsed<ParentName>(input, ParseParentName(input, "parent"), ParseParentName, "parent");
  fuzz::CheckId(input);
  return 0;
}

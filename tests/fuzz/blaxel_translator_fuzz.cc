// The Blaxel translator (adapters/blaxel/translator.h) on upstream bodies:
// a JobExecution (GET), or an array of them (a list page's items). The body
// is parsed and redacted as the backend does (ParseRedactedJson).
//  - Translation is deterministic and gives a valid execution
//    (translator_checks.h).
//  - The name is set exactly when the job and the execution id can be
//    named, and then names those ids.
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/blaxel/translator.h"
#include "tests/fuzz/translator_checks.h"

namespace execgw::fuzz {
namespace {

void CheckOne(const rapidjson::Value& doc, absl::string_view job_hint, absl::string_view id_hint) {
  const v1::Execution e = blaxel::TranslateJobExecution(doc, kBackend, job_hint, id_hint);
  const v1::Execution again = blaxel::TranslateJobExecution(doc, kBackend, job_hint, id_hint);
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(e, again), "not deterministic");
  CheckExecution(e, e.workload(), e.execution_id());
  const bool nameable = IsNameableId(e.workload()) && IsNameableId(e.execution_id());
  FUZZ_CHECK(e.name().empty() != nameable, "job \"", e.workload(), "\", execution \"",
             e.execution_id(), "\" but name \"", e.name(), "\"");
}

}  // namespace
}  // namespace execgw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace execgw;
  absl::StatusOr<rapidjson::Document> doc = fuzz::ReadUpstreamBody(data, size);
  if (!doc.ok()) return 0;
  if (doc->IsObject()) {
    fuzz::CheckOne(*doc, "job-hint", "");
    fuzz::CheckOne(*doc, "job-hint", "id-hint");
  } else if (doc->IsArray()) {
    for (const rapidjson::Value& item : doc->GetArray()) {
      if (item.IsObject()) fuzz::CheckOne(item, "job-hint", "");
    }
  }
  return 0;
}

// The Polos translator (adapters/polos/translator.h) on upstream bodies: an
// ExecutionResponse (GET), or an array of WorkflowRunSummary (GET
// /api/v1/workflows/runs). The body is parsed and redacted as the backend
// does (ParseRedactedJson).
//  - Translation is deterministic and gives a valid execution
//    (translator_checks.h).
//  - The name is set exactly when the id is a UUID, and then names the
//    lower-cased id; lineage names likewise.
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/polos/execution_id.h"
#include "adapters/polos/translator.h"
#include "tests/fuzz/translator_checks.h"

namespace execgw::fuzz {
namespace {

void CheckLineage(const std::string& name, const std::string& id) {
  if (name.empty()) return;
  FUZZ_CHECK(polos::IsCanonicalUuid(id), "lineage name ", name, " for id ", id);
  FUZZ_CHECK(
      name == ExecutionName({std::string(kBackend), "", polos::CanonicalUuid(id)}).ToString(), name,
      " for id ", id);
}

void CheckOne(const v1::Execution& e, const v1::Execution& again) {
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(e, again), "not deterministic");
  const bool uuid = polos::IsCanonicalUuid(e.execution_id());
  CheckExecution(e, "", uuid ? polos::CanonicalUuid(e.execution_id()) : e.execution_id());
  FUZZ_CHECK(e.name().empty() != uuid, "execution \"", e.execution_id(), "\" but name \"", e.name(),
             "\"");
  CheckLineage(e.lineage().parent_execution(), e.polos().parent_execution_id());
  CheckLineage(e.lineage().root_execution(), e.polos().root_execution_id());
}

}  // namespace
}  // namespace execgw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace execgw;
  absl::StatusOr<rapidjson::Document> doc = fuzz::ReadUpstreamBody(data, size);
  if (!doc.ok()) return 0;
  fuzz::CheckOne(polos::TranslateExecution(*doc, fuzz::kBackend),
                 polos::TranslateExecution(*doc, fuzz::kBackend));
  if (doc->IsArray()) {
    for (const rapidjson::Value& item : doc->GetArray()) {
      fuzz::CheckOne(polos::TranslateRunSummary(item, fuzz::kBackend),
                     polos::TranslateRunSummary(item, fuzz::kBackend));
    }
  }
  return 0;
}

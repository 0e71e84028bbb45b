// Drives the translator with documents generated from the Polos OpenAPI
// spec itself (it has no example values): for ExecutionResponse and
// WorkflowRunSummary, a required-only instance, an all-fields instance with
// type-appropriate sample values, and an instance with every nullable field
// null. Every property the spec declares must have a mapping checked here,
// so a new upstream field fails the test until it is mapped.

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "adapters/json_value.h"
#include "adapters/polos/translator.h"
#include "adapters/upstream_time.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "tests/adapters/polos/test_util.h"
#include "tests/testing/fuzz_seed.h"

namespace execgw::polos {
namespace {

constexpr absl::string_view kBackend = "spec-polos";
constexpr absl::string_view kSampleTime = "2026-02-24T19:45:54.123456+00:00";
constexpr absl::string_view kSampleId = "A1B2C3D4-0000-4000-8000-00000000000F";

class PolosSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("EXECGW_SHARED_UPSTREAM");
    if (dir == nullptr) GTEST_SKIP() << "EXECGW_SHARED_UPSTREAM is not set (run under CTest)";
    const std::string path = absl::StrCat(dir, "/workflow-openapi.json");
    // A fresh clone has no ../shared: skip just the spec-driven cases (the
    // fixtures in tests/fixtures/polos keep the translator covered).
    if (!std::ifstream(path).good()) {
      GTEST_SKIP() << path << " not found: skipping the cases driven by the Polos OpenAPI spec";
    }
    spec_ = testing::Parse(testing::ReadFile(path));
    ASSERT_TRUE(spec_.IsObject());
  }

  const rapidjson::Value& Schema(const char* name) {
    const rapidjson::Value* schemas = JsonMember(*JsonMember(spec_, "components"), "schemas");
    EXPECT_NE(schemas, nullptr);
    const rapidjson::Value* schema = JsonMember(*schemas, name);
    EXPECT_NE(schema, nullptr) << name;
    return *schema;
  }

  rapidjson::Document spec_;
};

// The JSON types a property allows ("string", "integer", "null"...); empty
// for "any".
std::set<std::string> TypesOf(const rapidjson::Value& property) {
  std::set<std::string> out;
  const rapidjson::Value* type = JsonMember(property, "type");
  if (type == nullptr) return out;
  if (type->IsString()) out.insert(type->GetString());
  if (type->IsArray()) {
    for (const auto& t : type->GetArray()) out.insert(t.GetString());
  }
  return out;
}

bool IsNullable(const rapidjson::Value& property) {
  std::set<std::string> types = TypesOf(property);
  return types.empty() || types.contains("null");
}

// A type-appropriate sample value for `name`.
void SampleValue(const std::string& name, const rapidjson::Value& property, rapidjson::Value& out,
                 rapidjson::Document::AllocatorType& a) {
  std::set<std::string> types = TypesOf(property);
  if (types.contains("integer")) {
    out.SetInt(name == "retry_count" ? 2 : 300);
  } else if (types.contains("string")) {
    std::string v;
    if (absl::EndsWith(name, "_at")) {
      v = std::string(kSampleTime);
    } else if (name == "status") {
      v = "running";
    } else if (name == "id" || absl::EndsWith(name, "execution_id")) {
      // Execution ids are UUIDs (the server renders Uuid values); one per
      // field, in upper case to show names are canonical.
      v = name == "id" ? std::string(kSampleId)
                       : absl::StrCat(name == "root_execution_id" ? "B" : "C",
                                      std::string(kSampleId).substr(1));
    } else {
      v = absl::StrCat("sample-", name);
    }
    out.SetString(v.c_str(), static_cast<rapidjson::SizeType>(v.size()), a);
  } else if (types.contains("boolean")) {
    out.SetBool(true);
  } else {
    // Any JSON: an object naming the field.
    out.SetObject();
    rapidjson::Value v(name.c_str(), a);
    out.AddMember("field", v, a);
  }
}

enum class Variant { kRequiredOnly, kAllFields, kNullableNull };

rapidjson::Document Instance(const rapidjson::Value& schema, Variant variant) {
  rapidjson::Document doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  std::set<std::string> required;
  for (const auto& r : JsonMember(schema, "required")->GetArray()) required.insert(r.GetString());
  for (const auto& p : JsonMember(schema, "properties")->GetObject()) {
    const std::string name = p.name.GetString();
    const bool is_required = required.contains(name);
    rapidjson::Value value;
    if (variant == Variant::kRequiredOnly && !is_required) continue;
    if (variant == Variant::kNullableNull && !is_required && IsNullable(p.value)) {
      value.SetNull();
    } else {
      SampleValue(name, p.value, value, a);
    }
    doc.AddMember(rapidjson::Value(name.c_str(), a), value, a);
  }
  return doc;
}

// How one upstream property shows in the Execution: `extract` renders the
// mapped value ("" when unset), `expect` what a sample value should give.
struct Mapping {
  std::function<std::string(const v1::Execution&)> extract;
  std::function<std::string(const rapidjson::Value&)> expect;
  std::string expect_null = "";  // what a JSON null gives
};

std::string AsText(const rapidjson::Value& v) {
  if (v.IsString()) return v.GetString();
  return JsonToString(v);
}

std::string TimeText(bool has, const google::protobuf::Timestamp& ts) {
  return has ? FormatRfc3339(FromProtoTimestamp(ts)) : "";
}

std::string ExpectTime(const rapidjson::Value& v) {
  auto t = ParseUpstreamTime(v.GetString());
  return t.has_value() ? FormatRfc3339(*t) : "(unparseable sample)";
}

std::string ExpectName(const rapidjson::Value& v) {
  return absl::StrCat(v.GetString(), "|backends/", kBackend, "/executions/",
                      absl::AsciiStrToLower(v.GetString()));
}

const std::map<std::string, Mapping>& Mappings() {
  using E = v1::Execution;
  static const auto* m = new std::map<std::string, Mapping>{
      {"id", {[](const E& e) { return e.execution_id(); }, AsText}},
      {"workflow_id", {[](const E& e) { return e.workload(); }, AsText}},
      {"status", {[](const E& e) { return e.raw_status(); }, AsText}},
      {"payload",
       {[](const E& e) { return e.has_input() ? ValueToJson(e.input()) : ""; }, AsText, "null"}},
      {"result",
       {[](const E& e) { return e.has_result() ? ValueToJson(e.result()) : ""; }, AsText}},
      {"error", {[](const E& e) { return e.error_message(); }, AsText}},
      {"created_at",
       {[](const E& e) { return TimeText(e.has_create_time(), e.create_time()); }, ExpectTime}},
      {"started_at",
       {[](const E& e) { return TimeText(e.has_start_time(), e.start_time()); }, ExpectTime}},
      {"completed_at",
       {[](const E& e) { return TimeText(e.has_end_time(), e.end_time()); }, ExpectTime}},
      {"cancelled_at",
       {[](const E& e) { return TimeText(e.has_cancel_time(), e.cancel_time()); }, ExpectTime}},
      {"cancelled_by", {[](const E& e) { return e.polos().cancelled_by(); }, AsText}},
      {"retry_count",
       {[](const E& e) { return e.retry_count() == 0 ? "" : absl::StrCat(e.retry_count()); },
        AsText}},
      {"run_timeout_seconds",
       {[](const E& e) {
          return e.has_timeout()
                     ? absl::StrCat(absl::ToInt64Seconds(FromProtoDuration(e.timeout())))
                     : "";
        },
        AsText}},
      {"parent_execution_id",
       {[](const E& e) {
          if (e.polos().parent_execution_id().empty()) return std::string();
          return absl::StrCat(e.polos().parent_execution_id(), "|", e.lineage().parent_execution());
        },
        ExpectName}},
      {"root_execution_id",
       {[](const E& e) {
          if (e.polos().root_execution_id().empty()) return std::string();
          return absl::StrCat(e.polos().root_execution_id(), "|", e.lineage().root_execution());
        },
        ExpectName}},
      {"batch_id", {[](const E& e) { return e.lineage().batch_id(); }, AsText}},
      {"session_id", {[](const E& e) { return e.lineage().session_id(); }, AsText}},
      {"user_id", {[](const E& e) { return e.lineage().user_id(); }, AsText}},
      {"queue_name", {[](const E& e) { return e.queueing().queue(); }, AsText}},
      {"concurrency_key", {[](const E& e) { return e.queueing().concurrency_key(); }, AsText}},
      {"deployment_id", {[](const E& e) { return e.queueing().deployment_id(); }, AsText}},
      {"assigned_to_worker", {[](const E& e) { return e.queueing().assigned_worker(); }, AsText}},
      {"output_schema_name", {[](const E& e) { return e.polos().output_schema_name(); }, AsText}},
      {"step_key", {[](const E& e) { return e.polos().step_key(); }, AsText}},
  };
  return *m;
}

// Checks every property of `schema` against its mapping in `e`, translated
// from `doc`.
void CheckMappings(const rapidjson::Value& schema, const rapidjson::Document& doc,
                   const v1::Execution& e) {
  for (const auto& p : JsonMember(schema, "properties")->GetObject()) {
    const std::string name = p.name.GetString();
    auto it = Mappings().find(name);
    ASSERT_NE(it, Mappings().end())
        << "spec property \"" << name << "\" has no mapping: map it in the translator and here";
    const rapidjson::Value* sample = JsonMember(doc, name.c_str());
    std::string expected;
    if (sample == nullptr) {
      expected = "";
    } else if (sample->IsNull()) {
      expected = it->second.expect_null;
    } else {
      expected = it->second.expect(*sample);
    }
    EXPECT_EQ(it->second.extract(e), expected)
        << "property " << name << " in " << JsonToString(doc);
  }
  EXPECT_TRUE(e.unparsed_fields().empty()) << JsonToString(doc);
  EXPECT_TRUE(e.polos().extra_fields().fields().empty()) << JsonToString(doc);
  EXPECT_EQ(e.backend(), kBackend);
  EXPECT_EQ(e.backend_kind(), v1::BACKEND_KIND_POLOS);
  EXPECT_FALSE(e.etag().empty());
}

TEST_F(PolosSpecTest, ExecutionResponseRequiredFieldsMatchTheContract) {
  std::set<std::string> required;
  for (const auto& r : JsonMember(Schema("ExecutionResponse"), "required")->GetArray()) {
    required.insert(r.GetString());
  }
  EXPECT_EQ(required, (std::set<std::string>{"id", "workflow_id", "status", "payload", "created_at",
                                             "retry_count"}));
}

TEST_F(PolosSpecTest, ExecutionResponseInstances) {
  const rapidjson::Value& schema = Schema("ExecutionResponse");
  for (Variant v : {Variant::kRequiredOnly, Variant::kAllFields, Variant::kNullableNull}) {
    SCOPED_TRACE(static_cast<int>(v));
    rapidjson::Document doc = Instance(schema, v);
    execgw::testing::KeepAsFuzzSeed(
        "polos_translator", absl::StrCat("spec-ExecutionResponse-", static_cast<int>(v), ".json"),
        JsonToString(doc));
    v1::Execution e = TranslateExecution(doc, kBackend);
    CheckMappings(schema, doc, e);
    EXPECT_EQ(e.name(), absl::StrCat("backends/", kBackend, "/executions/",
                                     absl::AsciiStrToLower(kSampleId)));
    EXPECT_EQ(e.state(), v1::Execution::STATE_RUNNING);
    EXPECT_TRUE(e.has_create_time());
  }
}

TEST_F(PolosSpecTest, WorkflowRunSummaryInstances) {
  const rapidjson::Value& schema = Schema("WorkflowRunSummary");
  for (Variant v : {Variant::kRequiredOnly, Variant::kAllFields, Variant::kNullableNull}) {
    SCOPED_TRACE(static_cast<int>(v));
    rapidjson::Document doc = Instance(schema, v);
    execgw::testing::KeepAsFuzzSeed(
        "polos_translator", absl::StrCat("spec-WorkflowRunSummary-", static_cast<int>(v), ".json"),
        absl::StrCat("[", JsonToString(doc), "]"));
    v1::Execution e = TranslateRunSummary(doc, kBackend);
    CheckMappings(schema, doc, e);
    EXPECT_EQ(e.state(), v1::Execution::STATE_RUNNING);
  }
}

// The spec describes status as "Execution status (pending, running,
// completed, failed, cancelled)": each word it names must be recognized.
TEST_F(PolosSpecTest, EveryStatusTheSpecNamesIsRecognized) {
  const rapidjson::Value* status =
      JsonMember(*JsonMember(Schema("ExecutionResponse"), "properties"), "status");
  ASSERT_NE(status, nullptr);
  std::string description = JsonString(*status, "description").value_or("");
  const size_t open = description.find('(');
  const size_t close = description.find(')');
  ASSERT_NE(open, std::string::npos) << description;
  ASSERT_NE(close, std::string::npos) << description;
  std::vector<std::string> words =
      absl::StrSplit(description.substr(open + 1, close - open - 1), ',', absl::SkipWhitespace());
  ASSERT_GE(words.size(), 5u);
  for (std::string word : words) {
    word = std::string(absl::StripAsciiWhitespace(word));
    EXPECT_NE(StateFromPolosStatus(word, ""), v1::Execution::STATE_UNRECOGNIZED) << word;
  }
}

}  // namespace
}  // namespace execgw::polos

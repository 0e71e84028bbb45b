#include "tests/bench/upstream_documents.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace execgw::bench {
namespace {

rapidjson::Document Fixture(const std::string& path) {
  std::ifstream in(std::string(EXECGW_FIXTURES_DIR) + "/" + path);
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(text.str().c_str());
  if (doc.HasParseError() || !doc.IsObject()) {
    std::fprintf(stderr, "cannot read fixture %s\n", path.c_str());
    std::abort();
  }
  return doc;
}

std::string Compact(const rapidjson::Value& doc) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  doc.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

std::string BlaxelExecution(int tasks) {
  rapidjson::Document doc = Fixture("blaxel/execution_full.json");
  auto& a = doc.GetAllocator();
  const rapidjson::Value templates(doc["tasks"], a);
  rapidjson::Value& list = doc["tasks"];
  list.SetArray();
  for (int i = 0; i < tasks; ++i) {
    rapidjson::Value task(templates[i % templates.Size()], a);
    const std::string name = absl::StrCat("task-", i);
    task["metadata"]["name"].SetString(name.data(), name.size(), a);
    list.PushBack(task, a);
  }
  doc["stats"]["total"].SetInt(tasks);
  return Compact(doc);
}

std::string PolosExecution(int steps) {
  rapidjson::Document doc = Fixture("polos/execution_completed.json");
  auto& a = doc.GetAllocator();
  if (steps > 0) {
    rapidjson::Value list(rapidjson::kArrayType);
    for (int i = 0; i < steps; ++i) {
      const std::string key = absl::StrCat("step-", i);
      rapidjson::Value step(rapidjson::kObjectType);
      step.AddMember("step_key", rapidjson::Value(key.data(), key.size(), a), a);
      step.AddMember("status", "completed", a);
      step.AddMember("started_at", "2026-02-24T19:45:55.000001+00:00", a);
      step.AddMember("completed_at", "2026-02-24T19:46:10.500000+00:00", a);
      rapidjson::Value output(rapidjson::kObjectType);
      output.AddMember("tracking", "1Z999", a);
      output.AddMember("items", i % 7, a);
      step.AddMember("output", output, a);
      list.PushBack(step, a);
    }
    doc["result"].AddMember("steps", list, a);
  }
  return Compact(doc);
}

}  // namespace execgw::bench

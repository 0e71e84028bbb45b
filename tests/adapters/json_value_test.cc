#include "adapters/json_value.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "execgw/v1/execution_service.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"

namespace execgw {
namespace {

// JSON objects nested `levels` deep: {"k":{"k":...{"k":"leaf"}}}, with an
// array at every `array_every`-th level (0: none).
std::string NestedJson(int levels, int array_every = 0) {
  std::string open, close;
  for (int i = 1; i <= levels; ++i) {
    if (array_every > 0 && i % array_every == 0) {
      absl::StrAppend(&open, "[");
      close.insert(0, "]");
    } else {
      absl::StrAppend(&open, R"({"k":)");
      close.insert(0, "}");
    }
  }
  return absl::StrCat(open, R"("leaf")", close);
}

// Levels of structs and lists in `value` (a scalar has none).
int Nesting(const google::protobuf::Value& value) {
  int deepest = 0;
  if (value.has_struct_value()) {
    for (const auto& [k, v] : value.struct_value().fields()) {
      deepest = std::max(deepest, Nesting(v));
    }
    return deepest + 1;
  }
  if (value.has_list_value()) {
    for (const auto& v : value.list_value().values()) deepest = std::max(deepest, Nesting(v));
    return deepest + 1;
  }
  return 0;
}

// The first value down `value` that is no plain struct or list: the leaf,
// or the Struct standing for deeper JSON; `levels` says how many it passed.
const google::protobuf::Value& Bottom(const google::protobuf::Value& value, int& levels) {
  const google::protobuf::Value* v = &value;
  levels = 0;
  while (true) {
    const bool stands_for_json =
        v->has_struct_value() && v->struct_value().fields().contains(std::string(kDeepJsonField));
    if (v->has_struct_value() && !stands_for_json && !v->struct_value().fields().empty()) {
      v = &v->struct_value().fields().begin()->second;
    } else if (v->has_list_value() && v->list_value().values_size() > 0) {
      v = &v->list_value().values(0);
    } else {
      return *v;
    }
    ++levels;
  }
}

TEST(JsonValueTest, ConvertsEveryKind) {
  auto doc = ParseJson(R"({"s":"x","n":1.5,"i":42,"b":true,"z":null,"a":[1,"two"],"o":{"k":"v"}})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  auto s = JsonToStruct(*doc);
  EXPECT_EQ(s.fields().at("s").string_value(), "x");
  EXPECT_DOUBLE_EQ(s.fields().at("n").number_value(), 1.5);
  EXPECT_DOUBLE_EQ(s.fields().at("i").number_value(), 42);
  EXPECT_TRUE(s.fields().at("b").bool_value());
  EXPECT_EQ(s.fields().at("z").kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_EQ(s.fields().at("a").list_value().values(1).string_value(), "two");
  EXPECT_EQ(s.fields().at("o").struct_value().fields().at("k").string_value(), "v");
}

TEST(JsonValueTest, RoundTripsThroughJsonText) {
  auto doc = ParseJson(R"({"a":[1,2.5,"x",null,false],"o":{"k":{}}})");
  ASSERT_TRUE(doc.ok());
  auto text = StructToJson(JsonToStruct(*doc));
  auto again = ParseJson(text);
  ASSERT_TRUE(again.ok()) << text;
  EXPECT_TRUE(*doc == *again) << text;
}

TEST(JsonValueTest, RejectsGarbageAndTrailingBytes) {
  EXPECT_EQ(ParseJson("<html>oops</html>").status().code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(ParseJson(R"({"a":1} trailing)").ok());
  EXPECT_FALSE(ParseJson("").ok());
  EXPECT_FALSE(ParseJson(R"({"a":)").ok());
  EXPECT_TRUE(ParseJson(" {\"a\":1}\n ").ok());
}

TEST(JsonValueTest, TolerantReaders) {
  auto doc =
      ParseJson(R"({"s":"x","n":3,"d":3.0,"f":3.5,"ns":"12","b":false,"z":null,"big":1e300})");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(JsonString(*doc, "s"), "x");
  EXPECT_FALSE(JsonString(*doc, "n").has_value());
  EXPECT_FALSE(JsonString(*doc, "z").has_value());
  EXPECT_FALSE(JsonString(*doc, "missing").has_value());
  EXPECT_EQ(JsonInt(*doc, "n"), 3);
  EXPECT_EQ(JsonInt(*doc, "d"), 3);
  EXPECT_FALSE(JsonInt(*doc, "f").has_value());
  EXPECT_EQ(JsonInt(*doc, "ns"), 12);
  EXPECT_FALSE(JsonInt(*doc, "big").has_value());
  EXPECT_EQ(JsonBool(*doc, "b"), false);
  EXPECT_FALSE(JsonBool(*doc, "s").has_value());
  rapidjson::Value not_object(42);
  EXPECT_EQ(JsonMember(not_object, "x"), nullptr);
}

TEST(JsonValueTest, RefusesPathologicalNestingWithoutCrashing) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  auto doc = ParseJson(deep);
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("nested"), absl::string_view::npos);
  // Brackets inside strings do not count.
  auto ok = ParseJson(R"({"s":")" + std::string(1000, '[') + R"("})");
  EXPECT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(ParseJson(std::string(64, '[') + std::string(64, ']')).ok());
  EXPECT_FALSE(ParseJson(std::string(65, '[') + std::string(65, ']')).ok());
}

TEST(JsonValueTest, ValuesNestAtMostTheBoundAndKeepDeeperJsonAsText) {
  for (int array_every : {0, 3}) {
    const std::string json = NestedJson(51, array_every);
    auto doc = ParseJson(json);
    ASSERT_TRUE(doc.ok()) << doc.status();
    google::protobuf::Value value = JsonToValue(*doc);
    EXPECT_EQ(Nesting(value), kMaxValueNesting);
    int levels = 0;
    const google::protobuf::Value& bottom = Bottom(value, levels);
    EXPECT_EQ(levels, kMaxValueNesting - 1);
    // The Struct at the bound holds the rest, losslessly.
    ASSERT_TRUE(bottom.has_struct_value());
    ASSERT_EQ(bottom.struct_value().fields_size(), 1);
    const std::string& text =
        bottom.struct_value().fields().at(std::string(kDeepJsonField)).string_value();
    const rapidjson::Value* rest = &*doc;
    for (int i = 1; i < kMaxValueNesting; ++i) {
      rest = rest->IsArray() ? &(*rest)[0] : &(*rest)["k"];
    }
    EXPECT_EQ(text, JsonToString(*rest));
    auto reparsed = ParseJson(text);
    ASSERT_TRUE(reparsed.ok());
    EXPECT_TRUE(*reparsed == *rest);
  }
}

TEST(JsonValueTest, ValuesWithinTheBoundAreUnchanged) {
  auto doc = ParseJson(NestedJson(kMaxValueNesting - 1, 4));
  ASSERT_TRUE(doc.ok());
  google::protobuf::Value value = JsonToValue(*doc);
  EXPECT_EQ(Nesting(value), kMaxValueNesting - 1);
  EXPECT_EQ(ValueToJson(value), JsonToString(*doc));
}

TEST(JsonValueTest, StructCountsItselfAsTheFirstLevel) {
  auto doc = ParseJson(NestedJson(51));
  ASSERT_TRUE(doc.ok());
  google::protobuf::Value as_value;
  *as_value.mutable_struct_value() = JsonToStruct(*doc);
  EXPECT_EQ(Nesting(as_value), kMaxValueNesting);
}

// Decodes `message`, serialised, in Debian's python3-protobuf (the C++
// runtime's limits, as in Python's default install). Returns the script's
// exit status, or -1 when Python or its protobuf module is missing.
int DecodeInPython(const google::protobuf::Message& message) {
  const char* python = "/usr/bin/python3";
  if (std::system(absl::StrCat(python, " -c 'import google.protobuf' 2>/dev/null").c_str()) != 0) {
    return -1;
  }
  // The message's descriptors, dependencies first, so that Python needs no
  // generated code.
  google::protobuf::FileDescriptorSet files;
  std::vector<const google::protobuf::FileDescriptor*> order;
  std::function<void(const google::protobuf::FileDescriptor*)> add =
      [&](const google::protobuf::FileDescriptor* f) {
        for (const auto* seen : order) {
          if (seen == f) return;
        }
        for (int i = 0; i < f->dependency_count(); ++i) add(f->dependency(i));
        order.push_back(f);
      };
  add(message.GetDescriptor()->file());
  for (const auto* f : order) f->CopyTo(files.add_file());
  const std::string dir = ::testing::TempDir();
  const std::string base = absl::StrCat(dir, "/decode_", message.GetDescriptor()->name());
  std::ofstream(base + ".desc", std::ios::binary) << files.SerializeAsString();
  std::ofstream(base + ".bin", std::ios::binary) << message.SerializeAsString();
  std::ofstream(base + ".py") << R"(import sys
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
files = descriptor_pb2.FileDescriptorSet.FromString(open(sys.argv[1], "rb").read())
pool = descriptor_pool.DescriptorPool()
for f in files.file:
    pool.Add(f)
cls = message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName(sys.argv[3]))
try:
    cls.FromString(open(sys.argv[2], "rb").read())
except Exception as e:
    print("python could not decode:", e)
    sys.exit(3)
)";
  const int rc = std::system(absl::StrCat(python, " ", base, ".py ", base, ".desc ", base, ".bin ",
                                          message.GetDescriptor()->full_name())
                                 .c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 99;
}

TEST(JsonValueTest, ListResponsesWithDeepValuesDecodeInPython) {
  auto doc = ParseJson(NestedJson(51));
  ASSERT_TRUE(doc.ok());
  v1::ListExecutionsResponse response;
  v1::Execution* e = response.add_executions();
  *e->mutable_input() = JsonToValue(*doc);
  // The deepest place a Value sits: an extra_fields member.
  (*e->mutable_polos()->mutable_extra_fields()->mutable_fields())["deep"] = JsonToValue(*doc);
  const int rc = DecodeInPython(response);
  if (rc == -1) GTEST_SKIP() << "/usr/bin/python3 with google.protobuf (python3-protobuf) missing";
  EXPECT_EQ(rc, 0);

  // Without the bound the same payload does not decode: the check is real.
  google::protobuf::Value unbounded;
  google::protobuf::Value* v = &unbounded;
  for (int i = 0; i < 51; ++i) {
    v = &(*v->mutable_struct_value()->mutable_fields())["k"];
  }
  v->set_string_value("leaf");
  v1::ListExecutionsResponse raw;
  *raw.add_executions()->mutable_input() = unbounded;
  EXPECT_EQ(DecodeInPython(raw), 3);
}

TEST(JsonValueTest, InvalidUtf8BecomesReplacementCharacters) {
  auto doc = ParseJson("{\"s\":\"ok \xff\xfe end\", \"t\":\"caf\xc3\xa9\"}");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(JsonString(*doc, "s"), "ok \xEF\xBF\xBD\xEF\xBF\xBD end");
  EXPECT_EQ(JsonString(*doc, "t"), "caf\xc3\xa9");  // valid UTF-8 untouched
  EXPECT_EQ(SanitizeUtf8("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

// RapidJSON 1.1 decodes an escaped low surrogate that no high one precedes
// into the bytes of a surrogate code point, which no proto string may hold
// (a Polos translator fuzz finding): ParseJson replaces them, in values and
// member names; a valid pair stays the character it escapes.
TEST(JsonValueTest, AnEscapedLoneSurrogateBecomesReplacementCharacters) {
  auto doc = ParseJson(R"({"s":"a\udee0b","\uDC00k":["\udfff"],"pair":"\ud83d\ude00"})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(JsonString(*doc, "s"), "a" + fffd + fffd + fffd + "b");
  const rapidjson::Value* list = JsonMember(*doc, (fffd + fffd + fffd + "k").c_str());
  ASSERT_NE(list, nullptr) << JsonToString(*doc);
  ASSERT_TRUE(list->IsArray() && list->Size() == 1u);
  EXPECT_EQ(std::string((*list)[0].GetString()), fffd + fffd + fffd);
  EXPECT_EQ(JsonString(*doc, "pair"), "\xF0\x9F\x98\x80");  // U+1F600
  for (const auto& m : doc->GetObject()) {
    EXPECT_EQ(SanitizeUtf8(m.name.GetString()), m.name.GetString());
  }
}

TEST(JsonValueTest, TruncateNeverSplitsACharacter) {
  EXPECT_EQ(TruncateUtf8("abc", 10), "abc");
  EXPECT_EQ(TruncateUtf8("caf\xc3\xa9!", 4), "caf");
  EXPECT_EQ(TruncateUtf8("caf\xc3\xa9!", 5), "caf\xc3\xa9");
}

}  // namespace
}  // namespace execgw

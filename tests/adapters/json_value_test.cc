#include "adapters/json_value.h"

#include "gtest/gtest.h"

namespace execgw {
namespace {

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
  auto doc = ParseJson(R"({"s":"x","n":3,"d":3.0,"f":3.5,"ns":"12","b":false,"z":null,"big":1e300})");
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

TEST(JsonValueTest, InvalidUtf8BecomesReplacementCharacters) {
  auto doc = ParseJson("{\"s\":\"ok \xff\xfe end\", \"t\":\"caf\xc3\xa9\"}");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(JsonString(*doc, "s"), "ok \xEF\xBF\xBD\xEF\xBF\xBD end");
  EXPECT_EQ(JsonString(*doc, "t"), "caf\xc3\xa9");  // valid UTF-8 untouched
  EXPECT_EQ(SanitizeUtf8("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(JsonValueTest, TruncateNeverSplitsACharacter) {
  EXPECT_EQ(TruncateUtf8("abc", 10), "abc");
  EXPECT_EQ(TruncateUtf8("caf\xc3\xa9!", 4), "caf");
  EXPECT_EQ(TruncateUtf8("caf\xc3\xa9!", 5), "caf\xc3\xa9");
}

}  // namespace
}  // namespace execgw

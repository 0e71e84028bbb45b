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

}  // namespace
}  // namespace execgw

#ifndef EXECGW_ADAPTERS_JSON_VALUE_H_
#define EXECGW_ADAPTERS_JSON_VALUE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "rapidjson/document.h"

namespace execgw {

// Deepest nesting of arrays and objects ParseJson accepts.
inline constexpr int kMaxJsonDepth = 64;

// The one JSON parser for upstream bodies. An error (INTERNAL, reason-free)
// names the byte offset and the problem; the body itself is not echoed (it
// may be large). Invalid UTF-8 bytes are replaced by U+FFFD (proto3
// strings must be valid UTF-8); documents nested deeper than kMaxJsonDepth
// are refused.
absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view body);

// `text` with every invalid UTF-8 byte replaced by U+FFFD.
std::string SanitizeUtf8(absl::string_view text);

// At most `max_bytes` of `text`, cut on a character boundary.
std::string TruncateUtf8(absl::string_view text, size_t max_bytes);

// Converts any JSON value to google.protobuf.Value. Numbers become doubles
// (as the proto3 JSON mapping does).
google::protobuf::Value JsonToValue(const rapidjson::Value& json);

// Converts a JSON object to google.protobuf.Struct (a non-object gives an
// empty Struct).
google::protobuf::Struct JsonToStruct(const rapidjson::Value& json);

// Serializes a JSON value compactly.
std::string JsonToString(const rapidjson::Value& json);

// Serializes a google.protobuf.Value / Struct as JSON into `writer`-ready
// text (for request bodies).
std::string ValueToJson(const google::protobuf::Value& value);
std::string StructToJson(const google::protobuf::Struct& value);

// Field readers that tolerate absent members, nulls and wrong types: they
// return nullopt instead of failing, so that one odd field never fails a
// whole execution. `object` may be a non-object (treated as empty).
const rapidjson::Value* JsonMember(const rapidjson::Value& object, const char* key);
std::optional<std::string> JsonString(const rapidjson::Value& object, const char* key);
// Accepts integral numbers (and integral-valued doubles) within int64;
// numeric strings such as "42" too.
std::optional<int64_t> JsonInt(const rapidjson::Value& object, const char* key);
std::optional<bool> JsonBool(const rapidjson::Value& object, const char* key);

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_JSON_VALUE_H_

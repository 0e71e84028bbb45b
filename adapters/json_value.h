#ifndef EXECGW_ADAPTERS_JSON_VALUE_H_
#define EXECGW_ADAPTERS_JSON_VALUE_H_

#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
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

// Calls `fn` on every string value and member name of `root`, depth first;
// `fn` may replace the string it is given. Iterative, so a deep document
// cannot exhaust the stack.
void ForEachString(rapidjson::Value& root, absl::FunctionRef<void(rapidjson::Value&)> fn);

// At most `max_bytes` of `text`, cut on a character boundary.
std::string TruncateUtf8(absl::string_view text, size_t max_bytes);

// Most levels of structs and lists in a google.protobuf.Value the gateway
// produces (the outermost struct or list is level 1). Every protobuf
// runtime must decode what the gateway sends, and the common ones (C++,
// Java, Python, C#) stop at 100 nested messages. Each JSON object level
// costs three (Struct, map entry, Value), each array level two; the deepest
// Value the translators fill (an extra_fields member: ListExecutionsResponse
// > Execution > PolosDetails > Struct > map entry > Value) is the fifth
// nested message. 20 levels below it end at most 5 + 3 * 20 = 65 deep,
// leaving a margin for clients that wrap the gateway's messages in their
// own.
inline constexpr int kMaxValueNesting = 20;

// The one field of the Struct that stands, at level kMaxValueNesting, for a
// deeper JSON object or array: its compact JSON text, so that nothing is
// lost and clients can detect the Struct and parse the text.
inline constexpr absl::string_view kDeepJsonField = "$execgw_json";

// Converts any JSON value to google.protobuf.Value. Numbers become doubles
// (as the proto3 JSON mapping does). An object or array at level
// kMaxValueNesting becomes the Struct {kDeepJsonField: "<its JSON text>"}.
google::protobuf::Value JsonToValue(const rapidjson::Value& json);

// Converts a JSON object to google.protobuf.Struct (a non-object gives an
// empty Struct), the Struct itself being level 1 for kMaxValueNesting.
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
